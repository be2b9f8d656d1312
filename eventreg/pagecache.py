"""Whole responses of public pages and calendar feeds, cached and revalidated cheaply.

A cached response is stored under a key made of the public data's version (one primary-key
read, see models/data_version.py), a time step, the language, the site address and the URL,
plus a fingerprint of the code (so a deploy with other templates never serves old copies).
The store is Flask-Caching: memory per worker by default, Redis (shared by every worker and
host) when CACHE_REDIS_URL is set. Nothing can go stale: a change commits a new version,
and the next request looks under a new key.

Seat counts are the exception, by design: a sign-up changes only the seats token (see
models/data_version.py). Feeds show no seats and are keyed by the data token alone; a cached
page stays in use while its seat counts are less than SEAT_COUNT_LAG_SECONDS old, so a rush
of sign-ups rebuilds each page at most once per lag. Its ETag names the seat counts it
shows, so a client is told 304 only for the copy it has.

The time step (PAGE_CACHE_SECONDS, FEED_WINDOW_STEP_SECONDS) is there because what a page
shows also depends on the clock (an event ends and leaves the upcoming list, registration
closes): a page is at most one step behind the clock, and every worker agrees on the step.

Pages (`cached_page`) are cached only for anonymous visitors: a logged-in user, flashed
messages or a response that sets a cookie or the session bypass the cache. A form's CSRF
token is personal; the page is rendered with a placeholder in its place, the placeholder is
cached, and each visitor's own token is put in when the page is served. The page's ETag is
derived from the key (and, for a page with a form, the visitor's CSRF token), so a
conditional GET is mostly answered 304 without reading the cache at all.

Feeds (`cached_feed`) are the same for everyone; their ETag and Last-Modified come from the
data (see feeds/views.py), so every worker and host serves the same bytes and validators. A
conditional GET is answered from the cached entry before the feed's filters are parsed.
"""

import gzip
import hashlib
import socket
import threading
import time
from collections import OrderedDict
from datetime import UTC, datetime
from functools import lru_cache, wraps
from pathlib import Path

from flask import Flask, Response, current_app, g, make_response, request, session
from flask_babel import get_locale
from flask_caching.backends import SimpleCache
from flask_login.config import COOKIE_NAME as REMEMBER_COOKIE_NAME
from flask_wtf.csrf import generate_csrf
from werkzeug.http import (
    http_date,
    is_resource_modified,
    parse_accept_header,
    remove_entity_headers,
)
from werkzeug.wrappers import Request as WsgiRequest

from .extensions import cache, db, limiter
from .i18n import LOCALE_COOKIE, LOCALE_PARAM, locale_from
from .mail.links import base_url
from .models.data_version import VERSION_ENVIRON_KEY, Tokens, current_tokens, read_tokens

# What a cached page has instead of a CSRF token. The token field's name is csrf_token.
CSRF_PLACEHOLDER = "eventreg-csrf-token-placeholder-0f6b2c"
_PLACEHOLDER_BYTES = CSRF_PLACEHOLDER.encode()
# Headers kept with a cached response; the rest (security headers, CORS, the language
# cookie) are added on every request by the app's after_request handlers.
KEPT_HEADERS = frozenset({
    "content-type", "content-disposition", "etag", "last-modified", "cache-control",
    "content-language", "link", "vary",
})  # fmt: skip
FINGERPRINT_EXTENSION = "eventreg.code_fingerprint"
# Concurrent misses for one big feed in a worker wait for one build (stripes, so arbitrary
# filter URLs cannot grow a dictionary of locks).
_BUILD_LOCKS = [threading.Lock() for _ in range(64)]


class BoundedMemoryCache(SimpleCache):
    """Flask-Caching's memory cache (SimpleCache), bounded by total size as well as by
    count (CACHE_MAX_BYTES, CACHE_THRESHOLD): one entry can be a feed of megabytes, and
    filter URLs are endless. Oldest out first, as SimpleCache does."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024, **kwargs):
        super().__init__(**kwargs)
        self._max_bytes = max_bytes

    @classmethod
    def factory(cls, app, config, args, kwargs):
        kwargs.update(threshold=config["CACHE_THRESHOLD"], max_bytes=config["CACHE_MAX_BYTES"])
        return cls(*args, **kwargs)

    def _over_threshold(self) -> bool:
        # Runs on each set (a miss) and while pruning; the sum is over at most the threshold.
        return super()._over_threshold() or (
            sum(len(value) for _, value in self._cache.values()) > self._max_bytes
        )


def init_app(app: Flask) -> None:
    cache.init_app(app)
    app.extensions[FINGERPRINT_EXTENSION] = code_fingerprint(Path(app.root_path))
    app.wsgi_app = CachedResponses(app, app.wsgi_app)


def code_fingerprint(package: Path) -> str:
    """A hash of the code, templates and translations: the same on every host running the
    same release, different after a deploy that changes what pages look like."""
    digest = hashlib.sha256()
    roots = [package, package.parent / "templates"]
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.suffix in {".py", ".html", ".txt", ".mo", ".xml"} and path.is_file():
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _step_start(seconds: int) -> datetime:
    now = time.time()
    return datetime.fromtimestamp(now - now % seconds, UTC)


def cache_now() -> datetime | None:
    """The start of the time step the current response is cached for (None outside a cached
    request): a view that filters by time uses it, so what it builds is the same whichever
    worker builds it within the step."""
    return g.get("cache_step_start")


def _key(kind: str, token: str, step_start: datetime) -> str:
    parts = (
        kind,
        current_app.extensions[FINGERPRINT_EXTENSION],
        token,
        step_start.isoformat(),
        str(get_locale()),
        # Absolute links in pages and feeds come from BASE_URL when it is set (every host
        # then shares its copies), else from the address the request came to.
        base_url(from_request=True),
        request.full_path,
    )
    return kind + ":" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


def _cache_get(key: str):
    try:
        return cache.get(key)
    except Exception:  # noqa: BLE001 - a cache that is down is a miss, never an error page
        current_app.logger.warning("page cache unavailable", exc_info=True)
        return None


def _cache_set(key: str, entry: dict, timeout: int) -> None:
    try:
        cache.set(key, entry, timeout=timeout)
    except Exception:  # noqa: BLE001
        current_app.logger.warning("page cache unavailable", exc_info=True)


def _entry(response: Response, seats: str | None = None, built: float = 0.0) -> dict:
    """What is stored of a response; for a page, also the seats token it was built under
    and when that token was read (see _usable): what the page shows is at least that new,
    however long rendering took."""
    return {
        "body": response.get_data(),
        "headers": [(k, v) for k, v in response.headers.items() if k.lower() in KEPT_HEADERS],
        "seats": seats,
        "built": built,
    }


def _seat_counts_fresh(seats: str | None, built: float, tokens: Tokens, lag: int) -> bool:
    """Whether a copy built under seats token `seats` at `built` may still be served: its
    seat counts are the current ones, or less than the lag old (None: it shows no seats)."""
    return seats is None or seats == tokens.seats or time.time() - built < lag


def _usable(entry: dict | None, tokens: Tokens) -> dict | None:
    if entry is None or not _seat_counts_fresh(
        entry.get("seats", ""), entry.get("built", 0.0), tokens,
        current_app.config["SEAT_COUNT_LAG_SECONDS"],
    ):  # fmt: skip
        return None
    return entry


def _storable(response: Response) -> bool:
    return (
        response.status_code == 200
        and not response.is_streamed
        and "Set-Cookie" not in response.headers
        and not session.modified
    )


def _anonymous_and_impersonal() -> bool:
    """Whether this request may be answered with what any anonymous visitor gets."""
    return (
        request.method in ("GET", "HEAD")
        and current_app.config["PAGE_CACHE_SECONDS"] > 0
        and "_user_id" not in session
        and "_flashes" not in session
        and REMEMBER_COOKIE_NAME not in request.cookies
    )


def _page_etag(key: str, seats: str, csrf_token: str) -> str:
    return hashlib.sha256("\x1f".join((key, seats, csrf_token)).encode()).hexdigest()[:32]


def _is_personal(entry: dict | None) -> bool:
    """Whether a cached page has a form (its CSRF token is put in per visitor); None (not
    in the cache) counts as personal: it cannot be told without rendering."""
    return entry is None or _PLACEHOLDER_BYTES in entry["body"]


def _with_csrf_token(response: Response) -> Response:
    body = response.get_data()
    if _PLACEHOLDER_BYTES in body:
        response.set_data(body.replace(_PLACEHOLDER_BYTES, generate_csrf().encode()))
    return response


def _render_with_placeholder(view, args, kwargs) -> Response:
    # generate_csrf() returns g.csrf_token when it is set, without touching the session.
    g.csrf_token = CSRF_PLACEHOLDER
    try:
        return make_response(view(*args, **kwargs))
    finally:
        g.pop("csrf_token", None)


def cached_page(view):
    """Cache an anonymous visitor's page as a whole (see the module docstring)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not _anonymous_and_impersonal():
            return view(*args, **kwargs)
        # Nobody is logged in: the page is for the anonymous user, set here so Flask-Login
        # does not look for one. Its session protection would otherwise find a visitor's
        # session (a CSRF token only) without its fingerprint and change it on every request,
        # so the page would never be stored and be rendered for each request.
        current_app.login_manager._update_request_context_with_user()
        tokens = current_tokens()
        if tokens is None:
            return view(*args, **kwargs)
        seconds = current_app.config["PAGE_CACHE_SECONDS"]
        g.cache_step_start = _step_start(seconds)
        key = _key("page", tokens.data, g.cache_step_start)
        # A page with a form holds the visitor's CSRF token: another token is another page,
        # with a tag of its own. A page without one is the same for every anonymous visitor.
        visitors_token = str(session.get("csrf_token", ""))
        if request.if_none_match.contains_weak(_page_etag(key, tokens.seats, visitors_token)):
            # The visitor has the current page (this is its tag whether or not it has a
            # form: without a token in the session the two tags are the same).
            response = Response(status=304)
            etag = _page_etag(key, tokens.seats, visitors_token)
        else:
            entry = _usable(_cache_get(key), tokens)
            if entry is None:
                # Stamped before rendering: the tokens were read before this request began
                # to build, so nothing it shows is older than now.
                building_since = time.time()
                response = _render_with_placeholder(view, args, kwargs)
                if not _storable(response):
                    return _with_csrf_token(response)
                entry = _entry(response, seats=tokens.seats, built=building_since)
                _cache_set(key, entry, timeout=2 * seconds)
            personal = _is_personal(entry)
            etag = _page_etag(key, entry["seats"], visitors_token if personal else "")
            if request.if_none_match.contains_weak(etag):
                response = Response(status=304)
            else:
                response = _with_csrf_token(Response(entry["body"], headers=entry["headers"]))
            if not personal:
                _mark_reusable("PAGE_CACHE_SECONDS", tokens, entry)
        response.set_etag(etag, weak=True)
        response.cache_control.no_cache = True  # the browser asks again, and gets 304
        response.vary.add("Cookie")  # language, login and CSRF token live in cookies
        return response

    return wrapper


def cached_feed(view):
    """Cache a feed response (any 200 the view returns) under the data version and the feed
    time step; answer conditional GETs from the cached entry before the view runs. The view
    sets the response's validators from the data."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return make_response(view(*args, **kwargs)).make_conditional(request)
        tokens = current_tokens()
        if tokens is None:
            return make_response(view(*args, **kwargs)).make_conditional(request)
        seconds = current_app.config["FEED_WINDOW_STEP_SECONDS"]
        g.cache_step_start = _step_start(seconds)
        # The data token alone: feeds show no seat counts.
        key = _key("feed", tokens.data, g.cache_step_start)
        entry = _cache_get(key)
        if entry is None:
            with _BUILD_LOCKS[hash(key) % len(_BUILD_LOCKS)]:
                entry = _cache_get(key)  # built by the request we waited for
                if entry is None:
                    response = make_response(view(*args, **kwargs))
                    if response.status_code != 200 or response.is_streamed:
                        return response
                    entry = _entry(response)
                    _cache_set(key, entry, timeout=2 * seconds)
        response = Response(entry["body"], headers=entry["headers"])
        _mark_reusable("FEED_WINDOW_STEP_SECONDS", tokens, entry)
        return response.make_conditional(request)

    return wrapper


# --- Whole responses, answered before Flask's request handling ------------------------------

# Set by cached_page and cached_feed on the WSGI environ when the response is the cached
# one any anonymous visitor gets: (data token, seats token or None, when it was built, the
# setting of its time step, the step).
REUSABLE_ENVIRON_KEY = "eventreg.reusable_response"
# Conditions CachedResponses leaves to Flask (rare from browsers and calendars).
_OTHER_CONDITIONS = ("HTTP_RANGE", "HTTP_IF_RANGE", "HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE")
_DATE = object()  # where a response's Date header goes, made anew for each answer


def _mark_reusable(setting: str, tokens: Tokens, entry: dict) -> None:
    if limiter.current_limits:  # each request must reach the limit (CachedResponses skips it)
        return
    step = round(g.cache_step_start.timestamp())  # a whole second: the settings are
    # The copy's own seats token and build time (it may be one within the lag, not the
    # current one), so the WSGI layer serves it no longer than cached_page would.
    mark = (tokens.data, entry.get("seats"), entry.get("built", 0.0), setting, step)
    request.environ[REUSABLE_ENVIRON_KEY] = mark


class _Variant:
    """One representation of a stored response: its headers for a 200 and for a 304, its
    body and its validators."""

    __slots__ = ("headers", "not_modified", "body", "etag")

    def __init__(self, headers: list, body: bytes):
        self.headers = headers
        not_modified = list(headers)
        remove_entity_headers(not_modified)
        self.not_modified = not_modified
        self.body = body
        self.etag = next((v for k, v in headers if k.lower() == "etag"), None)


class _Reusable:
    """A final response as Flask sent it (after every after_request handler), and the same
    answered 304 (its headers without the entity headers, as werkzeug sends a 304); for a
    body worth compressing also its gzip-compressed copy, made once here, for clients that
    accept it (calendar apps do: a large feed is a tenth of its size on the wire)."""

    __slots__ = ("token", "seats", "built", "setting", "step", "status", "identity",
                 "gzipped", "last_modified", "size")  # fmt: skip

    def __init__(self, mark: tuple, status: str, headers: list, body: bytes):
        self.token, self.seats, self.built, self.setting, self.step = mark
        self.status = status
        headers = [(k, _DATE if k.lower() == "date" else v) for k, v in headers]
        fields = {k.lower(): v for k, v in headers if v is not _DATE}
        self.last_modified = fields.get("last-modified")
        self.gzipped = None
        if _worth_compressing(fields, body):
            # mtime=0: the same bytes from every worker and host for the same data.
            compressed = gzip.compress(body, compresslevel=9, mtime=0)
            if len(compressed) < len(body):
                self.gzipped = _Variant(_gzip_headers(headers, len(compressed)), compressed)
        self.identity = _Variant(headers, body)
        self.size = len(body) + (len(self.gzipped.body) if self.gzipped else 0) + 2048

    def variant(self, environ) -> _Variant:
        if self.gzipped is not None and _accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", "")):
            return self.gzipped
        return self.identity


# Compressing a small body saves less than its headers; images and archives are compressed.
_GZIP_MIN_BYTES = 1024
_COMPRESSIBLE_TYPES = ("text/", "application/json", "application/ld+json", "application/xml",
                       "application/atom+xml", "application/rss+xml", "image/svg+xml")  # fmt: skip


def _worth_compressing(fields: dict, body: bytes) -> bool:
    return (
        len(body) >= _GZIP_MIN_BYTES
        and "content-encoding" not in fields
        and fields.get("content-type", "").startswith(_COMPRESSIBLE_TYPES)
    )


def _gzip_headers(headers: list, length: int) -> list:
    """The compressed copy's headers: its length, its coding, an entity tag of its own (a
    strong tag names one representation's bytes, RFC 9110 8.8.3) and Vary: Accept-Encoding,
    so a shared cache never gives it to a client that did not ask for it. (The identity copy
    keeps Flask's headers exactly: any client can take it.)"""
    result = []
    for name, value in headers:
        lower = name.lower()
        if lower == "content-length":
            value = str(length)
        elif lower == "etag" and value.endswith('"'):
            value = value[:-1] + '-gzip"'
        elif lower == "vary":
            continue
        result.append((name, value))
    vary = [v for k, v in headers if k.lower() == "vary"]
    result.append(("Vary", ", ".join([*vary, "Accept-Encoding"])))
    result.append(("Content-Encoding", "gzip"))
    return result


@lru_cache(maxsize=256)  # a handful of distinct Accept-Encoding values in practice
def _accepts_gzip(accept_encoding: str) -> bool:
    return bool(accept_encoding) and parse_accept_header(accept_encoding).quality("gzip") > 0


# A new TCP connection starts with a send buffer of this size (Linux: tcp_wmem's default).
_SMALL_SEND_BUFFER = 16 * 1024


def _make_room_to_send(environ, size: int) -> None:
    """Let the kernel take a large body (a feed) at once: from a small send buffer a worker
    hands it over in pieces, waiting for the client to read each one, and a sync worker
    serves no one else meanwhile. gunicorn gives the client's socket in the environ; the
    kernel caps the size (net.core.wmem_max)."""
    client = environ.get("gunicorn.socket")
    if client is None:
        return
    try:
        client.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size + _SMALL_SEND_BUFFER)
    except (OSError, AttributeError, TypeError):  # not a real socket: send as it is
        pass


_date_header = (0, "")  # (second, its HTTP date): formatted once a second, not per answer


def _with_date(headers: list) -> list:
    global _date_header
    second = int(time.time())
    if _date_header[0] != second:
        _date_header = (second, http_date(second))  # one assignment: safe across threads
    date = _date_header[1]
    return [(k, date if v is _DATE else v) for k, v in headers]


class CachedResponses:
    """WSGI middleware in front of the Flask app: a public page or feed that an anonymous
    visitor was last answered with (the final response, security and CORS headers included)
    is answered again, or as 304, with one read of the data version and no Flask request
    handling at all (no request context, session, language selection, rate-limit check or
    after_request handlers): a cached request costs about what Flask's hello-world does.

    Only requests that Flask would answer the same way: GET or HEAD without a remember cookie
    and without a session, or with one that holds nothing but a CSRF token (a logged-in user
    and flashed messages are in the session: such requests go through Flask and cached_page
    as before), and not one whose ?lang= the response remembers in a cookie. What is stored
    is exactly what Flask answered a request of the same language, scheme, host and URL, and
    only a response cached_page or cached_feed marked as the cached one for everyone (200, no
    cookie set, no rate limit applied, and no form: a page with a form holds each visitor's
    own CSRF token, so it is never stored here). It is served only while the data
    token it was built from is current, its seat counts (a page's) are current or less than
    SEAT_COUNT_LAG_SECONDS old, and in the same time step (PAGE_CACHE_SECONDS /
    FEED_WINDOW_STEP_SECONDS), so it is never older than what cached_page would serve.
    Otherwise the request goes to Flask as before, with the version already read.

    The copies are this process's own (no serialising; bounded by CACHE_THRESHOLD entries
    and CACHE_MAX_BYTES): which copy is current is decided by the shared data version, so
    every process and host still agrees."""

    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple, _Reusable] = OrderedDict()
        self._bytes = 0
        self._session_cookie = app.config["SESSION_COOKIE_NAME"]
        self._session_serializer = None
        with app.app_context():
            self._engine = db.engine

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] not in ("GET", "HEAD") or any(
            name in environ for name in _OTHER_CONDITIONS
        ):
            return self.wsgi_app(environ, start_response)
        key = self._key(environ)
        if key is None:
            return self.wsgi_app(environ, start_response)
        entry = self._entries.get(key)
        if entry is None:
            return self._through_flask(key, environ, start_response)
        try:
            tokens = read_tokens(self._engine)
        except Exception as error:  # noqa: BLE001 - Flask answers it (503), reading no more
            environ[VERSION_ENVIRON_KEY] = error
            return self.wsgi_app(environ, start_response)
        environ[VERSION_ENVIRON_KEY] = tokens
        config = self.app.config
        seconds = config[entry.setting]
        if (
            tokens is None
            or tokens.data != entry.token
            or not seconds
            or int(time.time() // seconds) * seconds != entry.step
            or not _seat_counts_fresh(
                entry.seats, entry.built, tokens, config["SEAT_COUNT_LAG_SECONDS"]
            )
        ):
            return self._through_flask(key, environ, start_response)
        variant = entry.variant(environ)
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if (if_none_match is not None and if_none_match == variant.etag) or (
            # werkzeug's rules for the rest (lists, weak tags, *, If-Modified-Since); a
            # request with neither header is not conditional (and parsing dates costs).
            (if_none_match is not None or "HTTP_IF_MODIFIED_SINCE" in environ)
            and not is_resource_modified(environ, variant.etag, last_modified=entry.last_modified)
        ):
            start_response("304 NOT MODIFIED", _with_date(variant.not_modified))
            return []
        start_response(entry.status, _with_date(variant.headers))
        if environ["REQUEST_METHOD"] == "HEAD":
            return []
        if len(variant.body) > _SMALL_SEND_BUFFER:
            _make_room_to_send(environ, len(variant.body))
        return [variant.body]

    def _key(self, environ) -> tuple | None:
        """What the response depends on besides the data and the clock, or None when the
        request must go through Flask."""
        raw_cookies = environ.get("HTTP_COOKIE", "")
        # The name anywhere in the header (even inside another cookie's value) is enough to
        # leave the request to Flask: cheaper than parsing, and never wrong.
        if REMEMBER_COOKIE_NAME in raw_cookies:
            return None
        if self._session_cookie in raw_cookies:
            session_cookie = WsgiRequest(environ, populate_request=False).cookies.get(
                self._session_cookie
            )
            if session_cookie is not None and not self._only_a_csrf_token(session_cookie):
                return None
        config = self.app.config
        query = environ.get("QUERY_STRING", "")
        chosen = remembered = None
        # Parsed only when the language can be in them (a percent-escape may spell its name).
        if LOCALE_PARAM in query or "%" in query:
            chosen = WsgiRequest(environ, populate_request=False).args.get(LOCALE_PARAM)
        if raw_cookies:
            remembered = WsgiRequest(environ, populate_request=False).cookies.get(LOCALE_COOKIE)
        if chosen in config["LANGUAGES"] and chosen != remembered:
            return None  # the answer sets the lang cookie
        return (
            locale_from(chosen, remembered, config),
            config["BASE_URL"],  # links in pages and feeds come from it when it is set
            environ["wsgi.url_scheme"],
            environ.get("HTTP_HOST"),
            environ.get("SERVER_NAME"),
            environ.get("SERVER_PORT"),
            environ.get("SCRIPT_NAME", ""),
            environ.get("PATH_INFO", ""),
            query,
        )

    def _only_a_csrf_token(self, cookie: str) -> bool:
        """Whether a session cookie is an anonymous visitor's: validly signed, unexpired and
        holding nothing but the CSRF token a form gave them. Flask would answer them the
        cached copy for everyone too (cached_page), as long as the page has no form: a page
        with a form is never kept here (its answer sets the session cookie). A login,
        flashed messages or anything else in the session is for Flask to handle."""
        if self._session_serializer is None:
            self._session_serializer = self.app.session_interface.get_signing_serializer(
                self.app
            )
        if self._session_serializer is None:  # no SECRET_KEY: Flask says so
            return False
        try:
            data = self._session_serializer.loads(
                cookie, max_age=int(self.app.permanent_session_lifetime.total_seconds())
            )
        except Exception:  # noqa: BLE001 - forged, expired, or another session format
            return False
        return isinstance(data, dict) and data.keys() <= {"csrf_token"}

    def _through_flask(self, key: tuple, environ, start_response):
        answer = []

        def remember_start(status, headers, exc_info=None):
            answer[:] = [status, headers]
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, remember_start)
        mark = environ.get(REUSABLE_ENVIRON_KEY)
        if mark is None or environ["REQUEST_METHOD"] != "GET" or not answer:
            return body
        status, headers = answer
        names = {name.lower() for name, _ in headers}
        if (
            not status.startswith("200 ")
            or "set-cookie" in names
            or "content-length" not in names  # streamed
            or any(name.startswith("x-ratelimit") for name in names)
        ):
            return body
        try:
            data = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        self._store(key, _Reusable(mark, status, headers, data))
        return [data]

    def _store(self, key: tuple, entry: _Reusable) -> None:
        config = self.app.config
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._entries[key] = entry
            self._bytes += entry.size
            while self._entries and (
                len(self._entries) > config["CACHE_THRESHOLD"]
                or self._bytes > config["CACHE_MAX_BYTES"]
            ):
                _, oldest = self._entries.popitem(last=False)
                self._bytes -= oldest.size

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

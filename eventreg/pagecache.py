"""Whole responses of public pages and calendar feeds, cached and revalidated cheaply.

A cached response is stored under a key made of the public data's version (one primary-key
read, see models/data_version.py), a time step, the language, the site address and the URL,
plus a fingerprint of the code (so a deploy with other templates never serves old copies).
The store is Flask-Caching: memory per worker by default, Redis (shared by every worker and
host) when CACHE_REDIS_URL is set. Nothing can go stale: a change commits a new version,
and the next request looks under a new key.

The time step (PAGE_CACHE_SECONDS, FEED_WINDOW_STEP_SECONDS) is there because what a page
shows also depends on the clock (an event ends and leaves the upcoming list, registration
closes): a page is at most one step behind the clock, and every worker agrees on the step.

Pages (`cached_page`) are cached only for anonymous visitors: a logged-in user, flashed
messages or a response that sets a cookie or the session bypass the cache. A form's CSRF
token is personal; the page is rendered with a placeholder in its place, the placeholder is
cached, and each visitor's own token is put in when the page is served. The page's ETag is
derived from the key (and the visitor's CSRF token), so a conditional GET is answered 304
without reading the cache at all.

Feeds (`cached_feed`) are the same for everyone; their ETag and Last-Modified come from the
data (see feeds/views.py), so every worker and host serves the same bytes and validators. A
conditional GET is answered from the cached entry before the feed's filters are parsed.
"""

import hashlib
import threading
import time
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path

from flask import Flask, Response, current_app, g, make_response, request, session
from flask_babel import get_locale
from flask_caching.backends import SimpleCache
from flask_wtf.csrf import generate_csrf

from .extensions import cache
from .mail.links import base_url
from .models.data_version import current_token

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


def _entry(response: Response) -> dict:
    return {
        "body": response.get_data(),
        "headers": [(k, v) for k, v in response.headers.items() if k.lower() in KEPT_HEADERS],
    }


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
    )


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
        token = current_token()
        if token is None:
            return view(*args, **kwargs)
        seconds = current_app.config["PAGE_CACHE_SECONDS"]
        g.cache_step_start = _step_start(seconds)
        key = _key("page", token, g.cache_step_start)
        # The visitor's CSRF token is in the page: another token is another page.
        etag = hashlib.sha256((key + str(session.get("csrf_token", ""))).encode()).hexdigest()
        etag = etag[:32]
        if request.if_none_match.contains_weak(etag):
            response = Response(status=304)
        else:
            entry = _cache_get(key)
            if entry is None:
                response = _render_with_placeholder(view, args, kwargs)
                if not _storable(response):
                    return _with_csrf_token(response)
                entry = _entry(response)
                _cache_set(key, entry, timeout=2 * seconds)
            response = _with_csrf_token(Response(entry["body"], headers=entry["headers"]))
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
        token = current_token()
        if token is None:
            return make_response(view(*args, **kwargs)).make_conditional(request)
        seconds = current_app.config["FEED_WINDOW_STEP_SECONDS"]
        g.cache_step_start = _step_start(seconds)
        key = _key("feed", token, g.cache_step_start)
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
        return response.make_conditional(request)

    return wrapper

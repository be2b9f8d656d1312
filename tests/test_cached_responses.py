"""The page cache's WSGI layer (pagecache.CachedResponses) and the data version's own
connections (models/data_version.TokenReader): a cached public page or feed, and its 304,
answered before Flask's request handling, with exactly the bytes and headers Flask sends,
and never to a logged-in user, never across a change, never past the cache's time step."""

import gzip
import io
import socket
import time
from contextlib import contextmanager

import pytest
from flask import render_template_string, request_started
from sqlalchemy import create_engine, text

from eventreg import create_app
from eventreg.extensions import cache, db, limiter
from eventreg.models import Event
from eventreg.models.data_version import TokenReader, bump, read_token, read_tokens
from eventreg.pagecache import _DATE, CachedResponses, _Reusable, _with_date, cached_page
from tests.factories import log_in, make_event, make_registration, make_theme, make_user
from tests.test_page_cache import counting_queries


def layer(app) -> CachedResponses:
    wsgi = app.wsgi_app
    while not isinstance(wsgi, CachedResponses):
        wsgi = wsgi.app  # a ProxyFix in front
    return wsgi


@pytest.fixture(autouse=True)
def _a_version_row_and_empty_caches(app, monkeypatch):
    # The clock stands still for the page cache's time steps: a test that crossed a step
    # between two requests would see the kept copy retired (a test of that moves it on).
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now)
    cache.clear()
    layer(app).clear()
    bump(db.session)
    db.session.commit()


@contextmanager
def flask_requests(app):
    """How many requests reached Flask's request handling (request context, session,
    language, rate limiter, views, after_request handlers)."""
    started = []

    def count(sender, **extra):
        started.append(1)

    request_started.connect(count, app)
    try:
        yield started
    finally:
        request_started.disconnect(count, app)


def without_date(headers) -> list:
    return sorted((k, v) for k, v in headers.items() if k != "Date")


def paths(event, theme) -> list[str]:
    return [
        "/",
        "/teman/",
        f"/teman/{theme.slug}",
        "/evenemang/",
        "/evenemang/?kommun=varberg&format=seminar",
        f"/evenemang/{event.public_id}/{event.slug}",
        "/serier/",
        "/kalender/evenemang.ics",
        f"/kalender/tema/{theme.slug}.ics",
        "/kalender/evenemang.atom",
    ]


def test_a_cached_page_or_feed_is_answered_before_flask_with_flasks_own_answer(app, client):
    theme = make_theme()
    event = make_event(themes=[theme], municipality="varberg")
    db.session.commit()
    for path in paths(event, theme):
        with flask_requests(app) as started:
            first = client.get(path)  # through Flask, which the layer keeps
        assert first.status_code == 200, path
        assert len(started) == 1, path
        with flask_requests(app) as started, counting_queries() as queries:
            again = client.get(path)
            head = client.head(path)
        assert started == [], path  # no session, language, limiter, view or hooks
        assert len(queries) == 2, path  # the data version, once per request
        assert again.data == first.data, path
        assert without_date(again.headers) == without_date(first.headers), path
        assert ("Date" in again.headers) == ("Date" in first.headers), path
        assert head.data == b""
        assert without_date(head.headers) == without_date(first.headers), path
        # The security headers are those of every Flask response.
        assert "frame-ancestors 'none'" in again.headers["Content-Security-Policy"]
        assert again.headers["X-Frame-Options"] == "DENY"


def test_a_304_from_the_layer_is_flasks_own_304(app, client):
    theme = make_theme()
    event = make_event(themes=[theme])
    db.session.commit()
    for path in paths(event, theme)[:1] + paths(event, theme)[5:]:
        etag = client.get(path).headers["ETag"]
        for condition in ({"If-None-Match": etag},) + (
            ({"If-Modified-Since": client.get(path).headers["Last-Modified"]},)
            if "kalender" in path
            else ()
        ):
            cache.clear()
            layer(app).clear()
            with flask_requests(app) as started:
                from_flask = client.get(path, headers=condition)
            assert started == [1], path
            client.get(path)  # the layer keeps the 200
            with flask_requests(app) as started, counting_queries() as queries:
                from_layer = client.get(path, headers=condition)
            assert started == [], path
            assert len(queries) == 1, path
            assert from_flask.status_code == from_layer.status_code == 304, path
            assert from_layer.data == b""
            assert without_date(from_layer.headers) == without_date(from_flask.headers), path


def test_a_logged_in_organiser_never_gets_the_kept_copy(app, client):
    event = make_event()
    user = make_user(name="Olga Organiser")
    db.session.commit()
    path = f"/evenemang/{event.public_id}/{event.slug}"
    anonymous = client.get(path)
    client.get(path)
    log_in(client, user)
    with flask_requests(app) as started, counting_queries() as queries:
        logged_in = client.get(path)
    assert started == [1]
    assert len(queries) > 2  # rendered for them (their user loaded), not a kept copy
    assert "ETag" not in logged_in.headers
    assert anonymous.headers["ETag"]


def test_any_session_cookie_goes_through_flask(app, client):
    """Flashed messages and a visitor's CSRF token live in the session: whatever it holds,
    Flask decides (cached_page then serves the anonymous copy or renders)."""
    event = make_event()
    db.session.commit()
    path = f"/evenemang/{event.public_id}/{event.slug}"
    client.get(path)
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Ett meddelande bara för dig")]
    with flask_requests(app) as started:
        assert "Ett meddelande bara för dig" in client.get(path).get_data(as_text=True)
    assert started == [1]


def test_the_language_comes_from_the_url_and_the_cookie_as_in_flask(app, client):
    event = make_event()
    db.session.commit()
    path = f"/evenemang/{event.public_id}/{event.slug}"
    assert 'lang="sv"' in client.get(path).get_data(as_text=True)
    for _ in range(2):
        # ?lang= without the cookie: the answer sets the cookie, so Flask answers it.
        with flask_requests(app) as started:
            chosen = client.get(path + "?lang=en")
        assert started == [1]
        assert 'lang="en"' in chosen.get_data(as_text=True)
        assert "lang=en" in chosen.headers["Set-Cookie"]
        client.delete_cookie("lang")
    client.set_cookie("lang", "en")
    client.get(path)  # kept in English
    with flask_requests(app) as started:
        english = client.get(path)
        english_again = client.get(path + "?lang=en")  # the cookie already says so
    assert started == [1]  # the ?lang=en URL once, to be kept
    assert 'lang="en"' in english.get_data(as_text=True)
    assert 'lang="en"' in english_again.get_data(as_text=True)
    assert "Set-Cookie" not in english.headers
    client.delete_cookie("lang")
    assert 'lang="sv"' in client.get(path).get_data(as_text=True)
    with flask_requests(app) as started:
        assert 'lang="sv"' in client.get(path + "?lang=sv").get_data(as_text=True)
        # The English copy of this URL is kept (asked for with the cookie above), but
        # without the cookie the answer must set it.
        chosen = client.get(path + "?lang=en")
    assert started == [1, 1]
    assert "lang=en" in chosen.headers["Set-Cookie"]


def test_a_change_committed_elsewhere_is_seen_at_once(app, client, database_url):
    """Another process (here another app, engine and connection) commits an edit: the next
    request here is answered with the new page and feed, not the kept copy."""
    event = make_event(title="Före ändringen")
    db.session.commit()
    path = f"/evenemang/{event.public_id}/{event.slug}"
    for url in (path, path, "/kalender/evenemang.ics", "/kalender/evenemang.ics"):
        assert "Före ändringen" in client.get(url).get_data(as_text=True)
    other = create_app({key: app.config[key] for key in (
        "TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "OUTBOX_DIR")})  # fmt: skip
    try:
        with other.app_context():
            db.session.get(Event, event.id).title = "Efter ändringen"
            db.session.commit()
    finally:
        with other.app_context():
            db.engine.dispose()
    for url in (path, "/kalender/evenemang.ics"):
        body = client.get(url).get_data(as_text=True)
        assert "Efter ändringen" in body, url
        assert "Före ändringen" not in body, url


def test_a_kept_copy_is_not_served_after_its_time_step(app, client, monkeypatch):
    event = make_event()
    db.session.commit()
    path = f"/evenemang/{event.public_id}/{event.slug}"
    client.get(path)
    later = time.time() + app.config["PAGE_CACHE_SECONDS"]
    monkeypatch.setattr(time, "time", lambda: later)
    with flask_requests(app) as started:
        assert client.get(path).status_code == 200
    assert started == [1]


def test_a_kept_page_is_served_with_seat_counts_at_most_the_lag_old(app, client, monkeypatch):
    """A sign-up moves only the seats token: the layer answers the kept page (without
    Flask) while its seat counts are less than SEAT_COUNT_LAG_SECONDS old, as cached_page
    would, and goes to Flask for the new count after that. A feed (no seats) stays kept."""
    start = time.time() // 60 * 60 + 1  # a minute's start: no time step is crossed
    monkeypatch.setattr(time, "time", lambda: start)
    lag = app.config["SEAT_COUNT_LAG_SECONDS"]
    event = make_event(capacity=2)
    db.session.commit()
    path = f"/evenemang/{event.public_id}/{event.slug}"
    for url in (path, "/kalender/evenemang.ics"):
        client.get(url)  # kept by the layer
    make_registration(event)
    db.session.commit()
    monkeypatch.setattr(time, "time", lambda: start + lag - 0.5)
    with flask_requests(app) as started:
        assert "2 platser kvar" in client.get(path).get_data(as_text=True)
    assert started == []
    monkeypatch.setattr(time, "time", lambda: start + lag)
    with flask_requests(app) as started:
        assert "1 plats kvar" in client.get(path).get_data(as_text=True)
        assert client.get("/kalender/evenemang.ics").status_code == 200
    assert started == [1]
    with flask_requests(app) as started:
        assert "1 plats kvar" in client.get(path).get_data(as_text=True)
    assert started == []  # the new copy is kept in its place


def test_no_version_row_means_the_layer_answers_nothing(app, client):
    event = make_event()
    db.session.commit()
    path = f"/evenemang/{event.public_id}/{event.slug}"
    client.get(path)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM data_version"))
    with flask_requests(app) as started:
        assert client.get(path).status_code == 200
        assert client.get(path).status_code == 200
    assert started == [1, 1]


def test_responses_that_set_a_cookie_or_count_a_rate_limit_are_never_kept(app):
    """A page with a form gets each visitor's own CSRF token (and session cookie); a route
    with a rate limit must count every request."""
    settings = ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "OUTBOX_DIR")
    fresh = create_app({key: app.config[key] for key in settings} | {"WTF_CSRF_ENABLED": True})

    @fresh.get("/with-a-form")
    @cached_page
    def with_a_form():
        return render_template_string('<input name="csrf_token" value="{{ csrf_token() }}">')

    @fresh.get("/limited")
    @limiter.limit("1000 per minute")
    @cached_page
    def limited():
        return "the same for everyone"

    try:
        client = fresh.test_client(use_cookies=False)  # a new visitor each time
        for path in ("/with-a-form", "/limited"):
            with flask_requests(fresh) as started:
                answers = [client.get(path) for _ in range(3)]
            assert started == [1, 1, 1], path
        assert answers[0].headers["X-RateLimit-Limit"] == "1000"
        forms = [client.get("/with-a-form") for _ in range(2)]
        assert forms[0].data != forms[1].data  # each visitor's own token
        assert all("session=" in form.headers["Set-Cookie"] for form in forms)
        assert layer(fresh)._entries == {}
    finally:
        with fresh.app_context():
            db.engine.dispose()


# --- The data version's own connections ---------------------------------------------------


def test_the_token_reader_sees_another_connections_commit_at_once(app, database_url):
    engine = db.engine
    first = read_token(engine)
    other = create_engine(database_url)
    try:
        with other.begin() as conn:
            conn.execute(text("UPDATE data_version SET token = 'from-elsewhere' WHERE id = 1"))
        assert read_token(engine) == "from-elsewhere"
    finally:
        other.dispose()
    assert first != "from-elsewhere"


def test_a_broken_reader_connection_is_replaced(app):
    engine = db.engine
    tokens = read_tokens(engine)
    reader = TokenReader(engine)
    reader.read()
    for _, dbapi_connection, _ in reader._idle:
        dbapi_connection.close()  # as when the server restarted
    assert reader.read() == tokens
    reader.close_all()


def test_disposing_the_engine_closes_the_readers_connections(app):
    engine = db.engine
    reader = TokenReader(engine)
    reader.read()
    (held,) = reader._idle
    engine.dispose()
    assert reader._idle == []
    assert held[0].closed
    assert reader.read() == read_tokens(engine)
    reader.close_all()


def test_an_anonymous_visitor_with_a_session_gets_the_cached_page(app, client):
    """A visitor who has seen a form carries a session with its CSRF token and nothing else:
    the layer answers them the copy for everyone, without touching their session."""
    event = make_event()
    db.session.commit()
    path = f"/evenemang/{event.public_id}/{event.slug}"
    everyone = client.get(path)  # kept by the layer (no session yet)
    with client.session_transaction() as session:
        session["csrf_token"] = "a-visitors-own-token"
    with flask_requests(app) as started, counting_queries() as queries:
        again = client.get(path)
        not_modified = client.get(path, headers={"If-None-Match": everyone.headers["ETag"]})
    assert started == []
    assert len(queries) == 2  # the data version, once per request
    assert again.data == everyone.data
    assert "Set-Cookie" not in again.headers
    assert not_modified.status_code == 304


def test_a_visitor_with_a_session_renews_the_kept_copy_of_a_page_without_a_form(app, client):
    """When the kept copy is gone (a new time step, a change), the next visitor's answer is
    kept again, with or without a session, when the page has no form."""
    event = make_event()
    db.session.commit()
    path = f"/evenemang/{event.public_id}/{event.slug}"
    everyone = client.get(path)
    with client.session_transaction() as session:
        session["csrf_token"] = "a-visitors-own-token"
    layer(app).clear()
    with flask_requests(app) as started:
        first = client.get(path)
        again = client.get(path)
    assert started == [1]  # the first is Flask's; the layer keeps it
    assert first.data == again.data == everyone.data
    assert first.headers["ETag"] == again.headers["ETag"] == everyone.headers["ETag"]
    assert "Set-Cookie" not in first.headers
    layer(app).clear()
    with flask_requests(app) as started:
        not_modified = client.get(path, headers={"If-None-Match": everyone.headers["ETag"]})
    assert started == [1]  # Flask's 304: the page has no form, so everyone's tag is theirs
    assert not_modified.status_code == 304


@pytest.mark.parametrize("session_holds", ["a login", "a flashed message", "a forged token"])
def test_any_other_session_goes_through_flask(app, client, session_holds):
    event = make_event()
    db.session.commit()
    path = f"/evenemang/{event.public_id}/{event.slug}"
    client.get(path)
    with client.session_transaction() as session:
        session["csrf_token"] = "a-visitors-own-token"
        if session_holds == "a login":
            session["_user_id"] = "1"
        elif session_holds == "a flashed message":
            session["_flashes"] = [("info", "Bara för dig")]
    if session_holds == "a forged token":
        cookie = client.get_cookie("session")
        client.set_cookie(
            "session", cookie.value[:-2] + ("AA" if cookie.value[-2:] != "AA" else "BB")
        )
    with flask_requests(app) as started:
        client.get(path)
    assert started == [1]


def test_a_visitor_with_a_session_never_leaves_their_page_for_others(app):
    """Flask answers a visitor with a session a page with a form carrying their own CSRF
    token, with no cookie to set: that answer must not become the copy for everyone."""
    settings = ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "OUTBOX_DIR")
    fresh = create_app({key: app.config[key] for key in settings} | {"WTF_CSRF_ENABLED": True})

    @fresh.get("/with-a-form")
    @cached_page
    def with_a_form():
        return render_template_string('<input name="csrf_token" value="{{ csrf_token() }}">')

    try:
        visitor = fresh.test_client()
        first = visitor.get("/with-a-form")  # the visitor's session and token begin here
        assert "session=" in first.headers["Set-Cookie"]
        for _ in range(2):
            mine = visitor.get("/with-a-form")
            assert "Set-Cookie" not in mine.headers
        assert layer(fresh)._entries == {}
        stranger = fresh.test_client().get("/with-a-form")
        assert stranger.data != mine.data
        # The tag of the page they hold names their token: the tag a visitor without a
        # session was given (before their token existed) does not give them a 304.
        assert mine.headers["ETag"] != first.headers["ETag"]
        assert (
            visitor.get("/with-a-form", headers={"If-None-Match": mine.headers["ETag"]}).status_code
            == 304
        )
        everyones = visitor.get("/with-a-form", headers={"If-None-Match": first.headers["ETag"]})
        assert everyones.status_code == 200
        assert everyones.data == mine.data
    finally:
        with fresh.app_context():
            db.engine.dispose()


def test_a_forked_worker_opens_its_own_and_leaves_the_parents_open(app):
    """gunicorn --preload forks workers from a process that may have read already: closing
    the parent's connection in a child would end it for the parent as well."""
    engine = db.engine
    reader = TokenReader(engine)
    token = reader.read()
    (parents,) = reader._idle
    reader._pid = -1  # as seen from a forked child
    assert reader.read() == token
    assert not parents[0].closed
    assert reader._idle[0] is not parents
    reader.close_all()
    parents[0].close()


# --- Compressed copies (gzip) --------------------------------------------------------------


def feed_with_events(client, count: int = 3) -> tuple[str, object]:
    for number in range(count):
        make_event(title=f"Seminarium om språkstöd {number}", description="Text. " * 80)
    db.session.commit()
    path = "/kalender/evenemang.ics"
    identity = client.get(path)  # through Flask, which the layer keeps
    assert identity.status_code == 200
    assert len(identity.data) > 1024
    return path, identity


def test_a_kept_feed_goes_gzip_compressed_to_a_client_that_accepts_it(app, client):
    path, identity = feed_with_events(client)
    with flask_requests(app) as started:
        compressed = client.get(path, headers={"Accept-Encoding": "gzip, deflate, br"})
        head = client.head(path, headers={"Accept-Encoding": "gzip"})
    assert started == []
    assert compressed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(compressed.data) == identity.data
    assert int(compressed.headers["Content-Length"]) == len(compressed.data) < len(identity.data)
    # Its own entity tag (another representation), the same Last-Modified, and a Vary that
    # keeps a shared cache from giving it to a client that did not ask for it.
    assert compressed.headers["ETag"] == identity.headers["ETag"][:-1] + '-gzip"'
    assert compressed.headers["Last-Modified"] == identity.headers["Last-Modified"]
    vary = {v.strip() for v in compressed.headers["Vary"].split(",")}
    assert vary == {"Cookie", "Accept-Encoding"}
    assert head.data == b""
    assert without_date(head.headers) == without_date(compressed.headers)
    # Every worker and host makes the same bytes (no time stamp in the gzip header).
    assert compressed.data[4:8] == b"\0\0\0\0"
    assert gzip.compress(identity.data, compresslevel=9, mtime=0) == compressed.data


@pytest.mark.parametrize(
    "accept_encoding", [None, "", "identity", "gzip;q=0", "br", "deflate, gzip;q=0.0"]
)
def test_a_client_that_does_not_accept_gzip_gets_flasks_own_bytes(app, client, accept_encoding):
    path, identity = feed_with_events(client)
    headers = {} if accept_encoding is None else {"Accept-Encoding": accept_encoding}
    with flask_requests(app) as started:
        again = client.get(path, headers=headers)
    assert started == []
    assert "Content-Encoding" not in again.headers
    assert again.data == identity.data
    assert without_date(again.headers) == without_date(identity.headers)


def test_a_304_names_the_representation_the_client_holds(app, client):
    path, identity = feed_with_events(client)
    gzip_only = {"Accept-Encoding": "gzip"}
    compressed = client.get(path, headers=gzip_only)
    gzip_tag, identity_tag = compressed.headers["ETag"], identity.headers["ETag"]
    with flask_requests(app) as started:
        not_modified = client.get(path, headers=gzip_only | {"If-None-Match": gzip_tag})
        in_a_list = client.get(path, headers=gzip_only | {"If-None-Match": f'"other", {gzip_tag}'})
        # A client holding the uncompressed copy that now accepts gzip gets the compressed
        # one (its tag names other bytes); one holding the compressed copy that no longer
        # accepts gzip gets the uncompressed one.
        switched_on = client.get(path, headers=gzip_only | {"If-None-Match": identity_tag})
        switched_off = client.get(path, headers={"If-None-Match": gzip_tag})
    assert started == []
    for answer in (not_modified, in_a_list):
        assert answer.status_code == 304
        assert answer.data == b""
        assert answer.headers["ETag"] == gzip_tag
        assert "Content-Encoding" not in answer.headers
        assert "Content-Length" not in answer.headers
    assert switched_on.status_code == 200
    assert switched_on.headers["Content-Encoding"] == "gzip"
    assert switched_off.status_code == 200
    assert switched_off.data == identity.data


def test_a_kept_page_is_compressed_too_and_a_small_body_is_not(app, client):
    event = make_event()
    db.session.commit()
    path = f"/evenemang/{event.public_id}/{event.slug}"
    page = client.get(path)
    compressed = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert gzip.decompress(compressed.data) == page.data
    mark = ("token", "seats", 0.0, "PAGE_CACHE_SECONDS", 0)
    text_type = [("Content-Type", "text/plain"), ("Content-Length", "5")]
    assert _Reusable(mark, "200 OK", text_type, b"small").gzipped is None
    image_type = [("Content-Type", "image/png"), ("Content-Length", "4096")]
    assert _Reusable(mark, "200 OK", image_type, b"\0" * 4096).gzipped is None
    assert _Reusable(mark, "200 OK", text_type, b"\0" * 4096).gzipped is not None


def test_a_language_chosen_in_an_escaped_parameter_still_goes_through_flask(app, client):
    """The layer parses the query only when it can name the language; %6C is an 'l'."""
    event = make_event()
    db.session.commit()
    path = f"/evenemang/{event.public_id}/{event.slug}"
    client.set_cookie("lang", "en")
    client.get(path + "?%6Cang=en")  # kept in English: the cookie already says so
    client.delete_cookie("lang")
    with flask_requests(app) as started:
        chosen = client.get(path + "?%6Cang=en")
    assert started == [1]  # the answer sets the language cookie: Flask's
    assert 'lang="en"' in chosen.get_data(as_text=True)
    assert "lang=en" in chosen.headers["Set-Cookie"]


def test_a_large_kept_answer_gets_a_send_buffer_to_fit(app):
    """gunicorn's socket for the client gets a send buffer the size of a large body, so a
    worker hands a feed to the kernel at once instead of waiting for the client to read it
    piece by piece; a small page leaves the socket as it is."""
    for number in range(40):
        make_event(title=f"Seminarium {number}", description="Text om inkludering. " * 60)
    db.session.commit()

    class RecordingSocket:
        def __init__(self):
            self.options = []

        def setsockopt(self, level, option, value):
            self.options.append((level, option, value))

    def get(path, client_socket):
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "SERVER_NAME": "localhost",
                   "SERVER_PORT": "80", "wsgi.url_scheme": "http", "HTTP_HOST": "localhost",
                   "wsgi.input": io.BytesIO(), "gunicorn.socket": client_socket}  # fmt: skip
        answer = []
        body = b"".join(
            app.wsgi_app(environ, lambda status, headers, exc_info=None: answer.append(status))
        )
        return answer[0], body

    for path in ("/kalender/evenemang.ics", "/teman/"):
        get(path, RecordingSocket())  # through Flask, which the layer keeps
    feed_socket, page_socket = RecordingSocket(), RecordingSocket()
    status, feed = get("/kalender/evenemang.ics", feed_socket)
    assert status.startswith("200")
    assert len(feed) > 16 * 1024
    assert feed_socket.options == [(socket.SOL_SOCKET, socket.SO_SNDBUF, len(feed) + 16 * 1024)]
    with flask_requests(app) as started:
        status, page = get("/teman/", page_socket)
    assert started == []  # the layer's answer
    assert status.startswith("200")
    assert len(page) < 16 * 1024
    assert page_socket.options == []


def test_a_kept_answers_date_is_the_current_second(monkeypatch):
    """The Date header of an answer the layer gives again is made when it is sent (once a
    second, not per answer), never the one it was kept with."""
    from werkzeug.http import http_date

    monkeypatch.setattr(time, "time", lambda: 1_800_000_000.75)
    headers = [("Content-Type", "text/html"), ("Date", _DATE)]
    expected = [("Content-Type", "text/html"), ("Date", http_date(1_800_000_000))]
    assert _with_date(headers) == expected
    monkeypatch.setattr(time, "time", lambda: 1_800_000_001.1)
    assert _with_date(headers)[1] == ("Date", http_date(1_800_000_001))

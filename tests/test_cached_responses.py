"""The page cache's WSGI layer (pagecache.CachedResponses) and the data version's own
connections (models/data_version.TokenReader): a cached public page or feed, and its 304,
answered before Flask's request handling, with exactly the bytes and headers Flask sends,
and never to a logged-in user, never across a change, never past the cache's time step."""

import time
from contextlib import contextmanager

import pytest
from flask import render_template_string, request_started
from sqlalchemy import create_engine, text

from eventreg import create_app
from eventreg.extensions import cache, db, limiter
from eventreg.models import Event
from eventreg.models.data_version import TokenReader, bump, read_token
from eventreg.pagecache import CachedResponses, cached_page
from tests.factories import log_in, make_event, make_theme, make_user
from tests.test_page_cache import counting_queries


def layer(app) -> CachedResponses:
    wsgi = app.wsgi_app
    while not isinstance(wsgi, CachedResponses):
        wsgi = wsgi.app  # a ProxyFix in front
    return wsgi


@pytest.fixture(autouse=True)
def _a_version_row_and_empty_caches(app):
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
    token = read_token(engine)
    reader = TokenReader(engine)
    reader.read()
    for _, dbapi_connection, _ in reader._idle:
        dbapi_connection.close()  # as when the server restarted
    assert reader.read() == token
    reader.close_all()


def test_disposing_the_engine_closes_the_readers_connections(app):
    engine = db.engine
    reader = TokenReader(engine)
    reader.read()
    (held,) = reader._idle
    engine.dispose()
    assert reader._idle == []
    assert held[0].closed
    assert reader.read() == read_token(engine)
    reader.close_all()


def test_an_anonymous_visitor_with_a_session_gets_the_cached_page(app, client):
    """A visitor who has seen a form carries a session with its CSRF token and nothing else:
    Flask answers them (not the layer), from the cache, without changing their session."""
    event = make_event()
    db.session.commit()
    path = f"/evenemang/{event.public_id}/{event.slug}"
    with client.session_transaction() as session:
        session["csrf_token"] = "a-visitors-own-token"
    first = client.get(path)
    assert "Set-Cookie" not in first.headers
    with flask_requests(app) as started, counting_queries() as queries:
        again = client.get(path)
    assert started == [1]
    assert len(queries) == 1  # the data version: served from the cache
    assert again.data == first.data
    assert "Set-Cookie" not in again.headers
    assert client.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


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

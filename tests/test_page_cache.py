"""Whole-page and feed caching (eventreg/pagecache.py) under the public data's version
(models/data_version.py): what is cached, what never is, what invalidates it, and how few
queries a public page costs whatever the amount of data."""

import re
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from flask import render_template_string
from sqlalchemy import event as sa_event
from sqlalchemy import select, update

from eventreg import create_app
from eventreg.extensions import cache, db
from eventreg.models import AuditEntry, Event, Registration, utcnow
from eventreg.models.data_version import (
    VERSION_QUERY,
    DataVersion,
    TokenReader,
    bump,
    current_version,
)
from eventreg.pagecache import CSRF_PLACEHOLDER, cached_page
from tests.factories import (
    log_in,
    make_event,
    make_registration,
    make_series,
    make_theme,
    make_user,
    registration_form,
)


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """The page cache's clock (time.time), standing still at the start of a time step, so
    that no test crosses a step between two requests by chance; a test moves it by hand."""
    now = [time.time() // 60 * 60 + 1]  # a minute's start: the steps (60 s, 1 h) too
    monkeypatch.setattr(time, "time", lambda: now[0])
    return now


@pytest.fixture(autouse=True)
def _empty_cache_and_a_version_row(app):
    """As in production, where the migration creates the row (the tests' clean-up between
    tests deletes it)."""
    cache.clear()
    bump(db.session)
    db.session.commit()


@contextmanager
def counting_queries():
    """Every statement sent to the database: through the engine, and the data version's
    reads on the token reader's own connections (models/data_version.TokenReader)."""
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    read = TokenReader._execute

    def counted_read(reader, dbapi_connection):
        statements.append(VERSION_QUERY)
        return read(reader, dbapi_connection)

    sa_event.listen(db.engine, "before_cursor_execute", before)
    TokenReader._execute = counted_read
    try:
        yield statements
    finally:
        TokenReader._execute = read
        sa_event.remove(db.engine, "before_cursor_execute", before)


def version_token() -> str | None:
    db.session.expire_all()
    version = current_version()
    return version[0] if version else None


def seats_token() -> str | None:
    db.session.expire_all()
    return db.session.scalar(select(DataVersion.seats_token))


# --- The data version ---------------------------------------------------------------------


def test_a_committed_change_to_public_data_gives_a_new_version():
    make_event()
    db.session.commit()
    first = version_token()
    assert first
    event = db.session.scalars(select(Event)).one()
    event.title = "Ny titel"
    db.session.commit()
    assert version_token() not in (None, first)


def test_a_bulk_update_of_seats_gives_a_new_version():
    event = make_event(capacity=10)
    db.session.commit()
    first = version_token()
    db.session.execute(
        update(Event).where(Event.id == event.id).values(seats_taken=Event.seats_taken + 1)
    )
    db.session.commit()
    assert version_token() != first


def test_a_registration_gives_a_new_seats_token_and_keeps_the_data_token():
    """Taking a seat changes the seat count only: the seats token moves (pages show seats
    left), the data token stays (so no feed is built again)."""
    event = make_event(capacity=10)
    db.session.commit()
    first, first_seats = version_token(), seats_token()
    make_registration(event)
    db.session.commit()
    assert version_token() == first
    assert seats_token() not in (None, "", first_seats)


def test_statements_marked_seats_only_set_the_seat_count_alone():
    """SEATS_ONLY moves the seats token only: a statement so marked that set any other
    column would hide that change from every cached page and feed. Every such statement a
    sign-up, a cancellation with a promotion and the organiser's seat calls run is checked,
    through the session or on its connection (data_version.execute_seat_change)."""
    from eventreg.models.data_version import SEATS_ONLY
    from eventreg.services import registrations

    marked = []

    def collect(conn, clauseelement, multiparams, params, execution_options):
        options = {**clauseelement.get_execution_options(), **execution_options}
        if options.get(SEATS_ONLY):
            marked.append(str(clauseelement.compile(dialect=db.engine.dialect)))

    event = make_event(capacity=1)
    db.session.commit()
    sa_event.listen(db.engine, "before_execute", collect)
    try:
        seated = make_registration(event)
        make_registration(event)  # waiting
        db.session.commit()
        registrations.cancel_registration(db.session.get(Registration, seated.id))
        db.session.commit()
        registrations.release_seat(event.id)
        registrations.take_seat(event.id)
        db.session.commit()
    finally:
        sa_event.remove(db.engine, "before_execute", collect)
    assert len(marked) >= 4
    assert any("RETURNING" in sql for sql in marked)  # the sign-up's, on its connection
    for sql in marked:
        # On PostgreSQL the sign-up's moves the seats token in the same statement (a CTE).
        set_clauses = re.findall(r"\bUPDATE (\w+) SET (.*?) WHERE\b", sql, re.S)
        assert set_clauses[0][0] == "event", sql
        for table, set_clause in set_clauses:
            column = "seats_taken=" if table == "event" else "seats_token="
            assert table in ("event", "data_version"), sql
            assert set_clause.startswith(column), sql
            assert set_clause.count("=") == 1, sql


def test_a_seat_change_must_be_marked_as_one(app):
    """execute_seat_change marks the session as a seat change: a statement not marked
    SEATS_ONLY (whose SET the test above would not check) is refused."""
    from eventreg.models.data_version import execute_seat_change

    event = make_event(capacity=3)
    db.session.commit()
    unmarked = update(Event.__table__).where(Event.__table__.c.id == event.id).values(
        seats_taken=Event.__table__.c.seats_taken + 1
    )
    with pytest.raises(ValueError, match="SEATS_ONLY"):
        execute_seat_change(db.session, unmarked, {})
    db.session.rollback()


def test_a_change_with_the_seats_gives_new_tokens_for_both():
    event = make_event(capacity=10)
    db.session.commit()
    first, first_seats = version_token(), seats_token()
    make_registration(event)
    event.title = "Ny titel"
    db.session.commit()
    assert version_token() != first
    assert seats_token() != first_seats


def test_a_waiting_list_place_keeps_the_version(client):
    """Taking the event's lock writes nothing a page shows: a sign-up or cancellation that
    moves no seat (the waiting list) leaves every cached page and feed as it is, so a rush
    for a full event does not make each page be built again. One that moves a seat gives a
    new version (the seat count is on the pages)."""
    from eventreg.services.questions import QuestionData, add_question
    from eventreg.services.registrations import cancel_registration

    event = make_event(capacity=1)
    question = add_question(event, QuestionData("text", "Något vi ska ta upp?"), None)
    db.session.commit()
    seated = make_registration(event)
    db.session.commit()
    first = (version_token(), seats_token())
    waiting = make_registration(event, answers={question.id: "Språkstöd"})  # the service
    db.session.commit()
    assert not waiting.is_confirmed
    assert (version_token(), seats_token()) == first
    client.post(f"/evenemang/{event.public_id}/anmalan", data=registration_form())  # the view
    assert (version_token(), seats_token()) == first
    cancel_registration(db.session.get(Registration, waiting.id))
    db.session.commit()
    assert (version_token(), seats_token()) == first
    cancel_registration(db.session.get(Registration, seated.id))  # the next one is promoted
    db.session.commit()
    assert seats_token() != first[1]
    assert version_token() == first[0]


def test_changes_no_public_page_shows_keep_the_version():
    make_event()
    db.session.commit()
    first = version_token()
    db.session.add(AuditEntry(action="test"))
    make_user()
    db.session.commit()
    assert version_token() == first


def test_a_rolled_back_change_keeps_the_version():
    make_event()
    db.session.commit()
    first = version_token()
    make_event()
    db.session.rollback()
    db.session.commit()
    assert version_token() == first


# --- Pages ---------------------------------------------------------------------------------


def public_pages(event, theme) -> list[str]:
    return [
        "/",
        "/teman/",
        f"/teman/{theme.slug}",
        "/evenemang/",
        "/evenemang/?kommun=varberg",
        "/evenemang/arkiv",
        "/serier/",
        f"/evenemang/{event.public_id}/{event.slug}",
    ]


def test_a_cached_page_costs_one_query_and_a_conditional_get_is_304(client):
    theme = make_theme()
    event = make_event(themes=[theme], municipality="varberg")
    db.session.commit()
    for path in public_pages(event, theme):
        first = client.get(path)
        assert first.status_code == 200, path
        with counting_queries() as queries:
            again = client.get(path)
        assert again.data == first.data
        assert len(queries) == 1, (path, queries)  # the data version
        with counting_queries() as queries:
            not_modified = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
        assert not_modified.status_code == 304, path
        assert len(queries) == 1, path
        assert "no-cache" in first.headers["Cache-Control"]
        assert "cookie" in {v.lower() for v in first.headers.get_all("Vary")[0].split(", ")}


def test_an_edit_is_seen_at_once(client):
    theme = make_theme(name_sv="Hälsa")
    event = make_event(title="Före ändringen", themes=[theme])
    db.session.commit()
    pages = public_pages(event, theme)
    for path in pages:
        client.get(path)
    event.title = "Efter ändringen"
    theme.name_sv = "Folkhälsa"
    db.session.commit()
    for path in ("/", "/evenemang/", f"/teman/{theme.slug}", pages[-1]):
        body = client.get(path).get_data(as_text=True)
        assert "Efter ändringen" in body, path
        assert "Före ändringen" not in body, path
    assert "Folkhälsa" in client.get("/teman/").get_data(as_text=True)


def seat_pages(event) -> list[str]:
    return ["/", "/evenemang/", f"/evenemang/{event.public_id}/{event.slug}"]


def test_without_a_lag_a_sign_up_is_seen_in_the_seats_left_at_once(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SEAT_COUNT_LAG_SECONDS", 0)
    event = make_event(capacity=2)
    db.session.commit()
    for path in seat_pages(event):
        assert "2 platser kvar" in client.get(path).get_data(as_text=True), path
    make_registration(event)
    db.session.commit()
    for path in seat_pages(event):
        assert "1 plats kvar" in client.get(path).get_data(as_text=True), path


def test_seats_left_on_a_cached_page_are_at_most_the_lag_old(app, client, clock):
    """In a rush each page is built again at most once per SEAT_COUNT_LAG_SECONDS: within
    the lag the copy with the old count is served (its own ETag, so a client that has it is
    told 304 and one that has the current page is not), after it the new count."""
    lag = app.config["SEAT_COUNT_LAG_SECONDS"]
    assert lag > 0  # the setting of production, which the tests run with
    event = make_event(capacity=2)
    db.session.commit()
    before = {path: client.get(path) for path in seat_pages(event)}
    make_registration(event)
    db.session.commit()
    clock[0] += lag - 1
    for path, first in before.items():
        with counting_queries() as queries:
            again = client.get(path)
        assert "2 platser kvar" in again.get_data(as_text=True), path
        assert len(queries) == 1, path  # served, not built again
        assert again.headers["ETag"] == first.headers["ETag"], path
        conditional = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
        assert conditional.status_code == 304, path
    clock[0] += 1
    for path, first in before.items():
        conditional = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
        assert conditional.status_code == 200, path
        assert "1 plats kvar" in conditional.get_data(as_text=True), path
        assert conditional.headers["ETag"] != first.headers["ETag"], path
        with counting_queries() as queries:
            assert client.get(path).data == conditional.data, path
        assert len(queries) == 1, path  # the new copy is kept, with the new tag
        current = client.get(path, headers={"If-None-Match": conditional.headers["ETag"]})
        assert current.status_code == 304, path


def test_an_edit_within_the_seat_lag_is_seen_at_once(app, client, clock):
    event = make_event(capacity=2, title="Före ändringen")
    db.session.commit()
    for path in seat_pages(event):
        client.get(path)
    make_registration(event)
    db.session.commit()
    event.title = "Efter ändringen"
    db.session.commit()
    for path in seat_pages(event):
        body = client.get(path).get_data(as_text=True)
        assert "Efter ändringen" in body, path
        assert "1 plats kvar" in body, path


def test_a_sign_up_leaves_the_cached_feeds_as_they_are(app, client, clock):
    """Feeds show no seats: a seat taken does not make any feed be built again."""
    event = make_event(capacity=2)
    db.session.commit()
    paths = [
        "/kalender/evenemang.ics",
        "/kalender/evenemang.atom",
        f"/kalender/evenemang/{event.public_id}.ics",
    ]
    first = {path: client.get(path) for path in paths}
    make_registration(event)
    db.session.commit()
    clock[0] += app.config["SEAT_COUNT_LAG_SECONDS"] + 1
    for path, response in first.items():
        assert response.status_code == 200, path
        with counting_queries() as queries:
            again = client.get(path, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304, path
        assert len(queries) == 1, (path, queries)  # the data version, nothing built


def test_each_language_is_cached_apart(client):
    event = make_event()
    db.session.commit()
    path = f"/evenemang/{event.public_id}/{event.slug}"
    swedish = client.get(path).get_data(as_text=True)
    english = client.get(path + "?lang=en").get_data(as_text=True)
    assert 'lang="sv"' in swedish
    assert 'lang="en"' in english


def test_logged_in_users_are_never_served_or_stored_from_the_cache(app, client):
    event = make_event()
    user = make_user(is_admin=True)
    db.session.commit()
    path = f"/evenemang/{event.public_id}/{event.slug}"
    anonymous = client.get(path)
    log_in(client, user)
    with counting_queries() as queries:
        logged_in = client.get(path)
    assert len(queries) > 1  # rendered, not served from the cache
    assert logged_in.status_code == anonymous.status_code == 200
    assert "ETag" not in logged_in.headers
    keys_before = len(cache.cache._cache)
    client.get(f"/evenemang/{event.public_id}/{event.slug}?lang=en")
    assert len(cache.cache._cache) == keys_before


def test_flashed_messages_bypass_the_cache(client):
    event = make_event()
    db.session.commit()
    path = f"/evenemang/{event.public_id}/{event.slug}"
    client.get(path)
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Ett meddelande bara för dig")]
    assert "Ett meddelande bara för dig" in client.get(path).get_data(as_text=True)
    assert "Ett meddelande bara för dig" not in client.get(path).get_data(as_text=True)


def test_a_csrf_token_is_never_cached_but_each_visitor_gets_their_own(app):
    """A page with a form is cached with a placeholder; every visitor's page carries the
    token of their own session."""
    make_event()
    db.session.commit()

    @cached_page
    def page_with_form():
        return render_template_string('<input name="csrf_token" value="{{ csrf_token() }}">')

    app.config["WTF_CSRF_ENABLED"] = True
    try:
        bodies = []
        for _ in range(2):
            # A fresh app context per visit: `g` belongs to it, not to the request.
            with app.app_context(), app.test_request_context("/a-page-with-a-form"):
                from flask import session
                from flask_wtf.csrf import validate_csrf

                body = page_with_form().get_data(as_text=True)
                token = re.search(r'value="([^"]+)"', body).group(1)
                validate_csrf(token)  # the visitor's own session's token
                assert session["csrf_token"]
                bodies.append(body)
        assert bodies[0] != bodies[1]
        assert CSRF_PLACEHOLDER not in "".join(bodies)
        (stored,) = [v for v in cache.cache._cache.values()]
        assert CSRF_PLACEHOLDER.encode() in cache.cache.serializer.loads(stored[1])["body"]
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_no_version_row_means_no_caching(client):
    event = make_event()
    db.session.commit()
    db.session.execute(DataVersion.__table__.delete())
    db.session.commit()
    path = f"/evenemang/{event.public_id}/{event.slug}"
    assert client.get(path).status_code == 200
    assert len(cache.cache._cache) == 0


# --- Query counts do not grow with the data --------------------------------------------------


def _render_query_counts(app, client, events: int) -> dict[str, int]:
    theme = make_theme(slug="tema")
    # Each in a series of its own, so the index of series and the list's series choices grow too.
    listed = [
        make_event(themes=[theme], municipality="varberg", speakers=["A", "B"],
                   series=make_series())  # fmt: skip
        for _ in range(events)
    ]
    for days in range(1, events + 1):  # the archive
        make_event(themes=[theme], start_dt=utcnow().replace(microsecond=0) - timedelta(days=days))
    db.session.commit()
    counts = {}
    app.config["PAGE_CACHE_SECONDS"] = 0  # render every time
    try:
        for path in public_pages(listed[0], theme):
            with counting_queries() as queries:
                assert client.get(path).status_code == 200
            counts[path.replace(listed[0].public_id, "ID").replace(listed[0].slug, "SLUG")] = len(
                queries
            )
    finally:
        app.config["PAGE_CACHE_SECONDS"] = 60
    return counts


def test_query_counts_per_page_do_not_grow_with_the_rows(app, client):
    """Rendered without the cache: 5 and 50 events (and as many past ones) cost every page
    the same few queries (themes, languages, organisations, co-organisers, translations and
    speakers of a list are loaded in one query each; the theme page has two lists)."""
    small = _render_query_counts(app, client, 5)
    assert all(count <= 20 for count in small.values()), small
    db.session.rollback()
    db.session.remove()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
    large = _render_query_counts(app, client, 50)
    assert small == large


# --- Feeds ---------------------------------------------------------------------------------


def test_a_feed_304_costs_one_query_and_builds_nothing(client):
    theme = make_theme(slug="halsa")
    make_event(themes=[theme])
    db.session.commit()
    for path in ("/kalender/evenemang.ics", "/kalender/tema/halsa.ics?lang=en",
                 "/kalender/evenemang.ics?kommun=halmstad&format=seminar"):  # fmt: skip
        first = client.get(path)
        assert first.status_code == 200
        with counting_queries() as queries:
            again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304
        assert len(queries) == 1, queries
        with counting_queries() as queries:
            again = client.get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]})
        assert again.status_code == 304
        assert len(queries) == 1, queries


def test_feed_bytes_and_validators_are_the_same_from_every_worker(app, client, database_url):
    """Two apps (two workers or hosts, each with its own memory cache) built at different
    times serve identical bytes, ETag and Last-Modified."""
    theme = make_theme(slug="halsa")
    event = make_event(themes=[theme])
    db.session.commit()
    first = client.get("/kalender/evenemang.ics")
    other = create_app(
        {
            key: app.config[key]
            for key in (
                "TESTING",
                "SECRET_KEY",
                "SQLALCHEMY_DATABASE_URI",
                "OUTBOX_DIR",
                "WTF_CSRF_ENABLED",
            )
        }  # fmt: skip
    )
    with other.test_client() as other_client:
        second = other_client.get("/kalender/evenemang.ics")
    with other.app_context():
        db.engine.dispose()
    assert second.data == first.data
    assert second.headers["ETag"] == first.headers["ETag"]
    assert second.headers["Last-Modified"] == first.headers["Last-Modified"]
    assert f"DTSTAMP:{event.updated_at:%Y%m%dT%H%M%SZ}" in first.get_data(as_text=True)


def test_a_feed_changes_at_once_after_an_edit(client):
    event = make_event(title="Före")
    db.session.commit()
    first = client.get("/kalender/evenemang.ics")
    event.title = "Efter"
    db.session.commit()
    second = client.get("/kalender/evenemang.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200
    assert "SUMMARY:Efter" in second.get_data(as_text=True)


def test_an_unrelated_change_keeps_the_feed_etag(client):
    theme = make_theme(slug="halsa")
    make_event(themes=[theme])
    other = make_event()
    db.session.commit()
    first = client.get("/kalender/tema/halsa.ics")
    other.title = "Något annat"
    db.session.commit()
    again = client.get("/kalender/tema/halsa.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_bump_creates_a_missing_row(app):
    db.session.execute(DataVersion.__table__.delete())
    db.session.commit()
    bump(db.session)
    db.session.commit()
    assert version_token()


def test_a_seat_taken_creates_a_missing_row(app):
    """A seat moves the seats token (in the seat's own statement on PostgreSQL, else at the
    commit); without a row to move it in, the commit creates one, as bump does."""
    event = make_event(capacity=3)
    db.session.commit()
    db.session.execute(DataVersion.__table__.delete())
    db.session.commit()
    make_registration(event)
    db.session.commit()
    assert version_token()
    assert seats_token()


def test_a_redis_that_is_down_is_a_cache_miss_not_an_error(app):
    make_event()
    db.session.commit()
    settings = ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "OUTBOX_DIR")
    down = create_app(
        {key: app.config[key] for key in settings} | {"CACHE_REDIS_URL": "redis://127.0.0.1:9/0"}
    )
    assert down.config["CACHE_TYPE"] == "RedisCache"
    with down.test_client() as client:
        assert client.get("/").status_code == 200
        assert client.get("/kalender/evenemang.ics").status_code == 200
    with down.app_context():
        db.engine.dispose()


def test_the_memory_cache_is_bounded_by_size():
    from eventreg.pagecache import BoundedMemoryCache

    memory = BoundedMemoryCache(max_bytes=10_000, threshold=100)
    for n in range(10):
        memory.set(f"feed-{n}", b"x" * 3_000)
    # Pruned before each entry goes in: at most the bound plus the newest entry.
    assert len(memory._cache) <= 4
    assert memory.get("feed-9") == b"x" * 3_000
    assert memory.get("feed-0") is None


def test_feed_last_modified_comes_from_the_data_and_sees_events_leave():
    from eventreg.services.catalogue import EventFilter
    from eventreg.services.feeds import PAST_WINDOW, feed_last_modified

    now = utcnow().replace(microsecond=0)
    # Ended PAST_WINDOW and five hours ago: it left the feeds five hours ago.
    old = make_event(start_dt=now - PAST_WINDOW - timedelta(hours=7))
    # Cancelled, ended an hour ago: it left the feeds then.
    cancelled = make_event(status="cancelled", municipality="varberg",
                           start_dt=now - timedelta(hours=3))  # fmt: skip
    upcoming = make_event()
    db.session.flush()
    # The model stamps updated_at on every update: set the past directly.
    for event, days in ((old, 300), (cancelled, 10), (upcoming, 20)):
        db.session.execute(
            update(Event).where(Event.id == event.id).values(updated_at=now - timedelta(days=days))
        )
    db.session.commit()
    assert feed_last_modified(EventFilter(), now, None) == cancelled.end_dt
    halmstad = EventFilter(municipalities=("halmstad",))
    assert feed_last_modified(halmstad, now, None) == old.end_dt + PAST_WINDOW
    upcoming = db.session.get(Event, upcoming.id)
    upcoming.title = "Ändrad"
    db.session.commit()
    assert feed_last_modified(halmstad, now, None) == upcoming.updated_at
    names = utcnow() + timedelta(minutes=1)
    assert feed_last_modified(halmstad, now, names) == names

"""Faults for real: a database that is cut off, locked, stuck or never answers, an event
row held by another connection, and an instance folder the app cannot use.

Every page then answers a translated 503 with Retry-After (or "busy, try again" with what
was typed kept), never a 500; a page shown after a rollback or a commit asks nothing more
of the database, so a committed change is never reported as failed.

The faults are real: on PostgreSQL the app reaches the server through a TCP relay that the
test cuts (open connections reset, new ones refused) or a listening socket that never
answers; on SQLite another connection holds the file in exclusive locking mode, so the app
cannot even open it. Locks are held by a second connection in an open transaction.
"""

import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask
from sqlalchemy import create_engine, event, make_url, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from eventreg import create_app
from eventreg.config import Defaults
from eventreg.extensions import db
from eventreg.models import Event, Registration
from eventreg.services import registrations as registration_service
from tests.conftest import IsolatedClient
from tests.factories import (
    log_in,
    make_event,
    make_organisation,
    make_registration,
    make_resource,
    make_user,
    registration_form,
)

ROOT = Path(__file__).resolve().parent.parent
RETRY_AFTER = "7"  # the fault app's RETRY_AFTER_SECONDS
UNAVAILABLE_EN = "The site cannot answer right now"
UNAVAILABLE_SV = "Webbplatsen kan inte svara just nu"
BUSY_EN = "nothing was changed"
# What the fault app waits before giving up (milliseconds): a lock, a SQLite file.
LOCK_WAIT_MS = 300
STATEMENT_TIMEOUT_MS = 1500


# --- a TCP relay that can be cut, and a server that never answers -----------------------


class TcpRelay:
    """Forwards 127.0.0.1:<port> to the database server until `cut()`: then every open
    connection is closed under the app and new ones are refused, as when the server stops
    or the network fails, until `restore()` listens on the same port again."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.port = 0
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.05)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._acceptor = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._acceptor.start()

    def _accept(self, listener: socket.socket) -> None:
        while listener.fileno() != -1:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # closed by cut()
            client.settimeout(None)
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            self._close(source, sink)

    def _close(self, *sockets: socket.socket) -> None:
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
            with self._lock:
                self._sockets.discard(sock)

    def cut(self) -> None:
        self._listener.close()
        self._acceptor.join(5)  # its accept() holds the port until it returns
        with self._lock:
            open_sockets = list(self._sockets)
        self._close(*open_sockets)


@contextmanager
def server_that_never_answers():
    """A port where connections are accepted by the kernel (the listening backlog) and the
    PostgreSQL startup message is never answered: a frozen server, as seen by a client."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    # Should the client wait for ever, closing resets its connection: a failure, not a hang.
    give_up = threading.Timer(15, listener.close)
    give_up.start()
    try:
        yield listener.getsockname()[1]
    finally:
        give_up.cancel()
        listener.close()


# --- the app under faults ----------------------------------------------------------------


def _fault_config(database_uri: str, outbox: Path) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "WTF_CSRF_ENABLED": False,
        "OUTBOX_DIR": str(outbox),
        "SERVER_NAME": None,
        "REGISTRATION_LOCK_TIMEOUT_MS": LOCK_WAIT_MS,
        "SQLITE_BUSY_TIMEOUT_MS": 60,
        "DATABASE_CONNECT_TIMEOUT": 2,
        "DATABASE_STATEMENT_TIMEOUT_MS": STATEMENT_TIMEOUT_MS,
        "RETRY_AFTER_SECONDS": int(RETRY_AFTER),
        "REGISTRATION_RATE_LIMIT": "1000 per minute",
    }


class Outage:
    """Makes the fault app's database unreachable and reachable again (see the module
    docstring). The test's own session must hold no connection when it starts."""

    def __init__(self, fault_app: Flask, main_app: Flask, relay: TcpRelay | None, path: str):
        self.fault_app, self.main_app, self.relay, self.path = fault_app, main_app, relay, path
        self.holder: sqlite3.Connection | None = None
        self.active = False

    def start(self) -> None:
        if self.relay is not None:
            self.relay.cut()
        else:
            # Exclusive locking mode needs every other connection closed; the holder then
            # keeps the file locked against any reader or writer until it closes.
            for app in (self.fault_app, self.main_app):
                with app.app_context():
                    db.engine.dispose()
            self.holder = sqlite3.connect(self.path, isolation_level=None, timeout=5)
            self.holder.execute("PRAGMA locking_mode = EXCLUSIVE")
            self.holder.execute("BEGIN EXCLUSIVE")
            self.holder.execute("UPDATE event SET seats_taken = seats_taken")
        self.active = True

    def end(self) -> None:
        if not self.active:
            return
        if self.relay is not None:
            self.relay.restore()
        else:
            self.holder.execute("ROLLBACK")
            self.holder.close()
        self.active = False

    @contextmanager
    def __call__(self):
        db.session.close()
        self.start()
        try:
            yield
        finally:
            self.end()

    @contextmanager
    def right_after_the_next_commit(self):
        """The database goes away the moment the next transaction has committed and given
        its connection back: whatever the request does after its commit finds it gone."""
        db.session.close()
        committed = False

        def after_commit(session):
            nonlocal committed
            committed = True

        def after_transaction_end(session, transaction):
            if committed and transaction.parent is None and not self.active:
                self.start()

        event.listen(Session, "after_commit", after_commit)
        event.listen(Session, "after_transaction_end", after_transaction_end)
        try:
            yield
        finally:
            event.remove(Session, "after_commit", after_commit)
            event.remove(Session, "after_transaction_end", after_transaction_end)
            self.end()


@pytest.fixture(scope="module")
def relay(database_url):
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        yield None
        return
    relay = TcpRelay(url.host or "127.0.0.1", url.port or 5432)
    yield relay
    relay.cut()


@pytest.fixture(scope="module")
def fault_app(app, database_url, relay, tmp_path_factory):
    """A second app on the test database, with short waits, reached through the relay."""
    uri = database_url
    if relay is not None:
        uri = make_url(database_url).set(host="127.0.0.1", port=relay.port)
        uri = uri.render_as_string(hide_password=False)
    fault_app = create_app(_fault_config(uri, tmp_path_factory.mktemp("fault-outbox")))
    fault_app.test_client_class = IsolatedClient
    yield fault_app
    with fault_app.app_context():
        db.engine.dispose()


@pytest.fixture
def outage(fault_app, app, relay, database_url):
    outage = Outage(fault_app, app, relay, make_url(database_url).database)
    yield outage
    outage.end()


@pytest.fixture
def client(fault_app):
    return fault_app.test_client()


@dataclass
class World:
    """What the tests need of the rows, as plain values: an outage starts with the test's
    session closed, and nothing may be loaded from the database while it lasts."""

    event_id: int
    public_id: str
    slug: str
    seated_id: int
    waiting_id: int
    manage_token: str
    feed_token: str
    organiser: SimpleNamespace
    admin: SimpleNamespace
    organisation_id: int
    theme_id: int
    resource_id: int

    @property
    def event_page(self) -> str:
        return f"/evenemang/{self.public_id}/{self.slug}"

    @property
    def register_url(self) -> str:
        return f"/evenemang/{self.public_id}/anmalan"

    @property
    def organiser_base(self) -> str:
        return f"/arrangor/evenemang/{self.event_id}"


@pytest.fixture
def world():
    """An event with its one seat taken and one person waiting, its organiser and an admin."""
    organisation = make_organisation(name="Varbergs kommun")
    event = make_event(organisation=organisation, capacity=1, title="Språkcafé")
    seated = make_registration(event, name="Amina Yusuf")
    waiting = make_registration(event, name="Erik Johansson")
    organiser = make_user(organisations=[organisation], name="Olga Organiser", quick_hash=True)
    admin = make_user(is_admin=True, name="Ada Admin", quick_hash=True)
    resource = make_resource()
    db.session.flush()
    world = World(
        event_id=event.id, public_id=event.public_id, slug=event.slug,
        seated_id=seated.id, waiting_id=waiting.id,
        manage_token=registration_service.manage_token(seated),
        feed_token=registration_service.feed_token(seated),
        organiser=SimpleNamespace(email=organiser.email, id=organiser.id),
        admin=SimpleNamespace(email=admin.email),
        organisation_id=organisation.id, theme_id=resource.theme_id, resource_id=resource.id,
    )  # fmt: skip
    db.session.commit()
    return world


def change_event(world: World, **values) -> None:
    event = db.session.get(Event, world.event_id)
    for name, value in values.items():
        setattr(event, name, value)
    db.session.commit()


def says_when_to_retry(response) -> bool:
    """Retry-After is RETRY_AFTER_SECONDS, or later where a rate limit (Flask-Limiter sets
    the later of the two) will still refuse the request then."""
    return int(response.headers.get("Retry-After", "0")) >= int(RETRY_AFTER)


def assert_unavailable(response, language: str = "en") -> None:
    assert response.status_code == 503, response.get_data(as_text=True)[:2000]
    assert says_when_to_retry(response)
    assert response.headers["Cache-Control"] == "no-store"
    expected = UNAVAILABLE_EN if language == "en" else UNAVAILABLE_SV
    assert expected in response.get_data(as_text=True)


def registration_status(registration_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Registration, registration_id).status


def count_registrations() -> int:
    db.session.expire_all()
    return len(db.session.scalars(select(Registration)).all())


# --- defect 3: a database that is down ---------------------------------------------------


def test_public_pages_during_an_outage_answer_a_translated_503(client, world, outage):
    with outage():
        assert_unavailable(client.get("/?lang=en"))
        assert_unavailable(client.get(world.event_page + "?lang=sv"), language="sv")
        assert_unavailable(client.get(world.event_page + "?lang=en"))
        assert_unavailable(client.get("/evenemang/?kommun=varberg"))
        assert_unavailable(client.get("/kalender/evenemang.ics"))


def test_pages_kept_in_front_of_flask_answer_an_outage_with_the_503_too(client, world, outage):
    """The page cache's WSGI layer keeps the last answer to an anonymous visitor, but reads
    the data version first: when the database is down the kept copy is not served as if
    nothing had changed, and the read's error is the translated 503 (read once)."""
    paths = ("/?lang=en", world.event_page, "/kalender/evenemang.ics")
    client.set_cookie("lang", "en")
    for path in paths * 2:  # the second time from the layer
        assert client.get(path).status_code == 200
    with outage():
        for path in paths:
            assert_unavailable(client.get(path))
    for path in paths:
        assert client.get(path).status_code == 200


def test_a_sign_up_during_an_outage_is_a_503_and_stores_nothing(client, world, outage):
    with outage():
        response = client.post(world.register_url + "?lang=en", data=registration_form())
        assert_unavailable(response)
    assert count_registrations() == 2


def test_organiser_pages_during_an_outage_answer_503_without_looking_up_the_user(
    client, world, outage
):
    """The login's user is loaded from the database for every page (Flask-Login's loader
    and its template context); the 503 page must not try again."""
    log_in(client, world.organiser)
    client.get("/?lang=en")
    with outage():
        assert_unavailable(client.get("/arrangor/"))
        assert_unavailable(client.get(f"{world.organiser_base}/anmalningar"))
        assert_unavailable(client.post(f"{world.organiser_base}/anmalningar/"
                                       f"{world.seated_id}/avboka"))  # fmt: skip
    assert registration_status(world.seated_id) == "confirmed"


def test_every_route_answers_an_outage_without_a_server_error(fault_app, client, world, outage):
    """Every GET and POST of the app, as a logged-in administrator (who may see every page),
    with real values in the path: no 500 (in testing an unhandled error is raised here),
    and every 503 says when to try again."""
    values = {
        "event_id": world.event_id, "registration_id": world.seated_id,
        "public_id": world.public_id, "slug": world.slug, "token": world.manage_token,
        "user_id": world.organiser.id, "organisation_id": world.organisation_id,
        "theme_id": world.theme_id, "resource_id": world.resource_id,
        "code": "halmstad", "filename": "css/site.css",
        "origin_id": 1,  # an allowed embedding site (none exists: the outage answers first)
        "material_id": 1,  # a material (none exists: the outage answers first)
        "target_group_id": 1,  # a target group (none exists: the outage answers first)
        "question_id": 1,  # an event's question (none exists: the outage answers first)
        "language_id": 1,  # a language of event text (the outage answers first)
        "session_id": 1,  # a course's session (none exists: the outage answers first)
        "series_id": 1,  # a series (none exists: the outage answers first)
    }  # fmt: skip
    log_in(client, world.admin)
    client.get("/")
    seen = []
    with outage():
        for rule in fault_app.url_map.iter_rules():
            path = rule.rule
            # Arguments fixed by the route's defaults (a feed's kind) are not in its path.
            for name in rule.arguments - set(rule.defaults or ()):
                value = world.feed_token if rule.endpoint == "registration.personal_feed" else (
                    values.get(name))  # fmt: skip
                assert value is not None, f"a value for <{name}> in {rule.rule}: add it above"
                path = re.sub(rf"<(?:[a-z]+:)?{name}>", str(value), path)
            for method in sorted(rule.methods & {"GET", "POST"}):
                response = client.open(path, method=method, data={})
                response.close()  # a static file's
                seen.append((method, path, response.status_code))
                assert response.status_code != 500, (method, path)
                if response.status_code == 503:
                    assert says_when_to_retry(response), (method, path)
    assert len(seen) > 80
    unavailable = {path for method, path, status in seen if status == 503}
    assert {"/", "/serier/", "/arrangor/", "/admin/anvandare", world.event_page} <= unavailable


def test_after_an_outage_the_site_answers_again(client, world, outage):
    with outage():
        assert client.get("/").status_code == 503
    assert client.get("/").status_code == 200
    assert client.get("/healthz").status_code == 200


def test_a_request_that_gets_no_connection_from_the_pool_answers_503(database_url, tmp_path):
    config = _fault_config(database_url, tmp_path)
    config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        "pool_pre_ping": True,
        "pool_size": 1,
        "max_overflow": 0,
        "pool_timeout": 0.2,
    }
    small = create_app(config)
    with small.app_context():
        engine = db.engine
    try:
        with engine.connect():  # the pool's only connection, held by another request
            response = small.test_client().get("/?lang=en")
    finally:
        engine.dispose()
    assert_unavailable(response)


# --- defect 3: nothing read after a commit -----------------------------------------------


def test_a_registration_added_just_before_the_database_fails_is_reported_as_added(
    client, world, outage
):
    """The commit went through; what the organiser is told next comes from what was read
    before it, not from a database that has gone in between."""
    change_event(world, capacity=5)
    log_in(client, world.organiser)
    data = registration_form(name="Fatima Said")
    with outage.right_after_the_next_commit():
        response = client.post(f"{world.organiser_base}/anmalningar/ny?lang=en", data=data)
        assert outage.active  # the database really was gone after the commit
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert response.headers["Location"].endswith(f"{world.organiser_base}/anmalningar")
    assert count_registrations() == 3
    listing = client.get(f"{world.organiser_base}/anmalningar?lang=en")
    assert "Fatima Said is registered with a seat." in listing.get_data(as_text=True)


@pytest.mark.parametrize("action", ["cancel", "promote", "check_in"])
def test_an_organiser_change_committed_just_before_the_database_fails_is_reported_as_done(
    client, world, outage, action
):
    if action == "promote":
        change_event(world, capacity=2)
    log_in(client, world.organiser)
    base = world.organiser_base
    url, data, done = {
        "cancel": (f"{base}/anmalningar/{world.seated_id}/avboka", {},
                   "The registration is cancelled."),
        "promote": (f"{base}/anmalningar/{world.waiting_id}/flytta-upp", {},
                    "Erik Johansson has a seat now"),
        "check_in": (f"{base}/incheckning/{world.seated_id}", {"anyway": "1"},
                     "Amina Yusuf is checked in."),
    }[action]  # fmt: skip
    with outage.right_after_the_next_commit():
        response = client.post(url + "?lang=en", data=data)
        assert outage.active
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    follow = client.get(response.headers["Location"])
    assert done in follow.get_data(as_text=True)


def test_a_sign_up_committed_just_before_the_database_fails_goes_on_to_check_your_email(
    client, world, outage
):
    data = registration_form(name="Fatima Said")
    with outage.right_after_the_next_commit():
        response = client.post(world.register_url, data=data)
        assert outage.active
    assert response.status_code == 302
    assert response.headers["Location"].endswith(world.register_url + "/skickad")
    assert count_registrations() == 3


# --- defect 4: an event that is busy -----------------------------------------------------


@contextmanager
def held_by_another_connection(database_url: str, table: str, row_id: int):
    """Another connection holds the row's lock (PostgreSQL) or the database's write lock
    (SQLite) in an open transaction, as a slow request in another process would."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            elif table == "event":
                connection.execute(
                    text("UPDATE event SET seats_taken = seats_taken WHERE id = :id"),
                    {"id": row_id},
                )
            else:
                connection.execute(
                    text(f"SELECT id FROM {table} WHERE id = :id FOR UPDATE"),  # noqa: S608
                    {"id": row_id},
                )
            yield
            connection.rollback()
    finally:
        engine.dispose()


class QueriesAfterRollback:
    """The statements the fault app sends after a session's rollback, which a page shown
    after it ("nothing was saved, try again") must not need."""

    def __init__(self, fault_app: Flask):
        with fault_app.app_context():
            self.engine = db.engine
        self.rolled_back = False
        self.statements: list[str] = []

    def _after_rollback(self, session) -> None:
        self.rolled_back = True

    def _before_execute(self, conn, cursor, statement, parameters, context, executemany):
        if self.rolled_back:
            self.statements.append(statement)

    def __enter__(self):
        event.listen(Session, "after_rollback", self._after_rollback)
        event.listen(self.engine, "before_cursor_execute", self._before_execute)
        return self

    def __exit__(self, *exc):
        event.remove(Session, "after_rollback", self._after_rollback)
        event.remove(self.engine, "before_cursor_execute", self._before_execute)


def test_a_busy_sign_up_keeps_the_form_and_asks_nothing_more_of_the_database(
    fault_app, client, world, database_url
):
    data = registration_form(name="Fatima Said")
    with held_by_another_connection(database_url, "event", world.event_id):
        with QueriesAfterRollback(fault_app) as queries:
            started = time.monotonic()
            response = client.post(world.register_url + "?lang=en", data=data)
            elapsed = time.monotonic() - started
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert says_when_to_retry(response)
    assert "Please try again in a moment." in html
    assert 'value="Fatima Said"' in html
    assert "Språkcafé" in html
    assert queries.rolled_back
    assert queries.statements == []
    assert elapsed < 8  # LOCK_WAIT_MS, with room for a busy machine
    assert count_registrations() == 2


def test_a_busy_cancellation_by_the_attendee_asks_nothing_more_of_the_database(
    fault_app, client, world, database_url
):
    url = f"/anmalan/{world.manage_token}/avboka?lang=en"
    with held_by_another_connection(database_url, "event", world.event_id):
        with QueriesAfterRollback(fault_app) as queries:
            response = client.post(url)
    assert response.status_code == 503
    assert says_when_to_retry(response)
    html = response.get_data(as_text=True)
    assert "Please try again in a moment." in html
    assert "Varbergs kommun" in html  # the event's facts, shown from memory
    assert queries.rolled_back
    assert queries.statements == []
    assert registration_status(world.seated_id) == "confirmed"


def test_a_busy_event_keeps_the_organiser_form_and_adds_nobody(
    fault_app, client, world, database_url
):
    log_in(client, world.organiser)
    data = registration_form(name="Fatima Said")
    with held_by_another_connection(database_url, "event", world.event_id):
        with QueriesAfterRollback(fault_app) as queries:
            response = client.post(f"{world.organiser_base}/anmalningar/ny?lang=en", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert says_when_to_retry(response)
    assert BUSY_EN in html
    assert 'value="Fatima Said"' in html
    assert "Olga Organiser" in html  # the organiser navigation, from memory
    assert queries.rolled_back
    assert queries.statements == []
    assert count_registrations() == 2


class FormReader(HTMLParser):
    """The values a browser would post from the page's forms: inputs, ticked boxes and
    chosen radios, selected options and textareas."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def _add(self, name: str | None, value: str) -> None:
        if name:
            self.values.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        name = attributes.get("name")
        if tag == "input":
            kind = attributes.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attributes:
                return
            if kind not in ("submit", "button"):
                self._add(name, attributes.get("value") or ("y" if kind == "checkbox" else ""))
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in attributes:
            self._add(self._select, attributes.get("value", ""))
        elif tag == "textarea":
            self._textarea = name
            self._add(name, "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea][-1] += data


def _edit_form(client, event_id: int, **changes) -> dict:
    """The edit form as the page fills it in, with some values changed."""
    reader = FormReader()
    reader.feed(client.get(f"/arrangor/evenemang/{event_id}/redigera").get_data(as_text=True))
    form = {name: values if len(values) > 1 else values[0] for name, values in
            reader.values.items()}  # fmt: skip
    form.update(changes)
    return form


def test_a_capacity_change_on_a_busy_event_keeps_the_form_and_changes_nothing(
    fault_app, client, world, database_url
):
    log_in(client, world.organiser)
    form = _edit_form(client, world.event_id, capacity="40")
    edit_url = f"{world.organiser_base}/redigera"
    with held_by_another_connection(database_url, "event", world.event_id):
        with QueriesAfterRollback(fault_app) as queries:
            response = client.post(edit_url + "?lang=en", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 503, html[:3000]
    assert says_when_to_retry(response)
    assert BUSY_EN in html
    assert 'value="40"' in html
    assert queries.rolled_back
    assert queries.statements == []
    db.session.expire_all()
    assert db.session.get(Event, world.event_id).capacity == 1
    assert registration_status(world.waiting_id) == "waiting"
    # Once the event is free, the same form saves.
    assert client.post(edit_url, data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, world.event_id).capacity == 40


@pytest.mark.parametrize("action", ["cancel", "promote", "check_in", "unpublish"])
def test_an_organiser_action_on_a_busy_event_says_nothing_was_changed(
    client, world, database_url, action
):
    if action == "promote":
        change_event(world, capacity=2)
    if action == "unpublish":  # only an event nobody registered for can be unpublished
        for registration_id in (world.seated_id, world.waiting_id):
            db.session.delete(db.session.get(Registration, registration_id))
        change_event(world, seats_taken=0)
    log_in(client, world.organiser)
    base = world.organiser_base
    url, data, table, row_id = {
        "cancel": (f"{base}/anmalningar/{world.seated_id}/avboka", {}, "event", world.event_id),
        "promote": (f"{base}/anmalningar/{world.waiting_id}/flytta-upp", {}, "event",
                    world.event_id),
        # Checking in writes the registration's row only: that is the lock it waits for.
        "check_in": (f"{base}/incheckning/{world.seated_id}", {"anyway": "1"}, "registration",
                     world.seated_id),
        "unpublish": (f"{base}/avpublicera", {}, "event", world.event_id),
    }[action]  # fmt: skip
    with held_by_another_connection(database_url, table, row_id):
        started = time.monotonic()
        response = client.post(url + "?lang=en", data=data)
        elapsed = time.monotonic() - started
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert elapsed < 8
    follow = client.get(response.headers["Location"])
    assert BUSY_EN in follow.get_data(as_text=True)
    db.session.expire_all()
    if action == "unpublish":
        assert db.session.get(Event, world.event_id).status == "published"
    else:
        assert registration_status(world.seated_id) == "confirmed"
        assert registration_status(world.waiting_id) == "waiting"
        assert db.session.get(Registration, world.seated_id).attended_at is None


# --- defect 5: a stuck or silent database ------------------------------------------------


def test_postgresql_connections_get_the_configured_timeouts(fault_app, database_url):
    options = fault_app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    if make_url(database_url).get_backend_name() != "postgresql":
        assert "connect_args" not in options  # nothing PostgreSQL-only reaches SQLite
        return
    assert options["connect_args"]["connect_timeout"] == 2
    with fault_app.app_context():
        assert db.session.execute(text("SHOW statement_timeout")).scalar() == "1500ms"
        assert "pool_pre_ping" not in options  # checked more cheaply: test_database_connections


def test_the_timeouts_end_before_the_worker_timeout():
    """gunicorn kills a sync worker after 30 s by default: a connect plus a statement must
    end before it, and a lock wait before the statement timeout (so it is "busy")."""
    connect_ms = Defaults.DATABASE_CONNECT_TIMEOUT * 1000
    assert connect_ms + Defaults.DATABASE_STATEMENT_TIMEOUT_MS < 30_000
    assert Defaults.REGISTRATION_LOCK_TIMEOUT_MS < Defaults.DATABASE_STATEMENT_TIMEOUT_MS


def test_a_statement_longer_than_the_timeout_is_cancelled(fault_app, database_url):
    if make_url(database_url).get_backend_name() != "postgresql":
        with fault_app.app_context():  # SQLite has no statement timeout to test
            assert db.session.execute(text("SELECT 1")).scalar() == 1
        return
    with fault_app.app_context():
        started = time.monotonic()
        with pytest.raises(OperationalError, match="statement timeout"):
            db.session.execute(text("SELECT pg_sleep(20)"))
        assert time.monotonic() - started < STATEMENT_TIMEOUT_MS / 1000 + 5
        db.session.rollback()


@contextmanager
def database_stuck(database_url: str, outage: Outage):
    """PostgreSQL: another connection holds an exclusive lock on the event table, so every
    page that reads events waits. SQLite: the file is locked by another connection."""
    if make_url(database_url).get_backend_name() != "postgresql":
        with outage():
            yield
        return
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            # Should the app wait for ever, the server ends the lock: the test fails, not hangs.
            connection.exec_driver_sql("SET idle_in_transaction_session_timeout = 10000")
            connection.exec_driver_sql("LOCK TABLE event IN ACCESS EXCLUSIVE MODE")
            yield
            try:
                connection.rollback()
            except OperationalError:
                pass  # ended by the server after the timeout above
    finally:
        engine.dispose()


def test_a_stuck_database_answers_503_within_the_statement_timeout(
    client, world, database_url, outage
):
    with database_stuck(database_url, outage):
        started = time.monotonic()
        response = client.get(world.event_page + "?lang=en")
        elapsed = time.monotonic() - started
    assert_unavailable(response)
    assert elapsed < STATEMENT_TIMEOUT_MS / 1000 + 5


def test_a_database_server_that_never_answers_times_out_at_connect(tmp_path):
    with server_that_never_answers() as port:
        silent = create_app(_fault_config(
            f"postgresql+psycopg://eventreg@127.0.0.1:{port}/eventreg", tmp_path))  # fmt: skip
        client = silent.test_client()
        started = time.monotonic()
        response = client.get("/?lang=en")
        elapsed = time.monotonic() - started
        health = client.get("/healthz")
        with silent.app_context():
            db.engine.dispose()
    assert_unavailable(response)
    assert 1.5 < elapsed < 10  # DATABASE_CONNECT_TIMEOUT = 2 s, not a hang
    assert health.status_code == 503


# --- /healthz -----------------------------------------------------------------------------


def test_healthz_says_ok_while_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok\n"
    assert response.mimetype == "text/plain"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    assert "X-RateLimit-Limit" not in response.headers  # no limit applies to it


def test_healthz_says_unavailable_and_nothing_more_when_the_database_is_down(client, outage):
    with outage():
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_data(as_text=True) == "unavailable\n"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    assert client.get("/healthz").status_code == 200


# --- defect 6: an instance folder that cannot be used ---------------------------------------


@pytest.fixture
def instance_env(monkeypatch):
    """create_app with settings only from the instance folder named by the test."""
    for name in ("DATABASE_URL", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)

    def use(path: Path) -> None:
        monkeypatch.setenv("EVENTREG_INSTANCE_PATH", str(path))

    return use


def test_an_instance_path_that_is_a_file_stops_the_app_at_start(tmp_path, instance_env):
    not_a_folder = tmp_path / "instance"
    not_a_folder.write_text("")
    instance_env(not_a_folder)
    with pytest.raises(RuntimeError, match=r"cannot use the folder .*instance.* for the SQLite"):
        create_app({"TESTING": True})


def test_an_instance_folder_that_cannot_be_created_stops_the_app_at_start(tmp_path, instance_env):
    """The tests run as root, to whom no folder is read-only: a path below a regular file
    is refused by the file system itself."""
    blocker = tmp_path / "srv"
    blocker.write_text("")
    instance_env(blocker / "instance")
    with pytest.raises(RuntimeError, match="Not a directory"):
        create_app({"TESTING": True})
    # The database elsewhere, the instance folder still holds the secret key.
    database = tmp_path / "db" / "eventreg.sqlite"
    with pytest.raises(RuntimeError, match=r"for the secret key \(or set SECRET_KEY\)"):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}"})


def test_a_sqlite_database_in_an_unusable_folder_stops_the_app_at_start(tmp_path):
    blocker = tmp_path / "data"
    blocker.write_text("")
    uri = f"sqlite:///{blocker / 'eventreg.sqlite'}"
    with pytest.raises(RuntimeError, match="for the SQLite database"):
        create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": uri})


def test_a_missing_instance_folder_is_created_at_start(tmp_path, instance_env):
    instance = tmp_path / "new" / "instance"
    instance_env(instance)
    create_app({"TESTING": True})
    assert (instance / "secret_key").is_file()


def test_the_cli_stops_with_the_message_when_the_instance_folder_is_unusable(tmp_path):
    not_a_folder = tmp_path / "instance"
    not_a_folder.write_text("")
    env = {"PATH": "/usr/bin:/bin", "EVENTREG_INSTANCE_PATH": str(not_a_folder)}
    result = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "flask", "--app", "eventreg", "routes"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert f"eventreg cannot use the folder {not_a_folder}" in result.stderr


def test_the_api_answers_an_outage_in_its_json_shape(client, world, outage):
    with outage():
        response = client.get("/api/v1/events?lang=en")
    assert response.status_code == 503
    assert says_when_to_retry(response)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_json()["error"] == "unavailable"
    assert "Wait a minute and try again" in response.get_json()["message"]

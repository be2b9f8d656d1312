"""PostgreSQL connections: opened with REGISTRATION_LOCK_TIMEOUT_MS as their lock_timeout,
so a sign-up (which waits that long for its event) sets nothing per transaction, and a
shorter or longer wait still can; checked before use without a round trip, pinged only
when the server has closed them or sent something."""

import time

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from eventreg.config import Defaults, database_engine_options
from eventreg.database import connect_lock_timeout_ms, set_lock_timeout
from eventreg.extensions import db
from tests.test_signup_cost import statements


@pytest.fixture
def postgresql(app, database_url) -> bool:
    """Whether the suite runs on PostgreSQL. On SQLite each test checks what SQLite does
    instead (a skipped test fails CI): its busy timeout, set per change, and pool_pre_ping."""
    return make_url(database_url).get_backend_name() == "postgresql"


def sqlite_busy_timeout() -> int:
    return db.session.connection().exec_driver_sql("PRAGMA busy_timeout").scalar()


def lock_timeout_ms() -> int:
    setting = "SELECT setting FROM pg_settings WHERE name = 'lock_timeout'"
    return int(db.session.scalar(text(setting)))


def test_connections_are_opened_with_the_sign_up_wait(app, postgresql):
    if not postgresql:
        assert "connect_args" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        assert sqlite_busy_timeout() == app.config["SQLITE_BUSY_TIMEOUT_MS"]
        db.session.rollback()
        return
    assert lock_timeout_ms() == app.config["REGISTRATION_LOCK_TIMEOUT_MS"]
    db.session.rollback()


def test_the_same_wait_sets_nothing_and_another_one_is_set_for_the_transaction(app, postgresql):
    default = app.config["REGISTRATION_LOCK_TIMEOUT_MS"]
    if not postgresql:  # SQLite's wait is the connection's busy timeout: set every time
        with statements() as seen:
            set_lock_timeout(db.session, default)
        assert seen == [f"PRAGMA busy_timeout = {default}"]
        db.session.rollback()
        return
    with statements() as seen:
        set_lock_timeout(db.session, default)
    assert seen == []
    with statements() as seen:
        set_lock_timeout(db.session, 1234)
    assert seen == ["SET LOCAL lock_timeout = 1234"]
    assert lock_timeout_ms() == 1234
    db.session.rollback()
    assert lock_timeout_ms() == default  # SET LOCAL ends with its transaction
    db.session.rollback()


def config(**settings) -> dict:
    values = {
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1/x",
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "DATABASE_CONNECT_TIMEOUT": Defaults.DATABASE_CONNECT_TIMEOUT,
        "DATABASE_STATEMENT_TIMEOUT_MS": Defaults.DATABASE_STATEMENT_TIMEOUT_MS,
        "REGISTRATION_LOCK_TIMEOUT_MS": Defaults.REGISTRATION_LOCK_TIMEOUT_MS,
    }
    return values | settings


def test_the_engine_options_carry_the_wait_and_keep_one_given():
    options = database_engine_options(config(REGISTRATION_LOCK_TIMEOUT_MS=7000))
    assert "-c lock_timeout=7000" in options["connect_args"]["options"]
    assert connect_lock_timeout_ms(options) == 7000
    given = {"connect_args": {"options": "-c lock_timeout=2500"}}
    options = database_engine_options(config(SQLALCHEMY_ENGINE_OPTIONS=given))
    assert options["connect_args"]["options"].count("lock_timeout") == 1
    assert connect_lock_timeout_ms(options) == 2500  # a sign-up then SETs its own 10 s
    sqlite = database_engine_options(config(SQLALCHEMY_DATABASE_URI="sqlite:///x.db"))
    assert "connect_args" not in sqlite


@pytest.mark.parametrize(
    ("server_options", "expected"),
    [
        ("-c statement_timeout=15000 -c lock_timeout=10000", 10000),
        ("-clock_timeout=300", 300),
        ("-c lock_timeout=5s", None),  # not in ms: a sign-up sets its own
        ("-c lock_timeout=10000s", None),
        ("-c idle_in_transaction_session_lock_timeout=5", None),
        ("", None),
    ],
)
def test_the_wait_is_read_from_the_connect_options(server_options, expected):
    options = {"connect_args": {"options": server_options}}
    assert connect_lock_timeout_ms(options) == expected
    assert connect_lock_timeout_ms({}) is None


def test_migrations_leave_the_pooled_connection_its_timeouts(app, postgresql):
    """The migrations run without the timeouts; the connection they used goes back to the
    app's pool with the app's own again (the suite and `demo-db` migrate on the app's engine,
    and a connection left without them would wait on a stuck database for ever)."""
    from flask_migrate import upgrade

    db.session.rollback()
    db.engine.dispose()  # one connection from here on: the one the migrations use
    upgrade()  # at head already: it connects, sets, runs nothing and gives it back
    assert db.engine.pool.checkedin() == 1
    if not postgresql:  # nothing is set for SQLite's migrations
        assert sqlite_busy_timeout() == app.config["SQLITE_BUSY_TIMEOUT_MS"]
        db.session.rollback()
        return
    settings = (
        "SELECT name, setting FROM pg_settings"
        " WHERE name IN ('lock_timeout', 'statement_timeout')"
    )
    with db.engine.connect() as connection:
        found = dict(connection.exec_driver_sql(settings).all())
    assert found == {
        "lock_timeout": str(app.config["REGISTRATION_LOCK_TIMEOUT_MS"]),
        "statement_timeout": str(app.config["DATABASE_STATEMENT_TIMEOUT_MS"]),
    }


def backend_pid(connection) -> int:
    return connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()


@pytest.fixture
def pings(app, monkeypatch):
    """The pings sent on checkout (the dialect's do_ping, which the check calls)."""
    sent = []
    dialect = db.engine.dialect
    original = dialect.do_ping

    def counting(dbapi_connection):
        sent.append(dbapi_connection)
        return original(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", counting)
    return sent


def test_a_live_connection_is_used_without_a_ping(app, postgresql, pings):
    if not postgresql:  # a SQLite file has no server to lose: SQLAlchemy's check is cheap
        assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
        return
    assert "pool_pre_ping" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    db.session.rollback()
    for _ in range(5):
        with db.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    assert pings == []


def test_a_connection_the_server_closed_is_replaced_before_use(app, postgresql, pings):
    """A backend ended under the pool (a restart ends them all): the next checkout sees its
    socket readable, pings, and gets a new connection instead of an error."""
    if not postgresql:  # no server: test_faults.py's outage covers SQLite
        assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
        return
    db.session.rollback()
    db.engine.dispose()
    with db.engine.connect() as connection:
        old_pid = backend_pid(connection)
    with db.engine.connect() as other:
        assert backend_pid(other) == old_pid  # the pool's only connection, back again
    killer = db.engine.pool._creator()  # a connection of its own, outside the pool
    try:
        killer.autocommit = True
        killer.execute("SELECT pg_terminate_backend(%s)", [old_pid])
    finally:
        killer.close()
    time.sleep(0.2)  # the server's goodbye reaches the socket
    with db.engine.connect() as connection:
        assert backend_pid(connection) != old_pid
    assert len(pings) == 1

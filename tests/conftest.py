"""Test fixtures: the app on a fresh database (SQLite by default, PostgreSQL when
EVENTREG_TEST_DATABASE_URL is set), a client, a CLI runner, and a clean slate per test."""

import contextvars
import os
import secrets
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, make_url, text

from eventreg import create_app
from eventreg.extensions import db

TEST_DATABASE_URL = os.environ.get("EVENTREG_TEST_DATABASE_URL", "")


def pytest_addoption(parser):
    parser.addoption(
        "--clock-shift-days",
        type=int,
        default=int(os.environ.get("EVENTREG_TEST_CLOCK_SHIFT_DAYS", "0")),
        help="Run the whole session with this process's clock moved this many days ahead "
        "(CI runs the suite a year ahead, so a test that hard-codes a date in the near "
        "future fails today rather than on that date).",
    )


def pytest_configure(config):
    days = config.getoption("--clock-shift-days")
    if days:
        # tick=True: the clock keeps running from the shifted start, so timeouts still work.
        traveller = time_machine.travel(datetime.now(UTC) + timedelta(days=days), tick=True)
        traveller.start()
        config.add_cleanup(traveller.stop)


def pytest_collection_modifyitems(config, items):
    """In a shifted run, leave out tests whose other processes (gunicorn, `send-mail
    --watch`) keep the real clock: they would see this process's rows a year ahead."""
    if not config.getoption("--clock-shift-days"):
        return
    real_clock = [item for item in items if item.get_closest_marker("real_clock")]
    if real_clock:
        config.hook.pytest_deselected(items=real_clock)
        items[:] = [item for item in items if not item.get_closest_marker("real_clock")]


def pytest_report_header(config):
    days = config.getoption("--clock-shift-days")
    return f"clock shifted {days} days ahead: {datetime.now(UTC).isoformat()}" if days else None


@contextmanager
def own_database(prefix: str, sqlite_path):
    """A new, empty database on the server the suite uses (a SQLite file at `sqlite_path`
    without a server), dropped afterwards."""
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{sqlite_path}"
        return
    server = make_url(TEST_DATABASE_URL)
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A database of this run's own, removed afterwards."""
    sqlite_path = tmp_path_factory.mktemp("db") / "eventreg-test.sqlite"
    with own_database("eventreg_test", sqlite_path) as url:
        yield url


@pytest.fixture
def empty_database_url(tmp_path):
    """A database of its own, empty, for a migration test (SQLite or PostgreSQL, as the
    suite runs)."""
    with own_database("eventreg_migration", tmp_path / "migration.sqlite") as url:
        yield url


class IsolatedClient(FlaskClient):
    """Each request runs as in production: in a fresh app context with its own database
    session and `g`, not in the app context the test itself holds for its factories."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
            "OUTBOX_DIR": str(tmp_path_factory.mktemp("outbox")),
            "MATERIALS_DIR": str(tmp_path_factory.mktemp("materials")),
            "SERVER_NAME": None,
            # Tests post many times from one address; the test of the limit sets a small one.
            "REGISTRATION_RATE_LIMIT": "1000 per minute",
            "LOGIN_RATE_LIMIT": "1000 per minute",
            "LOGIN_ACCOUNT_RATE_LIMIT": "1000 per minute",
            "ALERT_RATE_LIMIT": "1000 per minute",
        }
    )
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade()  # the schema comes from the migrations, so they are tested on every run
        # Every test starts on empty tables, the first one too: without the rows a migration
        # seeds (the target groups).
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_database(app):
    """Every test starts on empty tables, inside an app context of its own."""
    with app.app_context():
        yield
        db.session.rollback()
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def csrf_app(app):
    """The same app with CSRF protection switched on, for tests that prove it is enforced."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield app
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """With EVENTREG_FORBID_SKIPS=1 (CI), a skipped test is a failure: nothing may
    silently not run."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("EVENTREG_FORBID_SKIPS") == "1" and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"skipped, but EVENTREG_FORBID_SKIPS=1: {report.longrepr}"

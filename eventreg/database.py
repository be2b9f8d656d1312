"""Database connection settings that the engine options cannot express."""

from flask import Flask
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

# How long a SQLite writer waits for another to finish before giving up. Registrations are
# serialised per database on SQLite, so a burst of sign-ups queues here instead of failing.
SQLITE_BUSY_TIMEOUT_MS = 30_000


def _configure_sqlite(dbapi_connection, connection_record) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        # WAL: pages keep reading while a registration writes, and a writer's commit does not
        # wait for readers to finish.
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.fetchall()
    finally:
        cursor.close()


def _restore_busy_timeout(dbapi_connection, connection_record) -> None:
    """A request may shorten the wait for one statement (see `lock_timeout`); the next user
    of the pooled connection gets the usual wait again."""
    if dbapi_connection is not None:  # None when the connection was invalidated
        dbapi_connection.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")


def init_app(app: Flask) -> None:
    """Hook the SQLite settings onto the app's engine (PostgreSQL needs none)."""
    from .extensions import db

    with app.app_context():
        engine: Engine = db.engine
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "checkin", _restore_busy_timeout)


def set_lock_timeout(session, milliseconds: int) -> None:
    """How long the transaction's next lock may be waited for before the database gives up
    with an OperationalError, so a request answers "try again" instead of hanging.

    PostgreSQL: `lock_timeout` for this transaction only. SQLite: the connection's busy
    timeout, restored when the connection goes back to the pool."""
    milliseconds = int(milliseconds)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text(f"SET LOCAL lock_timeout = {milliseconds}"))
    elif dialect == "sqlite":
        session.execute(text(f"PRAGMA busy_timeout = {milliseconds}"))

"""Database connection settings that the engine options cannot express."""

from flask import Flask
from sqlalchemy import event
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


def init_app(app: Flask) -> None:
    """Hook the SQLite settings onto the app's engine (PostgreSQL needs none)."""
    from .extensions import db

    with app.app_context():
        engine: Engine = db.engine
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _configure_sqlite)

"""Database connection settings that the engine options cannot express, and the helpers
that tell a busy or unreachable database apart from a fault in the code."""

import re
import select
from functools import partial

from flask import Flask, current_app
from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

# SQLSTATEs of PostgreSQL giving up on a lock: lock_timeout, and a deadlock it broke.
POSTGRESQL_LOCK_SQLSTATES = frozenset({"55P03", "40P01"})
# SQLite's result codes for another connection holding the lock (SQLITE_BUSY, SQLITE_LOCKED).
SQLITE_LOCK_CODES = frozenset({5, 6})


# The values of SQLITE_SYNCHRONOUS allowed (OFF is not: a machine crash could corrupt the file).
SQLITE_SYNCHRONOUS_LEVELS = ("NORMAL", "FULL", "EXTRA")


def _configure_sqlite(
    dbapi_connection, connection_record, *, busy_timeout_ms: int, synchronous: str
) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        # WAL: pages keep reading while a registration writes, and a writer's commit does not
        # wait for readers to finish.
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.fetchall()
        # After journal_mode: with WAL, NORMAL syncs at checkpoints only (SQLITE_SYNCHRONOUS).
        cursor.execute(f"PRAGMA synchronous = {synchronous}")
    finally:
        cursor.close()


def _restore_busy_timeout(dbapi_connection, connection_record, *, busy_timeout_ms: int) -> None:
    """A request may shorten the wait for one statement (see `lock_timeout`); the next user
    of the pooled connection gets the usual wait again."""
    if dbapi_connection is not None:  # None when the connection was invalidated
        dbapi_connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")


# The lock_timeout a PostgreSQL connection was opened with, in its connection record's info.
LOCK_TIMEOUT_KEY = "eventreg_lock_timeout_ms"


def connect_lock_timeout_ms(engine_options: dict) -> int | None:
    """The lock_timeout PostgreSQL connections are opened with (`-c lock_timeout=N` in the
    connect options, as config.database_engine_options sets it), if they name one in ms."""
    server_options = (engine_options.get("connect_args") or {}).get("options") or ""
    found = re.search(r"(?:^|\s)-c\s*lock_timeout=(\d+)(?:\s|$)", server_options)
    return int(found[1]) if found else None


def _note_lock_timeout(dbapi_connection, connection_record, *, milliseconds: int) -> None:
    connection_record.info[LOCK_TIMEOUT_KEY] = milliseconds


def _check_before_use(dbapi_connection, connection_record, connection_proxy, *, dialect) -> None:
    """Pool checkout on PostgreSQL, in place of `pool_pre_ping`'s round trip on every
    checkout: a connection the server has closed (a restart, a terminated backend, a proxy
    or relay gone) has something to read on its socket, the server's last message or the end
    of the stream, so only a connection with a readable socket is pinged. A failed ping
    makes the pool open a new connection (DisconnectionError); a live one has read whatever
    harmless message was waiting. A network that drops packets without closing anything is
    caught by neither check; the connect and statement timeouts bound that case."""
    try:
        readable = dbapi_connection.closed or bool(
            select.select([dbapi_connection.fileno()], [], [], 0)[0]
        )
    except (OSError, ValueError, dialect.loaded_dbapi.Error):
        readable = True
    if not readable:
        return
    try:
        dialect.do_ping(dbapi_connection)
    except dialect.loaded_dbapi.Error as error:
        raise DisconnectionError(f"the connection was closed: {error}") from error


def init_app(app: Flask) -> None:
    """Hook the SQLite settings onto the app's engine (PostgreSQL gets its timeouts from the
    engine options, see config.database_engine_options)."""
    from .extensions import db

    with app.app_context():
        engine: Engine = db.engine
    if engine.dialect.name == "postgresql":
        # config.database_engine_options opens every connection with lock_timeout at
        # REGISTRATION_LOCK_TIMEOUT_MS, unless the connect options set one of their own.
        milliseconds = connect_lock_timeout_ms(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        if milliseconds is not None:
            event.listen(engine, "connect", partial(_note_lock_timeout, milliseconds=milliseconds))
        # config.database_engine_options leaves out pool_pre_ping on PostgreSQL for this.
        event.listen(engine, "checkout", partial(_check_before_use, dialect=engine.dialect))
    if engine.dialect.name == "sqlite":
        # SQLITE_BUSY_TIMEOUT_MS: how long a SQLite writer waits for another to finish before
        # giving up. Registrations are serialised per database on SQLite, so a burst of
        # sign-ups queues here instead of failing.
        wait = app.config["SQLITE_BUSY_TIMEOUT_MS"]
        synchronous = str(app.config["SQLITE_SYNCHRONOUS"]).upper()
        if synchronous not in SQLITE_SYNCHRONOUS_LEVELS:
            raise RuntimeError(
                f"SQLITE_SYNCHRONOUS is {app.config['SQLITE_SYNCHRONOUS']!r}: it must be one of "
                f"{', '.join(SQLITE_SYNCHRONOUS_LEVELS)}."
            )
        event.listen(
            engine, "connect",
            partial(_configure_sqlite, busy_timeout_ms=wait, synchronous=synchronous),
        )  # fmt: skip
        event.listen(engine, "checkin", partial(_restore_busy_timeout, busy_timeout_ms=wait))


def set_lock_timeout(session, milliseconds: int) -> None:
    """How long the transaction's next lock may be waited for before the database gives up
    with an OperationalError, so a request answers "try again" instead of hanging.

    PostgreSQL: `lock_timeout` for this transaction only. SQLite: the connection's busy
    timeout, restored when the connection goes back to the pool."""
    milliseconds = int(milliseconds)
    # The connection's own execute: these are driver statements, with nothing for the ORM
    # to do (every sign-up runs one).
    connection = session.connection()
    dialect = connection.dialect.name
    if dialect == "postgresql":
        # A connection opened with this wait as its own (see _note_lock_timeout) needs no
        # statement: one round trip less for every sign-up.
        if connection.info.get(LOCK_TIMEOUT_KEY) != milliseconds:
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = {milliseconds}")
    elif dialect == "sqlite":
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {milliseconds}")


def bound_lock_waits(session) -> None:
    """Wait at most REGISTRATION_LOCK_TIMEOUT_MS for the locks the rest of this transaction
    needs, so a change to a busy event or registration answers "busy, try again"."""
    set_lock_timeout(session, current_app.config["REGISTRATION_LOCK_TIMEOUT_MS"])


def is_unavailable(error: Exception) -> bool:
    """Whether the database could not do its part (down, unreachable, too slow, out of
    connections, a lock not granted) rather than the code asking something wrong of it: the
    request may well succeed later, so it is answered with 503, not 500."""
    if isinstance(error, PoolTimeoutError):
        return True
    if not isinstance(error, DBAPIError):
        return False
    return error.connection_invalidated or isinstance(error, OperationalError | InterfaceError)


def is_lock_timeout(error: Exception) -> bool:
    """Whether the database gave up waiting for a lock another transaction holds (the event
    is busy: try again in a moment), as opposed to being unreachable or too slow."""
    original = getattr(error, "orig", None)
    if original is None:
        return False
    sqlstate = getattr(original, "sqlstate", None)  # psycopg
    if sqlstate is not None:
        return sqlstate in POSTGRESQL_LOCK_SQLSTATES
    code = getattr(original, "sqlite_errorcode", None)  # sqlite3; extended codes in high bits
    return code is not None and code & 0xFF in SQLITE_LOCK_CODES


def rollback_after_failure(session: Session) -> bool:
    """Roll back after the database failed, even when the connection is gone (then the
    rollback fails too, and the request's teardown discards the session). True when the
    rollback went through."""
    try:
        session.rollback()
    except SQLAlchemyError:
        return False
    return True


def rollback_keeping_loaded(session: Session) -> None:
    """Roll back, but leave every object's loaded attributes readable as they were.

    A plain rollback expires them all, so the "nothing was saved, try again" page that
    follows would query the database again to show the event's title: a second wait on a
    busy database, or a crash when it is the database that failed. Here what was loaded
    stays in memory (as it was when the change was tried); only what was never loaded is
    looked up if a page asks for it."""
    loaded = [(obj, dict(inspect(obj).dict)) for obj in list(session.identity_map.values())]
    if not rollback_after_failure(session):
        return
    for obj, values in loaded:
        state = inspect(obj)
        if not state.persistent:  # inserted by the transaction that was rolled back
            continue
        for key, value in values.items():
            if key in state.mapper.attrs:
                set_committed_value(obj, key, value)

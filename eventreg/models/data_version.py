"""The public data's version: one row, given a new random token whenever anything a public
page or feed shows changes, in the same transaction as the change.

Whole-page and feed caches (eventreg/pagecache.py) are keyed by this token, so one cheap
primary-key read tells every worker and every host whether a cached copy is still right.

The bump cannot be forgotten by a new service: it is not called by services at all. Session
events watch every flush and every UPDATE/INSERT/DELETE statement run through a session, and
any change to a table that is not listed in UNTRACKED_TABLES (a new table is tracked unless
someone decides otherwise) marks the session; just before its commit the row is updated. The
row is taken last in the transaction (after the final flush) and held only for the commit,
so transactions do not wait on each other for long and cannot deadlock on it. (One
exception: a sign-up's seat on PostgreSQL moves the seats token in its own statement, see
execute_seat_change; after it the sign-up only inserts its own new rows, taking no other
lock, so the row is still the last lock taken and held a few statements longer.) (A database
trigger would catch even raw SQL, but it would lock the row at a transaction's first write
and hold it to the end, serialising every change on every event behind one row, and it
needs its DDL twice, for SQLite and PostgreSQL.) Statements run on a bare connection
(`engine.begin()`, `session.connection().execute`) bypass these events and are not seen:
nothing in the app changes public data that way (the audit log writes its own, untracked
rows so, and a sign-up its registration, email and log rows; its seat goes through
`execute_seat_change`, which marks the session itself). A migration that changes public
data changes the code fingerprint the caches are keyed by as well (see pagecache.py).

A random token rather than a counter: a counter set back (a table emptied, a backup restored)
would meet copies cached under its old numbers for other data.

Seats are versioned apart (`seats_token`). A change of who holds a seat updates only the
event's seat count (statements marked SEATS_ONLY); it gives the row a new `seats_token` and
keeps `token`. Feeds do not show seats, so a sign-up leaves every cached feed as it is;
pages that show seats left may serve a copy with counts up to SEAT_COUNT_LAG_SECONDS old
(pagecache.py), so a rush of sign-ups rebuilds each page at most once per lag instead of
after every sign-up. Whether a seat is free is never decided from a page: the sign-up
decides under the event's lock (services/registrations.py).
"""

import os
import secrets
import threading
import weakref
from datetime import datetime
from functools import cache
from typing import NamedTuple

from flask import has_request_context, request
from sqlalchemy import String, bindparam, event, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.elements import TextClause

from ..extensions import db
from .types import UTCDateTime, utcnow

# Tables no public page or feed shows. Public pages show seats through event.seats_taken,
# which every change of who holds a seat updates on the event row, so registration rows
# themselves need not bump the version (nor the no-op UPDATE that only takes the event's
# lock: see NOT_A_CHANGE).
UNTRACKED_TABLES = frozenset({
    "data_version", "alembic_version", "audit_entry", "outbox_email", "scheduled_email",
    "user_account", "membership", "registration", "registration_answer", "feedback_given",
    "feedback_answer",
    # Who came to which session of a course: organisers' figures, on no public page.
    "session_attendance",
})  # fmt: skip
# Changes to these (or a deleted event) move `names_changed_at`: rows a feed shows that
# carry no updated_at of their own, so a feed's Last-Modified can still see them.
NAME_TABLES = frozenset({"theme", "organisation", "event_series"})

# An execution option for a statement that writes without changing anything a page shows:
# the no-op UPDATE that takes an event's lock (services/registrations.py). Without it, every
# waiting-list sign-up would make every cached page and feed be built again.
NOT_A_CHANGE = "eventreg_not_a_change"
# An execution option for a statement that changes only an event's seat count (taking or
# giving back a seat): it moves the seats token, not the data token.
SEATS_ONLY = "eventreg_seats_only"
_CHANGED = "eventreg.data_changed"
_SEATS_CHANGED = "eventreg.seats_changed"
_NAMES_CHANGED = "eventreg.names_changed"
ROW_ID = 1


class DataVersion(db.Model):
    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32))
    seats_token: Mapped[str] = mapped_column(String(32), server_default="")
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    names_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


def current_version() -> tuple[str, datetime, datetime] | None:
    """(token, changed_at, names_changed_at), or None when the row is missing (a database
    emptied table by table): then nothing may be served from a cache."""
    row = db.session.execute(
        select(DataVersion.token, DataVersion.changed_at, DataVersion.names_changed_at).where(
            DataVersion.id == ROW_ID
        )
    ).first()
    return tuple(row) if row else None


class Tokens(NamedTuple):
    """The row's two tokens: `data` for everything public, `seats` for seat counts only."""

    data: str
    seats: str


VERSION_QUERY = "SELECT token, seats_token FROM data_version WHERE id = 1"
_PREPARED_NAME = b"eventreg_data_tokens"
# Where the WSGI layer of the page cache (pagecache.CachedResponses) leaves the tokens it read
# for this request, or the error reading them raised: the request reads them once.
VERSION_ENVIRON_KEY = "eventreg.data_tokens"


def current_tokens() -> Tokens | None:
    """Both tokens, as cheaply as the database can answer: on a cached page this is the
    only query. Read before anything the page shows, so what a miss renders is at least this
    new. Within a request they are the tokens the page cache's WSGI layer read for it, if
    any. None when the row is missing."""
    if has_request_context() and VERSION_ENVIRON_KEY in request.environ:
        tokens = request.environ[VERSION_ENVIRON_KEY]
        if isinstance(tokens, Exception):
            raise tokens
        return tokens
    return read_tokens(db.engine)


def current_token() -> str | None:
    """The data token alone (see current_tokens)."""
    tokens = current_tokens()
    return tokens.data if tokens else None


def read_tokens(engine: Engine) -> Tokens | None:
    """The tokens read on a connection of the reader's own (see TokenReader)."""
    return _token_reader(engine).read()


def read_token(engine: Engine) -> str | None:
    """The data token alone, read as read_tokens does."""
    tokens = read_tokens(engine)
    return tokens.data if tokens else None


class TokenReader:
    """Reads the token on database connections kept for nothing else, in autocommit mode:
    one round trip per read. Through the engine's pool the same read costs a pool checkout
    with its pre-ping (a round trip), BEGIN, the SELECT and the ROLLBACK of the checkin (on
    PostgreSQL: 310 µs against 51 µs here, SQLite 44 µs against 6 µs).

    Every read is of the latest committed row (autocommit: each statement sees what was
    committed before it began), so a change committed by any process is seen at once.
    Connections are opened through the engine (its connect settings and timeouts, errors as
    SQLAlchemy's), kept per process in a small stack (one per thread reading at the same
    time), closed when the engine is disposed. A read that fails drops its connection and
    is tried once more on a new one (a database restarted since); a second failure is raised
    as SQLAlchemy's DBAPIError, which the error pages know as "unavailable"."""

    MAX_IDLE = 4

    def __init__(self, engine: Engine):
        self._engine = weakref.ref(engine)
        self._lock = threading.Lock()
        self._idle: list = []  # (connection, dbapi connection)
        self._pid = os.getpid()
        self._forked_away: list = []
        self._generation = 0
        self._postgresql = engine.dialect.name == "postgresql"
        if self._postgresql:
            import psycopg  # only with PostgreSQL

            self._operational_error = psycopg.OperationalError
            self._tuples_ok = psycopg.pq.ExecStatus.TUPLES_OK
            self._command_ok = psycopg.pq.ExecStatus.COMMAND_OK
        event.listen(engine, "engine_disposed", self.close_all)

    def read(self) -> Tokens | None:
        held = self._take()
        try:
            row = self._execute(held[1])
        except Exception:  # noqa: BLE001 - a broken connection: once more on a new one
            self._close(held)
            self.close_all()  # the others are likely as broken (a restarted server)
            held = self._take()
            try:
                row = self._execute(held[1])
            except Exception as error:
                self._close(held)
                engine = self._engine()
                dbapi_error = engine.dialect.loaded_dbapi.Error
                if isinstance(error, dbapi_error):
                    raise DBAPIError.instance(
                        VERSION_QUERY, None, error, dbapi_error, dialect=engine.dialect
                    ) from error
                raise
        self._give_back(held)
        return Tokens(*row) if row else None

    def _execute(self, dbapi_connection):
        if self._postgresql:
            # libpq's own call on the statement _take prepared: one round trip, without
            # psycopg's cursor (24 µs of CPU per read here against 63 through a cursor; on a
            # cached page that is most of what the app itself spends).
            result = dbapi_connection.pgconn.exec_prepared(_PREPARED_NAME, [])
            if result.status != self._tuples_ok:
                raise self._operational_error(
                    result.error_message.decode(errors="replace") or "no result"
                )
            if not result.ntuples:
                return None
            return (result.get_value(0, 0).decode(), result.get_value(0, 1).decode())
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(VERSION_QUERY)
            return cursor.fetchone()
        finally:
            cursor.close()

    def _take(self) -> tuple:
        with self._lock:
            if self._pid != os.getpid():
                # A forked child: the parent's connections are the parent's (closing them
                # here would end them for the parent too), kept from the garbage collector.
                self._forked_away.extend(self._idle)
                self._idle, self._pid = [], os.getpid()
            if self._idle:
                return self._idle.pop()
            generation = self._generation
        # Opened through the engine: its connect arguments and events, pre-pinged, errors
        # wrapped. Detached from the pool, it is this reader's until closed.
        connection = self._engine().connect()
        try:
            connection.connection.detach()
            dbapi_connection = connection.connection.dbapi_connection
            dbapi_connection.rollback()  # whatever the checkout began
            if self._postgresql:
                dbapi_connection.autocommit = True
                prepared = dbapi_connection.pgconn.prepare(_PREPARED_NAME, VERSION_QUERY.encode())
                if prepared.status != self._command_ok:
                    raise self._operational_error(prepared.error_message.decode(errors="replace"))
            else:
                dbapi_connection.isolation_level = None
        except BaseException:
            connection.close()
            raise
        return (connection, dbapi_connection, generation)

    def _give_back(self, held: tuple) -> None:
        with self._lock:
            if held[2] == self._generation and len(self._idle) < self.MAX_IDLE:
                self._idle.append(held)
                return
        self._close(held)

    @staticmethod
    def _close(held: tuple) -> None:
        try:
            held[0].close()  # closes the detached DBAPI connection
        except Exception:  # noqa: BLE001, S110 - a broken connection closes as it can
            pass

    def close_all(self, *args) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
            self._generation += 1  # connections out now are closed when given back
        for held in idle:
            self._close(held)


_READERS: "weakref.WeakKeyDictionary[Engine, TokenReader]" = weakref.WeakKeyDictionary()
_READERS_LOCK = threading.Lock()


def _token_reader(engine: Engine) -> TokenReader:
    reader = _READERS.get(engine)
    if reader is None:
        with _READERS_LOCK:
            reader = _READERS.get(engine)
            if reader is None:
                reader = _READERS[engine] = TokenReader(engine)
    return reader


def _tables_of(instance) -> set[str]:
    mapper = db.inspect(instance).mapper
    return {table.name for table in mapper.tables}


@event.listens_for(Session, "after_flush")
def _note_flushed_changes(session: Session, flush_context) -> None:
    changes = ((session.new, False), (session.dirty, False), (session.deleted, True))
    for instances, deleted in changes:
        for instance in instances:
            tables = _tables_of(instance)
            if tables - UNTRACKED_TABLES:
                session.info[_CHANGED] = True
                if tables & NAME_TABLES or (deleted and "event" in tables):
                    session.info[_NAMES_CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _note_statement_changes(state) -> None:
    statement = state.statement
    if isinstance(statement, TextClause):
        # Raw SQL: anything but a read counts as a change, to be safe.
        if not statement.text.lstrip().lower().startswith(("select", "with", "pragma", "set")):
            state.session.info[_CHANGED] = state.session.info[_NAMES_CHANGED] = True
        return
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    if state.execution_options.get(NOT_A_CHANGE):
        return
    if state.execution_options.get(SEATS_ONLY):
        state.session.info[_SEATS_CHANGED] = True
        return
    table = getattr(statement, "table", None)
    name = getattr(table, "name", None)
    if name is None or name not in UNTRACKED_TABLES:
        state.session.info[_CHANGED] = True
        if name is None or name in NAME_TABLES or (state.is_delete and name == "event"):
            state.session.info[_NAMES_CHANGED] = True


@event.listens_for(Session, "before_commit")
def _bump_before_commit(session: Session) -> None:
    # Commit flushes after this hook: flush now so the flush's changes are seen.
    session.flush()
    seats_changed = session.info.pop(_SEATS_CHANGED, False)
    if not session.info.pop(_CHANGED, False):
        if seats_changed:
            bump_seats(session)
        return
    names_changed = session.info.pop(_NAMES_CHANGED, False)
    bump(session, names_changed=names_changed)


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, previous_transaction) -> None:
    session.info.pop(_CHANGED, None)
    session.info.pop(_NAMES_CHANGED, None)
    session.info.pop(_SEATS_CHANGED, None)


def bump(session: Session, *, names_changed: bool = True) -> None:
    """New tokens for the public data, seats included (one upsert, so a missing row is
    created)."""
    now = utcnow()
    values = {"id": ROW_ID, "token": secrets.token_hex(16),
              "seats_token": secrets.token_hex(16), "changed_at": now,
              "names_changed_at": now}  # fmt: skip
    stmt = _insert(session)(DataVersion).values(**values)
    updates = {"token": stmt.excluded.token, "seats_token": stmt.excluded.seats_token,
               "changed_at": stmt.excluded.changed_at}  # fmt: skip
    if names_changed:
        updates["names_changed_at"] = stmt.excluded.names_changed_at
    session.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=updates))


def bump_seats(session: Session) -> None:
    """A new seats token only: a seat was taken or given back, nothing else changed. One
    prepared UPDATE on the session's connection (every sign-up that takes a seat runs it);
    a missing row is created with new tokens, as bump does."""
    updated = session.connection().execute(
        _NEW_SEATS_TOKEN, {"seats_token": secrets.token_hex(16)}
    )
    if updated.rowcount:
        return
    now = utcnow()
    stmt = _insert(session)(DataVersion).values(
        id=ROW_ID, token=secrets.token_hex(16), seats_token=secrets.token_hex(16),
        changed_at=now, names_changed_at=now,
    )  # fmt: skip
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["id"], set_={"seats_token": stmt.excluded.seats_token}
        )
    )


_NEW_SEATS_TOKEN = (
    update(DataVersion.__table__)
    .where(DataVersion.__table__.c.id == ROW_ID)
    .values(seats_token=bindparam("seats_token"))
)


def execute_seat_change(session: Session, statement, params: dict):
    """Run a statement that takes or gives back a seat, and nothing else (as SEATS_ONLY
    marks one), on the session's connection: a sign-up's seat UPDATE without the ORM's
    handling of statements, which costs as much as the statement itself. Returns what it
    returns (RETURNING: its first row's first value), None when it changed no row.

    The statement must carry SEATS_ONLY all the same (what it sets is checked by its mark,
    tests/test_page_cache.py). `_note_statement_changes` does not see it, so the seats token
    is moved here: on PostgreSQL in the same statement (the version's UPDATE as a CTE of it,
    one round trip less than at the commit; the row is then held from here to the commit,
    which after a sign-up's seat is only the INSERTs of its own new rows), elsewhere, or
    without a version row, at the commit as for any SEATS_ONLY statement."""
    if not statement.get_execution_options().get(SEATS_ONLY):
        raise ValueError("a seat change must be marked SEATS_ONLY")
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        session.info[_SEATS_CHANGED] = True
        return connection.execute(statement, params).scalar()
    token = {_NEW_SEATS_BIND: secrets.token_hex(16)}
    row = connection.execute(_with_seats_bump(statement), params | token).first()
    if row is None:
        return None  # no seat changed: nothing to version
    if not row.seats_bumped:
        session.info[_SEATS_CHANGED] = True  # no version row: created at the commit
    return row[0]


_NEW_SEATS_BIND = "eventreg_new_seats"


@cache
def _with_seats_bump(statement):
    """`statement` (an UPDATE … RETURNING) that also gives the version row a new seats
    token when it changed a row: `WITH change AS (…), bump AS (UPDATE data_version …)`,
    selecting what the statement returns and whether the row was there to update."""
    change = statement.cte("seat_change")
    version = DataVersion.__table__
    bumped = (
        update(version)
        .where(version.c.id == ROW_ID, exists().select_from(change))
        .values(seats_token=bindparam(_NEW_SEATS_BIND))
        .returning(version.c.id)
        .cte("seats_bump")
    )
    return select(
        *change.c, select(func.count()).select_from(bumped).scalar_subquery().label("seats_bumped")
    ).execution_options(**statement.get_execution_options())


def _insert(session: Session):
    dialect = session.get_bind().dialect.name
    return postgresql_insert if dialect == "postgresql" else sqlite_insert

"""Registration rules: sign-up with atomic seat allocation, the waiting list, self-service
changes and cancellation, signed links, and anonymisation after the retention period.

Every function adds and flushes; the caller (view or CLI command) commits once, so a
registration and the emails about it are stored together or not at all.

Seats: every change to who holds a seat starts by locking the event's row (`_lock_event`),
so changes to one event happen one after another, in arrival order, on every database and
across any number of server processes. The seat itself is taken with a conditional UPDATE,
which together with the CHECK constraint on `event` means the database, not Python, keeps
confirmed registrations within capacity.
"""

import dataclasses
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from types import SimpleNamespace

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, delete, func, insert, inspect, or_, select, update
from sqlalchemy.orm import joinedload, undefer
from sqlalchemy.orm.attributes import set_committed_value

from ..database import set_lock_timeout
from ..extensions import db
from ..mail.notifications import new_registration_email_row, queue_registration_email
from ..models import (
    AuditEntry,
    Event,
    OutboxEmail,
    OutboxStatus,
    Registration,
    RegistrationAnswer,
    RegistrationState,
    RegistrationStatus,
    utcnow,
)
from ..models.data_version import NOT_A_CHANGE, SEATS_ONLY, execute_seat_change
from ..models.questions import insert_answers
from ..models.registrations import ACTIVE_STATUSES, new_nonce
from ..models.statuses import PUBLIC_EVENT_STATUSES
from ..models.users import normalise_email
from ..text import contains_line_break
from ..tokens import FEED_SALT, MANAGE_SALT, read_token
from ..tokens import feed_token as feed_token  # the service's public names for views, tests
from ..tokens import manage_token as manage_token
from . import audit
from .catalogue import searchable
from .errors import RuleError

# The emails anyone can make us send to an address by typing it into a form (a sign-up, a
# repeated sign-up, a cancellation). They count together per address against
# VISITOR_EMAILS_PER_ADDRESS_PER_HOUR, so the form cannot be used to flood a mailbox.
VISITOR_EMAIL_KINDS = ("confirmation", "waiting", "manage_link", "cancellation")
VISITOR_EMAIL_WINDOW = timedelta(hours=1)


NOT_ACTIVE = "not_active"  # the reason of a change to a cancelled registration
# What each reason tells the attendee, in the words of the registration pages.
REASON_MESSAGES = {
    NOT_ACTIVE: _l("This registration is cancelled."),
    RegistrationState.UNAVAILABLE: _l("Registration is not available for this event."),
    RegistrationState.NOT_OPEN: _l("Registration is not open"),
    RegistrationState.CLOSED: _l("Registration is closed."),
    RegistrationState.NONE: _l("This event has no registration: just come."),
    RegistrationState.EXTERNAL: _l("People register for this event on another website."),
}


class RegistrationError(RuleError):
    """A rule stops the change: `reason` says which, for a view that answers each in its
    own way (a key of REASON_MESSAGES), and `message` says it to the attendee."""

    def __init__(self, reason: str):
        super().__init__(str(REASON_MESSAGES[reason]))
        self.reason = reason


class RegistrationClosed(RegistrationError):
    """The event does not take registrations now (reason: the event's RegistrationState,
    NOT_OPEN, CLOSED or UNAVAILABLE; NONE or EXTERNAL for an event whose people do not
    register here)."""


class UnsafeHeaderValue(RuleError):
    """A name or address with a line break, which could add headers to an email: this
    service is where the rule is kept (the sign-up forms leave it to it)."""


@dataclass
class AttendeeDetails:
    """What the attendee tells us when registering."""

    name: str
    email: str
    sector: str
    municipality: str
    organisation: str = ""
    dietary_needs: str = ""
    accessibility_needs: str = ""
    interpretation_language: str | None = None
    message: str = ""
    # The VALARM in their calendar files, minutes before the start (None: none).
    calendar_alarm_minutes: int | None = None
    # Answers to the event's own questions, {question id: value}, already checked against
    # them (services.questions.check_answers): stored with the registration, nothing read.
    answers: dict[int, str] = dataclasses.field(default_factory=dict)


@dataclass
class ProfileUpdate:
    """What the attendee may change later through the manage link."""

    name: str
    organisation: str = ""
    dietary_needs: str = ""
    accessibility_needs: str = ""
    interpretation_language: str | None = None


@dataclass
class SignUp:
    """The outcome of `register`: a new registration, or the person's existing one (whose
    manage link has been sent to the address again). Never shown to the visitor: the answer
    to a sign-up is the same either way."""

    registration_id: int
    is_new: bool

    @property
    def registration(self) -> Registration:
        """The registration, loaded when asked for: a visitor's sign-up never is."""
        return db.session.get(Registration, self.registration_id)


def _check_header_safe(**values: str | None) -> None:
    """`values` by their form field names (name, email)."""
    for field, value in values.items():
        if contains_line_break(value):
            raise UnsafeHeaderValue(_("Write this on one line, without line breaks."), field)


def _lock_event(event_id: int) -> None:
    """Lock the event row for the rest of the transaction.

    A no-op UPDATE rather than SELECT … FOR UPDATE, because it works on both databases: on
    PostgreSQL it takes the row lock, on SQLite it is the transaction's first write, which
    takes the database's write lock before anything is read (no read-then-upgrade deadlock).
    Waiting for the lock is bounded (REGISTRATION_LOCK_TIMEOUT_MS): past it, the database
    raises OperationalError and the caller answers "busy, try again".
    """
    set_lock_timeout(db.session, current_app.config["REGISTRATION_LOCK_TIMEOUT_MS"])
    db.session.execute(
        update(Event)
        .where(Event.id == event_id)
        .values(seats_taken=Event.seats_taken)
        .execution_options(synchronize_session=False, **{NOT_A_CHANGE: True})
    )


def _take_seat(event_id: int) -> bool:
    """Take one seat if there is one: True when taken."""
    result = db.session.execute(
        update(Event)
        .where(
            Event.id == event_id,
            or_(Event.capacity.is_(None), Event.seats_taken < Event.capacity),
        )
        .values(seats_taken=Event.seats_taken + 1)
        .execution_options(synchronize_session=False, **{SEATS_ONLY: True})
    )
    return result.rowcount == 1


def _release_seat(event_id: int) -> None:
    db.session.execute(
        update(Event)
        .where(Event.id == event_id, Event.seats_taken > 0)
        .values(seats_taken=Event.seats_taken - 1)
        .execution_options(synchronize_session=False, **{SEATS_ONLY: True})
    )


# Public names for the organiser area, which moves people between the waiting list and
# seats by hand and must use the same lock and the same conditional UPDATE.
lock_event = _lock_event
take_seat = _take_seat
release_seat = _release_seat


def _refresh_seats(event: Event) -> None:
    db.session.refresh(event, ["seats_taken", "capacity"])


def _refresh_event(event: Event) -> None:
    """Read the event's own columns again under the lock (status, window, capacity may have
    changed). Not a plain refresh, which would also load its organisation, themes,
    languages and speakers again with the options the page loaded them with: four queries
    that the rules do not need, paid while every other sign-up waits."""
    db.session.refresh(event, [column.key for column in inspect(Event).column_attrs])


def _lock_and_read_event(event: Event) -> None:
    """`_lock_event` and `_refresh_event` in one statement: the no-op UPDATE that takes the
    lock returns the event's own columns as they are under it (RETURNING, on both
    databases), one round trip less for every sign-up while the others wait."""
    set_lock_timeout(db.session, current_app.config["REGISTRATION_LOCK_TIMEOUT_MS"])
    # On the connection, without the ORM's handling of an UPDATE (as costly as the rest):
    # the columns are put on `event` here, as loaded values.
    statements = _signup_statements()
    row = db.session.connection().execute(statements.lock_and_read, {"event_id": event.id}).one()
    for key, value in zip(statements.event_keys, row, strict=True):
        set_committed_value(event, key, value)


def _take_seat_returning(event: Event) -> bool:
    """`_take_seat` that also leaves the event's new seat count on `event` (from the same
    statement's RETURNING, not a second read)."""
    seats_taken = execute_seat_change(
        db.session, _signup_statements().take_seat, {"event_id": event.id}
    )
    if seats_taken is None:
        return False
    set_committed_value(event, "seats_taken", seats_taken)
    return True


def signup_event(public_id: str) -> Event | None:
    """A published or cancelled event by its public id, for the sign-up pages: its own
    columns, its organisation and co-organisers (the pages name them) in one query. Not
    catalogue.get_public_event, which also loads its themes, target groups, languages and
    speakers: four more queries on every sign-up that nothing on these pages shows. With
    its `question_count`, so that an event without questions costs no query for them."""
    if not searchable(public_id):
        return None
    return (
        db.session.execute(_signup_statements().signup_event, {"public_id": public_id})
        .unique()
        .scalar_one_or_none()
    )


def active_registration_for(event: Event, email: str) -> Registration | None:
    """The confirmed or waiting registration of this address for this event, if any."""
    return db.session.scalar(
        select(Registration).where(
            Registration.event_id == event.id,
            Registration.email_normalised == normalise_email(email),
            Registration.status.in_(ACTIVE_STATUSES),
        )
    )


def register(
    event: Event,
    details: AttendeeDetails,
    *,
    locale: str,
    now: datetime | None = None,
    ignore_window: bool = False,
    limit_emails: bool = True,
) -> SignUp:
    """Register someone for an event: a seat if one is left, else a waiting-list place.

    Raises RegistrationClosed outside the registration window or for an event that is not
    published, and UnsafeHeaderValue for a line break in the name or address. An address
    that already holds an active registration gets an email saying someone tried to
    register it again, with its manage link, instead of a second registration. Both ways
    take the event lock and queue one email, so the answer to a visitor looks and takes the
    same whether or not the address was registered.

    Each email counts against the address's hourly limit (`limit_emails`, see
    `_queue_visitor_email`); over it the registration is still made, without the email.

    `ignore_window=True` is for an organiser registering someone by hand: it accepts a
    registration before the window opens and after it closes (a late sign-up, a walk-in at
    the door). Everything else still applies: only published events, capacity then the
    waiting list, one active registration per address. An organiser passes
    `limit_emails=False`: the limit is on what visitors can trigger.
    """
    now = now or utcnow()
    _check_header_safe(name=details.name, email=details.email)
    _lock_and_read_event(event)
    state = event.registration_state(now)
    # Nobody is registered here for an event without registration, or registered elsewhere.
    never = (RegistrationState.UNAVAILABLE, RegistrationState.NONE, RegistrationState.EXTERNAL)
    if state in never or (state != RegistrationState.OPEN and not ignore_window):
        raise RegistrationClosed(state)

    # Under the lock, what was just read is what the seat UPDATE will find.
    full = event.capacity is not None and event.seats_taken >= event.capacity
    existing_id, sent, waiting = _address_and_waiting_list(event, details.email, now, full)
    if existing_id is not None:
        existing = db.session.get(Registration, existing_id)
        _queue_visitor_email(existing, "manage_link", now, limited=limit_emails, sent=sent)
        return SignUp(existing_id, is_new=False)

    # A full event is not asked again: the UPDATE would change nothing, yet count as a change
    # of the seats (cached pages built anew after each waiting-list sign-up).
    has_seat = not full and _take_seat_returning(event)
    status = RegistrationStatus.CONFIRMED if has_seat else RegistrationStatus.WAITING
    email = details.email.strip()
    # The registration, its email and its log entry as rows on the transaction's connection:
    # through the ORM's unit of work the three INSERTs cost a fifth of a sign-up, paid while
    # the others wait for the lock. Nothing else in the session refers to the new row.
    connection = db.session.connection()
    registration_id = _insert_registration(connection, event, details, status, locale, now)
    email_row = None
    if not (limit_emails and _over_visitor_limit(sent)):
        if has_seat:
            email_row = new_registration_email_row(registration_id, email, locale, "confirmation")
        else:
            # Nobody else adds to the waiting list while the lock is held: the new place is
            # the last. The place when it was taken is what the email says, however late.
            position = (waiting or 0) + 1
            email_row = new_registration_email_row(
                registration_id, email, locale, "waiting", position=position
            )
    entry_row = audit.new_registration_entry(
        event_id=event.id, event_title=event.title,
        registration_id=registration_id, status=status,
    )  # fmt: skip
    _insert_email_and_entry(connection, email_row, entry_row)
    if details.answers:
        # Still under the lock, so a question removed meanwhile is left out (not an error).
        db.session.execute(insert_answers(registration_id, event.id, details.answers))
    return SignUp(registration_id, is_new=True)


def _insert_registration(
    connection, event: Event, details: AttendeeDetails, status: str, locale: str, now: datetime
) -> int:
    """The new registration's row (its secrets and check-in code are the columns' defaults);
    returns its id."""
    email = details.email.strip()
    confirmed = status == RegistrationStatus.CONFIRMED
    return connection.execute(
        _signup_statements().insert_registration,
        {
            "event_id": event.id,
            "status": status,
            "name": details.name.strip(),
            "email": email,
            "email_normalised": normalise_email(email),
            "organisation": details.organisation.strip(),
            "sector": details.sector,
            "municipality": details.municipality,
            "dietary_needs": details.dietary_needs.strip(),
            "accessibility_needs": details.accessibility_needs.strip(),
            "interpretation_language": details.interpretation_language or None,
            "message": details.message.strip(),
            "calendar_alarm_minutes": details.calendar_alarm_minutes,
            "consent_at": now,
            "locale": locale,
            "created_at": now,
            "updated_at": now,
            "confirmed_at": now if confirmed else None,
        },
    ).scalar_one()


def _insert_email_and_entry(connection, email_row: dict | None, entry_row: dict) -> None:
    """The sign-up's email (None when the address has had its share) and its audit entry;
    on PostgreSQL in one statement (the entry's INSERT as a CTE of the email's), one round
    trip less while the others wait for the lock."""
    statements = _signup_statements()
    if email_row is None:
        connection.execute(statements.insert_entry, entry_row)
    elif connection.dialect.name == "postgresql":
        entry = {f"{ENTRY_PARAMETER}{key}": value for key, value in entry_row.items()}
        connection.execute(statements.insert_email_and_entry, email_row | entry)
    else:
        connection.execute(statements.insert_email, email_row)
        connection.execute(statements.insert_entry, entry_row)


# The bound parameters of the entry's INSERT when it is a CTE of the email's: named apart
# from the email's columns (both tables have created_at and registration_id).
ENTRY_PARAMETER = "entry_"


def _address_and_waiting_list(
    event: Event, email: str, now: datetime, full: bool
) -> tuple[int | None, int, int | None]:
    """What a sign-up needs to know besides the event, in one query: the id of the
    address's active registration for the event (None if it has none), how many emails
    visitors made us send to the address in the last hour, and, when the event is `full`,
    how many are on its waiting list (None otherwise)."""
    statements = _signup_statements()
    params = {
        "event_id": event.id,
        "email_normalised": normalise_email(email),
        "since": now - VISITOR_EMAIL_WINDOW,
    }
    connection = db.session.connection()  # a plain read: nothing for the ORM to do
    if not full:
        existing_id, sent = connection.execute(statements.address, params).one()
        return existing_id, sent, None
    existing_id, sent, waiting = connection.execute(statements.address_and_waiting, params).one()
    return existing_id, sent, waiting


@cache
def _signup_statements() -> SimpleNamespace:
    """The statements every sign-up runs, built once (with bound parameters) instead of for
    each sign-up: building them cost as much as running them."""
    event_id = bindparam("event_id")
    existing = (
        select(Registration.id)
        .where(
            Registration.event_id == event_id,
            Registration.email_normalised == bindparam("email_normalised"),
            Registration.status.in_(ACTIVE_STATUSES),
        )
        .limit(1)
        .scalar_subquery()
    )
    sent = _visitor_emails_sent_query(bindparam("email_normalised"), bindparam("since"))
    waiting = select(func.count(Registration.id)).where(
        Registration.event_id == event_id, Registration.status == RegistrationStatus.WAITING
    )
    # The event's own columns (not session_count, a subquery) by their attribute names.
    event_columns = [
        (attribute.key, attribute.columns[0])
        for attribute in inspect(Event).column_attrs
        if getattr(attribute.columns[0], "table", None) is Event.__table__
    ]
    event_table = Event.__table__
    lock_and_read = (
        update(event_table)
        .where(event_table.c.id == event_id)
        .values(seats_taken=event_table.c.seats_taken)
        .returning(*[column for _key, column in event_columns])
        .execution_options(**{NOT_A_CHANGE: True})  # as _lock_event's; run on the connection
    )
    take_seat = (
        update(event_table)
        .where(
            event_table.c.id == event_id,
            or_(event_table.c.capacity.is_(None),
                event_table.c.seats_taken < event_table.c.capacity),
        )  # fmt: skip
        .values(seats_taken=event_table.c.seats_taken + 1)
        .returning(event_table.c.seats_taken)
        .execution_options(**{SEATS_ONLY: True})
    )
    signup_event = (
        select(Event)
        .options(
            joinedload(Event.organisation),
            joinedload(Event.co_organisers),
            undefer(Event.question_count),
        )
        .where(
            Event.public_id == bindparam("public_id"),
            Event.status.in_(PUBLIC_EVENT_STATUSES),
        )
    )
    return SimpleNamespace(
        signup_event=signup_event,
        event_keys=[key for key, _column in event_columns],
        lock_and_read=lock_and_read,
        insert_registration=insert(Registration.__table__).returning(Registration.__table__.c.id),
        insert_email=insert(OutboxEmail.__table__),
        insert_entry=insert(AuditEntry.__table__),
        insert_email_and_entry=insert(OutboxEmail.__table__).add_cte(
            insert(AuditEntry.__table__)
            .values({
                column.key: bindparam(f"{ENTRY_PARAMETER}{column.key}", type_=column.type)
                for column in AuditEntry.__table__.columns
                if not column.primary_key
            })  # fmt: skip
            .cte("new_entry")
        ),
        take_seat=take_seat,
        address=select(existing, sent.scalar_subquery()),
        address_and_waiting=select(existing, sent.scalar_subquery(), waiting.scalar_subquery()),
    )


def _visitor_emails_sent(email: str, now: datetime) -> int:
    """How many emails visitors made us send to this address (any letter case) in the
    hour before `now`, counted from the outbox."""
    return db.session.scalar(
        _visitor_emails_sent_query(normalise_email(email), now - VISITOR_EMAIL_WINDOW)
    )


def _visitor_emails_sent_query(email_normalised, since) -> Select:
    """The count of `_visitor_emails_sent`; the arguments are values or bound parameters."""
    return (
        select(func.count(OutboxEmail.id))
        .join(Registration, Registration.id == OutboxEmail.registration_id)
        .where(
            Registration.email_normalised == email_normalised,
            OutboxEmail.kind.in_(VISITOR_EMAIL_KINDS),
            OutboxEmail.created_at > since,
        )
    )


def _queue_visitor_email(
    registration: Registration,
    kind: str,
    now: datetime,
    *,
    limited: bool,
    sent: int | None = None,
) -> None:
    """Queue an email a visitor's action triggers, unless the address has had its hourly
    share already. Over the limit the email is silently left out: the visitor's answer
    stays the same, so it tells nothing about the address. (Two sign-ups for different
    events at the same moment may each pass the count: the limit stops floods, not one
    email more.) `sent` is counted here unless the caller counted it already. A new
    registration's own email is written by `register` with its other rows."""
    if sent is None and limited:
        sent = _visitor_emails_sent(registration.email or "", now)
    if limited and _over_visitor_limit(sent):
        return
    queue_registration_email(registration, kind)


def _over_visitor_limit(sent: int) -> bool:
    """Whether an address that visitors made us send `sent` emails to in the last hour has
    had its share."""
    return sent >= current_app.config["VISITOR_EMAILS_PER_ADDRESS_PER_HOUR"]


def waiting_position(registration: Registration) -> int | None:
    """1 for the first on the waiting list; None when not waiting."""
    if not registration.is_waiting:
        return None
    return db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.event_id == registration.event_id,
            Registration.status == RegistrationStatus.WAITING,
            Registration.id <= registration.id,
        )
    )


def waiting_list(event: Event) -> list[Registration]:
    """The waiting list in arrival order."""
    return list(
        db.session.scalars(
            select(Registration)
            .where(
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.WAITING,
            )
            .order_by(Registration.id)
        )
    )


def promote_waiting(event: Event, now: datetime | None = None) -> list[Registration]:
    """Give free seats to the waiting list in arrival order, emailing each person promoted.

    Called after a confirmed attendee cancels, and by the organiser area after raising the
    capacity (in the same transaction as the change). Nobody is promoted once the event has
    started or if it is not published.
    """
    now = now or utcnow()
    _lock_event(event.id)
    _refresh_event(event)
    promoted: list[Registration] = []
    if not event.is_published or event.start_dt <= now:
        return promoted
    for candidate in waiting_list(event):
        if not _take_seat(event.id):
            break
        candidate.status = RegistrationStatus.CONFIRMED
        candidate.confirmed_at = now
        candidate.updated_at = now
        promoted.append(candidate)
    db.session.flush()
    _refresh_seats(event)
    for registration in promoted:
        queue_registration_email(registration, "promotion")
    return promoted


def cancel_registration(
    registration: Registration, now: datetime | None = None, *, limit_emails: bool = True
) -> list[Registration]:
    """Cancel a registration; a freed seat goes to the first on the waiting list.

    Returns the registrations promoted. Cancelling twice changes nothing. The cancellation
    email counts against the address's hourly limit unless an organiser cancels
    (`limit_emails=False`); the promotion emails to others are never held back.
    """
    now = now or utcnow()
    _lock_event(registration.event_id)
    # Another request may have cancelled it since it was loaded.
    db.session.refresh(registration)
    if not registration.is_active:
        return []
    had_seat = registration.is_confirmed
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = now
    registration.updated_at = now
    db.session.flush()
    _queue_visitor_email(registration, "cancellation", now, limited=limit_emails)
    if not had_seat:
        return []
    _release_seat(registration.event_id)
    return promote_waiting(registration.event, now=now)


def update_registration(
    registration: Registration, changes: ProfileUpdate, now: datetime | None = None
) -> None:
    """Change the details an attendee may change themselves (not the email address)."""
    if not registration.is_active:
        raise RegistrationError(NOT_ACTIVE)
    _check_header_safe(name=changes.name)
    registration.name = changes.name.strip()
    registration.organisation = changes.organisation.strip()
    registration.dietary_needs = changes.dietary_needs.strip()
    registration.accessibility_needs = changes.accessibility_needs.strip()
    registration.interpretation_language = changes.interpretation_language or None
    registration.updated_at = now or utcnow()
    db.session.flush()


def has_registrations(event: Event) -> bool:
    """Whether anyone ever registered for the event (cancelled registrations count)."""
    return (
        db.session.scalar(select(Registration.id).where(Registration.event_id == event.id))
        is not None
    )


def notify_event_cancelled(event: Event) -> int:
    """Queue the cancellation notice (with a METHOD:CANCEL calendar update) to everyone
    registered for an event the organiser has cancelled; returns how many."""
    active = db.session.scalars(
        select(Registration).where(
            Registration.event_id == event.id, Registration.status.in_(ACTIVE_STATUSES)
        )
    )
    count = 0
    for registration in active:
        queue_registration_email(registration, "event_cancelled")
        count += 1
    return count


# --- Signed links ---------------------------------------------------------------------


def _load(token: str, salt: str, nonce_field: str) -> Registration | None:
    """The registration a token (eventreg.tokens) names, if its nonce is still the one."""
    signed = read_token(token, salt)
    if signed is None:
        return None
    registration_id, nonce = signed
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.anonymised_at is not None:
        return None
    expected = getattr(registration, nonce_field)
    if not expected or not hmac.compare_digest(expected, nonce):
        return None
    return registration


def registration_from_manage_token(token: str) -> Registration | None:
    """The registration a manage link is for, or None for a wrong or tampered token."""
    return _load(token, MANAGE_SALT, "manage_nonce")


def registration_from_feed_token(token: str) -> Registration | None:
    return _load(token, FEED_SALT, "feed_nonce")


def personal_feed_events(registration: Registration, now: datetime | None = None) -> list[Event]:
    """The events this person (same address) holds a seat at, from 30 days back on."""
    now = now or utcnow()
    if not registration.email_normalised:
        return []
    return list(
        db.session.scalars(
            select(Event)
            .join(Registration, Registration.event_id == Event.id)
            .where(
                Registration.email_normalised == registration.email_normalised,
                Registration.status == RegistrationStatus.CONFIRMED,
                Event.status.in_(PUBLIC_EVENT_STATUSES),
                Event.end_dt > now - timedelta(days=30),
            )
            .order_by(Event.start_dt, Event.id)
        )
    )


def calendar_alarms(registration: Registration, events: list[Event]) -> dict[int, int]:
    """The alarm (minutes before) this address chose for each of these events, by event id."""
    if not registration.email_normalised or not events:
        return {}
    rows = db.session.execute(
        select(Registration.event_id, Registration.calendar_alarm_minutes).where(
            Registration.email_normalised == registration.email_normalised,
            Registration.status == RegistrationStatus.CONFIRMED,
            Registration.event_id.in_([event.id for event in events]),
            Registration.calendar_alarm_minutes.is_not(None),
        )
    )
    return {event_id: minutes for event_id, minutes in rows}


# --- Data protection ------------------------------------------------------------------

PERSONAL_FIELDS = (
    "name", "organisation", "dietary_needs", "accessibility_needs", "message",
)  # fmt: skip


def anonymise_registrations(days: int, now: datetime | None = None) -> tuple[int, list[int]]:
    """Blank the personal data of registrations for events that ended more than `days` ago.

    Status, sector, municipality, attendance and timestamps stay, so counts still add up.
    Their emails in the outbox lose recipient and bodies too (unsent ones are not sent).
    Returns how many registrations were anonymised and the ids of the emails purged, so the
    caller can remove copies written to the outbox folder.
    """
    now = now or utcnow()
    cutoff = now - timedelta(days=days)
    registrations = list(
        db.session.scalars(
            select(Registration)
            .join(Event, Event.id == Registration.event_id)
            .where(Event.end_dt < cutoff, Registration.anonymised_at.is_(None))
            # Several workers may run this at once: each takes the rows no other holds.
            .with_for_update(skip_locked=True, of=Registration)
        )
    )
    for registration in registrations:
        for field in PERSONAL_FIELDS:
            setattr(registration, field, "")
        registration.email = None
        registration.email_normalised = None
        registration.interpretation_language = None
        # Revokes the manage and feed links.
        registration.manage_nonce = None
        registration.feed_nonce = None
        registration.anonymised_at = now
        registration.updated_at = now
    db.session.flush()
    if registrations:
        # Answers to the event's own questions are personal data too: gone, not blanked.
        db.session.execute(
            delete(RegistrationAnswer).where(
                RegistrationAnswer.registration_id.in_([r.id for r in registrations])
            )
        )
    purged: list[int] = []
    if registrations:
        ids = [registration.id for registration in registrations]
        emails = db.session.scalars(
            select(OutboxEmail).where(
                OutboxEmail.registration_id.in_(ids), OutboxEmail.status != "purged"
            )
        )
        for email in emails:
            email.recipient = ""
            email.subject = ""
            email.body_text = ""
            email.body_html = ""
            email.params = None
            email.ics = None
            email.qr_content = None
            email.last_error = ""
            email.status = OutboxStatus.PURGED
            purged.append(email.id)
        db.session.flush()
    return len(registrations), purged


def rotate_manage_link(registration: Registration) -> None:
    """Make old manage links stop working (e.g. after one was forwarded by mistake)."""
    registration.manage_nonce = new_nonce()
    db.session.flush()

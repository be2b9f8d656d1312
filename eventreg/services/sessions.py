"""The rules for courses: an event that meets several times under one registration.

An event has no session rows (it meets once, at its own start and end) or at least two: the
first session added to a single event is its own time and place, the one added is the
second. Removing all but one session makes it a single event again at that session's time.
Sessions never overlap, are numbered in time order, and the event's start_dt and end_dt are
kept as their span (first start, last end), so everything that reads an event's time
(lists, filters, reminders, the registration window) works on a course unchanged.

Functions take the event's lock (as an edit does), add and flush; the view commits once.
Every change is written to the audit log in the same transaction, and the people registered
for a published event are told: a session's time or place is always news.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from .. import vocab
from ..database import bound_lock_waits
from ..extensions import db
from ..models import Event, EventSession, Registration, SessionAttendance, User, utcnow
from ..models.registrations import ACTIVE_STATUSES
from ..models.types import LOCAL_TZ, max_length
from ..text import is_one_line, normalise_newlines
from . import attendees, audit
from . import registrations as registration_service
from .errors import RuleError

# A course of more meetings than this is a typing mistake (or a series of events).
MAX_SESSIONS = 20
# One meeting lasts at most a day; a two-day meeting is two sessions.
MAX_SESSION_LENGTH = timedelta(hours=24)
# A course runs within a year: a later session is a mistyped year.
MAX_COURSE_SPAN = timedelta(days=366)

PLACE_FIELDS = ("venue_name", "address", "municipality")


class SessionRuleError(RuleError):
    """A change to a course's sessions the rules do not allow."""


@dataclass
class SessionChange:
    """What a change did: the session added or changed (None when removed), and how many
    people registered were emailed about it."""

    session: EventSession | None
    recipients: int = 0


@dataclass
class SessionData:
    """What an organiser sets on a session; datetimes aware (UTC). An empty place is the
    event's own."""

    start_dt: datetime
    end_dt: datetime
    venue_name: str = ""
    address: str = ""
    municipality: str | None = None
    note: str = ""

    @classmethod
    def from_session(cls, session: EventSession) -> "SessionData":
        return cls(
            start_dt=session.start_dt, end_dt=session.end_dt, venue_name=session.venue_name,
            address=session.address, municipality=session.municipality, note=session.note,
        )  # fmt: skip

    @classmethod
    def from_event(cls, event: Event) -> "SessionData":
        """A single event's own time as its first session (its place stays the event's)."""
        return cls(start_dt=event.start_dt, end_dt=event.end_dt)


MAX_LENGTHS = {
    name: max_length(getattr(EventSession, name)) for name in ("venue_name", "address", "note")
}


def session_of_event(event: Event, session_id: int) -> EventSession | None:
    return next((s for s in event.sessions if s.id == session_id), None)


def sessions_or_self(event: Event) -> list[EventSession]:
    """The sessions of a course, or for a single event one unsaved session of its own time
    and place, so pages that list "when" treat both alike."""
    if event.sessions:
        return list(event.sessions)
    return [EventSession(position=1, start_dt=event.start_dt, end_dt=event.end_dt)]


def validate_session_data(data: SessionData) -> dict[str, str]:
    """Problems with one session on its own, keyed by field name (empty when all is well)."""
    errors: dict[str, str] = {}
    if data.end_dt <= data.start_dt:
        errors["end_dt"] = _("The end must be after the start.")
    elif data.end_dt - data.start_dt > MAX_SESSION_LENGTH:
        errors["end_dt"] = _(
            "A session lasts at most %(hours)d hours. Add a session for each day.",
            hours=MAX_SESSION_LENGTH // timedelta(hours=1),
        )
    if data.municipality is not None and data.municipality not in vocab.MUNICIPALITIES:
        errors["municipality"] = _("Choose a municipality.")
    for name in ("venue_name", "address"):
        if not is_one_line(getattr(data, name)):
            errors[name] = _("Write this on one line, without line breaks or control characters.")
    if not is_one_line(data.note.replace("\n", " ")):
        errors["note"] = _("Write this without control characters.")
    for name, limit in MAX_LENGTHS.items():
        if len(getattr(data, name) or "") > limit:
            errors.setdefault(name, _("Write at most %(max)d characters.", max=limit))
    return errors


def _schedule_problem(
    event: Event, others: list[SessionData], data: SessionData
) -> tuple[str, str] | None:
    """(field, message) when `data` with the course's `others` breaks a rule, or None."""
    if len(others) + 1 > MAX_SESSIONS:
        return "start_dt", _("A course has at most %(count)d sessions.", count=MAX_SESSIONS)
    for other in others:
        if data.start_dt < other.end_dt and other.start_dt < data.end_dt:
            return "start_dt", _(
                "The session overlaps another one (%(when)s). Sessions must not overlap.",
                when=_local_span(other),
            )
    schedule = [*others, data]
    start = min(s.start_dt for s in schedule)
    end = max(s.end_dt for s in schedule)
    if end - start > MAX_COURSE_SPAN:
        return "start_dt", _("All sessions of a course must be within a year.")
    closes = event.registration_closes_dt
    if closes is not None and closes >= end:
        return "end_dt", _(
            "Registration closes after the last session ends. Change the registration "
            "window on the event form first."
        )
    return None


def _local_span(data: SessionData) -> str:
    start = data.start_dt.astimezone(LOCAL_TZ)
    return f"{start:%Y-%m-%d %H:%M}–{data.end_dt.astimezone(LOCAL_TZ):%H:%M}"


def _stored(data: SessionData) -> dict:
    return {
        "start_dt": data.start_dt,
        "end_dt": data.end_dt,
        "venue_name": data.venue_name.strip(),
        "address": data.address.strip(),
        "municipality": data.municipality or None,
        "note": normalise_newlines(data.note).strip(),
    }


def snapshot(event: Event) -> list[str]:
    """The sessions as the audit log and the change notice name them: local time and place,
    one line each (language-neutral, so a notice reads the same in Swedish and English)."""
    lines = []
    for session in event.sessions:
        place = ", ".join(p for p in (session.venue_name, session.address) if p)
        if session.municipality:
            place = ", ".join(
                p for p in (place, str(vocab.MUNICIPALITIES.get(session.municipality, "")))
                if p
            )  # fmt: skip
        when = _local_span(SessionData.from_session(session))
        lines.append(f"{when}, {place}" if place else when)
    return lines


def _check(event: Event, data: SessionData, others: list[SessionData]) -> None:
    if event.is_cancelled:
        raise SessionRuleError(_("The sessions of a cancelled event cannot be changed."))
    errors = validate_session_data(data)
    if errors:
        field, message = next(iter(errors.items()))
        raise SessionRuleError(message, field)
    problem = _schedule_problem(event, others, data)
    if problem:
        field, message = problem
        raise SessionRuleError(message, field)


def add_session(event: Event, data: SessionData, user: User | None) -> SessionChange:
    """Add a session; the first one added to a single event makes it a course of two (its
    own time first). Raises SessionRuleError if a rule is broken."""
    _lock(event)
    existing = [SessionData.from_session(s) for s in event.sessions]
    if not existing:
        existing = [SessionData.from_event(event)]
    _check(event, data, existing)
    before = _before(event)
    if not event.sessions:
        event.sessions.append(EventSession(position=0, **_stored(existing[0])))
    session = EventSession(position=0, **_stored(data))
    event.sessions.append(session)
    return SessionChange(session, _after_change(event, before, "event.session_add", user))


def update_session(
    event: Event, session: EventSession, data: SessionData, user: User | None
) -> SessionChange:
    """Change a session's time, place or note. Raises SessionRuleError if a rule is broken."""
    _lock(event)
    if session not in event.sessions:  # removed by someone else meanwhile
        raise SessionRuleError(_("Choose a session of this event."))
    others = [SessionData.from_session(s) for s in event.sessions if s is not session]
    _check(event, data, others)
    before = _before(event)
    for name, value in _stored(data).items():
        setattr(session, name, value)
    return SessionChange(session, _after_change(event, before, "event.session_update", user))


def remove_session(event: Event, session: EventSession, user: User | None) -> SessionChange:
    """Remove a session. When one is left, the event meets once again, at that session's
    time and (if it had one of its own) place."""
    if event.is_cancelled:
        raise SessionRuleError(_("The sessions of a cancelled event cannot be changed."))
    _lock(event)
    if session not in event.sessions:  # removed by someone else meanwhile
        raise SessionRuleError(_("Choose a session of this event."))
    before = _before(event)
    _forget_attendance(session)
    event.sessions.remove(session)
    if len(event.sessions) == 1:
        last = event.sessions[0]
        _forget_attendance(last)  # the course's attended_at stays: they came
        if last.has_own_place:
            for name in PLACE_FIELDS:
                value = getattr(last, name)
                if value:
                    setattr(event, name, value)
        event.start_dt, event.end_dt = last.start_dt, last.end_dt
        event.sessions.remove(last)
    return SessionChange(None, _after_change(event, before, "event.session_remove", user))


def _lock(event: Event) -> None:
    """The event's lock, as an edit or a sign-up takes it, and then its sessions read again:
    the rules are checked against what is committed, so two organisers changing sessions
    at once cannot both add overlapping ones (the second waits, then sees the first's)."""
    registration_service.lock_event(event.id)
    for session in event.sessions:
        db.session.expire(session)
    db.session.expire(event, ["sessions", "session_count"])


def _forget_attendance(session: EventSession) -> None:
    """Who came to a session that goes (the database's ON DELETE CASCADE, which SQLite
    does not enforce)."""
    db.session.execute(delete(SessionAttendance).where(SessionAttendance.session_id == session.id))


def _before(event: Event) -> dict:
    return {"sessions": snapshot(event), "start_dt": event.start_dt, "end_dt": event.end_dt}


def _after_change(event: Event, before: dict, action: str, user: User | None) -> int:
    """Number the sessions in time order, keep the event's time as their span, and log and
    announce the change; returns how many people were emailed."""
    ordered = sorted(event.sessions, key=lambda s: (s.start_dt, s.end_dt))
    for position, session in enumerate(ordered, start=1):
        session.position = position
    event.sessions.sort(key=lambda s: s.position)
    if ordered:
        event.start_dt = ordered[0].start_dt
        event.end_dt = max(s.end_dt for s in ordered)
    # The event row is written even when its span stays the same: its before_update hook
    # sees the changed session and raises the revision (calendars' SEQUENCE), and
    # updated_at moves (feeds' Last-Modified).
    event.updated_at = utcnow()
    db.session.flush()
    after = {"sessions": snapshot(event), "start_dt": event.start_dt, "end_dt": event.end_dt}
    changes = audit.diff(
        {k: audit.json_value(v) for k, v in before.items()},
        {k: audit.json_value(v) for k, v in after.items()},
    )
    if not changes:
        return 0
    audit.record_event_change(event, action, user, changes)
    if not event.is_published:
        return 0
    notified = changes.get("sessions", [before["sessions"], after["sessions"]])
    return attendees.notify_change(event, {"sessions": notified})


def copy_sessions(source: Event, copy: Event, shift: timedelta) -> None:
    """The sessions of a course on its copy, all moved by `shift` (a copy for a series)."""
    copy.sessions = [
        EventSession(
            position=s.position, start_dt=s.start_dt + shift, end_dt=s.end_dt + shift,
            venue_name=s.venue_name, address=s.address, municipality=s.municipality,
            note=s.note,
        )
        for s in source.sessions
    ]  # fmt: skip


def keep_span(event: Event, start_dt: datetime, end_dt: datetime) -> tuple[datetime, datetime]:
    """The start and end an edit of the event may set: a course's are its sessions' span
    (the event form shows them read-only), anything else's are what was given."""
    if event is not None and event.sessions:
        return event.start_dt, event.end_dt
    return start_dt, end_dt


# --- attendance per session -------------------------------------------------------------------


def session_today(event: Event, now: datetime | None = None) -> EventSession | None:
    """The session check-in should offer first: today's (Stockholm), else the next one,
    else the last."""
    if not event.sessions:
        return None
    now = now or utcnow()
    today = now.astimezone(LOCAL_TZ).date()
    for session in event.sessions:
        if session.start_dt.astimezone(LOCAL_TZ).date() == today:
            return session
    upcoming = [s for s in event.sessions if s.end_dt > now]
    return upcoming[0] if upcoming else event.sessions[-1]


def check_in_at_session(
    registration: Registration,
    session: EventSession,
    user: User | None,
    now: datetime | None = None,
    *,
    anyway: bool = False,
) -> bool:
    """Record that a confirmed person came to one session (and so to the course: the
    registration's attended_at is their first check-in). True when newly recorded, False
    when they were already checked in at this session.

    Only around the session (attendees.check_in_window, applied to the session): outside
    it the organiser must say so (`anyway=True`), else CheckInClosed."""
    if session.event_id != registration.event_id:
        raise SessionRuleError(_("Choose a session of this event."))
    if not registration.is_confirmed:
        raise attendees.AttendeeRuleError(
            _("Only someone with a confirmed seat can be checked in.")
        )
    now = now or utcnow()
    if session.id in checked_in_sessions(registration):
        return False
    closed = attendees.check_in_closed_message(session, now)
    if closed and not anyway:
        raise attendees.CheckInClosed(closed)
    bound_lock_waits(db.session)
    with audit.acting_as(user):
        # A savepoint: a concurrent check-in of the same person at the same session meets
        # the unique constraint, and is then the same as "already checked in".
        try:
            with db.session.begin_nested():
                db.session.add(SessionAttendance(
                    registration_id=registration.id, session_id=session.id, checked_in_at=now
                ))  # fmt: skip
        except IntegrityError:
            return False
        if registration.attended_at is None:
            registration.attended_at = now
        db.session.flush()
    return True


def checked_in_sessions(registration: Registration) -> set[int]:
    """The ids of the sessions this person was checked in at."""
    return set(
        db.session.scalars(
            select(SessionAttendance.session_id).where(
                SessionAttendance.registration_id == registration.id
            )
        )
    )


def checked_in_at(session: EventSession) -> dict[int, datetime]:
    """{registration id: when checked in} for one session."""
    return dict(
        db.session.execute(
            select(SessionAttendance.registration_id, SessionAttendance.checked_in_at).where(
                SessionAttendance.session_id == session.id
            )
        ).all()
    )


def undo_session_check_in(
    registration: Registration, session: EventSession, user: User | None
) -> None:
    """Take back one session's check-in; the course's attended_at goes when no session
    check-in is left."""
    row = db.session.scalar(
        select(SessionAttendance).where(
            SessionAttendance.registration_id == registration.id,
            SessionAttendance.session_id == session.id,
        )
    )
    if row is None:
        return
    bound_lock_waits(db.session)
    with audit.acting_as(user):
        db.session.delete(row)
        db.session.flush()
        left = db.session.scalar(
            select(func.count(SessionAttendance.id)).where(
                SessionAttendance.registration_id == registration.id
            )
        )
        if not left:
            registration.attended_at = None
        db.session.flush()


def attendance_per_session(event: Event) -> list[tuple[EventSession, int]]:
    """(session, how many confirmed people were checked in at it), in session order."""
    if not event.sessions:
        return []
    counts = dict(
        db.session.execute(
            select(SessionAttendance.session_id, func.count(SessionAttendance.id))
            .join(Registration, Registration.id == SessionAttendance.registration_id)
            .join(EventSession, EventSession.id == SessionAttendance.session_id)
            .where(
                EventSession.event_id == event.id,
                Registration.status.in_(ACTIVE_STATUSES),
            )
            .group_by(SessionAttendance.session_id)
        ).all()
    )
    return [(session, counts.get(session.id, 0)) for session in event.sessions]

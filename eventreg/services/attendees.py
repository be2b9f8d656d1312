"""What organisers do with the people registered for their events: lists and needs,
adding and cancelling by hand, the waiting list, messages, check-in and the CSV export.

Seat changes go through the registration service's locking (`services.registrations`), so
the database keeps confirmed registrations within capacity here too. Functions flush; the
view commits once. Every change is written to the audit log, by registration id only (by
the flush listener in services/audit.py, with the user given here as the one acting).
"""

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import format_datetime, format_timedelta
from flask_babel import gettext as _
from sqlalchemy import func, select

from .. import vocab
from ..database import bound_lock_waits
from ..extensions import db
from ..mail.notifications import (
    queue_event_changed,
    queue_organiser_message,
    queue_registration_email,
)
from ..models import (
    Event,
    EventSession,
    Registration,
    RegistrationState,
    RegistrationStatus,
    SessionAttendance,
    User,
    utcnow,
)
from ..models.questions import RegistrationQuestion
from ..models.registrations import ACTIVE_STATUSES
from ..models.types import utc_to_local
from ..templating import answer_text
from ..text import contains_line_break, spreadsheet_safe
from . import audit
from . import registrations as registration_service
from .errors import RuleError

STATUS_ORDER = tuple(RegistrationStatus)  # confirmed, waiting, cancelled


class AttendeeRuleError(RuleError):
    """A change to someone's registration that the rules do not allow."""


class CheckInClosed(AttendeeRuleError):
    """A check-in outside the event's day, which the organiser did not confirm."""


@dataclass
class NeedsSummary:
    """What the organiser must arrange for the people coming (confirmed and waiting)."""

    dietary: list[tuple[str, int]] = field(default_factory=list)
    accessibility: list[tuple[str, int]] = field(default_factory=list)
    interpretation: list[tuple[str, int]] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.dietary or self.accessibility or self.interpretation)


def registrations_by_status(event: Event) -> dict[str, list[Registration]]:
    """{'confirmed': [...], 'waiting': [...], 'cancelled': [...]}, each in arrival order."""
    groups: dict[str, list[Registration]] = {status: [] for status in STATUS_ORDER}
    stmt = select(Registration).where(Registration.event_id == event.id).order_by(Registration.id)
    for registration in db.session.scalars(stmt):
        groups.setdefault(registration.status, []).append(registration)
    return groups


# How the list of registrations can be sorted (the values are the page's ?ordning=).
LIST_SORTS = {
    "": lambda r: r.id,  # arrival order, the waiting list's own order
    "namn": lambda r: ((r.name or "").casefold(), r.id),
    "organisation": lambda r: ((r.organisation or "").casefold(), (r.name or "").casefold(), r.id),
}


def _matches_search(registration: Registration, words: list[str]) -> bool:
    text = " ".join(
        (registration.name or "", registration.email or "", registration.organisation or "")
    ).casefold()
    return all(word in text for word in words)


def search_registrations(
    groups: dict[str, list[Registration]], query: str = "", sort: str = ""
) -> dict[str, list[Registration]]:
    """The groups of registrations_by_status with only those whose name, email or
    organisation contains every word of `query`, each group sorted by `sort` (a key of
    LIST_SORTS; arrival order otherwise)."""
    words = (query or "").casefold().split()
    key = LIST_SORTS.get(sort, LIST_SORTS[""])
    return {
        status: sorted((r for r in rows if _matches_search(r, words)), key=key)
        for status, rows in groups.items()
    }


def chosen_registrations(event: Event, registration_ids: Iterable[int]) -> list[Registration]:
    """The registrations of this event among the ids chosen on the list (others' ids are
    left out), in arrival order."""
    ids = set(registration_ids)
    if not ids:
        return []
    stmt = (
        select(Registration)
        .where(Registration.event_id == event.id, Registration.id.in_(ids))
        .order_by(Registration.id)
    )
    return list(db.session.scalars(stmt))


def _tally(values) -> list[tuple[str, int]]:
    """Identical answers (ignoring case and blanks around) counted together, most first."""
    shown: dict[str, str] = {}
    counts: Counter[str] = Counter()
    for value in values:
        text = " ".join((value or "").split())
        if not text:
            continue
        key = text.casefold()
        shown.setdefault(key, text)
        counts[key] += 1
    return [(shown[key], n) for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def needs_summary(registrations: list[Registration]) -> NeedsSummary:
    """Needs of the active registrations among `registrations`, tallied."""
    active = [r for r in registrations if r.is_active]
    return NeedsSummary(
        dietary=_tally(r.dietary_needs for r in active),
        accessibility=_tally(r.accessibility_needs for r in active),
        interpretation=_tally(
            str(vocab.LANGUAGES.get(r.interpretation_language, r.interpretation_language))
            for r in active
            if r.interpretation_language
        ),
    )


def add_registration(
    event: Event,
    details: registration_service.AttendeeDetails,
    user: User,
    *,
    locale: str,
    now: datetime | None = None,
) -> Registration:
    """Register someone on their behalf (a seat if free, else the waiting list); they get
    the usual confirmation email.

    Unlike attendees, organisers may do so before registration opens and after it closes;
    the event must still be published."""
    try:
        with audit.acting_as(user):
            signup = registration_service.register(
                event, details, locale=locale, now=now, ignore_window=True, limit_emails=False
            )
    except registration_service.RegistrationClosed as closed:
        if closed.reason in (RegistrationState.NONE, RegistrationState.EXTERNAL):
            raise AttendeeRuleError(
                _("Nobody registers here for this event: it has no registration, or people "
                  "register on another website.")
            ) from None
        # Only a draft or cancelled event refuses an organiser (the window does not apply).
        raise AttendeeRuleError(
            _("The event is not published, so nobody can be registered.")
        ) from None
    if not signup.is_new:
        raise AttendeeRuleError(_("This email address is already registered for the event."))
    return signup.registration


def cancel_registration(registration: Registration, user: User) -> list[Registration]:
    """Cancel a registration; a freed seat goes to the waiting list (who are emailed)."""
    old = registration.status
    with audit.acting_as(user):
        promoted = registration_service.cancel_registration(registration, limit_emails=False)
    if registration.status == old:
        raise AttendeeRuleError(_("The registration is already cancelled."))
    return promoted


def seat_goes_to(registration: Registration, now: datetime | None = None) -> Registration | None:
    """Who would get this person's seat if they were cancelled now: the first on the waiting
    list, as `registration_service.promote_waiting` would choose (for the confirmation page;
    the cancellation itself decides again under the lock)."""
    event = registration.event
    if not registration.is_confirmed or not event.is_published or event.start_dt <= (
            now or utcnow()):  # fmt: skip
        return None
    waiting = registration_service.waiting_list(event)
    return waiting[0] if waiting else None


@dataclass
class RestoreOutlook:
    """What restoring a cancelled registration would do now, or why it cannot be done."""

    problem: str | None = None
    gets_seat: bool = False
    # Where on the waiting list the person would be (when there is no free seat).
    waiting_position: int | None = None


def _restore_problem(registration: Registration, now: datetime) -> str | None:
    event = registration.event
    if not registration.is_cancelled:
        return _("Only a cancelled registration can be restored.")
    if registration.anonymised_at is not None or not registration.email_normalised:
        return _("The personal data of this registration has been removed.")
    if not event.is_published:
        return _("The event is not published, so nobody can be registered.")
    if event.has_ended(now):
        return _("The event has ended.")
    if registration_service.active_registration_for(event, registration.email) is not None:
        return _("This email address is registered for the event again, in another "
                 "registration.")  # fmt: skip
    return None


def restore_outlook(registration: Registration, now: datetime | None = None) -> RestoreOutlook:
    """For the confirmation page: a seat if one is free, else the waiting list in the
    person's original place (the list is in order of registration)."""
    problem = _restore_problem(registration, now or utcnow())
    if problem:
        return RestoreOutlook(problem=problem)
    event = registration.event
    if event.capacity is None or event.seats_taken < event.capacity:
        return RestoreOutlook(gets_seat=True)
    return RestoreOutlook(waiting_position=_waiting_position_of(registration))


def _waiting_position_of(registration: Registration) -> int:
    """The place this registration would have on the waiting list (which is read in id,
    that is arrival, order)."""
    ahead = db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.event_id == registration.event_id,
            Registration.status == RegistrationStatus.WAITING,
            Registration.id < registration.id,
        )
    )
    return ahead + 1


def restore_registration(
    registration: Registration, user: User, now: datetime | None = None
) -> Registration:
    """Undo a cancellation: a seat if one is free, else back on the waiting list in the
    person's original place (by time of registration). The person is emailed.

    Takes the event lock and the seat with the same conditional UPDATE as every other seat
    change, so a restore never oversells."""
    now = now or utcnow()
    registration_service.lock_event(registration.event_id)
    db.session.refresh(registration)
    db.session.refresh(registration.event)
    problem = _restore_problem(registration, now)
    if problem:
        raise AttendeeRuleError(problem)
    has_seat = registration_service.take_seat(registration.event_id)
    registration.status = RegistrationStatus.CONFIRMED if has_seat else RegistrationStatus.WAITING
    registration.confirmed_at = now if has_seat else None
    registration.cancelled_at = None
    registration.updated_at = now
    with audit.acting_as(user):
        db.session.flush()
    db.session.refresh(registration.event, ["seats_taken"])
    # The email a new registration would get: a seat (with the check-in code and calendar
    # file), or the waiting list with the person's place on it.
    if has_seat:
        queue_registration_email(registration, "confirmation")
    else:
        queue_registration_email(
            registration, "waiting", position=registration_service.waiting_position(registration)
        )
    return registration


def move_from_waiting_list(
    registration: Registration, user: User, now: datetime | None = None
) -> None:
    """Give this person on the waiting list a seat, out of turn if the organiser chooses.

    Needs a free seat (raise the capacity first if the event is full)."""
    now = now or utcnow()
    registration_service.lock_event(registration.event_id)
    db.session.refresh(registration)
    if not registration.is_waiting:
        raise AttendeeRuleError(_("This person is not on the waiting list."))
    if not registration_service.take_seat(registration.event_id):
        raise AttendeeRuleError(_("There is no free seat. Raise the number of seats first."))
    registration.status = RegistrationStatus.CONFIRMED
    registration.confirmed_at = now
    registration.updated_at = now
    with audit.acting_as(user):
        db.session.flush()
    db.session.refresh(registration.event, ["seats_taken"])
    queue_registration_email(registration, "promotion")


def move_over_capacity_to_waiting_list(
    event: Event, new_capacity: int, user: User | None, now: datetime | None = None
) -> list[Registration]:
    """Lowering the capacity below the confirmed seats: the people who got their seats last
    go back to the waiting list, ahead of those already waiting, and are emailed.

    Runs under the event lock, before the new capacity is written."""
    now = now or utcnow()
    registration_service.lock_event(event.id)
    db.session.refresh(event, ["seats_taken", "capacity"])
    excess = event.seats_taken - new_capacity
    if excess <= 0:
        return []
    last_confirmed = list(
        db.session.scalars(
            select(Registration)
            .where(
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.CONFIRMED,
            )
            .order_by(Registration.confirmed_at.desc(), Registration.id.desc())
            .limit(excess)
        )
    )
    for registration in last_confirmed:
        registration.status = RegistrationStatus.WAITING
        registration.confirmed_at = None
        registration.updated_at = now
    with audit.acting_as(user):
        db.session.flush()
    for _registration in last_confirmed:
        registration_service.release_seat(event.id)
    db.session.refresh(event, ["seats_taken"])
    for registration in last_confirmed:
        position = registration_service.waiting_position(registration)
        queue_registration_email(registration, "waiting", position=position)
    return last_confirmed


def promote_after_capacity_change(event: Event, user: User | None) -> list[Registration]:
    """After a raise in capacity, the waiting list gets the new seats in arrival order."""
    with audit.acting_as(user):
        return registration_service.promote_waiting(event)


def notify_change(event: Event, changes: dict | None = None) -> int:
    """Email everyone confirmed or waiting that the event changed (`changes` as the audit
    log has them, {field: [old, new]}, said in the email); returns how many."""
    count = 0
    for registration in _active(event):
        queue_event_changed(registration, changes)
        count += 1
    return count


def count_active(event: Event) -> int:
    """How many are confirmed or on the waiting list: who a notice or message reaches."""
    return db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.event_id == event.id, Registration.status.in_(ACTIVE_STATUSES)
        )
    )


def message_registrants(
    event: Event,
    subject: str,
    body: str,
    user: User,
    registration_ids: Iterable[int] | None = None,
) -> int:
    """The organiser's message to everyone confirmed or waiting (or, given
    `registration_ids`, to those of them chosen on the list); returns how many."""
    if contains_line_break(subject):
        raise AttendeeRuleError(_("The subject must be one line."))
    recipients = _active(event)
    if registration_ids is not None:
        chosen = set(registration_ids)
        recipients = [r for r in recipients if r.id in chosen]
        if not recipients:
            raise AttendeeRuleError(_("None of the people chosen is confirmed or waiting."))
    count = 0
    for registration in recipients:
        queue_organiser_message(registration, subject.strip(), body.strip())
        count += 1
    audit.record_event_change(event, "event.message", user, {"recipients": [None, count]})
    return count


def _active(event: Event) -> list[Registration]:
    return list(
        db.session.scalars(
            select(Registration)
            .where(Registration.event_id == event.id, Registration.status.in_(ACTIVE_STATUSES))
            .order_by(Registration.id)
        )
    )


# --- check-in ------------------------------------------------------------------------------


def normalise_code(text: str) -> str:
    """What someone typed or scanned as a code: spaces, dashes and case do not matter."""
    return re.sub(r"[\s-]+", "", text or "").upper()


def find_for_check_in(event: Event, query: str) -> list[Registration]:
    """Confirmed registrations whose check-in code is the query, or whose name contains
    every word of it (case- and accent-insensitive for å, ä, ö as Python folds them)."""
    query = (query or "").strip()
    if not query:
        return []
    return _matching(registrations_by_status(event)[RegistrationStatus.CONFIRMED], query)


def _matching(confirmed: list[Registration], query: str) -> list[Registration]:
    code = normalise_code(query)
    by_code = [r for r in confirmed if r.check_in_code == code]
    if by_code:
        return by_code
    words = query.casefold().split()
    return [r for r in confirmed if all(w in (r.name or "").casefold() for w in words)]


def _by_name(registration: Registration) -> tuple[str, int]:
    return ((registration.name or "").casefold(), registration.id)


@dataclass
class DoorList:
    """The check-in screen: who is shown (everyone with a seat, or those matching the
    search), and how many of all the people with a seat are here."""

    shown: list[Registration]
    confirmed: int
    here: int


def door_list(event: Event, query: str = "") -> DoorList:
    """Everyone with a confirmed seat by name, or the ones a search finds (by code or name,
    as find_for_check_in), with the count of people checked in."""
    confirmed = registrations_by_status(event)[RegistrationStatus.CONFIRMED]
    query = (query or "").strip()
    shown = _matching(confirmed, query) if query else confirmed
    return DoorList(
        shown=sorted(shown, key=_by_name),
        confirmed=len(confirmed),
        here=sum(1 for r in confirmed if r.attended_at is not None),
    )


def check_in_window(event: Event) -> tuple[datetime, datetime]:
    """When check-in is open: from CHECK_IN_OPENS_BEFORE before the start to the end."""
    opens_before: timedelta = current_app.config["CHECK_IN_OPENS_BEFORE"]
    return event.start_dt - opens_before, event.end_dt


def check_in_closed_message(event: Event, now: datetime | None = None) -> str | None:
    """Why check-in is not open now (in words, with the times), or None when it is."""
    now = now or utcnow()
    opens, closes = check_in_window(event)
    if now < opens:
        return _("Check-in opens at %(time)s on %(date)s, %(before)s before the start.",
                 time=format_datetime(opens, "HH:mm"),
                 date=format_datetime(opens, "d MMMM y"),
                 before=format_timedelta(event.start_dt - opens, threshold=2))  # fmt: skip
    if now >= closes:
        return _("The event ended at %(time)s on %(date)s, so check-in is closed.",
                 time=format_datetime(closes, "HH:mm"),
                 date=format_datetime(closes, "d MMMM y"))  # fmt: skip
    return None


def check_in(
    registration: Registration, user: User, now: datetime | None = None, *, anyway: bool = False
) -> bool:
    """Mark a confirmed attendee as here; False if already checked in.

    Only on the day (see `check_in_window`): a check-in weeks early would count as
    attendance in the statistics. Outside the window the organiser must say so
    (`anyway=True`), else CheckInClosed."""
    now = now or utcnow()
    if not registration.is_confirmed:
        raise AttendeeRuleError(_("Only someone with a confirmed seat can be checked in."))
    if registration.attended_at is not None:
        return False
    closed = check_in_closed_message(registration.event, now)
    if closed and not anyway:
        raise CheckInClosed(closed)
    bound_lock_waits(db.session)  # a busy row or database: "try again" rather than a hang
    registration.attended_at = now
    with audit.acting_as(user):
        db.session.flush()
    return True


def undo_check_in(registration: Registration, user: User) -> None:
    if registration.attended_at is None:
        return
    bound_lock_waits(db.session)
    registration.attended_at = None
    with audit.acting_as(user):
        db.session.flush()


def registration_by_id(event: Event, registration_id: int) -> Registration | None:
    """A registration of this event (an id of another event's registration gives None)."""
    registration = db.session.get(Registration, registration_id)
    return registration if registration is not None and registration.event_id == event.id else None


# --- export --------------------------------------------------------------------------------

def _csv_columns() -> tuple[tuple[str, str], ...]:
    """(field, heading) of the export, headings in the current language."""
    return (
        ("status", _("Status")), ("name", _("Name")), ("email", _("Email address")),
        ("organisation", _("Organisation")), ("sector", _("Sector")),
        ("municipality", _("Municipality")), ("dietary_needs", _("Dietary needs")),
        ("accessibility_needs", _("Accessibility needs")),
        ("interpretation_language", _("Interpretation")),
        ("check_in_code", _("Check-in code")), ("registered_at", _("Registered at")),
        ("attended_at", _("Checked in at")),
    )  # fmt: skip


def _local_text(value: datetime | None) -> str:
    return utc_to_local(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _session_heading(session: EventSession) -> str:
    """Its number and Stockholm start, as "Session 2 (2026-03-11 13:00)": the number alone
    is ambiguous once a session moves."""
    return f"{_('Session %(number)d', number=session.position)} ({_local_text(session.start_dt)})"


def _session_check_ins(sessions: Sequence[EventSession]) -> set[tuple[int, int]]:
    """(registration id, session id) of every check-in at these sessions: one query for the
    whole export, by the session index, however many people and sessions."""
    if not sessions:
        return set()
    rows = db.session.execute(
        select(SessionAttendance.registration_id, SessionAttendance.session_id).where(
            SessionAttendance.session_id.in_([session.id for session in sessions])
        )
    )
    return {(registration_id, session_id) for registration_id, session_id in rows}


def _word(vocabulary: dict, code: str | None) -> str:
    """A code as its word in the current language; a code no longer known stays as it is."""
    return str(vocabulary.get(code, code)) if code else ""


def registrations_csv(
    registrations: list[Registration],
    questions: list[RegistrationQuestion] = (),
    answers: dict[int, dict[int, str]] | None = None,
    sessions: Sequence[EventSession] = (),
) -> bytes:
    """The list as CSV for Excel in the current language: statuses, sectors, municipalities
    and languages as words, not codes; for a course a column per session (its number and
    start) saying who was checked in at it; then a column per question of the event's own
    (`answers` by registration id and question id, as services.questions gives them).
    UTF-8 with a byte-order mark (so å, ä, ö open correctly), semicolons (Swedish Excel's
    list separator), Stockholm times written year-month-day (which Excel reads as a date in
    every language). Cells that a spreadsheet would run as formulas are prefixed with an
    apostrophe."""
    columns = _csv_columns()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([header for _name, header in columns]
                    + [spreadsheet_safe(_session_heading(session)) for session in sessions]
                    + [spreadsheet_safe(question.label) for question in questions])
    answers = answers or {}
    checked_in = _session_check_ins(sessions)
    # "Yes" or empty, as "Checked in at" is empty for who has not come: "No" would say
    # a person missed a session that has not been held yet.
    came = spreadsheet_safe(_("Yes"))
    for r in registrations:
        row = {
            "status": _word(vocab.REGISTRATION_STATUSES, r.status),
            "name": r.name,
            "email": r.email or "",
            "organisation": r.organisation,
            "sector": _word(vocab.SECTORS, r.sector),
            "municipality": _word(vocab.MUNICIPALITIES, r.municipality),
            "dietary_needs": r.dietary_needs,
            "accessibility_needs": r.accessibility_needs,
            "interpretation_language": _word(vocab.LANGUAGES, r.interpretation_language),
            "check_in_code": r.check_in_code,
            "registered_at": _local_text(r.created_at),
            "attended_at": _local_text(r.attended_at),
        }
        given = answers.get(r.id, {})
        writer.writerow(
            [spreadsheet_safe(row[name]) for name, _header in columns]
            + [came if (r.id, session.id) in checked_in else "" for session in sessions]
            + [spreadsheet_safe(answer_text(q, given.get(q.id))) for q in questions]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")

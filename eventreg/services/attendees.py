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
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from .. import vocab
from ..extensions import db
from ..mail.outbox import queue_registration_email
from ..models import Event, Registration, User, utcnow
from ..text import spreadsheet_safe
from . import audit
from . import registrations as registration_service

STATUS_ORDER = ("confirmed", "waiting", "cancelled")


class AttendeeRuleError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


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
    except registration_service.RegistrationClosed:
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
    registration.status = "confirmed"
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
            .where(Registration.event_id == event.id, Registration.status == "confirmed")
            .order_by(Registration.confirmed_at.desc(), Registration.id.desc())
            .limit(excess)
        )
    )
    for registration in last_confirmed:
        registration.status = "waiting"
        registration.confirmed_at = None
        registration.updated_at = now
    with audit.acting_as(user):
        db.session.flush()
    for _registration in last_confirmed:
        registration_service.release_seat(event.id)
    db.session.refresh(event, ["seats_taken"])
    for registration in last_confirmed:
        queue_registration_email(registration, "waiting")
    return last_confirmed


def promote_after_capacity_change(event: Event, user: User | None) -> list[Registration]:
    """After a raise in capacity, the waiting list gets the new seats in arrival order."""
    with audit.acting_as(user):
        return registration_service.promote_waiting(event)


def notify_change(event: Event) -> int:
    """Email everyone confirmed or waiting that the time or place changed; returns how many."""
    from ..organiser.notifications import queue_event_changed

    count = 0
    for registration in _active(event):
        queue_event_changed(registration)
        count += 1
    return count


def message_registrants(event: Event, subject: str, body: str, user: User) -> int:
    """The organiser's message to everyone confirmed or waiting; returns how many."""
    from ..organiser.notifications import queue_organiser_message

    if registration_service.contains_line_break(subject):
        raise AttendeeRuleError(_("The subject must be one line."))
    count = 0
    for registration in _active(event):
        queue_organiser_message(registration, subject.strip(), body.strip())
        count += 1
    audit.record_event_change(event, "event.message", user, {"recipients": [None, count]})
    return count


def _active(event: Event) -> list[Registration]:
    return list(
        db.session.scalars(
            select(Registration)
            .where(Registration.event_id == event.id, Registration.status.in_(("confirmed",
                                                                               "waiting")))
            .order_by(Registration.id)
        )
    )  # fmt: skip


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
    confirmed = registrations_by_status(event)["confirmed"]
    code = normalise_code(query)
    by_code = [r for r in confirmed if r.check_in_code == code]
    if by_code:
        return by_code
    words = query.casefold().split()
    return [r for r in confirmed if all(w in (r.name or "").casefold() for w in words)]


def check_in(registration: Registration, user: User, now: datetime | None = None) -> bool:
    """Mark a confirmed attendee as here; False if already checked in."""
    if not registration.is_confirmed:
        raise AttendeeRuleError(_("Only someone with a confirmed seat can be checked in."))
    if registration.attended_at is not None:
        return False
    registration.attended_at = now or utcnow()
    with audit.acting_as(user):
        db.session.flush()
    return True


def undo_check_in(registration: Registration, user: User) -> None:
    if registration.attended_at is None:
        return
    registration.attended_at = None
    with audit.acting_as(user):
        db.session.flush()


def registration_by_id(event: Event, registration_id: int) -> Registration | None:
    """A registration of this event (an id of another event's registration gives None)."""
    registration = db.session.get(Registration, registration_id)
    return registration if registration is not None and registration.event_id == event.id else None


# --- export --------------------------------------------------------------------------------

CSV_COLUMNS = (
    ("status", "Status"), ("name", "Namn"), ("email", "E-post"),
    ("organisation", "Organisation"), ("sector", "Sektor"), ("municipality", "Kommun"),
    ("dietary_needs", "Kost"), ("accessibility_needs", "Tillgänglighet"),
    ("interpretation_language", "Tolkning"), ("check_in_code", "Incheckningskod"),
    ("registered_at", "Anmäld"), ("attended_at", "Närvarande"),
)  # fmt: skip


def _local_text(value: datetime | None) -> str:
    from .events import utc_to_local

    return utc_to_local(value).strftime("%Y-%m-%d %H:%M") if value else ""


def registrations_csv(registrations: list[Registration]) -> bytes:
    """The list as CSV for Excel: UTF-8 with a byte-order mark (so å, ä, ö open correctly),
    semicolons (Swedish Excel's list separator), Stockholm times. Cells that a spreadsheet
    would run as formulas are prefixed with an apostrophe."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([header for _name, header in CSV_COLUMNS])
    for r in registrations:
        row = {
            "status": r.status,
            "name": r.name,
            "email": r.email or "",
            "organisation": r.organisation,
            "sector": str(vocab.SECTORS.get(r.sector, r.sector)),
            "municipality": str(vocab.MUNICIPALITIES.get(r.municipality, r.municipality)),
            "dietary_needs": r.dietary_needs,
            "accessibility_needs": r.accessibility_needs,
            "interpretation_language": r.interpretation_language or "",
            "check_in_code": r.check_in_code,
            "registered_at": _local_text(r.created_at),
            "attended_at": _local_text(r.attended_at),
        }
        writer.writerow([spreadsheet_safe(row[name]) for name, _header in CSV_COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def check_in_url(event: Event, code: str) -> str:
    """The check-in page with the code filled in: what the QR code holds, so scanning it
    with a logged-in organiser's phone camera opens the right person at once."""
    from ..mail.links import absolute_url

    return absolute_url("organiser.check_in", event_id=event.id, q=code)


def qr_svg(content: str) -> str:
    """A QR code as an SVG document (black on white, readable without colour)."""
    import segno

    return segno.make(content, error="m").svg_inline(scale=4, border=4, omitsize=True)

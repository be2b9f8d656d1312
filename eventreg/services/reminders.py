"""Scheduled emails to the people registered: reminders before an event, and "no seat
became free" to those still on the waiting list when it starts.

Each is queued when it is due, never ahead: an event moved before then is simply reminded
of at its new time, and an email is rendered (time, place, link) only when the sender sends
it. The worker (`flask worker`) calls `queue_due` every round.

Exactly once per registration and kind, with any number of workers and after a restart:

- a row in `scheduled_email`, unique per (registration, kind), is written in the same
  transaction as the outbox email it queues, so the database, not Python, refuses a second;
- the registrations a worker is queueing for are locked (`FOR UPDATE SKIP LOCKED` on
  PostgreSQL), so a second worker passes over them instead of queueing behind it, and a
  cancellation waits for the moment it takes;
- the claim itself is an INSERT … ON CONFLICT DO NOTHING (or, for a postponed event, a
  conditional UPDATE), so a worker that read the same registrations (SQLite, where there
  are no row locks) queues nothing for them.

Who gets what:

- reminders (`first_reminder_hours`, `second_reminder_hours` before the start, per event;
  None switches one off) to people with a seat who had it before the reminder's time (the
  confirmation just told the others), while the event is published and ahead. When a worker
  finds two reminders due at once (it was not running), only the later one goes.
- An event postponed after a reminder went out is reminded of again before its new start
  (the row remembers which start it reminded of); one brought forward is not.
- "no seat" to those still waiting when the event starts (up to NO_SEAT_WINDOW later).
- Never to cancelled registrations or events, nor to anonymised registrations; and the
  sender withdraws an email that stopped being true while it waited in the outbox
  (mail.notifications.still_true).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from flask import current_app
from sqlalchemy import exists, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from ..mail.notifications import queue_registration_email
from ..models import (
    Event,
    EventStatus,
    Registration,
    RegistrationStatus,
    ScheduledEmail,
    utcnow,
)

# The event's setting for each reminder kind.
REMINDER_HOURS = {
    "reminder_first": "first_reminder_hours",
    "reminder_second": "second_reminder_hours",
}
# The longest an organiser may set (two weeks): also how far ahead the worker looks.
MAX_REMINDER_HOURS = 14 * 24
# A worker that was down when an event started still tells the waiting list this long after.
NO_SEAT_WINDOW = timedelta(hours=12)
# Registrations queued per transaction: keeps the row locks short.
BATCH = 200


@dataclass
class ScheduledReport:
    reminders: int = 0
    no_seat: int = 0

    def __str__(self) -> str:
        return f"queued {self.reminders} reminder(s), {self.no_seat} no-seat email(s)"


def default_reminder_hours() -> tuple[int | None, int | None]:
    """What a new event gets: REMINDER_FIRST_HOURS and REMINDER_SECOND_HOURS."""
    config = current_app.config
    return config["REMINDER_FIRST_HOURS"], config["REMINDER_SECOND_HOURS"]


def reminder_due_at(event: Event, kind: str) -> datetime | None:
    """When the `kind` reminder of the event is due, or None when it is switched off."""
    hours = getattr(event, REMINDER_HOURS[kind])
    if not hours:
        return None
    return event.start_dt - timedelta(hours=hours)


def due_reminder(event: Event, now: datetime) -> tuple[str, datetime] | None:
    """The reminder kind due now and its time: the latest whose time has come, while the
    published event is still ahead."""
    if not event.is_published or event.start_dt <= now:
        return None
    due = [
        (at, kind)
        for kind in REMINDER_HOURS
        if (at := reminder_due_at(event, kind)) is not None and at <= now
    ]
    if not due:
        return None
    at, kind = max(due)
    return kind, at


def queue_due(now: datetime | None = None) -> ScheduledReport:
    """Queue every scheduled email that is due: the worker's job. Commits after each batch
    (like the sender), so what was queued stays queued if a later batch fails."""
    now = now or utcnow()
    report = ScheduledReport()
    events = list(
        db.session.scalars(
            select(Event)
            .where(
                Event.status == EventStatus.PUBLISHED,
                Event.start_dt > now - NO_SEAT_WINDOW,
                Event.start_dt <= now + timedelta(hours=MAX_REMINDER_HOURS),
            )
            .order_by(Event.start_dt, Event.id)
        )
    )
    db.session.commit()
    for event in events:
        reminder = due_reminder(event, now)
        if reminder is not None:
            kind, due_at = reminder
            report.reminders += _in_batches(partial(queue_reminders, event, kind, due_at, now))
        if event.start_dt <= now:
            report.no_seat += _in_batches(partial(queue_no_seat, event, now))
    return report


def _in_batches(queue_batch) -> int:
    queued = 0
    while True:
        looked_at, done = queue_batch()
        db.session.commit()
        queued += done
        if looked_at < BATCH:
            return queued


def queue_reminders(
    event: Event, kind: str, due_at: datetime, now: datetime, limit: int = BATCH
) -> tuple[int, int]:
    """Queue the `kind` reminder for up to `limit` people with a seat at the event who have
    not had it for its current start; flushes, the caller commits. Returns how many
    registrations were looked at and how many reminders were queued."""
    reminded = exists().where(
        ScheduledEmail.registration_id == Registration.id,
        ScheduledEmail.kind == kind,
        ScheduledEmail.event_start_dt >= event.start_dt,
    )
    registrations = _lock_due(
        select(Registration).where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.CONFIRMED,
            # Who got their seat after the reminder's time was just told by the confirmation.
            or_(Registration.confirmed_at <= due_at, Registration.confirmed_at.is_(None)),
            ~reminded,
        ),
        limit,
    )
    return len(registrations), _queue_each(registrations, kind, event.start_dt, now)


def queue_no_seat(event: Event, now: datetime, limit: int = BATCH) -> tuple[int, int]:
    """Tell up to `limit` people still on the waiting list of a started event that no seat
    became free; flushes, the caller commits."""
    told = exists().where(
        ScheduledEmail.registration_id == Registration.id, ScheduledEmail.kind == "no_seat"
    )
    registrations = _lock_due(
        select(Registration).where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.WAITING,
            ~told,
        ),
        limit,
    )
    return len(registrations), _queue_each(registrations, "no_seat", event.start_dt, now)


def _lock_due(stmt, limit: int) -> list[Registration]:
    """The registrations, oldest first, locked for this transaction; on PostgreSQL those
    another worker holds are skipped rather than waited for (SKIP LOCKED). Anonymised
    registrations have no address and are never written to."""
    return list(
        db.session.scalars(
            stmt.where(Registration.anonymised_at.is_(None), Registration.email.is_not(None))
            .order_by(Registration.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=Registration)
        )
    )


def _queue_each(
    registrations: list[Registration], kind: str, start_dt: datetime, now: datetime
) -> int:
    queued = 0
    for registration in registrations:
        claim_id = _claim(registration.id, kind, start_dt, now)
        if claim_id is None:
            continue  # another worker queued it first
        # The start it reminds of: if the event is postponed before it is sent, the sender
        # withdraws it (mail.notifications.still_true) and it is queued again when due.
        email = queue_registration_email(registration, kind, event_start=start_dt.isoformat())
        db.session.execute(
            update(ScheduledEmail)
            .where(ScheduledEmail.id == claim_id)
            .values(outbox_email_id=email.id)
            .execution_options(synchronize_session=False)
        )
        queued += 1
    return queued


def _claim(registration_id: int, kind: str, start_dt: datetime, now: datetime) -> int | None:
    """The scheduled_email row for this registration and kind, written for this start, or
    None when another worker has it: a new row (INSERT … ON CONFLICT DO NOTHING), or an
    existing one for an earlier start (the event was postponed) taken over by a conditional
    UPDATE. Either way the database decides, so two workers cannot both get it."""
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    insert = postgresql_insert if postgresql else sqlite_insert
    claim_id = db.session.scalar(
        insert(ScheduledEmail)
        .values(registration_id=registration_id, kind=kind, event_start_dt=start_dt, created_at=now)
        .on_conflict_do_nothing(index_elements=["registration_id", "kind"])
        .returning(ScheduledEmail.id)
    )
    if claim_id is not None:
        return claim_id
    return db.session.scalar(
        update(ScheduledEmail)
        .where(
            ScheduledEmail.registration_id == registration_id,
            ScheduledEmail.kind == kind,
            ScheduledEmail.event_start_dt < start_dt,
        )
        .values(event_start_dt=start_dt, created_at=now, outbox_email_id=None)
        .returning(ScheduledEmail.id)
        .execution_options(synchronize_session=False)
    )

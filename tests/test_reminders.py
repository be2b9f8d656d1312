"""Issue 13, reminders: emails 48 and 2 hours (per event) before an event to people with a
seat, "no seat became free" to the waiting list when it starts; each exactly once per
registration and kind, with several workers and after a restart, and never for cancelled
events or registrations or after anonymisation.

Every scheduled path runs on a fake clock (time_machine): the worker's round is run at the
moments that matter, and what it sends is read back from the .eml files it wrote."""

from datetime import timedelta
from email import message_from_string
from email.policy import default
from pathlib import Path

import icalendar
import pytest
import time_machine
from sqlalchemy import func, select

from eventreg.extensions import db
from eventreg.mail import sender as mail_sender
from eventreg.models import Event, OutboxEmail, Registration, ScheduledEmail, utcnow
from eventreg.services import events as event_service
from eventreg.services import registrations as service
from eventreg.services import reminders
from eventreg.worker import Worker
from tests.factories import make_event, make_registration
from tests.races import race_while_held

LINK = "https://meet.example.se/bara-for-deltagare"


def at(moment):
    """The clock stands at `moment` (UTC) until the block ends."""
    return time_machine.travel(moment, tick=False)


def worker_round() -> dict:
    """One round of the worker, as `flask worker --once` runs it."""
    return Worker().run_round()


def emails(kind: str | None = None) -> list[OutboxEmail]:
    stmt = select(OutboxEmail).order_by(OutboxEmail.id)
    if kind:
        stmt = stmt.where(OutboxEmail.kind == kind)
    return list(db.session.scalars(stmt))


def delivered(app, kind: str) -> list:
    """The messages of `kind` the sender wrote, parsed back."""
    messages = []
    for email in emails(kind):
        if email.status == "sent":
            path = Path(app.config["OUTBOX_DIR"]) / mail_sender.eml_filename(email)
            messages.append(message_from_string(path.read_text(encoding="utf-8"), policy=default))
    return messages


@pytest.fixture
def start():
    """An event start ten days ahead, on the minute."""
    return utcnow().replace(second=0, microsecond=0) + timedelta(days=10)


def reminded_event(start, **fields) -> Event:
    fields.setdefault("first_reminder_hours", 48)
    fields.setdefault("second_reminder_hours", 2)
    return make_event(start_dt=start, **fields)


def registered(event, **fields) -> Registration:
    """A registration made ten days before the event (well before any reminder)."""
    with at(event.start_dt - timedelta(days=10)):
        return make_registration(event, **fields)


def test_a_reminder_is_not_sent_before_it_is_due_and_then_exactly_once(app, start):
    event = reminded_event(start)
    registered(event)
    db.session.commit()
    with at(start - timedelta(hours=48, minutes=1)):
        worker_round()
    assert [e.kind for e in emails()] == ["confirmation"]
    with at(start - timedelta(hours=47, minutes=59)):
        worker_round()
        worker_round()  # a second round, or a restarted worker, finds nothing new
    assert [e.kind for e in emails()] == ["confirmation", "reminder_first"]
    assert [e.status for e in emails()] == ["sent", "sent"]
    with at(start - timedelta(hours=1, minutes=59)):
        worker_round()
    assert [e.kind for e in emails()] == ["confirmation", "reminder_first", "reminder_second"]
    with at(start - timedelta(minutes=5)):
        worker_round()
    assert len(emails()) == 3
    assert db.session.scalar(select(func.count(ScheduledEmail.id))) == 2


def test_the_reminder_email_has_time_place_link_manage_link_and_calendar(app, start):
    event = reminded_event(start, online_url=LINK, title="Hybridseminarium")
    registration = registered(event, locale="en", calendar_alarm_minutes=60)
    db.session.commit()
    with at(start - timedelta(hours=47)):
        worker_round()
    (message,) = delivered(app, "reminder_first")
    assert message["Subject"] == "Reminder: Hybridseminarium"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for body in (text, html):
        assert LINK in body
        assert "Stadsbiblioteket" in body
        assert f"/anmalan/{service.manage_token(registration)}" in body
        assert registration.check_in_code in body
    assert "A reminder: you have a seat at Hybridseminarium" in text
    (part,) = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "PUBLISH"
    calendar = icalendar.Calendar.from_ical(part.get_content())
    assert str(calendar["method"]) == "PUBLISH"
    (vevent,) = calendar.walk("VEVENT")
    assert vevent.decoded("dtstart") == start
    assert LINK in str(vevent["description"])
    (alarm,) = vevent.walk("VALARM")
    assert str(alarm["action"]) == "DISPLAY"
    assert alarm.decoded("trigger") == timedelta(hours=-1)


def test_a_calendar_file_has_an_alarm_only_where_the_attendee_chose_one(app, client, start):
    event = reminded_event(start)
    with_alarm = registered(event, calendar_alarm_minutes=1440)
    without = registered(event)
    db.session.commit()
    mail_sender.send_due()
    by_address = {m["To"].addresses[0].addr_spec: m for m in delivered(app, "confirmation")}
    for registration, alarms in ((with_alarm, [timedelta(days=-1)]), (without, [])):
        message = by_address[registration.email]
        (part,) = [p for p in message.iter_attachments()
                   if p.get_content_type() == "text/calendar"]  # fmt: skip
        (vevent,) = icalendar.Calendar.from_ical(part.get_content()).walk("VEVENT")
        assert [a.decoded("trigger") for a in vevent.walk("VALARM")] == alarms
        download = client.get(f"/anmalan/{service.manage_token(registration)}/evenemang.ics")
        (vevent,) = icalendar.Calendar.from_ical(download.data).walk("VEVENT")
        assert [a.decoded("trigger") for a in vevent.walk("VALARM")] == alarms
        feed = client.get(f"/kalender/mina/{service.feed_token(registration)}.ics")
        (vevent,) = icalendar.Calendar.from_ical(feed.data).walk("VEVENT")
        assert [a.decoded("trigger") for a in vevent.walk("VALARM")] == alarms
    # The public feed never carries anyone's alarm.
    public = client.get(f"/kalender/evenemang/{event.public_id}.ics").data
    assert b"VALARM" not in public


def test_the_registration_form_records_the_calendar_alarm(client, start):
    from tests.factories import registration_form

    event = reminded_event(start)
    db.session.commit()
    client.post(f"/evenemang/{event.public_id}/anmalan",
                data=registration_form(calendar_alarm="60"))  # fmt: skip
    assert db.session.scalar(select(Registration.calendar_alarm_minutes)) == 60
    wrong = client.post(f"/evenemang/{event.public_id}/anmalan",
                        data=registration_form(calendar_alarm="7"))  # fmt: skip
    assert wrong.status_code == 400


def test_when_both_reminders_are_due_at_once_only_the_later_goes(app, start):
    """A worker that was not running for two days does not send two reminders at once."""
    event = reminded_event(start)
    registered(event)
    db.session.commit()
    with at(start - timedelta(hours=1)):
        worker_round()
    assert [e.kind for e in emails()] == ["confirmation", "reminder_second"]


def test_someone_who_got_the_seat_after_the_reminder_time_is_not_reminded_of_it(app, start):
    event = reminded_event(start)
    with at(start - timedelta(hours=30)):
        make_registration(event)  # the confirmation is their reminder
    db.session.commit()
    with at(start - timedelta(hours=29)):
        worker_round()
    assert [e.kind for e in emails()] == ["confirmation"]
    with at(start - timedelta(hours=1)):
        worker_round()
    assert [e.kind for e in emails()] == ["confirmation", "reminder_second"]


def test_an_event_moved_before_its_reminder_is_reminded_of_at_the_new_time(app, start):
    event = reminded_event(start)
    registered(event)
    db.session.commit()
    with at(start - timedelta(days=5)):
        data = event_service.EventData.from_event(event)
        data.start_dt, data.end_dt = start + timedelta(days=7), event.end_dt + timedelta(days=7)
        event_service.update_event(event, data, None)
        db.session.commit()
    with at(start - timedelta(hours=47)):  # the old reminder time: nothing
        worker_round()
    assert "reminder_first" not in [e.kind for e in emails()]
    with at(start + timedelta(days=7) - timedelta(hours=47)):
        worker_round()
    (message,) = delivered(app, "reminder_first")
    (part,) = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    (vevent,) = icalendar.Calendar.from_ical(part.get_content()).walk("VEVENT")
    assert vevent.decoded("dtstart") == start + timedelta(days=7)


def test_an_event_postponed_after_its_reminder_is_reminded_of_again(app, start):
    event = reminded_event(start, second_reminder_hours=None)
    registered(event)
    db.session.commit()
    with at(start - timedelta(hours=47)):
        worker_round()
        assert len(emails("reminder_first")) == 1
        event.start_dt, event.end_dt = start + timedelta(days=7), event.end_dt + timedelta(days=7)
        db.session.commit()
        worker_round()
    assert len(emails("reminder_first")) == 1
    with at(start + timedelta(days=7) - timedelta(hours=47)):
        worker_round()
        worker_round()
    assert [e.status for e in emails("reminder_first")] == ["sent", "sent"]
    # Brought forward again: the reminder for the later start counts, nothing more.
    with at(start + timedelta(days=7) - timedelta(hours=40)):
        event.start_dt = start + timedelta(days=6, hours=12)
        db.session.commit()
        worker_round()
    assert len(emails("reminder_first")) == 2


def test_a_reminder_queued_before_the_event_was_postponed_goes_at_the_new_time(app, start):
    """Queued, but still in the outbox (the mail server was down) when the organiser moved
    the event a week later: it is withdrawn, and the reminder comes before the new start."""
    event = reminded_event(start, second_reminder_hours=None)
    registered(event)
    db.session.commit()
    mail_sender.send_due()
    later = start + timedelta(days=7)
    with at(start - timedelta(hours=47)):
        assert reminders.queue_due().reminders == 1
        data = event_service.EventData.from_event(event)
        data.start_dt, data.end_dt = later, event.end_dt + timedelta(days=7)
        event_service.update_event(event, data, None)
        db.session.commit()
        mail_sender.send_due()
    assert [e.status for e in emails("reminder_first")] == ["withdrawn"]
    with at(later - timedelta(hours=47)):
        worker_round()
    assert [e.status for e in emails("reminder_first")] == ["withdrawn", "sent"]
    (message,) = delivered(app, "reminder_first")
    (part,) = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    (vevent,) = icalendar.Calendar.from_ical(part.get_content()).walk("VEVENT")
    assert vevent.decoded("dtstart") == later


def test_no_reminders_for_a_cancelled_event_or_registration(app, start):
    cancelled_event = reminded_event(start)
    registered(cancelled_event)
    event = reminded_event(start)
    cancelled = registered(event)
    kept = registered(event)
    db.session.commit()
    with at(start - timedelta(days=3)):
        event_service.cancel_event(cancelled_event, "Sjuk föreläsare", None)
        service.cancel_registration(cancelled)
        db.session.commit()
    with at(start - timedelta(hours=47)):
        worker_round()
    assert [e.registration_id for e in emails("reminder_first")] == [kept.id]


def test_a_queued_reminder_is_withdrawn_if_the_registration_or_event_is_cancelled_before_it_goes(
    app, start
):
    """The reminder waited in the outbox (the mail server was down); meanwhile the person
    cancelled, or the organiser cancelled the event. It is not sent."""
    event = reminded_event(start)
    other_event = reminded_event(start)
    person = registered(event)
    registered(other_event)
    db.session.commit()
    mail_sender.send_due()
    with at(start - timedelta(hours=47)):
        reminders.queue_due()
        service.cancel_registration(person)
        event_service.cancel_event(other_event, "Inställt", None)
        db.session.commit()
        mail_sender.send_due()
    assert [e.status for e in emails("reminder_first")] == ["withdrawn", "withdrawn"]


def test_no_reminder_after_anonymisation(app, start):
    event = reminded_event(start)
    registered(event)
    queued_then_erased = reminded_event(start + timedelta(hours=1))
    registered(queued_then_erased)
    db.session.commit()
    mail_sender.send_due()
    with at(start - timedelta(hours=47, minutes=30)):
        reminders.queue_due()  # queued for the second event, not yet sent
        db.session.commit()
    with at(start - timedelta(hours=47)):
        # Erased early (as if the retention period had passed): nothing is sent to anyone.
        service.anonymise_registrations(-30)
        db.session.commit()
        assert reminders.queue_due().reminders == 0
        mail_sender.send_due()
    assert [e.status for e in emails("reminder_first")] == ["purged"]
    assert db.session.scalar(select(func.count(ScheduledEmail.id))) == 1


def test_the_waiting_list_gets_no_reminder_but_is_told_when_the_event_starts(app, start):
    event = reminded_event(start, capacity=1)
    seated = registered(event)
    waiting = registered(event, locale="en")
    db.session.commit()
    with at(start - timedelta(hours=47)):
        worker_round()
    assert [e.registration_id for e in emails("reminder_first")] == [seated.id]
    with at(start - timedelta(minutes=1)):
        worker_round()
    assert emails("no_seat") == []
    with at(start + timedelta(minutes=1)):
        worker_round()
        worker_round()
    (message,) = delivered(app, "no_seat")
    assert message["To"].addresses[0].addr_spec == waiting.email
    assert message["Subject"] == f"No seat became free: {event.title}"
    assert "no seat became free for you" in message.get_body(("plain",)).get_content()
    assert not [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]


def test_the_waiting_list_of_a_cancelled_event_is_not_told_it_got_no_seat(app, start):
    event = reminded_event(start, capacity=0)
    registered(event)
    event.status = "cancelled"
    db.session.commit()
    with at(start + timedelta(minutes=1)):
        worker_round()
    assert emails("no_seat") == []


def test_a_claim_is_unique_per_registration_and_kind(app, start):
    """The database, not a Python check, refuses a second claim."""
    event = reminded_event(start)
    registration = registered(event)
    db.session.commit()
    assert reminders._claim(registration.id, "reminder_first", start, utcnow()) is not None
    assert reminders._claim(registration.id, "reminder_first", start, utcnow()) is None
    # For a later start (the event was postponed) the row is claimed again, once.
    later = start + timedelta(days=1)
    assert reminders._claim(registration.id, "reminder_first", later, utcnow()) is not None
    assert reminders._claim(registration.id, "reminder_first", later, utcnow()) is None


def test_two_workers_queue_each_reminder_once(app, start):
    """The interleaving is forced: the first worker has claimed the registrations and holds
    its transaction open while the second runs a whole round. On PostgreSQL the second
    passes over the locked registrations (SKIP LOCKED) at once instead of waiting; on
    SQLite it waits for the first to commit and then finds the claims taken. Either way
    each registration gets one reminder."""
    event = reminded_event(start)
    for _ in range(3):
        registered(event)
    db.session.commit()
    event_id = event.id
    now = start - timedelta(hours=47)
    due_at = start - timedelta(hours=48)
    postgresql = db.engine.dialect.name == "postgresql"

    def hold():
        held = db.session.get(Event, event_id)
        return reminders.queue_reminders(held, "reminder_first", due_at, now)

    race = race_while_held(
        app, hold, lambda: reminders.queue_due(now), watch_seconds=30 if postgresql else 0
    )
    if postgresql:
        # SKIP LOCKED: done while the first still holds its claims, having queued nothing.
        assert race.second_finished_while_held, "the second worker waited for the first's locks"
    assert race.first == (3, 3)
    assert race.second.reminders == 0
    db.session.expire_all()
    assert len(emails("reminder_first")) == 3
    assert db.session.scalar(select(func.count(ScheduledEmail.id))) == 3
    with at(now):
        worker_round()  # and a restart later finds nothing new
    assert len(emails("reminder_first")) == 3

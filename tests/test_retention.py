"""Retention: personal data is erased a number of days after an event ENDS, not after it
starts, so a course that runs for weeks keeps its registrants while it is still going on.

The service takes `now`, so the dates here are fixed; the command has no such option and
is tested with dates relative to `utcnow()`."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from eventreg.extensions import db
from eventreg.models import Event, OutboxEmail, Registration, utcnow
from eventreg.services.registrations import anonymise_registrations
from tests.factories import make_event, make_registration

DAYS = 30
# A ten-week course: it starts long before the cut-off and ends after it.
COURSE_START = datetime(2024, 1, 10, 8, 0, tzinfo=UTC)
COURSE_END = datetime(2024, 3, 20, 16, 0, tzinfo=UTC)


def event_with_registration(start: datetime, end: datetime) -> tuple[Event, Registration]:
    """An event someone registered for (while it was open), then moved to start..end."""
    event = make_event(capacity=10)
    registration = make_registration(event, name="Amina Yusuf", organisation="Region Halland",
                                     dietary_needs="Vegetarisk", message="Hej!")  # fmt: skip
    event.start_dt, event.end_dt = start, end
    db.session.commit()
    return event, registration


def is_anonymised(registration: Registration) -> bool:
    db.session.expire_all()
    registration = db.session.get(Registration, registration.id)
    erased = registration.anonymised_at is not None
    if erased:
        assert (registration.name, registration.organisation, registration.message) == ("",) * 3
        assert registration.email is None
        assert registration.dietary_needs == ""
        emails = db.session.scalars(
            select(OutboxEmail).where(OutboxEmail.registration_id == registration.id)
        ).all()
        assert emails
        assert all(e.status == "purged" and e.recipient == "" for e in emails)
    else:
        assert registration.name == "Amina Yusuf"
        assert registration.email
    return erased


def test_a_long_event_is_kept_until_days_after_its_end_not_its_start():
    _, course = event_with_registration(COURSE_START, COURSE_END)
    # A short event that ended when the course started is long past the retention period.
    _, short = event_with_registration(COURSE_START - timedelta(hours=2), COURSE_START)
    now = COURSE_END + timedelta(days=DAYS - 1)
    assert now - COURSE_START > timedelta(days=DAYS * 2)  # counted from the start: erased

    count, _ = anonymise_registrations(DAYS, now=now)
    db.session.commit()

    assert count == 1
    assert is_anonymised(short)
    assert not is_anonymised(course)


@pytest.mark.parametrize(
    ("after_end", "erased"),
    [
        (timedelta(days=DAYS), False),  # exactly the retention period: not "more than"
        (timedelta(days=DAYS, seconds=1), True),
    ],
    ids=["exactly-the-period-after", "a-second-more"],
)
def test_the_retention_period_runs_from_the_end(after_end, erased):
    _, registration = event_with_registration(COURSE_START, COURSE_END)
    count, purged = anonymise_registrations(DAYS, now=COURSE_END + after_end)
    db.session.commit()
    assert count == int(erased)
    assert bool(purged) == erased
    assert is_anonymised(registration) == erased


def test_the_command_keeps_an_event_that_ended_recently_however_long_ago_it_began(runner):
    now = utcnow().replace(microsecond=0)
    _, course = event_with_registration(now - timedelta(days=200), now - timedelta(days=10))
    _, old = event_with_registration(now - timedelta(days=41), now - timedelta(days=40))

    result = runner.invoke(args=["anonymise-registrations", "--days", str(DAYS)])

    assert result.exit_code == 0, result.output
    assert "Anonymised 1 registration(s)" in result.output
    assert is_anonymised(old)
    assert not is_anonymised(course)

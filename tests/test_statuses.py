"""Status values are StrEnums whose members are the very strings stored in the database and
compared in templates: naming them in code changes nothing that is stored or shown."""

from flask import render_template_string
from sqlalchemy import select, text

from eventreg import vocab
from eventreg.extensions import db
from eventreg.models import (
    Event,
    EventStatus,
    OutboxEmail,
    OutboxStatus,
    Registration,
    RegistrationState,
    RegistrationStatus,
)
from eventreg.services import registrations
from tests.factories import make_event, make_registration


def test_the_statuses_are_the_words_the_vocabularies_name():
    assert set(EventStatus) == set(vocab.EVENT_STATUSES)
    assert set(RegistrationStatus) == set(vocab.REGISTRATION_STATUSES)
    for member in (*EventStatus, *RegistrationStatus, *OutboxStatus, *RegistrationState):
        assert member == member.value
        assert str(member) == f"{member}" == member.value


def test_a_status_set_from_an_enum_is_stored_and_shown_as_its_plain_string():
    event = make_event(status=EventStatus.PUBLISHED, capacity=1)
    seated = make_registration(event)
    waiting = make_registration(event)
    registrations.cancel_registration(seated)  # promotes the waiting one
    db.session.commit()
    stored = db.session.execute(text("SELECT status FROM registration ORDER BY id")).scalars()
    assert list(stored) == ["cancelled", "confirmed"]
    assert db.session.execute(text("SELECT status FROM event")).scalar_one() == "published"
    outbox = set(db.session.execute(text("SELECT DISTINCT status FROM outbox_email")).scalars())
    assert outbox == {"pending"}

    db.session.expire_all()
    assert db.session.get(Registration, waiting.id).status == RegistrationStatus.CONFIRMED
    assert db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.status == OutboxStatus.PENDING)
    ).first()
    fresh = Event(status=EventStatus.CANCELLED)
    assert render_template_string("{{ e.status }} {{ e.status == 'cancelled' }}", e=fresh) == (
        "cancelled True"
    )
    assert event.registration_state() == "open"

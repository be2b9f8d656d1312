"""Model rules that the database and the ORM keep by themselves."""

from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy.exc import IntegrityError, StatementError

from eventreg.extensions import db
from eventreg.models import Event, Theme
from tests.factories import local, make_event, make_resource, make_speaker, make_theme


def test_every_factory_builds_a_valid_row():
    resource = make_resource()
    speaker = make_speaker()
    db.session.commit()
    assert resource.theme.resources == [resource]
    assert speaker.event.speakers == [speaker]
    assert speaker.event.organisation.name


def test_public_id_is_random_and_unique():
    ids = {make_event().public_id for _ in range(20)}
    assert len(ids) == 20
    assert all(len(public_id) == 12 for public_id in ids)


def test_datetimes_are_stored_as_utc_and_read_back_aware():
    event = make_event(start_dt=local(2027, 7, 1, 10), end_dt=local(2027, 7, 1, 12))
    db.session.commit()
    db.session.expire_all()
    assert event.start_dt == datetime(2027, 7, 1, 8, tzinfo=UTC)
    assert event.start_dt.tzinfo is not None


def test_naive_datetimes_are_refused():
    with pytest.raises(StatementError):
        make_event(start_dt=datetime(2027, 7, 1, 10), end_dt=datetime(2027, 7, 1, 12))
    db.session.rollback()


def test_database_refuses_an_event_that_ends_before_it_starts():
    start = local(2027, 5, 4, 10)
    with pytest.raises(IntegrityError):
        make_event(start_dt=start, end_dt=start - timedelta(hours=1))
    db.session.rollback()


def test_database_refuses_more_seats_taken_than_capacity():
    with pytest.raises(IntegrityError):
        make_event(capacity=5, seats_taken=6)
    db.session.rollback()


def test_revision_rises_only_when_attendee_visible_fields_change():
    event = make_event()
    db.session.commit()
    assert event.revision == 0
    event.title = "Ny titel"
    db.session.commit()
    assert event.revision == 1
    event.start_dt = event.start_dt + timedelta(hours=1)
    event.end_dt = event.end_dt + timedelta(hours=1)
    db.session.commit()
    assert event.revision == 2
    event.seats_taken = 3  # a registration is not a change to the calendar entry
    db.session.commit()
    assert event.revision == 2
    event.status = "cancelled"
    db.session.commit()
    assert event.revision == 3


def test_updated_at_moves_on_change():
    event = make_event()
    db.session.commit()
    before = event.updated_at
    event.summary = "Ändrad"
    db.session.commit()
    assert event.updated_at > before


def test_search_text_is_case_folded_and_follows_edits():
    event = make_event(title="Öppet SEMINARIUM", speakers=["Åsa Ekström"])
    db.session.commit()
    assert "öppet seminarium" in event.search_text
    assert "åsa ekström" in event.search_text
    event.title = "Stängt"
    db.session.commit()
    assert "öppet" not in event.search_text


def test_language_codes_round_trip_without_duplicates():
    event = make_event(languages=["sv", "ar", "sv"])
    db.session.commit()
    db.session.expire_all()
    assert sorted(event.language_codes) == ["ar", "sv"]


def test_theme_name_follows_the_locale(app):
    theme = make_theme(name_sv="Jämlik hälsa", name_en="Equal health")
    with app.test_request_context("/"):
        with force_locale("en"):
            assert theme.name == "Equal health"
        with force_locale("sv"):
            assert theme.name == "Jämlik hälsa"


def test_deleting_a_theme_keeps_its_events():
    theme = make_theme()
    event = make_event(themes=[theme])
    db.session.commit()
    db.session.delete(theme)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Event, event.id).themes == []
    assert db.session.get(Theme, theme.id) is None


def test_registration_state_follows_the_window():
    now = datetime(2027, 5, 1, 12, tzinfo=UTC)
    event = make_event(
        start_dt=now + timedelta(days=10),
        registration_opens_dt=now + timedelta(days=1),
        registration_closes_dt=now + timedelta(days=9),
    )
    assert event.registration_state(now) == "not_open"
    assert event.registration_state(now + timedelta(days=2)) == "open"
    assert event.registration_state(now + timedelta(days=9)) == "closed"
    event.status = "draft"
    assert event.registration_state(now + timedelta(days=2)) == "unavailable"

"""Every change a calendar shows raises the event's revision, published as SEQUENCE, so
calendar apps replace their copy; changes calendars do not show leave it alone.

The fields are listed here by hand as well as read from ATTENDEE_VISIBLE_FIELDS: dropping
one from the model's tuple makes its case below fail, and adding one without a case here
fails too."""

from datetime import timedelta

import pytest
from icalendar import Calendar

from eventreg.extensions import db
from eventreg.feeds.views import CACHE_EXTENSION
from eventreg.models import (
    ATTENDEE_VISIBLE_FIELDS,
    Event,
    EventSeries,
    EventSession,
    Speaker,
)
from eventreg.services import events as event_service
from eventreg.services.events import EventData
from tests.factories import make_event, make_organisation, make_theme, make_user


def _new_series_id(event: Event) -> int:
    """A series of the event's organisation (the only kind it may join)."""
    series = EventSeries(organisation_id=event.organisation_id, title="Vårens föreläsningar",
                         slug="varens-forelasningar")  # fmt: skip
    db.session.add(series)
    db.session.flush()
    return series.id


# field → the new value, from the event as made by make_event (published, halmstad, a
# seminar a week ahead, no online link).
VISIBLE_CHANGES = {
    "title": lambda event: "Ny titel",
    "summary": lambda event: "En ny sammanfattning",
    "description": lambda event: "En *ny* beskrivning.",
    "format": lambda event: "lecture",
    "start_dt": lambda event: event.start_dt - timedelta(hours=1),
    "end_dt": lambda event: event.end_dt + timedelta(hours=1),
    "venue_name": lambda event: "Kulturhuset",
    "address": lambda event: "Storgatan 2",
    "municipality": lambda event: "varberg",
    "online_url": lambda event: "https://example.se/mote",
    "online_url_public": lambda event: True,
    "status": lambda event: "cancelled",
    "cancellation_reason": lambda event: "Föreläsaren är sjuk.",
    "contact_email": lambda event: "ny-kontakt@example.se",
    "organisation_id": lambda event: make_organisation().id,
    "themes": lambda event: [make_theme()],
    "speakers": lambda event: [Speaker(name="Ny talare", affiliation="Region Halland")],
    # A course's sessions are the calendar's entries (tests/test_sessions.py changes one of
    # several; here the event gets one, so it stays one entry).
    "sessions": lambda event: [EventSession(position=1, start_dt=event.start_dt,
                                            end_dt=event.end_dt, note="Ta med en annons")],
    # The description names the co-organisers ("… in cooperation with …").
    "co_organisers": lambda event: [make_organisation(name="Länsstyrelsen i Hallands län")],
    # The description says how to register (here, elsewhere at this address, or not at all).
    "registration_mode": lambda event: "none",
    "external_registration_url": lambda event: "https://example.se/anmalan",
    # The description names the series ("Part of the series: …").
    "series_id": _new_series_id,
}

# Fields a calendar entry does not show (seats, the registration window, page-only text).
INVISIBLE_CHANGES = {
    "capacity": lambda event: 40,
    "seats_taken": lambda event: 3,
    "registration_closes_dt": lambda event: event.start_dt - timedelta(days=1),
    "audience": lambda event: "Handläggare",
    "accessibility_notes": lambda event: "Hiss finns.",
    "interpretation_note": lambda event: "Tolk på arabiska.",
    "first_reminder_hours": lambda event: 24,
}


@pytest.fixture(autouse=True)
def _empty_feed_cache(app):
    app.extensions[CACHE_EXTENSION].clear()


def published_sequences(client, event: Event) -> set[int]:
    """SEQUENCE of the event in its own .ics and in the feed of all events."""
    sequences = set()
    for path in (f"/kalender/evenemang/{event.public_id}.ics", "/kalender/evenemang.ics"):
        response = client.get(path)
        assert response.status_code == 200, path
        vevents = [
            component
            for component in Calendar.from_ical(response.data).walk("VEVENT")
            if event.public_id in str(component["url"])
        ]
        assert len(vevents) == 1, path
        sequences.add(int(vevents[0]["sequence"]))
    return sequences


def test_every_attendee_visible_field_is_covered_here():
    assert set(ATTENDEE_VISIBLE_FIELDS) == set(VISIBLE_CHANGES)
    assert not set(ATTENDEE_VISIBLE_FIELDS) & set(INVISIBLE_CHANGES)


@pytest.mark.parametrize("field", sorted(set(VISIBLE_CHANGES) | set(ATTENDEE_VISIBLE_FIELDS)))
def test_changing_a_field_the_calendar_shows_raises_the_sequence(client, field):
    assert field in VISIBLE_CHANGES, f"{field} bumps the revision but has no case here"
    event = make_event(capacity=20)
    db.session.commit()
    before = event.revision
    assert published_sequences(client, event) == {before}

    new_value = VISIBLE_CHANGES[field](event)
    assert getattr(event, field) != new_value
    setattr(event, field, new_value)
    db.session.commit()

    db.session.expire_all()
    assert db.session.get(Event, event.id).revision == before + 1
    assert published_sequences(client, event) == {before + 1}


@pytest.mark.parametrize("field", sorted(INVISIBLE_CHANGES))
def test_changing_a_field_the_calendar_does_not_show_keeps_the_sequence(client, field):
    event = make_event(capacity=20)
    db.session.commit()
    before = event.revision
    assert published_sequences(client, event) == {before}

    new_value = INVISIBLE_CHANGES[field](event)
    assert getattr(event, field) != new_value
    setattr(event, field, new_value)
    db.session.commit()

    db.session.expire_all()
    assert db.session.get(Event, event.id).revision == before
    assert published_sequences(client, event) == {before}


def test_saving_an_unchanged_event_with_themes_and_speakers_keeps_the_sequence(client):
    """The organiser form hands over the whole event; reassigning the same themes and
    speakers is no change a calendar needs to hear about."""
    event = make_event(themes=[make_theme(), make_theme()], speakers=["Amina", "Per"])
    organiser = make_user(organisations=[event.organisation])
    db.session.commit()
    before = event.revision
    data = EventData.from_event(event)
    data.audience = "Alla som arbetar med integration"
    event_service.update_event(event, data, organiser)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Event, event.id).revision == before
    assert published_sequences(client, event) == {before}

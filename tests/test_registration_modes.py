"""Events without registration here (issue 15, joint events and other registrations): "no
registration needed" (an open lecture) and "register elsewhere" with an https link. They are
listed, filtered and in feeds like any event; nobody can register for them here."""

import json
import re
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from eventreg.extensions import db
from eventreg.models import Event, Registration, utcnow
from eventreg.services import attendees, imports
from eventreg.services import events as event_service
from eventreg.services.attendees import AttendeeRuleError
from eventreg.services.events import EventData
from tests.factories import (
    log_in,
    make_event,
    make_organisation,
    make_registration,
    make_user,
    registration_details,
    registration_form,
)

EXTERNAL = "https://www.lansstyrelsen.se/halland/anmalan"


@pytest.fixture
def varberg():
    return make_organisation(slug="varbergs-kommun", name="Varbergs kommun")


def open_lecture(**fields) -> Event:
    return make_event(title="Öppen föreläsning", registration_mode="none", **fields)


def elsewhere(**fields) -> Event:
    return make_event(title="Samverkanskonferens", registration_mode="external",
                      external_registration_url=EXTERNAL, **fields)  # fmt: skip


def event_data(organisation, **overrides) -> EventData:
    start = utcnow().replace(microsecond=0, second=0) + timedelta(days=10)
    values = {
        "title": "Öppen föreläsning", "format": "lecture", "municipality": "varberg",
        "start_dt": start, "end_dt": start + timedelta(hours=2),
        "organisation_id": organisation.id,
    }  # fmt: skip
    values.update(overrides)
    return EventData(**values)


def page(client, event, lang="sv") -> str:
    return client.get(f"/evenemang/{event.public_id}/{event.slug}?lang={lang}").get_data(
        as_text=True
    )


# --- the model and the database -------------------------------------------------------------


def test_registration_state_says_none_or_external_for_a_published_event():
    assert open_lecture().registration_state() == "none"
    assert elsewhere().registration_state() == "external"
    assert make_event().registration_state() == "open"
    assert open_lecture(status="draft").registration_state() == "unavailable"


def test_the_database_refuses_an_unknown_mode_and_external_without_a_link():
    event = make_event()
    db.session.commit()
    for statement in (
        "UPDATE event SET registration_mode = 'telefon' WHERE id = :id",
        "UPDATE event SET registration_mode = 'external' WHERE id = :id",
    ):
        with pytest.raises(IntegrityError):
            db.session.execute(text(statement), {"id": event.id})
        db.session.rollback()


# --- the event service --------------------------------------------------------------------


def test_an_event_without_registration_keeps_no_seats_or_window(app, varberg):
    with app.test_request_context("/?lang=en"):
        start = utcnow().replace(microsecond=0, second=0) + timedelta(days=10)
        event = event_service.create_event(event_data(
            varberg, registration_mode="none", capacity=30,
            registration_closes_dt=start - timedelta(days=1),
            external_registration_url=EXTERNAL,
        ), None)  # fmt: skip
    assert (event.registration_mode, event.capacity, event.registration_closes_dt) == (
        "none", None, None)  # fmt: skip
    assert event.external_registration_url is None


@pytest.mark.parametrize(
    ("link", "message"),
    [(None, "Give the address where people register."),
     ("http://example.se/anmalan", "Enter a web address starting with https://."),
     ("https://example.se/\nX", "Write this on one line, without line breaks or control "
                                 "characters.")],
)  # fmt: skip
def test_registration_elsewhere_needs_an_https_link(app, varberg, link, message):
    with app.test_request_context("/?lang=en"):
        data = event_data(varberg, registration_mode="external", external_registration_url=link)
        errors = event_service.validate_event_data(data)
    assert errors["external_registration_url"] == message


def test_an_unknown_mode_is_refused(app, varberg):
    with app.test_request_context("/?lang=en"):
        errors = event_service.validate_event_data(event_data(varberg, registration_mode="sms"))
    assert errors == {"registration_mode": "Choose how people register."}


def test_registration_cannot_move_away_while_people_are_registered(app, varberg):
    event = make_event(organisation=varberg, capacity=10)
    make_registration(event)
    data = EventData.from_event(event)
    data.registration_mode = "none"
    with app.test_request_context("/?lang=en"):
        errors = event_service.validate_event_data(data, event)
        assert "registration_mode" in errors
        quiet = make_event(organisation=varberg, capacity=10)
        data = EventData.from_event(quiet)
        data.registration_mode = "none"
        event_service.update_event(quiet, data, None)
    assert (quiet.registration_mode, quiet.capacity) == ("none", None)


def test_nobody_can_be_added_by_hand_to_an_event_without_registration(app):
    organiser = make_user()
    for event in (open_lecture(), elsewhere()):
        with app.test_request_context("/?lang=en"), pytest.raises(AttendeeRuleError) as error:
            attendees.add_registration(event, registration_details(), organiser, locale="sv")
        assert "Nobody registers here" in error.value.message
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 0


# --- the organiser's form ---------------------------------------------------------------------


def test_the_event_form_offers_the_choice_and_saves_it(client, varberg):
    organiser = make_user(organisations=[varberg], quick_hash=True)
    db.session.commit()
    log_in(client, organiser)
    html = client.get("/arrangor/evenemang/nytt").get_data(as_text=True)
    assert 'name="registration_mode" type="radio" value="eventreg"' in html
    assert re.search(r'checked[^>]*value="eventreg"|value="eventreg"[^>]*checked', html)
    start = utcnow() + timedelta(days=20)
    response = client.post("/arrangor/evenemang/nytt", data={
        "organisation_id": str(varberg.id), "title": "Konferens hos Länsstyrelsen",
        "format": "seminar", "language_codes": ["sv"], "municipality": "varberg",
        "start_dt": start.strftime("%Y-%m-%dT09:00"), "end_dt": start.strftime("%Y-%m-%dT12:00"),
        "registration_mode": "external", "external_registration_url": EXTERNAL,
        "capacity": "",
    })  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)
    event = db.session.scalar(select(Event).where(Event.title == "Konferens hos Länsstyrelsen"))
    assert (event.registration_mode, event.external_registration_url) == ("external", EXTERNAL)


def test_the_event_form_says_what_is_wrong_with_the_link(client, varberg):
    organiser = make_user(organisations=[varberg], quick_hash=True)
    db.session.commit()
    log_in(client, organiser)
    start = utcnow() + timedelta(days=20)
    response = client.post("/arrangor/evenemang/nytt?lang=en", data={
        "organisation_id": str(varberg.id), "title": "Konferens", "format": "seminar",
        "language_codes": ["sv"], "municipality": "varberg",
        "start_dt": start.strftime("%Y-%m-%dT09:00"), "end_dt": start.strftime("%Y-%m-%dT12:00"),
        "registration_mode": "external", "external_registration_url": "",
    })  # fmt: skip
    assert response.status_code == 400
    assert "Give the address where people register." in response.get_data(as_text=True)


# --- public pages ----------------------------------------------------------------------------


def test_the_page_of_an_open_lecture_has_no_form_and_no_seat_count(client):
    event = open_lecture(capacity=30)  # a seat limit left from before: not shown
    db.session.commit()
    html = page(client, event)
    assert "Ingen anmälan behövs" in html
    assert "Ingen anmälan behövs – det är bara att komma." in html
    assert f"/evenemang/{event.public_id}/anmalan" not in html
    assert "platser kvar" not in html
    assert "Inget platstak" not in html


def test_the_page_of_an_event_registered_elsewhere_links_there(client):
    event = elsewhere()
    db.session.commit()
    html = page(client, event, "en")
    assert "Registration on another website" in html
    assert html.count(f'href="{EXTERNAL}"') == 2  # near the top, and in the registration box
    assert f"/evenemang/{event.public_id}/anmalan" not in html


def test_cards_show_no_registration_and_registration_elsewhere(client):
    open_lecture()
    elsewhere()
    make_event(title="Vanligt seminarium", capacity=20)
    db.session.commit()
    html = client.get("/evenemang/").get_data(as_text=True)
    assert "Ingen anmälan behövs" in html
    assert "Anmälan via annan webbplats" in html
    assert "20 platser kvar" in html


def test_posting_a_registration_for_an_open_lecture_answers_a_clear_page(client):
    event = open_lecture()
    db.session.commit()
    response = client.post(f"/evenemang/{event.public_id}/anmalan", data=registration_form())
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "<h1>Ingen anmälan behövs</h1>" in html
    assert "Evenemanget har ingen anmälan – det är bara att komma." in html
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 0
    assert client.get(f"/evenemang/{event.public_id}/anmalan").status_code == 200


def test_the_registration_form_of_an_event_elsewhere_points_there(client):
    event = elsewhere()
    db.session.commit()
    response = client.get(f"/evenemang/{event.public_id}/anmalan?lang=en")
    html = response.get_data(as_text=True)
    assert "<h1>Registration on another website</h1>" in html
    assert f'href="{EXTERNAL}"' in html
    response = client.post(f"/evenemang/{event.public_id}/anmalan", data=registration_form())
    assert response.status_code == 409
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 0


def json_ld(client, event) -> dict:
    raw = re.search(r'<script type="application/ld\+json">(.*?)</script>', page(client, event),
                    re.S).group(1)  # fmt: skip
    return json.loads(raw)


def test_json_ld_offers_follow_the_way_to_register(client):
    here, full = make_event(capacity=20), make_event(capacity=0)
    lecture, other = open_lecture(capacity=30), elsewhere()
    db.session.commit()
    offer = json_ld(client, here)["offers"]
    assert offer["availability"] == "https://schema.org/InStock"
    assert offer["url"].endswith(f"/evenemang/{here.public_id}/{here.slug}")
    assert json_ld(client, full)["offers"]["availability"] == "https://schema.org/SoldOut"
    assert json_ld(client, other)["offers"]["url"] == EXTERNAL
    data = json_ld(client, lecture)
    assert "offers" not in data
    assert "maximumAttendeeCapacity" not in data
    assert data["isAccessibleForFree"] is True


# --- lists, filters and feeds -----------------------------------------------------------------


def test_events_without_registration_are_listed_filtered_and_in_feeds(client):
    lecture = open_lecture(municipality="varberg")
    other = elsewhere(municipality="varberg")
    make_event(municipality="hylte")
    db.session.commit()
    html = client.get("/evenemang/?kommun=varberg").get_data(as_text=True)
    assert "Öppen föreläsning" in html
    assert "Samverkanskonferens" in html
    assert "2 evenemang hittades" in html
    calendar = Calendar.from_ical(client.get("/kalender/evenemang.ics?kommun=varberg").data)
    descriptions = {
        str(vevent["summary"]): str(vevent["description"])
        for vevent in calendar.walk("VEVENT")
    }
    assert set(descriptions) == {lecture.title, other.title}
    assert "Ingen anmälan behövs." in descriptions[lecture.title]
    assert "anmälan:" not in descriptions[lecture.title].casefold()
    assert f"Anmälan: {EXTERNAL}" in descriptions[other.title]


# --- imports ---------------------------------------------------------------------------------


def test_an_import_can_say_no_registration_or_registration_elsewhere(app, varberg):
    content = (
        "title;start;end;municipality;anmälan;anmälningslänk;platser\n"
        "Öppet;2031-05-01 10:00;2031-05-01 12:00;varberg;ingen;;40\n"
        "Extern;2031-05-02 10:00;2031-05-02 12:00;varberg;external;" + EXTERNAL + ";\n"
        "Här;2031-05-03 10:00;2031-05-03 12:00;varberg;;;\n"
        "Fel;2031-05-04 10:00;2031-05-04 12:00;varberg;telefon;;\n"
        "Utan länk;2031-05-05 10:00;2031-05-05 12:00;varberg;extern;;\n"
    )
    with app.test_request_context("/?lang=en"):
        rows = imports.parse_file("e.csv", content.encode(), varberg)
        assert [row.errors for row in rows[:3]] == [[], [], []]
        assert rows[3].errors == ["Column “anmälan”: “telefon” is not a way to register we know. "
                                  "Write one of: eventreg, none, external."]  # fmt: skip
        assert rows[4].errors == [
            "Column “anmälningslänk”: Give the address where people register."
        ]
        created = imports.import_rows(rows, None)
    modes = [(e.registration_mode, e.external_registration_url, e.capacity) for e in created]
    assert modes == [("none", None, None), ("external", EXTERNAL, None), ("eventreg", None, None)]


def test_the_organisers_event_page_says_how_people_register(client, varberg):
    organiser = make_user(organisations=[varberg], quick_hash=True)
    event = elsewhere(organisation=varberg)
    db.session.commit()
    log_in(client, organiser)
    html = client.get(f"/arrangor/evenemang/{event.id}?lang=en").get_data(as_text=True)
    assert f"Registration on another website: <a href=\"{EXTERNAL}\">" in html
    assert "Seats taken" not in html

"""Issue 13, online and hybrid events: the meeting link reaches only people with a seat
(confirmation, reminders, manage page, their own .ics and personal feed), unless the
organiser made it public; online events ask nothing about food or the venue, and their
emails speak of no entrance and carry no QR code.

The public surfaces are scanned for the link as text, URL-encoded (the calendar links)
and JSON-escaped: the event page with its JSON-LD and calendar links, the registration
pages, every list, every feed kind (iCalendar and Atom) and the open-data API."""

import json
import re
from email import message_from_string
from email.policy import default
from pathlib import Path
from urllib.parse import quote, quote_plus

import icalendar
import pytest
from sqlalchemy import select

from eventreg.extensions import db
from eventreg.mail import sender as mail_sender
from eventreg.models import OutboxEmail
from eventreg.services import registrations as service
from tests.factories import make_event, make_registration, make_theme, registration_form

LINK = "https://meet.example.se/hemligt-mote-4711"


def forms_of(link: str) -> list[str]:
    """The ways a link can appear in a page or file: as it is, URL-encoded, JSON-escaped,
    and folded across an iCalendar line break."""
    return [link, quote_plus(link), quote(link, safe=""), json.dumps(link)[1:-1],
            "meet.example.se/hemligt"]  # fmt: skip


def assert_no_link(text: str, where: str) -> None:
    unfolded = text.replace("\r\n ", "").replace("\n ", "")
    for form in forms_of(LINK):
        assert form not in unfolded, f"the meeting link is in {where}"


def online_and_hybrid(**fields):
    theme = make_theme(slug="digitalt")
    online = make_event(themes=[theme], municipality="online", format="webinar",
                        venue_name="", address="", online_url=LINK, **fields)  # fmt: skip
    hybrid = make_event(themes=[theme], municipality="halmstad", online_url=LINK, **fields)
    return theme, online, hybrid


def public_addresses(theme, events) -> list[str]:
    organisation = events[0].organisation
    addresses = ["/", "/evenemang/", "/evenemang/?format=webinar", f"/teman/{theme.slug}",
                 "/api/v1/events", "/kalender/evenemang.ics", "/kalender/evenemang.atom",
                 f"/kalender/tema/{theme.slug}.ics", f"/kalender/tema/{theme.slug}.atom",
                 "/kalender/kommun/online.ics", "/kalender/kommun/online.atom",
                 "/kalender/kommun/halmstad.ics", "/kalender/kommun/halmstad.atom",
                 f"/kalender/arrangor/{organisation.slug}.ics",
                 f"/kalender/arrangor/{organisation.slug}.atom",
                 "/kalender/evenemang.ics?format=webinar"]  # fmt: skip
    for event in events:
        addresses += [
            f"/evenemang/{event.public_id}/{event.slug}",
            f"/evenemang/{event.public_id}/{event.slug}?lang=en",
            f"/evenemang/{event.public_id}/anmalan",
            f"/kalender/evenemang/{event.public_id}.ics",
            f"/api/v1/events/{event.public_id}",
        ]
    return addresses


def test_no_public_surface_shows_the_meeting_link(client):
    theme, online, hybrid = online_and_hybrid()
    # A registration, so the link is in the database's emails too: none of it may leak.
    make_registration(online)
    db.session.commit()
    for address in public_addresses(theme, [online, hybrid]):
        response = client.get(address)
        assert response.status_code == 200, address
        assert_no_link(response.get_data(as_text=True), address)
    # The page after a sign-up is the same for everyone: no link either.
    response = client.post(f"/evenemang/{hybrid.public_id}/anmalan", data=registration_form())
    page = client.get(response.headers["Location"])
    assert_no_link(page.get_data(as_text=True), "the check-your-email page")


def test_the_event_page_says_the_link_comes_with_a_seat_and_json_ld_points_to_the_page(client):
    _theme, online, hybrid = online_and_hybrid()
    db.session.commit()
    page = client.get(f"/evenemang/{hybrid.public_id}/{hybrid.slug}?lang=en").text
    assert "The link to join online is sent to those who have a seat." in page
    (data,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    location = json.loads(data)["location"]
    virtual = [place for place in location if place["@type"] == "VirtualLocation"]
    assert virtual[0]["url"].endswith(f"/evenemang/{hybrid.public_id}/{hybrid.slug}")
    page = client.get(f"/evenemang/{online.public_id}/{online.slug}").text
    (data,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert json.loads(data)["eventAttendanceMode"] == "https://schema.org/OnlineEventAttendanceMode"


def test_a_public_link_is_on_every_public_surface(client):
    """An open webinar: the organiser chose "public link", and the page, JSON-LD, feeds and
    calendar links carry it."""
    theme, online, hybrid = online_and_hybrid(online_url_public=True)
    db.session.commit()
    page = client.get(f"/evenemang/{hybrid.public_id}/{hybrid.slug}").text
    assert f'href="{LINK}"' in page
    (data,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert {"@type": "VirtualLocation", "url": LINK} in json.loads(data)["location"]
    # The "add to Google Calendar" link of an online event has it as its location.
    online_page = client.get(f"/evenemang/{online.public_id}/{online.slug}").text
    assert quote_plus(LINK) in online_page
    feed = client.get(f"/kalender/tema/{theme.slug}.ics").data
    calendar = icalendar.Calendar.from_ical(feed)
    by_uid = {str(v["uid"]): v for v in calendar.walk("VEVENT")}
    assert str(by_uid[f"{online.public_id}@eventreg.halland"]["location"]) == LINK
    assert LINK in str(by_uid[f"{hybrid.public_id}@eventreg.halland"]["description"])


def test_an_event_without_registration_shows_its_link_to_everyone(client):
    """Nobody registers, so nobody could be sent the link: it is public."""
    event = make_event(municipality="online", venue_name="", address="", online_url=LINK,
                       registration_mode="none")  # fmt: skip
    db.session.commit()
    page = client.get(f"/evenemang/{event.public_id}/{event.slug}").text
    assert f'href="{LINK}"' in page
    feed = client.get(f"/kalender/evenemang/{event.public_id}.ics").data
    (vevent,) = icalendar.Calendar.from_ical(feed).walk("VEVENT")
    assert str(vevent["location"]) == LINK


def sent(app) -> dict[str, list]:
    """Send the outbox; the delivered messages by kind."""
    mail_sender.send_due()
    messages: dict[str, list] = {}
    for email in db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)):
        if email.status != "sent":
            continue
        path = Path(app.config["OUTBOX_DIR"]) / mail_sender.eml_filename(email)
        message = message_from_string(path.read_text(encoding="utf-8"), policy=default)
        messages.setdefault(email.kind, []).append(message)
    return messages


def text_and_html(message) -> str:
    return (message.get_body(("plain",)).get_content()
            + message.get_body(("html",)).get_content())  # fmt: skip


def calendar_of(message):
    (part,) = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    return icalendar.Calendar.from_ical(part.get_content())


def test_people_with_a_seat_get_the_link_and_the_waiting_list_does_not(app, client):
    _theme, _online, hybrid = online_and_hybrid(capacity=1)
    seated = make_registration(hybrid, email="seat@example.se")
    waiting = make_registration(hybrid, email="waiting@example.se")
    db.session.commit()
    messages = sent(app)
    (confirmation,) = messages["confirmation"]
    assert LINK in text_and_html(confirmation)
    (vevent,) = calendar_of(confirmation).walk("VEVENT")
    assert LINK in str(vevent["description"])
    (waiting_email,) = messages["waiting"]
    assert_no_link(text_and_html(waiting_email), "the waiting-list email")

    manage = client.get(f"/anmalan/{service.manage_token(seated)}").text
    assert f'href="{LINK}"' in manage
    ics = client.get(f"/anmalan/{service.manage_token(seated)}/evenemang.ics").text
    assert LINK in ics.replace("\r\n ", "")
    feed = client.get(f"/kalender/mina/{service.feed_token(seated)}.ics").text
    assert LINK in feed.replace("\r\n ", "")
    for address in (f"/anmalan/{service.manage_token(waiting)}",
                    f"/anmalan/{service.manage_token(waiting)}/evenemang.ics"):  # fmt: skip
        assert_no_link(client.get(address).text, address)


def test_an_online_event_asks_nothing_about_food_or_the_venue(client):
    event = make_event(municipality="online", format="webinar", venue_name="", address="",
                       online_url=LINK)  # fmt: skip
    in_person = make_event()
    db.session.commit()
    form = client.get(f"/evenemang/{event.public_id}/anmalan?lang=en").text
    assert 'name="dietary_needs"' not in form
    assert 'name="accessibility_needs"' not in form
    assert 'name="interpretation_language"' in form
    form = client.get(f"/evenemang/{in_person.public_id}/anmalan").text
    assert 'name="dietary_needs"' in form
    assert 'name="accessibility_needs"' in form
    response = client.post(f"/evenemang/{event.public_id}/anmalan", data=registration_form())
    assert response.status_code == 302


@pytest.mark.parametrize("locale", ["sv", "en"])
def test_online_event_emails_speak_of_no_entrance_and_carry_no_qr_code(app, locale):
    event = make_event(municipality="online", format="webinar", venue_name="", address="",
                       online_url=LINK, capacity=1)  # fmt: skip
    registration = make_registration(event, locale=locale)
    make_registration(event, locale=locale)
    db.session.commit()
    mail_sender.send_due()  # the confirmation, while the first still has the seat
    service.cancel_registration(registration)  # the second one is promoted
    db.session.commit()
    messages = sent(app)
    for kind in ("confirmation", "promotion"):
        (message,) = messages[kind]
        body = text_and_html(message)
        assert LINK in body
        assert "entrance" not in body.lower()
        assert "entrén" not in body.lower()
        assert "check-in" not in body.lower()
        assert "incheckning" not in body.lower()
        assert not [part for part in message.walk() if part.get_content_type() == "image/png"]


def test_the_organiser_chooses_a_public_link_and_the_reminders(client):
    from datetime import timedelta

    from eventreg.models import Event, utcnow
    from eventreg.services.events import utc_to_local
    from tests.factories import log_in, make_organisation, make_user

    organisation = make_organisation()
    user = make_user([organisation])
    db.session.commit()
    log_in(client, user)
    page = client.get("/arrangor/evenemang/nytt").text
    # New events get the configured reminders (REMINDER_FIRST_HOURS, _SECOND_HOURS).
    assert re.search(r'name="first_reminder_hours"[^>]*value="48"', page)
    assert re.search(r'name="second_reminder_hours"[^>]*value="2"', page)
    assert 'name="online_url_public"' in page
    start = utc_to_local(utcnow() + timedelta(days=30)).replace(second=0, microsecond=0)
    data = {
        "organisation_id": str(organisation.id), "title": "Öppet webbinarium",
        "format": "webinar", "language_codes": ["sv"], "municipality": "online",
        "start_dt": start.strftime("%Y-%m-%dT%H:%M"),
        "end_dt": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "online_url": LINK, "online_url_public": "y",
        "first_reminder_hours": "24", "second_reminder_hours": "",
    }  # fmt: skip
    response = client.post("/arrangor/evenemang/nytt", data=data)
    assert response.status_code == 302, response.text
    event = db.session.scalar(select(Event).where(Event.title == "Öppet webbinarium"))
    assert (event.online_url_public, event.first_reminder_hours, event.second_reminder_hours) == (
        True, 24, None,
    )  # fmt: skip
    too_many = client.post(
        "/arrangor/evenemang/nytt?lang=en", data={**data, "first_reminder_hours": "9999"}
    )
    assert too_many.status_code == 400
    assert "Enter a number of hours from 1 to 336" in too_many.text

"""What attendees find in their mailbox (issue 12): a sender they recognise, replies that
reach the organiser, a clickable online link, a footer that speaks of a personal link only
when there is one, and a cancellation that takes the event out of their calendar.

Each email goes the whole way: queued by the service, rendered and built by the sender, and
written as an .eml file, which the test reads back. (Rendered in Chromium at 390 px: see
tests/browser/test_public_pages_browser.py.)"""

from email import message_from_string
from email.headerregistry import Address
from email.policy import default
from pathlib import Path

import icalendar
import pytest
from sqlalchemy import select

from eventreg.extensions import db
from eventreg.feeds.ical import event_uid
from eventreg.mail import sender as mail_sender
from eventreg.models import OutboxEmail
from eventreg.services import registrations as service
from tests.factories import make_event, make_organisation, make_registration


def sent_messages(app) -> dict[str, list]:
    """Send what the outbox holds; the messages as delivered, by kind."""
    mail_sender.send_due()
    messages: dict[str, list] = {}
    for email in db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)):
        path = Path(app.config["OUTBOX_DIR"]) / mail_sender.eml_filename(email)
        # Written with SMTPUTF8: headers may hold UTF-8 as it is.
        message = message_from_string(path.read_text(encoding="utf-8"), policy=default)
        messages.setdefault(email.kind, []).append(message)
    return messages


def html_of(message) -> str:
    return message.get_body(("html",)).get_content()


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def calendar_of(message):
    (part,) = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    return part, icalendar.Calendar.from_ical(part.get_content())


def sender_of(message) -> Address:
    (address,) = message["From"].addresses
    return address


@pytest.mark.parametrize(("locale", "name"), [("sv", "Hallands seminarier"),
                                              ("en", "Halland's seminars")])  # fmt: skip
def test_emails_come_from_the_site_name_in_the_attendees_language(app, locale, name):
    make_registration(make_event(), locale=locale)
    db.session.commit()
    (message,) = sent_messages(app)["confirmation"]
    assert sender_of(message).display_name == name
    assert sender_of(message).addr_spec == "noreply@eventreg.invalid"
    assert f" {name}." in text_of(message)  # "This is an automatic message from …"


def test_the_sender_name_is_configurable(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_DEFAULT_SENDER", "Evenemang <evenemang@example.se>")
    make_registration(make_event())
    db.session.commit()
    assert sender_of(sent_messages(app)["confirmation"][0]).display_name == "Evenemang"
    monkeypatch.setitem(app.config, "MAIL_SENDER_NAME", "Region Halland – seminarier")
    make_registration(make_event())
    db.session.commit()
    latest = sent_messages(app)["confirmation"][-1]
    assert sender_of(latest).display_name == "Region Halland – seminarier"
    assert sender_of(latest).addr_spec == "evenemang@example.se"


def test_replies_go_to_the_events_contact_address_else_the_organisations(app):
    varberg = make_organisation(name="Varbergs kommun", contact_email="info@varberg.example.se")
    silent = make_organisation(name="Tyst förening", contact_email=None)
    make_registration(make_event(organisation=varberg, contact_email="kurs@varberg.example.se"))
    make_registration(make_event(organisation=varberg, contact_email=None))
    make_registration(make_event(organisation=silent, contact_email=None))
    db.session.commit()
    first, second, third = sent_messages(app)["confirmation"]
    assert [a.addr_spec for a in first["Reply-To"].addresses] == ["kurs@varberg.example.se"]
    assert first["Reply-To"].addresses[0].display_name == "Varbergs kommun"
    assert [a.addr_spec for a in second["Reply-To"].addresses] == ["info@varberg.example.se"]
    assert third["Reply-To"] is None  # replies go to the sender's address, as before


def test_the_online_link_is_a_link_and_left_out_once_the_event_is_cancelled(app):
    event = make_event(online_url="https://meet.example.se/sprakcafe?id=1&pwd=2")
    make_registration(event, locale="en")
    db.session.commit()
    (confirmation,) = sent_messages(app)["confirmation"]
    link = '<a href="https://meet.example.se/sprakcafe?id=1&amp;pwd=2"'
    assert link in html_of(confirmation)
    assert "Online link: https://meet.example.se/sprakcafe?id=1&pwd=2" in text_of(confirmation)

    event.status = "cancelled"
    service.notify_event_cancelled(event)
    db.session.commit()
    (cancelled,) = sent_messages(app)["event_cancelled"]
    assert "meet.example.se" not in html_of(cancelled)
    assert "meet.example.se" not in text_of(cancelled)


def test_an_online_events_link_is_shown_once_as_a_link(app):
    make_registration(make_event(municipality="online", online_url="https://meet.example.se/x"),
                      locale="en")  # fmt: skip
    db.session.commit()
    html = html_of(sent_messages(app)["confirmation"][0])
    assert html.count("https://meet.example.se/x") == 2  # the href and the link's text
    assert '<a href="https://meet.example.se/x"' in html


PERSONAL = "Keep this email: the link is personal and works without an account."


def test_the_footer_speaks_of_a_personal_link_only_when_the_email_has_one(app):
    event = make_event(capacity=1)
    holder = make_registration(event, locale="en")
    make_registration(event, locale="en")  # waiting, then promoted
    service.cancel_registration(holder)
    db.session.commit()
    messages = sent_messages(app)
    for kind in ("confirmation", "waiting", "promotion"):
        (message,) = messages[kind]
        assert PERSONAL in text_of(message), kind
        assert PERSONAL in html_of(message), kind
    (cancellation,) = messages["cancellation"]
    assert PERSONAL not in text_of(cancellation)
    assert PERSONAL not in html_of(cancellation)
    assert "/anmalan/" not in html_of(cancellation)  # indeed no personal link


def test_an_attendees_cancellation_takes_the_event_out_of_their_calendar(app):
    event = make_event(capacity=10)
    registration = make_registration(event, locale="sv")
    db.session.commit()
    (confirmation,) = sent_messages(app)["confirmation"]
    _part, added = calendar_of(confirmation)
    (added_event,) = added.walk("VEVENT")

    service.cancel_registration(registration)
    db.session.commit()
    (cancellation,) = sent_messages(app)["cancellation"]
    part, calendar = calendar_of(cancellation)
    assert part.get_param("method") == "CANCEL"  # in the MIME type, for Outlook and Apple Mail
    assert str(calendar["method"]) == "CANCEL"
    (cancelled,) = calendar.walk("VEVENT")
    assert str(cancelled["uid"]) == str(added_event["uid"]) == event_uid(event)
    assert int(cancelled["sequence"]) > int(added_event["sequence"])
    assert str(cancelled["status"]) == "CANCELLED"
    assert not event.is_cancelled  # the event itself goes on, for the others
    assert "Den bifogade kalenderuppdateringen tar bort evenemanget" in text_of(cancellation)

"""Text that visitors and organisers write is shown escaped everywhere: on the organiser's
pages about registrants, on the registrant's own page, on public event pages and in the HTML
part of every email (which show the organisers' text; what a registrant typed is left out of
emails on purpose, and a raw payload from it would still be caught).

Each text carries a payload that would run if shown raw, plus a word saying whose text it
is. A test asserts that no raw payload is in the page AND that each text is there escaped,
so it proves the text was shown escaped (not dropped).

Not covered, because no page or email shows it: the message a registrant may write to the
organiser (Registration.message) is stored, but neither listed nor exported."""

from urllib.parse import quote

import pytest
from markupsafe import escape
from sqlalchemy import select

from eventreg.auth.notifications import render_password_reset
from eventreg.extensions import db
from eventreg.mail.notifications import queue_event_changed, queue_organiser_message, render
from eventreg.models import OutboxEmail, Registration
from eventreg.services import registrations as service
from tests.factories import (
    log_in,
    make_event,
    make_organisation,
    make_registration,
    make_user,
    registration_details,
    registration_form,
)

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(1)</script>"
PAYLOADS = (IMG, SCRIPT)

# Visitor-written
NAME = f"{IMG} Amina"
ORGANISATION = f"{SCRIPT} Region"
DIETARY = f"{IMG} Vegetarisk"
ACCESSIBILITY = f"{SCRIPT} Rullstol"
# Organiser- (or administrator-) written
TITLE = f"{SCRIPT} Språkcafé"
VENUE = f"{IMG} Stadsbiblioteket"
ADDRESS = f"{SCRIPT} Fredsgatan 1"
SPEAKER = f"{IMG} Talare"
ORGANISER = f"{IMG} Varbergs kommun"
MESSAGE_SUBJECT = f"{SCRIPT} Ändrad lokal"
MESSAGE_LINES = (f"{IMG} rad ett", f"{SCRIPT} rad två", f"{IMG} nytt stycke")
USER_NAME = f"{SCRIPT} Olga"


def assert_escaped(html: str, *texts: str) -> None:
    """No payload is in the HTML raw, and every text is in it, escaped."""
    for payload in PAYLOADS:
        assert payload not in html, f"{payload} shown raw"
    for text in texts:
        assert str(escape(text)) in html, f"{text!r} not shown (escaped)"
    # The check above is about this very form, so state it once outright.
    assert "&lt;img src=x onerror=alert(1)&gt;" in html or "&lt;script&gt;" in html


@pytest.fixture
def organisation():
    return make_organisation(name=ORGANISER)


@pytest.fixture
def event(organisation):
    return make_event(
        organisation=organisation,
        capacity=1,
        title=TITLE,
        venue_name=VENUE,
        address=ADDRESS,
        speakers=[SPEAKER],
    )


@pytest.fixture
def registrant(event):
    return make_registration(
        event,
        locale="en",
        name=NAME,
        organisation=ORGANISATION,
        dietary_needs=DIETARY,
        accessibility_needs=ACCESSIBILITY,
    )


@pytest.fixture
def organiser_client(client, organisation):
    user = make_user(organisations=[organisation], name=USER_NAME)
    db.session.commit()
    log_in(client, user)
    return client


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


# --- the organiser's pages about registrants ---------------------------------------------


def test_registration_list_escapes_registrants_and_event(organiser_client, event, registrant):
    waiting = make_registration(event, locale="en", name=f"{SCRIPT} Väntande")
    db.session.commit()
    html = page(organiser_client, f"/arrangor/evenemang/{event.id}/anmalningar?lang=en")
    # Names (also inside the "Give … a seat" and "Cancel …" buttons), organisation, needs in
    # the table and in the needs summary, and the event's title.
    assert_escaped(html, NAME, ORGANISATION, DIETARY, ACCESSIBILITY, waiting.name, TITLE)
    assert f"Cancel {escape(NAME)}" in html
    assert f"Give {escape(waiting.name)} a seat" in html


def test_check_in_page_escapes_registrants_and_the_search(organiser_client, event, registrant):
    db.session.commit()
    # Searching for the name itself: the query is shown back in the search box too.
    html = page(
        organiser_client, f"/arrangor/evenemang/{event.id}/incheckning?lang=en&q={quote(NAME)}"
    )
    assert_escaped(html, NAME, ORGANISATION, TITLE)
    assert f'aria-label="Check in anyway {escape(NAME)}"' in html  # its button


def test_attendance_sheet_escapes_registrants_and_the_venue(organiser_client, event, registrant):
    db.session.commit()
    html = page(organiser_client, f"/arrangor/evenemang/{event.id}/narvarolista?lang=en")
    assert_escaped(html, NAME, ORGANISATION, TITLE, VENUE, ADDRESS)


def test_flash_messages_escape_the_name(organiser_client, event):
    db.session.commit()
    response = organiser_client.post(
        f"/arrangor/evenemang/{event.id}/anmalningar/ny?lang=en",
        data=registration_form(name=NAME, organisation=ORGANISATION),
        follow_redirects=True,
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"{escape(NAME)} is registered with a seat." in html
    assert_escaped(html, NAME, ORGANISATION)


def test_organiser_event_page_escapes_the_event(organiser_client, event):
    db.session.commit()
    html = page(organiser_client, f"/arrangor/evenemang/{event.id}?lang=en")
    assert_escaped(html, TITLE, VENUE, ADDRESS, ORGANISER)


# --- the registrant's page and public pages ----------------------------------------------


def test_manage_page_escapes_the_registrants_details(client, event, registrant):
    db.session.commit()
    html = page(client, f"/anmalan/{service.manage_token(registrant)}?lang=en")
    # The details are in the form fields (value="…" and the textarea's text).
    assert_escaped(html, NAME, ORGANISATION, DIETARY, ACCESSIBILITY, TITLE, VENUE, ORGANISER)


def test_public_event_pages_escape_organiser_text(client, event):
    db.session.commit()
    html = page(client, f"/evenemang/{event.public_id}/{event.slug}?lang=en")
    assert_escaped(html, TITLE, VENUE, ADDRESS, SPEAKER, ORGANISER)
    listing = page(client, "/evenemang/?lang=en")
    assert_escaped(listing, TITLE)
    form = page(client, f"/evenemang/{event.public_id}/anmalan?lang=en")
    assert_escaped(form, TITLE, ORGANISER)


# --- emails ------------------------------------------------------------------------------


def emails_by_kind() -> dict[str, OutboxEmail]:
    emails = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)).all()
    return {email.kind: render(email) for email in emails}


def test_every_email_escapes_in_its_html_part(event, registrant):
    # confirmation (registrant), waiting (second), manage_link (registrant again), promotion
    # (second, after the registrant cancels), cancellation (registrant), then the organiser's
    # change notice, message and cancellation of the event, to the second.
    second = make_registration(event, locale="en", name=f"{SCRIPT} Väntande")
    service.register(event, registration_details(email=registrant.email), locale="en")
    service.cancel_registration(registrant)
    assert db.session.get(Registration, second.id).is_confirmed
    queue_event_changed(second)
    queue_organiser_message(second, MESSAGE_SUBJECT, "\n".join(MESSAGE_LINES[:2]) + "\n\n"
                            + MESSAGE_LINES[2])  # fmt: skip
    event.status = "cancelled"
    db.session.flush()
    service.notify_event_cancelled(event)

    emails = emails_by_kind()
    assert set(emails) == {
        "confirmation", "waiting", "manage_link", "promotion", "cancellation",
        "event_changed", "organiser_message", "event_cancelled",
    }  # fmt: skip
    for email in emails.values():
        # The event's title (also in <title> through the subject), venue and address (the
        # "Where" row) and the organiser's name. What the registrant typed is left out of
        # emails (the address may be someone else's); were it shown, the raw payload check
        # in assert_escaped covers it.
        assert_escaped(email.body_html, TITLE, VENUE, ADDRESS, ORGANISER)
    message = emails["organiser_message"].body_html
    assert_escaped(message, MESSAGE_SUBJECT, *MESSAGE_LINES)


def test_password_reset_email_escapes_the_organisers_name(app):
    user = make_user(name=USER_NAME)
    with app.test_request_context("/?lang=en"):
        _subject, _text, html = render_password_reset(user, "token", 30)
    assert_escaped(html, USER_NAME)

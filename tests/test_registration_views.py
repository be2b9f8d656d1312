"""The registration form and the manage-link pages over HTTP."""

import re
from datetime import timedelta

import icalendar
import pytest
from itsdangerous.encoding import base64_decode, base64_encode
from sqlalchemy import create_engine, func, select, text

from eventreg.extensions import db, limiter
from eventreg.feeds.ical import event_uid
from eventreg.mail.notifications import render
from eventreg.models import Event, OutboxEmail, Registration, utcnow
from eventreg.services import registrations as service
from tests.factories import make_event, make_registration, registration_form


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def register_url(event: Event) -> str:
    return f"/evenemang/{event.public_id}/anmalan?lang=en"


def manage_url(registration: Registration) -> str:
    return f"/anmalan/{service.manage_token(registration)}"


def check_email_url(event: Event) -> str:
    return f"/evenemang/{event.public_id}/anmalan/skickad"


def emailed_manage_path(email: OutboxEmail) -> str:
    """The manage link as the attendee gets it: from the email, never from a page."""
    return re.search(r"https?://[^/\s]+(/anmalan/[^/\s]+)\s", render(email).body_text).group(1)


# --- the form -------------------------------------------------------------------------


def test_the_event_page_links_to_the_form_while_registration_is_open(client):
    open_event = make_event(capacity=10)
    full_event = make_event(capacity=0)
    closed_event = make_event(registration_closes_dt=utcnow() - timedelta(hours=1))
    db.session.commit()
    page = client.get(f"/evenemang/{open_event.public_id}/{open_event.slug}?lang=en").text
    assert f'href="/evenemang/{open_event.public_id}/anmalan"' in page
    assert ">Register<" in page
    full = client.get(f"/evenemang/{full_event.public_id}/{full_event.slug}?lang=en").text
    assert "Join the waiting list" in full
    assert "Full – waiting list open" in full
    closed = client.get(f"/evenemang/{closed_event.public_id}/{closed_event.slug}?lang=en").text
    assert f"/evenemang/{closed_event.public_id}/anmalan" not in closed


def test_every_field_has_a_label_and_names_have_autocomplete(client):
    event = make_event()
    db.session.commit()
    page = client.get(register_url(event)).text
    for name in registration_form():
        if name in ("sector",):
            continue
        assert re.search(rf'<label for="{name}"', page), name
    assert re.search(r'<fieldset[^>]*id="sector"', page)
    assert "<legend>Sector</legend>" in page
    assert re.search(r'<input[^>]*autocomplete="name"[^>]*id="name"', page)
    assert re.search(r'<input[^>]*autocomplete="email"[^>]*id="email"', page)
    assert 'name="csrf_token"' not in page  # CSRF is off in tests; see the csrf_app tests
    assert 'href="/personuppgifter"' in page


def test_a_valid_registration_is_stored_and_the_manage_link_is_emailed(client):
    event = make_event(capacity=5)
    db.session.commit()
    data = registration_form(
        name="Amina Yusuf", email="Amina@Example.se", dietary_needs="Vegetarian",
        interpretation_language="ar", message="Looking forward",
    )  # fmt: skip
    response = client.post(register_url(event), data=data)
    assert response.status_code == 302
    registration = db.session.scalar(select(Registration))
    assert response.headers["Location"] == check_email_url(event)
    sent = client.get(response.headers["Location"] + "?lang=en")
    assert sent.status_code == 200
    assert "Check your email" in sent.text
    assert "We have sent an email to Amina@Example.se" in sent.text
    assert (registration.name, registration.email, registration.email_normalised) == (
        "Amina Yusuf", "Amina@Example.se", "amina@example.se",
    )  # fmt: skip
    assert registration.status == "confirmed"
    assert registration.locale == "en"
    assert registration.interpretation_language == "ar"
    assert registration.consent_at is not None
    email = db.session.scalar(select(OutboxEmail))
    assert email.kind == "confirmation"
    assert emailed_manage_path(email) == manage_url(registration)
    page = client.get(emailed_manage_path(email) + "?lang=en").text
    assert "You have a seat." in page
    assert registration.check_in_code in page


def test_registering_in_the_default_language_records_swedish(client):
    event = make_event()
    db.session.commit()
    page = client.get(f"/evenemang/{event.public_id}/anmalan")
    assert page.status_code == 200
    assert '<html lang="sv">' in page.text
    response = client.post(f"/evenemang/{event.public_id}/anmalan", data=registration_form())
    assert response.status_code == 302
    assert db.session.scalar(select(Registration.locale)) == "sv"
    email = render(db.session.scalar(select(OutboxEmail)))
    assert '<html lang="sv">' in email.body_html


def test_a_full_event_offers_the_waiting_list_and_tells_the_position(client):
    event = make_event(capacity=1)
    make_registration(event)
    make_registration(event)
    db.session.commit()
    page = client.get(register_url(event)).text
    assert "Join the waiting list" in page
    assert "All seats are taken." in page
    response = client.post(register_url(event), data=registration_form())
    assert response.headers["Location"] == check_email_url(event)
    email = render(db.session.scalar(
        select(OutboxEmail).where(OutboxEmail.kind == "waiting").order_by(OutboxEmail.id.desc())
    ))  # fmt: skip
    assert email.registration.locale == "en"
    assert "You are number 2 on the list." in email.body_text
    page = client.get(emailed_manage_path(email) + "?lang=en").text
    assert "You are number 2 on the waiting list." in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Enter your name."),
        ("name", "x" * 201, "at most 200 characters"),
        ("name", "Eve\r\nBcc: victim@example.se", "without line breaks"),
        ("email", "", "Enter your email address."),
        ("email", "not-an-address", "in the right format"),
        # No browser sends a line break from an email input; the format check refuses it.
        ("email", "eve@example.se\nBcc: victim@example.se", "in the right format"),
        ("email", "åsa@example.se", "in the right format"),  # needs SMTPUTF8
        ("sector", "", "Choose the sector you work in."),
        ("sector", "spy-agency", "Not a valid choice"),
        ("municipality", "", "Choose the municipality"),
        ("municipality", "online", "Not a valid choice"),
        ("interpretation_language", "klingon", "Not a valid choice"),
        ("message", "x" * 2001, "at most 2000 characters"),
        ("consent", "", "You need to agree"),
    ],
)
def test_invalid_input_comes_back_with_errors_and_nothing_is_stored(client, field, value, message):
    event = make_event()
    db.session.commit()
    data = registration_form(name="Amina Yusuf", organisation="Varbergs kommun")
    data[field] = value
    if field == "consent":
        del data["consent"]
    response = client.post(register_url(event), data=data)
    assert response.status_code == 400
    page = response.text
    assert "<title>Error:" in page
    start = page.index('class="error-summary"')
    summary = page[start : page.index("</div>", start)]
    anchor = "#sector-0" if field == "sector" else f"#{field}"
    assert f'href="{anchor}"' in summary
    assert message in summary
    assert f'id="{field}-error"' in page
    # What was typed is still there.
    if field != "name":
        assert 'value="Amina Yusuf"' in page
    assert 'value="Varbergs kommun"' in page
    assert count(Registration) == 0
    assert count(OutboxEmail) == 0


def test_a_second_registration_with_the_same_address_resends_the_link(client):
    event = make_event()
    first = make_registration(event, email="amina@example.se")
    db.session.commit()
    response = client.post(register_url(event), data=registration_form(email="AMINA@example.se"))
    assert response.status_code == 302
    assert response.headers["Location"] == check_email_url(event)
    page = client.get(response.headers["Location"] + "?lang=en").text
    assert "Check your email" in page
    assert first.name not in page  # nothing about the existing registration
    assert count(Registration) == 1
    assert db.session.scalars(select(OutboxEmail.kind).order_by(OutboxEmail.id)).all() == [
        "confirmation", "manage_link",
    ]  # fmt: skip


def test_the_check_email_page_is_there_for_public_events_only(client):
    event, draft = make_event(), make_event(status="draft")
    db.session.commit()
    page = client.get(check_email_url(event) + "?lang=en")
    assert page.status_code == 200
    assert "Check your email" in page.text
    assert "We have sent an email to the address you gave" in page.text  # when not known
    assert page.headers["Cache-Control"] == "no-store"
    assert client.get(check_email_url(draft)).status_code == 404
    assert client.get("/evenemang/nonexistent/anmalan/skickad").status_code == 404


def test_closed_registration_shows_no_form_and_refuses_posts(client):
    event = make_event(registration_opens_dt=utcnow() + timedelta(days=2))
    db.session.commit()
    page = client.get(register_url(event))
    assert page.status_code == 200
    assert "Registration opens" in page.text
    assert "<form" not in page.text.split('id="main"')[1]
    response = client.post(register_url(event), data=registration_form())
    assert response.status_code == 409
    assert count(Registration) == 0
    assert count(OutboxEmail) == 0


def test_drafts_have_no_registration_page(client):
    event = make_event(status="draft")
    db.session.commit()
    assert client.get(register_url(event)).status_code == 404
    assert client.post(register_url(event), data=registration_form()).status_code == 404
    assert count(Registration) == 0


def test_cancelled_events_take_no_registrations(client):
    event = make_event(status="cancelled", cancellation_reason="Sjuk")
    db.session.commit()
    assert client.post(register_url(event), data=registration_form()).status_code == 409
    assert count(Registration) == 0


# --- the manage link ------------------------------------------------------------------


def test_the_manage_page_shows_the_registration_and_is_kept_private(client):
    registration = make_registration(make_event(title="Språkcafé"), name="Amina Yusuf")
    db.session.commit()
    response = client.get(manage_url(registration) + "?lang=en")
    assert response.status_code == 200
    assert "Amina Yusuf" in response.text
    assert "Språkcafé" in response.text
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response.headers["Cache-Control"]


def flip_signature_byte(token: str) -> str:
    """The token with one byte in the middle of its signature changed.

    Changing the last base64 character is not enough: its low bits are padding, so some
    changes decode to the same bytes and the token is still valid."""
    payload, signature = token.rsplit(".", 1)
    raw = bytearray(base64_decode(signature))
    raw[len(raw) // 2] ^= 0x01
    return payload + "." + base64_encode(bytes(raw)).decode("ascii")


@pytest.mark.parametrize("mangle", [
    flip_signature_byte,
    lambda token: "x" + token,
    lambda token: token.split(".")[0],
    lambda token: "WzEsIm5vbmNlIl0.forged",
])  # fmt: skip
def test_a_wrong_or_tampered_token_is_a_404(client, mangle):
    registration = make_registration(make_event(), name="Amina Yusuf")
    db.session.commit()
    token = mangle(service.manage_token(registration))
    for suffix in ("", "/avboka", "/evenemang.ics"):
        path = f"/anmalan/{token}{suffix}"
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Amina Yusuf" not in response.text
    assert client.post(f"/anmalan/{token}/avboka").status_code == 404
    db.session.refresh(registration)
    assert registration.is_confirmed


def test_the_attendee_updates_their_details(client):
    registration = make_registration(make_event())
    db.session.commit()
    url = manage_url(registration)
    response = client.post(url, data={
        "name": "Amina Yusuf", "organisation": "Falkenbergs kommun", "dietary_needs": "Vegan",
        "accessibility_needs": "Ramp", "interpretation_language": "so",
    })  # fmt: skip
    assert response.status_code == 302
    assert response.headers["Location"] == url
    db.session.refresh(registration)
    assert (registration.name, registration.organisation, registration.dietary_needs,
            registration.accessibility_needs, registration.interpretation_language) == (
        "Amina Yusuf", "Falkenbergs kommun", "Vegan", "Ramp", "so")  # fmt: skip


def test_an_invalid_update_is_refused_and_changes_nothing(client):
    registration = make_registration(make_event(), name="Amina Yusuf")
    db.session.commit()
    response = client.post(manage_url(registration) + "?lang=en", data={
        "name": "Eve\nBcc: x@example.se", "organisation": "Changed",
    })  # fmt: skip
    assert response.status_code == 400
    assert 'href="#name"' in response.text
    assert 'value="Changed"' in response.text
    db.session.refresh(registration)
    assert registration.name == "Amina Yusuf"
    assert registration.organisation == ""


def test_cancelling_needs_a_confirmation_then_promotes_the_waiting_list(client):
    event = make_event(capacity=1)
    holder, waiting = make_registration(event), make_registration(event)
    db.session.commit()
    url = manage_url(holder)
    confirm = client.get(url + "/avboka?lang=en")
    assert confirm.status_code == 200
    assert "Yes, cancel my registration" in confirm.text
    db.session.refresh(holder)
    assert holder.is_confirmed  # looking at the confirmation page changes nothing
    response = client.post(url + "/avboka")
    assert response.status_code == 302
    assert response.headers["Location"] == url
    db.session.refresh(holder)
    db.session.refresh(waiting)
    assert holder.is_cancelled
    assert waiting.is_confirmed
    assert "This registration is cancelled." in client.get(url + "?lang=en").text
    kinds = db.session.scalars(select(OutboxEmail.kind).order_by(OutboxEmail.id)).all()
    assert kinds[-2:] == ["cancellation", "promotion"]


def test_the_event_can_be_downloaded_as_ics_with_the_feed_uid(client):
    event = make_event(title="Språkcafé")
    registration = make_registration(event)
    db.session.commit()
    response = client.get(manage_url(registration) + "/evenemang.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    calendar = icalendar.Calendar.from_ical(response.data)
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["UID"]) == event_uid(event)
    assert str(vevent["SUMMARY"]) == "Språkcafé"
    assert str(calendar["METHOD"]) == "PUBLISH"


def test_the_personal_feed_lists_this_address_and_leaks_no_manage_link(client):
    mine_1 = make_event(title="Första")
    mine_2 = make_event(title="Andra")
    not_mine = make_event(title="Någon annans")
    waiting_only = make_event(title="Väntar", capacity=0)
    me = make_registration(mine_1, email="me@example.se")
    make_registration(mine_2, email="ME@example.se")
    make_registration(waiting_only, email="me@example.se")
    make_registration(not_mine, email="someone@example.se")
    db.session.commit()
    page = client.get(manage_url(me) + "?lang=en").text
    # Built from the configured address (here the development one), not the request's Host.
    feed_path = re.search(r'value="http://localhost:5000(/kalender/mina/[^"]+\.ics)"', page)[1]
    assert f'href="webcal://localhost:5000{feed_path}"' in page
    response = client.get(feed_path)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = icalendar.Calendar.from_ical(response.data)
    uids = {str(v["UID"]) for v in calendar.walk("VEVENT")}
    assert uids == {event_uid(mine_1), event_uid(mine_2)}
    token = service.manage_token(me)
    assert token not in response.text
    assert "/anmalan/" not in response.text
    assert client.get(f"/kalender/mina/{token}.ics").status_code == 404
    assert client.get(feed_path.replace(".ics", "x.ics")).status_code == 404


# --- CSRF -----------------------------------------------------------------------------


def test_csrf_is_enforced_on_every_form(csrf_app):
    client = csrf_app.test_client()
    event = make_event(capacity=5)
    registration = make_registration(event, name="Amina Yusuf")
    db.session.commit()
    url = manage_url(registration)
    assert client.post(register_url(event), data=registration_form()).status_code == 400
    assert client.post(url, data={"name": "Changed"}).status_code == 400
    assert client.post(url + "/avboka").status_code == 400
    db.session.refresh(registration)
    assert registration.is_confirmed
    assert registration.name == "Amina Yusuf"
    assert count(Registration) == 1

    # With the token from the page, the same request goes through.
    page = client.get(register_url(event)).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(register_url(event), data=registration_form(csrf_token=token))
    assert response.status_code == 302
    assert count(Registration) == 2


# --- rate limit -----------------------------------------------------------------------


@pytest.fixture
def small_quota(app):
    original = app.config["REGISTRATION_RATE_LIMIT"]
    app.config["REGISTRATION_RATE_LIMIT"] = "3 per minute"
    limiter.reset()
    yield
    limiter.reset()
    app.config["REGISTRATION_RATE_LIMIT"] = original


def test_registrations_from_one_address_are_rate_limited(client, small_quota):
    event = make_event()
    db.session.commit()
    for _ in range(3):
        assert client.post(register_url(event), data=registration_form()).status_code == 302
    refused = client.post(register_url(event), data=registration_form())
    assert refused.status_code == 429
    assert "Too many attempts" in refused.text
    assert count(Registration) == 3
    assert client.get(register_url(event)).status_code == 200  # reading the form is not limited


# --- a busy event ---------------------------------------------------------------------


@pytest.fixture
def event_held_by_another_server(app, database_url):
    """Another connection holds the lock a registration needs (as a slow request elsewhere
    would), and requests here wait only a moment for it."""
    event = make_event(capacity=5)
    holder = make_registration(event, name="Erik Johansson")
    db.session.commit()
    usual_wait = app.config["REGISTRATION_LOCK_TIMEOUT_MS"]
    app.config["REGISTRATION_LOCK_TIMEOUT_MS"] = 300
    engine = create_engine(database_url)
    connection = engine.connect()
    if engine.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.execute(text("SELECT id FROM event WHERE id = :id FOR UPDATE"), {"id": event.id})
    try:
        yield event, holder
    finally:
        connection.rollback()
        connection.close()
        engine.dispose()
        app.config["REGISTRATION_LOCK_TIMEOUT_MS"] = usual_wait


def test_a_registration_that_cannot_get_the_lock_is_told_to_try_again(
    client, event_held_by_another_server
):
    event, _ = event_held_by_another_server
    data = registration_form(name="Amina Yusuf")
    response = client.post(register_url(event), data=data)
    assert response.status_code == 503
    assert "Please try again in a moment." in response.text
    assert 'value="Amina Yusuf"' in response.text  # the input is kept
    assert count(Registration) == 1
    assert count(OutboxEmail) == 1


def test_a_cancellation_that_cannot_get_the_lock_is_told_to_try_again(
    client, event_held_by_another_server
):
    _, holder = event_held_by_another_server
    response = client.post(manage_url(holder) + "/avboka?lang=en")
    assert response.status_code == 503
    assert "Please try again" in response.text
    db.session.refresh(holder)
    assert holder.is_confirmed


def test_after_a_busy_moment_the_next_request_waits_as_usual(client, app, database_url):
    """The shortened wait does not stay on the pooled connection (SQLite busy timeout)."""
    event = make_event()
    db.session.commit()
    usual_wait = app.config["REGISTRATION_LOCK_TIMEOUT_MS"]
    app.config["REGISTRATION_LOCK_TIMEOUT_MS"] = 50
    try:
        assert client.post(register_url(event), data=registration_form()).status_code == 302
    finally:
        app.config["REGISTRATION_LOCK_TIMEOUT_MS"] = usual_wait
    with db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            timeout = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
            assert timeout == 30_000

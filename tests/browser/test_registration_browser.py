"""Registration in Chromium: signing up with the keyboard alone (then opening the manage
link from the email), the error summary of an invalid form, cancelling through the manage
link, and axe-core scans of every state.

The pages are visited in English (?lang=en, then remembered by cookie) because the new
strings are translated to Swedish only when the lead extracts them.
"""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from eventreg.extensions import db
from eventreg.mail.notifications import render
from eventreg.models import OutboxEmail, Registration
from eventreg.services import registrations as service
from tests.factories import make_event, make_registration


@pytest.fixture
def event():
    event = make_event(
        title="Språkcafé för nyanlända",
        capacity=20,
        contact_email="integration@varberg.example.se",
    )
    db.session.commit()  # the server thread sees only committed rows
    return event


def registrations() -> list[Registration]:
    db.session.expire_all()
    return list(db.session.scalars(select(Registration).order_by(Registration.id)))


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches `selector` (the keyboard user's way)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"Tab never reached {selector}")


def test_register_with_the_keyboard_only(event, page, assert_no_axe_violations, screenshot):
    page.goto(f"/evenemang/{event.public_id}/{event.slug}?lang=en")
    tab_to(page, "a.button[href$='/anmalan']")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Register for {event.title}")
    assert_no_axe_violations(page)
    screenshot(page, "form")

    tab_to(page, "#name")
    page.keyboard.type("Åsa Öberg")
    page.keyboard.press("Tab")
    expect(page.locator("#email")).to_be_focused()
    page.keyboard.type("asa.oberg@example.se")
    page.keyboard.press("Tab")
    page.keyboard.type("Varbergs kommun")
    page.keyboard.press("Tab")  # into the sector radio group
    page.keyboard.press("Space")  # choose the first sector, then move to the second
    page.keyboard.press("ArrowDown")
    expect(page.locator("#sector-1")).to_be_checked()
    tab_to(page, "#municipality")
    page.keyboard.type("Varberg")
    expect(page.locator("#municipality")).to_have_value("varberg")
    page.keyboard.press("Tab")
    page.keyboard.type("Vegetarian")
    tab_to(page, "#consent")
    page.keyboard.press("Space")
    expect(page.locator("#consent")).to_be_checked()
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")

    # The same "check your email" page for every sign-up; the manage link comes by email.
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    expect(page.get_by_text("We have sent an email to asa.oberg@example.se")).to_be_visible()
    assert_no_axe_violations(page)
    screenshot(page, "check-email")
    (registration,) = registrations()
    (email,) = db.session.scalars(select(OutboxEmail)).all()
    manage_path = f"/anmalan/{service.manage_token(registration)}"
    assert email.kind == "confirmation"
    assert manage_path in render(email).body_text
    page.goto(manage_path)

    expect(page.locator("#registration-status")).to_have_text("You have a seat.")
    assert (registration.name, registration.email, registration.organisation) == (
        "Åsa Öberg", "asa.oberg@example.se", "Varbergs kommun",
    )  # fmt: skip
    assert registration.sector == "region"
    assert registration.municipality == "varberg"
    assert registration.dietary_needs == "Vegetarian"
    assert registration.is_confirmed
    assert_no_axe_violations(page)
    screenshot(page, "manage-confirmed")


def test_an_invalid_form_shows_the_error_summary(event, page, assert_no_axe_violations, screenshot):
    page.goto(f"/evenemang/{event.public_id}/anmalan?lang=en")
    page.locator("#name").fill("Åsa Öberg")
    page.locator("#email").fill("not an address")
    page.get_by_role("button", name="Register").click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()  # read first by a screen reader, without any script
    expect(page).to_have_title(f"Error: Register for {event.title} – Halland's seminars")
    links = summary.get_by_role("link")
    expect(links).to_have_count(4)  # email, sector, municipality, consent
    assert [links.nth(i).get_attribute("href") for i in range(4)] == [
        "#email", "#sector-0", "#municipality", "#consent",
    ]  # fmt: skip
    expect(page.locator("#name")).to_have_value("Åsa Öberg")  # what was typed is kept
    expect(page.locator("#email")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#email")).to_have_attribute("aria-describedby", "email-hint email-error")
    assert_no_axe_violations(page)
    screenshot(page, "form-errors")

    # Following a link in the summary takes the keyboard user to the field.
    page.keyboard.press("Tab")
    expect(links.first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{page.url.split('#')[0]}#email")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    expect(page.locator("#email")).to_be_focused()
    assert registrations() == []


def test_cancel_through_the_manage_link(page, assert_no_axe_violations, screenshot):
    event = make_event(title="Föreläsning om etablering", capacity=1)
    holder = make_registration(event, name="Erik Johansson", locale="en")
    waiting = make_registration(event, name="Amina Yusuf", locale="en")
    db.session.commit()

    page.goto(f"/anmalan/{service.manage_token(waiting)}?lang=en")
    expect(page.locator("#registration-status")).to_have_text(
        "You are number 1 on the waiting list."
    )
    assert_no_axe_violations(page)
    screenshot(page, "manage-waiting")

    page.goto(f"/anmalan/{service.manage_token(holder)}")
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Cancel registration").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel your registration?")
    assert_no_axe_violations(page)
    screenshot(page, "cancel-confirmation")
    page.get_by_role("button", name="Yes, cancel my registration").click()

    expect(page.locator("#registration-status")).to_have_text("This registration is cancelled.")
    expect(page.get_by_role("button", name="Save changes")).to_have_count(0)
    assert_no_axe_violations(page)
    screenshot(page, "manage-cancelled")
    holder_now, waiting_now = registrations()
    assert holder_now.is_cancelled
    assert waiting_now.is_confirmed

    page.goto(f"/anmalan/{service.manage_token(waiting)}")
    expect(page.locator("#registration-status")).to_have_text("You have a seat.")


def test_a_tampered_manage_link_is_not_found(page):
    registration = make_registration(make_event(), name="Erik Johansson")
    db.session.commit()
    token = service.manage_token(registration)
    response = page.goto(f"/anmalan/{token[:-3]}abc?lang=en")
    assert response.status == 404
    expect(page.get_by_text("Erik Johansson")).to_have_count(0)

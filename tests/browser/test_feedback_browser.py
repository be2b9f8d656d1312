"""The feedback form in Chromium on a 390 px phone: answered with the keyboard alone, its
error summary, the thanks and "already answered" pages, with axe-core scans of each, and
a past event's materials on its public page."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from eventreg.extensions import db
from eventreg.models import FeedbackAnswer, utcnow
from eventreg.services import feedback, materials
from eventreg.services.materials import MaterialData
from eventreg.services.registrations import register
from tests.factories import make_event, registration_details

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def feedback_link():
    event = make_event(title="Språkcafé för nyanlända",
                       start_dt=utcnow() - timedelta(days=1, hours=3),
                       end_dt=utcnow() - timedelta(days=1, hours=1))  # fmt: skip
    registration = register(event, registration_details(), locale="en",
                            ignore_window=True).registration  # fmt: skip
    db.session.commit()  # the server thread sees only committed rows
    return f"/omdome/{feedback.feedback_token(registration)}"


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches `selector` (the keyboard user's way)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"Tab never reached {selector}")


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_answer_the_feedback_form_with_the_keyboard_on_a_phone(
    feedback_link, page, assert_no_axe_violations, screenshot
):
    page.set_viewport_size(PHONE)
    page.goto(feedback_link + "?lang=en")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "What did you think of Språkcafé för nyanlända?"
    )
    assert fits_the_screen(page)
    assert_no_axe_violations(page)
    screenshot(page, "feedback-form-390")

    tab_to(page, "#rating-0")  # into the rating group: "5 – very good" first
    page.keyboard.press("ArrowDown")  # moves to and chooses "4 – good"
    expect(page.locator("#rating-1")).to_be_checked()
    page.keyboard.press("Tab")  # on to the next group
    expect(page.locator("#usefulness-0")).to_be_focused()
    page.keyboard.press("ArrowDown")  # "Partly"
    expect(page.locator("#usefulness-1")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.locator("#improvements-0")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # "The speakers"
    expect(page.locator("#improvements-1")).to_be_checked()
    tab_to(page, "#comment")
    page.keyboard.type("Mer tid för frågor, tack.")
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your feedback")
    assert fits_the_screen(page)
    assert_no_axe_violations(page)
    screenshot(page, "feedback-thanks-390")
    db.session.expire_all()
    (answer,) = db.session.scalars(select(FeedbackAnswer)).all()
    assert (answer.rating, answer.usefulness, answer.improvements, answer.comment) == (
        4, "partly", "speakers", "Mer tid för frågor, tack.")

    # The link was used: opening it again says so.
    page.goto(feedback_link + "?lang=en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Already answered")
    assert_no_axe_violations(page)
    screenshot(page, "feedback-answered-390")


def test_the_error_summary_leads_to_the_question(feedback_link, page, assert_no_axe_violations,
                                                 screenshot):  # fmt: skip
    page.set_viewport_size(PHONE)
    page.goto(feedback_link + "?lang=en")
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    assert fits_the_screen(page)
    assert_no_axe_violations(page)
    screenshot(page, "feedback-errors-390")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the first link: the rating question
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    expect(page.locator("#rating-0")).to_be_focused()


def test_a_past_events_materials_on_its_page(page, assert_no_axe_violations, screenshot):
    event = make_event(title="Föreläsning om mottagande",
                       start_dt=utcnow() - timedelta(days=2, hours=3),
                       end_dt=utcnow() - timedelta(days=2, hours=1))  # fmt: skip
    materials.add_material(event, MaterialData(
        "recording", "Recording of the lecture", "en", url="https://play.example.se/v/1",
        has_captions=True))  # fmt: skip
    materials.add_material(event, MaterialData("slides", "Bilder", "sv",
                                               url="https://example.se/bilder.pdf"))  # fmt: skip
    db.session.commit()
    page.set_viewport_size(PHONE)
    page.goto(f"/evenemang/{event.public_id}/{event.slug}")
    section = page.get_by_role("region", name="Presentationsbilder, dokument och inspelningar")
    expect(section.get_by_role("link", name="Recording of the lecture")).to_have_attribute(
        "lang", "en")
    assert fits_the_screen(page)
    assert_no_axe_violations(page)
    screenshot(page, "event-materials-390")

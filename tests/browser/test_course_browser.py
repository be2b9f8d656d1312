"""A short course of three sessions in Chromium: its page lists every session, the sign-up
(one registration, one seat, for all three) is made with the keyboard alone, and the course
page, the form and the organiser's sessions page pass axe, in Swedish and English."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from eventreg.extensions import db
from eventreg.models import Registration
from eventreg.services import sessions
from eventreg.services.sessions import SessionData
from tests.factories import USER_PASSWORD, make_event, make_organisation, make_user
from tests.test_sessions import day_at


@pytest.fixture
def course():
    start = day_at(10)
    event = make_event(
        title="Kort utbildning: Mångfald i rekrytering", format="short_course", capacity=20,
        start_dt=start, end_dt=start + timedelta(hours=3),
        organisation=make_organisation(name="Kungsbacka kommun"),
    )  # fmt: skip
    for days, place in (
        (17, {}),
        (24, {"venue_name": "Arbetsförmedlingen", "address": "Storgatan 39"}),
    ):
        later = day_at(days)
        sessions.add_session(
            event,
            SessionData(later, later + timedelta(hours=3), note="Ta med en annons", **place),
            None,
        )
    db.session.commit()  # the server thread sees only committed rows
    return event


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches `selector` (the keyboard user's way)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"Tab never reached {selector}")


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_registering_for_a_three_session_course_with_the_keyboard_only(
    course, page, lang, assert_no_axe_violations, screenshot
):
    page.goto(f"/evenemang/{course.public_id}/{course.slug}?lang={lang}")
    sessions_list = page.locator(".session-list").first
    expect(sessions_list.locator("li")).to_have_count(3)
    expect(sessions_list).to_contain_text("Arbetsförmedlingen, Storgatan 39")
    assert_no_axe_violations(page)
    screenshot(page, f"course-{lang}")

    tab_to(page, f"a[href*='/evenemang/{course.public_id}/anmalan']")
    page.keyboard.press("Enter")
    expect(page.locator(".session-list").first.locator("li")).to_have_count(3)
    assert_no_axe_violations(page)
    screenshot(page, f"course-form-{lang}")

    tab_to(page, "#name")
    page.keyboard.type("Åsa Öberg")
    page.keyboard.press("Tab")
    page.keyboard.type("asa.oberg@example.se")
    tab_to(page, "input[name=sector]")
    page.keyboard.press("Space")
    tab_to(page, "#municipality")
    page.keyboard.type("Kungsbacka")
    tab_to(page, "#consent")
    page.keyboard.press("Space")
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")

    expect(page.locator("h1")).not_to_contain_text("Anmäl")
    assert_no_axe_violations(page)
    db.session.expire_all()
    (registration,) = db.session.scalars(select(Registration))
    assert registration.status == "confirmed"
    assert course.seats_taken == 1


def test_the_sessions_page_passes_axe(course, page, assert_no_axe_violations, screenshot):
    user = make_user(organisations=[course.organisation], quick_hash=True)
    db.session.commit()
    page.goto("/arrangor/logga-in?lang=en")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(USER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"/arrangor/evenemang/{course.id}/tillfallen")
    expect(page.get_by_role("row")).to_have_count(4)
    assert_no_axe_violations(page)
    screenshot(page, "sessions")
    # Sent empty: the errors are beside the fields and in the summary.
    page.get_by_role("button", name="Add session").click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert_no_axe_violations(page)

"""Issue 11, items 1–6 and 17 in Chromium, at 1280 px and on a 390 px phone: an event
without a seat limit created and rescheduled (with the change notice shown first),
cancelling and restoring a registration through their confirmation pages, publishing after
one question, a correction saved without a notice, "message everyone" with a preview and a
test to oneself, check-in outside the event's day, and the current tab of an event.

Every new state (a confirmation page, a preview, the check-in notice) gets an axe-core scan
and a screenshot. Pages are visited in English (?lang=en at login, then remembered).
"""

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from eventreg.extensions import db
from eventreg.models import Event, OutboxEmail, Registration, utcnow
from tests.browser.test_organiser_browser import log_in
from tests.factories import make_event, make_organisation, make_registration, make_user

SIZES = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}


@pytest.fixture(params=list(SIZES))
def size(request) -> str:
    return request.param


@pytest.fixture
def page(new_context, size):
    """A page at this test's size (the default `page` of pytest-playwright, resized)."""
    return new_context(**SIZES[size]).new_page()


@pytest.fixture
def world(app):
    varberg = make_organisation(slug="varbergs-kommun", name="Varbergs kommun")
    organiser = make_user(organisations=[varberg], name="Olga Organiser",
                          email="olga@example.se", quick_hash=True)  # fmt: skip
    start = utcnow().replace(second=0, microsecond=0) + timedelta(days=10)
    event = make_event(organisation=varberg, capacity=1, start_dt=start,
                       title="Vård på lika villkor")  # fmt: skip
    webinar = make_event(organisation=varberg, capacity=None, start_dt=start,
                         municipality="online", online_url="https://example.se/webbinarium",
                         venue_name="", address="", title="Webbinarium")  # fmt: skip
    draft = make_event(organisation=varberg, status="draft", title="Utkast", capacity=40,
                       start_dt=start)  # fmt: skip
    with app.test_request_context():
        asa = make_registration(event, name="Åsa Öberg")
        make_registration(event, name="Bo Väntar")
        make_registration(webinar)
        make_registration(webinar)
    db.session.commit()
    return {"organiser": organiser, "event": event, "webinar": webinar, "draft": draft,
            "asa": asa}  # fmt: skip


def fits(page) -> None:
    """Nothing makes the page scroll sideways."""
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    assert width <= viewport, f"{width}px wide in a {viewport}px window"


def check_state(page, name, size, assert_no_axe_violations, screenshot) -> None:
    fits(page)
    assert_no_axe_violations(page)
    screenshot(page, f"{name}-{size}")


def emails(kind: str) -> list[OutboxEmail]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == kind)))


def test_an_event_without_a_seat_limit_is_created_and_rescheduled(
    world, page, size, assert_no_axe_violations, screenshot
):
    log_in(page, world["organiser"])
    page.goto("/arrangor/evenemang/nytt")
    page.get_by_label("Title").fill("Öppet hus")
    page.get_by_label("Starts").fill("2030-03-12T09:00")
    page.get_by_label("Ends").fill("2030-03-12T11:00")
    page.get_by_label("Municipality").select_option("varberg")
    expect(page.get_by_label("Seats")).to_have_value("")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Öppet hus")
    assert db.session.scalar(select(Event).where(Event.title == "Öppet hus")).capacity is None

    webinar = world["webinar"]
    page.goto(f"/arrangor/evenemang/{webinar.id}/redigera")
    expect(page.get_by_label("Seats")).to_have_value("")
    page.get_by_label("Starts").fill("2030-04-02T13:00")
    page.get_by_label("Ends").fill("2030-04-02T15:00")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the notice: Webbinarium")
    expect(page.get_by_text("These 2 people registered will get this email")).to_be_visible()
    expect(page.get_by_role("checkbox")).to_be_disabled()  # a new time is always told
    check_state(page, "change-notice-time", size, assert_no_axe_violations, screenshot)
    page.get_by_role("button", name="Save the change").click()
    expect(page.get_by_text("Saved. The people registered are told about the change.")) \
        .to_be_visible()  # fmt: skip
    db.session.expire_all()
    assert db.session.get(Event, webinar.id).capacity is None
    assert len(emails("event_changed")) == 2


def test_a_correction_is_saved_without_a_notice(
    world, page, size, assert_no_axe_violations, screenshot
):
    log_in(page, world["organiser"])
    event = world["event"]
    page.goto(f"/arrangor/evenemang/{event.id}/redigera")
    page.get_by_label("Description").fill("Rättat stavfel i beskrivningen.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Description:")).to_be_visible()
    skip = page.get_by_role("checkbox", name="Do not send the email")
    expect(skip).to_be_enabled()
    check_state(page, "change-notice-correction", size, assert_no_axe_violations, screenshot)
    skip.check()
    page.get_by_role("button", name="Save the change").click()
    expect(page.get_by_text("Saved. Nobody was emailed about the change.")).to_be_visible()
    assert emails("event_changed") == []


def test_cancel_asks_first_and_a_cancelled_registration_can_be_restored(
    world, page, size, assert_no_axe_violations, screenshot
):
    log_in(page, world["organiser"])
    event, asa = world["event"], world["asa"]
    page.goto(f"/arrangor/evenemang/{event.id}/anmalningar")
    page.get_by_role("link", name="Cancel Åsa Öberg").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Cancel the registration of Åsa Öberg"
    )
    expect(page.get_by_text("The seat goes to the first on the waiting list, Bo Väntar")) \
        .to_be_visible()  # fmt: skip
    check_state(page, "cancel-question", size, assert_no_axe_violations, screenshot)
    page.get_by_role("button", name="Cancel the registration").click()
    expect(page.get_by_text("The registration is cancelled.")).to_be_visible()

    page.get_by_role("link", name="Restore Åsa Öberg").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Restore the registration of Åsa Öberg"
    )
    expect(page.get_by_text("goes back on the waiting list as number 1")).to_be_visible()
    check_state(page, "restore-question", size, assert_no_axe_violations, screenshot)
    page.get_by_role("button", name="Restore the registration").click()
    expect(page.get_by_text("Åsa Öberg is on the waiting list again")).to_be_visible()
    db.session.expire_all()
    assert db.session.get(Registration, asa.id).status == "waiting"


def test_publishing_asks_once_with_what_will_be_public(
    world, page, size, assert_no_axe_violations, screenshot
):
    log_in(page, world["organiser"])
    draft = world["draft"]
    page.goto(f"/arrangor/evenemang/{draft.id}")
    page.get_by_role("link", name="Publish", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Publish: Utkast")
    expect(page.get_by_role("link", name="Preview the public page")).to_be_visible()
    expect(page.get_by_text("40 seats")).to_be_visible()
    expect(page.get_by_text("As soon as the event is published")).to_be_visible()
    check_state(page, "publish-question", size, assert_no_axe_violations, screenshot)
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("The event is published.")).to_be_visible()
    db.session.expire_all()
    assert db.session.get(Event, draft.id).status == "published"


def test_message_everyone_with_a_preview_and_a_test(
    world, page, size, assert_no_axe_violations, screenshot
):
    log_in(page, world["organiser"])
    event = world["event"]
    page.goto(f"/arrangor/evenemang/{event.id}/meddelande")
    page.get_by_label("Subject").fill("Ny lokal")
    page.get_by_label("Message").fill("Vi ses i sal 3.\n\nVälkomna!")
    page.get_by_role("button", name="Preview the message").click()
    expect(page.get_by_text("2 people will get this email.")).to_be_visible()
    expect(page.get_by_text("Ny lokal (Vård på lika villkor)")).to_be_visible()
    check_state(page, "message-preview", size, assert_no_axe_violations, screenshot)
    page.get_by_role("button", name="Send a test to me").click()
    expect(page.get_by_text("A test is on its way to olga@example.se.")).to_be_visible()
    assert len(emails("organiser_message_test")) == 1
    assert emails("organiser_message") == []
    page.get_by_role("button", name="Send to 2 people").click()
    expect(page.get_by_text("The message is on its way to 2 people.")).to_be_visible()
    assert len(emails("organiser_message")) == 2


def test_check_in_outside_the_event_day_needs_anyway(
    world, page, size, assert_no_axe_violations, screenshot
):
    log_in(page, world["organiser"])
    event, asa = world["event"], world["asa"]
    page.goto(f"/arrangor/evenemang/{event.id}/incheckning")
    expect(page.get_by_text("Check-in opens at")).to_be_visible()
    check_state(page, "check-in-closed", size, assert_no_axe_violations, screenshot)
    page.get_by_role("button", name="Check in anyway Åsa Öberg").click()
    expect(page.get_by_text("Åsa Öberg is checked in.")).to_be_visible()
    db.session.expire_all()
    assert db.session.get(Registration, asa.id).attended_at is not None


TABS = {"": "Overview", "/anmalningar": "Registrations", "/incheckning": "Check-in",
        "/narvarolista": "Attendance sheet"}  # fmt: skip
TAB_LOOK = """(link) => { const s = getComputedStyle(link);
  return [s.borderTopColor, s.boxShadow, s.backgroundColor, s.color].join(" | "); }"""


def test_the_current_tab_is_shown(world, page, size, assert_no_axe_violations, screenshot):
    log_in(page, world["organiser"])
    event = world["event"]
    for path, current in TABS.items():
        page.goto(f"/arrangor/evenemang/{event.id}{path}")
        tabs = page.get_by_role("navigation", name="Event pages")
        link = tabs.get_by_role("link", name=current, exact=True)
        expect(link).to_have_attribute("aria-current", "page")
        others = [name for name in TABS.values() if name != current]
        look = link.evaluate(TAB_LOOK)
        for other in others:
            other_link = tabs.get_by_role("link", name=other, exact=True)
            expect(other_link).not_to_have_attribute("aria-current", "page")
            assert other_link.evaluate(TAB_LOOK) != look, f"{current} looks like {other}"
    assert_no_axe_violations(page)
    screenshot(page, f"tabs-{size}", full_page=False)

"""The public pages as attendees meet them (issue 12), in Chromium on a 390 px phone and a
1280 px desktop, in Swedish: event cards that say where registration stands, filters folded
behind "Filtrera" on a phone with the active ones as removable chips, the way to register
near the top of an event page, a cancelled event that says so first, a map link, the
manage link's page that opens with the confirmation, the service's name and logo, and radios
and checkboxes of a comfortable touch size. Every new state is scanned with axe-core, and
screenshots are saved in test-artifacts/screenshots/public_pages_browser/. Last, every
email's HTML part is rendered at 390 px and must not be wider than the screen.
"""

from datetime import timedelta

import pytest
from babel.dates import format_date
from playwright.sync_api import expect
from sqlalchemy import select

from eventreg.extensions import db
from eventreg.mail import notifications
from eventreg.models import OutboxEmail, utcnow
from eventreg.services import registrations as service
from tests.factories import (
    STOCKHOLM,
    make_event,
    make_organisation,
    make_registration,
    make_theme,
    registration_details,
)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(params=[PHONE, DESKTOP], ids=["phone", "desktop"])
def viewport(request, page):
    page.set_viewport_size(request.param)
    return request.param


def name(base: str, viewport: dict) -> str:
    return f"{base}-{viewport['width']}"


def assert_fits_the_width(page, viewport: dict) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"{page.url} is {width} px wide"


def assert_on_first_screen(locator, viewport: dict) -> None:
    """Visible without scrolling: the element ends above the bottom of the first screen."""
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box["y"] + box["height"] <= viewport["height"], box


def short_date(value) -> str:
    return format_date(value.astimezone(STOCKHOLM), "d MMM", locale="sv")


@pytest.fixture
def catalogue():
    """Events in every registration state, in Varberg and Halmstad, under two themes."""
    work = make_theme(slug="arbete", name_sv="Arbete och kompetens", name_en="Work and skills")
    health = make_theme(slug="halsa", name_sv="Jämlik hälsa", name_en="Equal health")
    varberg = make_organisation(name="Varbergs kommun", contact_email="info@varberg.example.se")
    soon = utcnow().replace(second=0, microsecond=0) + timedelta(days=10)
    events = {
        "seats": make_event(
            title="Validering av yrkeskunskap", themes=[work], municipality="varberg",
            organisation=varberg, capacity=30, seats_taken=27, start_dt=soon,
            registration_closes_dt=soon - timedelta(days=2),
        ),
        "full": make_event(
            title="Språkcafé som metod", themes=[work, health], municipality="varberg",
            organisation=varberg, capacity=2, seats_taken=2, start_dt=soon + timedelta(days=1),
        ),
        "cancelled": make_event(
            title="Föreläsning om etablering", themes=[health], municipality="halmstad",
            status="cancelled", cancellation_reason="Föreläsaren är sjuk.",
            start_dt=soon + timedelta(days=2), online_url="https://meet.example.se/etablering",
        ),
        "not_open": make_event(
            title="Hälsa på lika villkor", themes=[health], municipality="halmstad",
            start_dt=soon + timedelta(days=20),
            registration_opens_dt=soon + timedelta(days=5),
        ),
    }  # fmt: skip
    db.session.commit()
    return events


def card(page, title: str):
    return page.locator(".event-card").filter(has=page.get_by_role("link", name=title))


def test_home_shows_the_service_name_logo_and_each_events_status(
    catalogue, page, viewport, assert_no_axe_violations, screenshot
):
    page.goto("/")
    expect(page.locator(".brand-name")).to_have_text("Hallands seminarier")
    expect(page).to_have_title("Start – Hallands seminarier")
    expect(page.locator(".brand-mark")).to_be_visible()
    tagline = page.locator(".brand-tagline").inner_text()
    assert tagline.strip() != page.get_by_role("heading", level=1).inner_text().strip()
    icon = page.locator("link[rel=icon]").get_attribute("href")
    response = page.request.get(icon)
    assert response.ok
    assert response.headers["content-type"].startswith("image/svg+xml")

    seats = card(page, "Validering av yrkeskunskap")
    expect(seats).to_contain_text("3 platser kvar")
    closes = short_date(catalogue["seats"].registration_closes_dt)
    expect(seats).to_contain_text(f"Anmälan stänger {closes}")
    expect(card(page, "Språkcafé som metod")).to_contain_text("Fullbokat – väntelista")
    expect(card(page, "Föreläsning om etablering")).to_contain_text("Inställt")
    opens = short_date(catalogue["not_open"].registration_opens_dt)
    expect(card(page, "Hälsa på lika villkor")).to_contain_text(f"Anmälan öppnar {opens}")
    assert_fits_the_width(page, viewport)
    assert_no_axe_violations(page)
    screenshot(page, name("home", viewport))

    # A theme chip on a card is a link to the theme.
    seats.get_by_role("link", name="Arbete och kompetens").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Arbete och kompetens")


def test_filters_fold_away_on_a_phone_and_active_ones_are_removable_chips(
    catalogue, page, viewport, assert_no_axe_violations, screenshot
):
    page.goto("/evenemang/?kommun=varberg&tema=halsa")
    toggle = page.locator("summary.filter-toggle")
    show = page.get_by_role("button", name="Visa evenemang")
    chips = page.locator(".active-filters .chip")
    expect(chips).to_have_count(2)
    expect(chips.nth(0)).to_have_text("Ta bort filtret Tema: Jämlik hälsa×")
    expect(chips.nth(1)).to_have_text("Ta bort filtret Kommun: Varberg×")
    expect(page.locator(".event-card")).to_have_count(1)
    if viewport == PHONE:
        expect(toggle).to_have_text("Filtrera (2)")
        expect(show).to_be_hidden()
        assert_on_first_screen(chips.first, viewport)
        assert_on_first_screen(page.locator(".event-card-title").first, viewport)
        assert_fits_the_width(page, viewport)
        assert_no_axe_violations(page)
        screenshot(page, "event-list-filters-closed-390")
        toggle.click()
        expect(show).to_be_visible()
        expect(page.get_by_role("checkbox", name="Varberg", exact=True)).to_be_checked()
        assert_fits_the_width(page, viewport)
        assert_no_axe_violations(page)
        screenshot(page, "event-list-filters-open-390")
    else:
        # Beside the list and open without a click: there is room for them.
        expect(toggle).to_be_hidden()
        expect(show).to_be_visible()
        assert_no_axe_violations(page)
        screenshot(page, "event-list-filters-1280")

    list_url = page.url.split("?")[0]
    page.get_by_role("link", name="Ta bort filtret Kommun: Varberg").click()
    expect(page).to_have_url(f"{list_url}?tema=halsa")
    expect(chips).to_have_count(1)
    expect(page.locator(".event-card")).to_have_count(3)


def test_an_empty_result_offers_clearing_the_filters_and_no_calendar(
    catalogue, page, viewport, assert_no_axe_violations, screenshot
):
    page.goto("/evenemang/?kommun=hylte")
    results = page.locator(".results")
    expect(results.get_by_role("status")).to_have_text("0 evenemang hittades")
    expect(results.locator(".chip")).to_have_text("Ta bort filtret Kommun: Hylte×")
    expect(page.locator(".calendar-links")).to_have_count(0)
    clear = results.get_by_role("link", name="Rensa filter")
    assert_on_first_screen(clear, viewport)
    assert_fits_the_width(page, viewport)
    assert_no_axe_violations(page)
    screenshot(page, name("event-list-empty", viewport))
    clear.click()
    expect(page.locator(".event-card")).to_have_count(4)


def test_the_way_to_register_is_on_the_first_screen_and_the_address_has_a_map(
    page, viewport, assert_no_axe_violations, screenshot
):
    event = make_event(
        title="Mångfald i rekrytering – så lyckas arbetsgivare i Halland", capacity=40,
        summary="En eftermiddag om hur arbetsgivare rekryterar bredare. " * 4,
        description="Ett långt program.\n\n" + "Mer om programmet. " * 200,
        venue_name="Stadsbiblioteket", address="Fredsgatan 1", municipality="halmstad",
        contact_email="kontakt@example.se",
    )  # fmt: skip
    db.session.commit()
    page.goto(f"/evenemang/{event.public_id}/{event.slug}")
    register = page.locator(".event-cta").get_by_role("link", name="Anmäl dig")
    assert_on_first_screen(register, viewport)
    expect(page.locator(".event-cta")).to_contain_text("40 platser kvar")
    map_link = page.get_by_role("link", name="Visa på karta")
    expect(map_link).to_have_attribute(
        "href", "https://www.openstreetmap.org/search?query=Fredsgatan+1%2C+Halmstad"
    )
    expect(page.locator("iframe")).to_have_count(0)  # a link, no embedded map
    assert_fits_the_width(page, viewport)
    assert_no_axe_violations(page)
    screenshot(page, name("event", viewport), full_page=False)
    register.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Anmäl dig till {event.title}")


def test_a_cancelled_event_says_so_first_without_calendar_or_online_link(
    catalogue, page, viewport, assert_no_axe_violations, screenshot
):
    event = catalogue["cancelled"]
    page.goto(f"/evenemang/{event.public_id}/{event.slug}")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Inställt: Föreläsning om etablering")
    assert_on_first_screen(page.get_by_text("Föreläsaren är sjuk."), viewport)
    expect(page.locator(".calendar-links")).to_have_count(0)
    expect(page.get_by_role("link", name="Lägg till i Google Kalender")).to_have_count(0)
    expect(page.locator(f"a[href='{event.online_url}']")).to_have_count(0)
    expect(page.locator(".event-cta")).to_have_count(0)
    assert_fits_the_width(page, viewport)
    assert_no_axe_violations(page)
    screenshot(page, name("event-cancelled", viewport))


def test_the_emailed_link_opens_a_confirmation_with_calendar_buttons(
    page, viewport, assert_no_axe_violations, screenshot
):
    event = make_event(title="Språkcafé för nyanlända", capacity=20)
    registration = make_registration(event)
    db.session.commit()
    page.goto(f"/anmalan/{service.manage_token(registration)}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tack, du är anmäld")
    confirmation = page.locator(".confirmation")
    expect(confirmation).to_contain_text(event.title)
    expect(confirmation).to_contain_text(registration.check_in_code)
    google = confirmation.get_by_role("link", name="Google Kalender")
    outlook = confirmation.get_by_role("link", name="Outlook")
    apple = confirmation.get_by_role("link", name="Apple Kalender och andra (.ics)")
    assert google.get_attribute("href").startswith("https://calendar.google.com/")
    assert outlook.get_attribute("href").startswith("https://outlook.live.com/")
    assert apple.get_attribute("href").endswith("/evenemang.ics")
    # The change and cancel parts come after the confirmation.
    changes = page.get_by_role("heading", name="Dina uppgifter")
    assert changes.bounding_box()["y"] > apple.bounding_box()["y"]
    assert_fits_the_width(page, viewport)
    assert_no_axe_violations(page)
    screenshot(page, name("confirmation", viewport))


def test_the_waiting_list_page_tells_the_place_and_offers_to_leave_the_list(
    page, viewport, assert_no_axe_violations, screenshot
):
    event = make_event(title="Föreläsning om etablering", capacity=1)
    for _ in range(4):
        make_registration(event)
    fourth = make_registration(event)  # the holder, then places 1–3, then this one
    db.session.commit()
    page.goto(f"/anmalan/{service.manage_token(fourth)}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Du står på väntelistan, plats 4")
    main = page.locator("main")
    expect(main).not_to_contain_text("din plats")  # they have no seat to give away
    expect(main).not_to_contain_text("Google Kalender")
    expect(page.get_by_role("heading", name="Vill du inte längre ha en plats?")).to_be_visible()
    assert_fits_the_width(page, viewport)
    assert_no_axe_violations(page)
    screenshot(page, name("manage-waiting", viewport))

    page.get_by_role("link", name="Lämna väntelistan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lämna väntelistan?")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Ja, lämna väntelistan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Din anmälan är avbokad")


def test_radios_and_checkboxes_are_at_least_24_px(page, viewport, assert_no_axe_violations):
    event = make_event()
    db.session.commit()
    page.goto(f"/evenemang/{event.public_id}/anmalan")
    controls = page.locator("input[type=radio], input[type=checkbox]")
    assert controls.count() >= 8  # the sector radios and the consent checkbox
    for index in range(controls.count()):
        box = controls.nth(index).bounding_box()
        assert box["width"] >= 24, box
        assert box["height"] >= 24, box
    assert_no_axe_violations(page)


# --- emails ------------------------------------------------------------------------------


def test_every_email_fits_a_390_px_phone(page, screenshot):
    """Each email's HTML part, rendered as a phone's mail app would, is no wider than the
    screen, with a long title, a long meeting link and a long contact address in it."""
    event = make_event(
        title="Mångfaldsarbete i kommunala verksamheter – erfarenheter från Halland",
        capacity=1, venue_name="Kulturhuset Fyrtornet, stora salen",
        address="Långgatan 12, 432 41 Varberg", municipality="varberg",
        online_url="https://meet.example.se/j/8877665544332211?pwd=QWxhZGRpbjpvcGVuIHNlc2FtZQ"
        "&context=regionhalland-seminarier-2027",
        contact_email="integrationssamordnare.arbetsmarknadsforvaltningen@varberg.example.se",
    )  # fmt: skip
    holder = make_registration(event, email="forsta@example.se")
    make_registration(event, email="andra@example.se")  # waiting, then promoted
    service.register(event, registration_details(email="forsta@example.se"), locale="sv")
    service.cancel_registration(holder)  # cancellation, and promotion for the second
    db.session.commit()
    # Rendered as the sender does, before the event is cancelled (they would show that).
    html = {
        email.kind: notifications.render(email).body_html
        for email in db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id))
    }
    # The long meeting link is in the email of the one who holds a seat when it is sent
    # (the first registrant has cancelled by then, so their confirmation leaves it out).
    assert "meet.example.se" in html["promotion"]
    assert "meet.example.se" not in html["confirmation"]
    event.status = "cancelled"
    service.notify_event_cancelled(event)
    (notice,) = db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.kind == "event_cancelled")
    ).all()
    html["event_cancelled"] = notifications.render(notice).body_html
    assert set(html) == {
        "confirmation", "waiting", "manage_link", "cancellation", "promotion", "event_cancelled",
    }  # fmt: skip
    page.set_viewport_size(PHONE)
    for kind, body in html.items():
        page.set_content(body)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the {kind} email is {width} px wide"
        screenshot(page, f"email-{kind}-390")

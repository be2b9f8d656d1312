"""The public catalogue in Chromium: home → theme → filtered list → event page with the mouse
and the keyboard, on a desktop and a phone, on screen and on paper, without JavaScript, in
both languages, and an axe-core scan of every public page.

The site is Swedish first, so the tests find links and buttons by their Swedish names, as a
visitor would. Screenshots land in test-artifacts/screenshots/catalogue_browser/.
"""

import re
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from eventreg.extensions import db
from eventreg.models import utcnow
from tests.factories import make_event, make_organisation, make_resource, make_theme

# WCAG 1.4.10 (reflow): content must fit 320 CSS pixels without scrolling sideways.
PHONE = {"viewport": {"width": 320, "height": 640}, "is_mobile": True, "has_touch": True}

DESCRIPTION = """Halland har haft en historiskt stor invandring.

**Program**

- Inledning och bakgrund
- Samtal och frågor

Läs mer om [Region Hallands arbete med integration](https://www.regionhalland.se/)."""


@pytest.fixture
def catalogue():
    """Two themes with resources, and upcoming events that each differ from the one that
    matches the filter (Halmstad, seminar, work theme) in one way; a cancelled, a past, an
    online and a draft event. Committed, so the server thread sees them."""
    work = make_theme(
        slug="arbete-och-kompetensforsorjning",
        name_sv="Arbete och kompetensförsörjning",
        name_en="Labour market and skills supply",
        description_sv="Hur nyanländas kompetens tas tillvara på arbetsmarknaden.",
        description_en="How the skills of newcomers are used on the labour market.",
    )
    health = make_theme(
        slug="jamlik-halsa-och-vard",
        name_sv="Jämlik hälsa och vård",
        name_en="Equal health and care",
    )
    make_resource(work, kind="recording", title="Inspelad föreläsning: validering", language="sv")
    make_resource(
        work,
        kind="reading",
        title="Health and migration",
        description="Background reading in English.",
        language="en",
    )
    region = make_organisation(slug="region-halland", name="Region Halland")
    soon = utcnow().replace(microsecond=0) + timedelta(days=7)

    def event(days: int, **fields):
        return make_event(start_dt=soon + timedelta(days=days), organisation=region, **fields)

    catalogue = SimpleNamespace(work=work, health=health)
    catalogue.match = event(
        0,
        title="Nyanländas kompetens – en resurs för Halmstads arbetsgivare",
        themes=[work],
        format="seminar",
        municipality="halmstad",
        description=DESCRIPTION,
        audience="Arbetsgivare och kommuner i Halland",
        capacity=80,
        languages=["sv", "ar"],
        interpretation_available=True,
        step_free_access=True,
        hearing_loop=True,
        contact_email="integration@regionhalland.example.se",
        speakers=["Amina Yusuf", "Erik Johansson"],
    )
    catalogue.elsewhere = event(
        1, title="Kompetensförsörjning i Varberg", themes=[work], municipality="varberg"
    )
    catalogue.lecture = event(2, title="Föreläsning om validering", themes=[work], format="lecture")
    catalogue.other_theme = event(3, title="Vård på lika villkor", themes=[health])
    catalogue.cancelled = event(
        4,
        title="Workshop: mångfald i rekrytering",
        themes=[work],
        format="workshop",
        municipality="falkenberg",
        status="cancelled",
        cancellation_reason="Föreläsaren är sjuk. Vi återkommer med ett nytt datum.",
    )
    catalogue.online = event(
        5,
        title="Webbinarium: uppföljning av integration",
        themes=[health],
        format="webinar",
        municipality="online",
        venue_name="",
        address="",
        online_url="https://meet.example.se/halland",
    )
    catalogue.past = make_event(
        start_dt=utcnow().replace(microsecond=0) - timedelta(days=30),
        title="Språkcafé som metod",
        themes=[work],
        organisation=region,
    )
    catalogue.draft = event(6, title="Utkast: planeringsmöte", themes=[work], status="draft")
    db.session.commit()
    return catalogue


def event_path(event) -> str:
    return f"/evenemang/{event.public_id}/{event.slug}"


# Every public page, as (path, expected status).
PAGES = {
    "home": lambda c: ("/", 200),
    "home-english": lambda c: ("/?lang=en", 200),
    "themes": lambda c: ("/teman/", 200),
    "theme": lambda c: (f"/teman/{c.work.slug}", 200),
    "series-index-empty": lambda c: ("/serier/", 200),
    "events": lambda c: ("/evenemang/", 200),
    "events-filtered": lambda c: ("/evenemang/?kommun=halmstad&format=seminar&q=kompetens", 200),
    "events-invalid-filter": lambda c: (
        "/evenemang/?fran=2030-12-01&till=2030-11-01&kommun=atlantis",
        400,
    ),
    "events-no-results": lambda c: ("/evenemang/?q=finnsinte", 200),
    "archive": lambda c: ("/evenemang/arkiv", 200),
    "event": lambda c: (event_path(c.match), 200),
    "event-english": lambda c: (event_path(c.match) + "?lang=en", 200),
    "event-cancelled": lambda c: (event_path(c.cancelled), 200),
    "event-online": lambda c: (event_path(c.online), 200),
    "event-past": lambda c: (event_path(c.past), 200),
    "accessibility-statement": lambda c: ("/tillganglighet", 200),
    "privacy": lambda c: ("/personuppgifter", 200),
    "not-found": lambda c: ("/evenemang/finns-inte", 404),
    "draft-event": lambda c: (event_path(c.draft), 404),
}


def visit(page, name, catalogue):
    path, status = PAGES[name](catalogue)
    response = page.goto(path)
    assert response.status == status, f"{path} answered {response.status}"
    return path


def real_errors(errors: list[str]) -> list[str]:
    """Leaves out Chromium's note that the document itself answered 400 or 404, which is
    what those pages are for."""
    return [e for e in errors if "the server responded with a status of 4" not in e]


@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_axe_violations(
    name, catalogue, page, assert_no_axe_violations, browser_errors, screenshot
):
    visit(page, name, catalogue)
    screenshot(page, f"page-{name}-desktop")
    assert_no_axe_violations(page)
    assert real_errors(browser_errors) == []


@pytest.mark.parametrize("name", PAGES)
def test_page_fits_a_phone_without_sideways_scrolling(
    name, catalogue, new_context, assert_no_axe_violations, screenshot
):
    page = new_context(**PHONE).new_page()
    visit(page, name, catalogue)
    screenshot(page, f"page-{name}-phone")
    # A mobile Chromium zooms out to fit a page that is too wide, so compare with the
    # screen's width rather than with the (then widened) layout viewport.
    width = page.evaluate("() => document.documentElement.scrollWidth")
    screen = PHONE["viewport"]["width"]
    assert width <= screen, f"page is {width}px wide on a {screen}px screen"
    assert_no_axe_violations(page)


def test_pagination_keeps_the_filters_and_passes_axe(
    catalogue, app, monkeypatch, page, assert_no_axe_violations, screenshot
):
    monkeypatch.setitem(app.config, "EVENTS_PER_PAGE", 2)  # read per request by the server
    page.goto("/evenemang/?kommun=halmstad")
    pages = page.get_by_role("navigation", name="Sidor")
    expect(pages.get_by_role("link", name="Sida 1")).to_have_attribute("aria-current", "page")
    assert_no_axe_violations(page)

    pages.get_by_role("link", name="Nästa").click()
    query = parse_qs(urlsplit(page.url).query)
    assert (query["kommun"], query["sida"]) == (["halmstad"], ["2"])
    expect(pages.get_by_role("link", name="Sida 2")).to_have_attribute("aria-current", "page")
    expect(pages.get_by_role("link", name="Föregående")).to_be_visible()
    assert_no_axe_violations(page)
    screenshot(page, "paginated-list-page-2")


def test_browse_home_theme_filtered_list_and_event(
    catalogue, page, live_server, new_context, screenshot, assert_no_axe_violations
):
    visited = []

    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    assert_no_axe_violations(page)
    visited.append(("1-home", page.url))

    # The theme list's link (the event cards' theme chips link there too).
    page.locator(".theme-grid").get_by_role("link", name=catalogue.work.name_sv).click()
    expect(page).to_have_url(f"{live_server}/teman/{catalogue.work.slug}")
    expect(page.get_by_role("heading", level=1)).to_have_text(catalogue.work.name_sv)
    assert_no_axe_violations(page)
    visited.append(("2-theme", page.url))

    page.get_by_role("link", name="Filtrera evenemangen inom temat").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kommande evenemang")
    # The municipality by keyboard: open the group, tick Halmstad with the space bar.
    municipality = page.locator(".filters details", has=page.locator("#kommun"))
    municipality.locator("summary").press("Enter")
    expect(municipality).to_have_attribute("open", "")
    halmstad = page.get_by_role("checkbox", name="Halmstad")
    halmstad.focus()
    page.keyboard.press("Space")
    expect(halmstad).to_be_checked()
    # The format with the mouse.
    page.locator(".filters details", has=page.locator("#format")).locator("summary").click()
    page.get_by_role("checkbox", name="Seminarium").click()
    page.get_by_role("button", name="Visa evenemang").press("Enter")

    page.wait_for_url(re.compile(r"kommun=halmstad"))
    query = parse_qs(urlsplit(page.url).query)
    assert query["tema"] == [catalogue.work.slug]
    assert query["kommun"] == ["halmstad"]
    assert query["format"] == ["seminar"]
    results = page.get_by_role("region", name="Resultat")
    expect(results.get_by_role("article").get_by_role("heading")).to_have_text(
        [catalogue.match.title]
    )
    expect(results.get_by_role("status")).to_have_text("1 evenemang hittades")
    assert_no_axe_violations(page)
    visited.append(("3-filtered-list", page.url))

    results.get_by_role("link", name=catalogue.match.title).click()
    expect(page).to_have_url(f"{live_server}{event_path(catalogue.match)}")
    expect(page.get_by_role("heading", level=1)).to_have_text(catalogue.match.title)
    expect(page.get_by_text("80 platser kvar av 80")).to_be_visible()
    assert_no_axe_violations(page)
    visited.append(("4-event", page.url))

    # The same pages on a phone, and as they print.
    phone = new_context(**PHONE).new_page()
    for name, url in visited:
        page.goto(url)
        screenshot(page, f"browse-{name}-desktop")
        phone.goto(url)
        screenshot(phone, f"browse-{name}-phone")
    page.emulate_media(media="print")
    for name, url in visited:
        page.goto(url)
        screenshot(page, f"browse-{name}-print")


def test_skip_link_moves_keyboard_focus_to_main_content(catalogue, page):
    page.goto("/")
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Hoppa till innehållet")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()  # shown when focused, not left off-screen

    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")  # the next stop is inside main, past the header links
    assert page.evaluate("() => document.activeElement.closest('main') !== null")


_FOCUS_STYLE_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el.dataset.seen) return null;
  el.dataset.seen = "1";
  const style = getComputedStyle(el);
  return {
    element: el.outerHTML.slice(0, 100),
    outline: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth),
  };
}"""


@pytest.mark.parametrize("path", ["/", "/evenemang/?kommun=halmstad", "event"])
def test_every_keyboard_stop_shows_where_focus_is(path, catalogue, page):
    page.goto(event_path(catalogue.match) if path == "event" else path)
    stops = []
    for _ in range(200):
        page.keyboard.press("Tab")
        stop = page.evaluate(_FOCUS_STYLE_JS)
        if stop is None:  # back at the start, or out of the page
            break
        stops.append(stop)
    assert len(stops) > 5
    hidden = [s for s in stops if s["outline"] == "none" or s["outlineWidth"] < 2]
    assert hidden == [], f"focus is not visible on: {hidden}"


def test_language_switch_goes_to_english_and_back_and_is_remembered(catalogue, page):
    html = page.locator("html")
    page.goto(f"/teman/{catalogue.work.slug}")
    expect(html).to_have_attribute("lang", "sv")

    page.get_by_role("link", name="English").click()
    expect(html).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text(catalogue.work.name_en)
    # The choice is remembered: pages reached by plain links stay English.
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Events").click()
    assert "lang=" not in page.url
    expect(html).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Upcoming events")
    page.get_by_role("link", name=catalogue.match.title).click()
    expect(html).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Registration")).to_be_visible()

    page.get_by_role("link", name="Svenska").click()
    expect(html).to_have_attribute("lang", "sv")
    expect(page.get_by_role("heading", name="Anmälan")).to_be_visible()
    page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Teman").click()
    expect(html).to_have_attribute("lang", "sv")
    expect(page.get_by_role("heading", level=1)).to_have_text("Teman")


def test_filters_work_without_javascript(catalogue, new_context, screenshot):
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/evenemang/")
    page.locator(".filters details", has=page.locator("#kommun")).locator("summary").click()
    page.get_by_role("checkbox", name="Halmstad").check()
    page.locator(".filters details", has=page.locator("#format")).locator("summary").click()
    page.get_by_role("checkbox", name="Seminarium").check()
    page.get_by_role("button", name="Visa evenemang").click()

    page.wait_for_url(re.compile(r"kommun=halmstad"))
    query = parse_qs(urlsplit(page.url).query)
    assert (query["kommun"], query["format"]) == (["halmstad"], ["seminar"])
    results = page.get_by_role("region", name="Resultat")
    expect(results.get_by_role("article").get_by_role("heading")).to_have_text(
        [catalogue.match.title, catalogue.other_theme.title]
    )
    screenshot(page, "no-javascript-filtered")

    # A date range that ends before it starts is refused by the server, no script needed.
    page.get_by_label("Från datum").fill("2030-12-01")
    page.get_by_label("Till datum").fill("2030-11-01")
    page.get_by_role("button", name="Visa evenemang").click()
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading")).to_have_text("Det finns ett problem")
    expect(page).to_have_title(re.compile(r"^Fel: "))
    screenshot(page, "no-javascript-error-summary")


def test_print_layout_leaves_out_navigation_and_keeps_the_cancelled_label(
    catalogue, page, screenshot
):
    page.emulate_media(media="print")
    page.goto("/evenemang/")
    expect(page.get_by_role("navigation", name="Huvudmeny")).to_be_hidden()
    expect(page.get_by_role("form", name="Filtrera evenemang")).to_be_hidden()
    expect(page.get_by_role("link", name="English")).to_be_hidden()
    label = page.locator(".tag-cancelled")
    expect(label).to_be_visible()
    # Printers leave out background colours; the label must not be white text.
    expect(label).not_to_have_css("color", "rgb(255, 255, 255)")
    screenshot(page, "print-event-list")

    page.goto(event_path(catalogue.cancelled))
    expect(page.get_by_role("heading", name="Evenemanget är inställt")).to_be_visible()
    screenshot(page, "print-cancelled-event")

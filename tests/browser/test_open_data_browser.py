"""The open data pages in Chromium, Swedish and English, phone and desktop: the API page
reached from the footer, and the public follow-up figures with withheld counts. Each is
scanned with axe-core; screenshots go to test-artifacts/screenshots/open_data_browser/."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from eventreg.extensions import db
from eventreg.models import utcnow
from tests.factories import make_event, make_registration, make_theme

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(params=[PHONE, DESKTOP], ids=["phone", "desktop"])
def viewport(request, page):
    page.set_viewport_size(request.param)
    return request.param


def assert_fits_the_width(page, viewport: dict) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"{page.url} is {width} px wide"


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_api_page_from_the_footer(page, viewport, lang, assert_no_axe_violations,
                                      screenshot):  # fmt: skip
    page.goto(f"/?lang={lang}")
    page.get_by_role("link", name="Öppna data" if lang == "sv" else "Open data").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Öppna data" if lang == "sv" else "Open data"
    )
    expect(page.get_by_role("link", name="/api/v1/openapi.json")).to_be_visible()
    assert_no_axe_violations(page)
    assert_fits_the_width(page, viewport)
    screenshot(page, f"api-{lang}-{viewport['width']}")


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_follow_up_figures_page(page, viewport, lang, assert_no_axe_violations, screenshot):
    theme = make_theme(name_sv="Arbete och försörjning", name_en="Work and income")
    event = make_event(capacity=10, themes=[theme], municipality="falkenberg")
    for n in range(7):
        make_registration(event, email=f"p{n}@example.se")
    start = utcnow().replace(microsecond=0) - timedelta(days=20)
    event.start_dt, event.end_dt = start, start + timedelta(hours=2)
    db.session.commit()
    page.goto(f"/oppna-data/statistik?lang={lang}")
    expect(page.get_by_role("table").first).to_be_visible()
    expect(page.get_by_text("Falkenberg").first).to_be_visible()
    assert_no_axe_violations(page)
    assert_fits_the_width(page, viewport)
    screenshot(page, f"statistics-{lang}-{viewport['width']}")

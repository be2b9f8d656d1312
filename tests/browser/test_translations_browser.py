"""An event read in Arabic, in Chromium: the text right to left (dir="rtl"), marked Arabic,
reached from the Swedish page by its "Läs på" link, the page's own interface still Swedish
and left to right; axe-core finds nothing on either version. Screenshots are saved in
test-artifacts/screenshots/translations_browser/."""

import pytest
from playwright.sync_api import expect

from eventreg.extensions import db
from eventreg.models import EventTranslation
from eventreg.services.translations import add_missing_seed_languages
from tests.factories import USER_PASSWORD, make_event, make_user

ARABIC_TITLE = "معلومات صحية للقادمين الجدد"


@pytest.fixture
def translated_event():
    languages = {language.code: language for language in add_missing_seed_languages()}
    event = make_event(
        title="Hälsoinformation för nyanlända",
        summary="Hur vården fungerar i Halland.",
        description="Vi går igenom **1177**, vårdcentralen och rätten till tolk.",
    )
    event.translations = [
        EventTranslation(code="ar", language=languages["ar"], title=ARABIC_TITLE,
                         summary="كيف تعمل الرعاية الصحية في هالاند.",
                         description="سنتحدث عن **1177** والمركز الصحي والحق في مترجم."),
        EventTranslation(code="sv-x-lattlast", language=languages["sv-x-lattlast"],
                         title="Om vården för dig som är ny i Sverige",
                         summary="Vi berättar hur vården fungerar."),
    ]  # fmt: skip
    db.session.commit()
    return event


@pytest.mark.parametrize("width", [390, 1280])
def test_the_arabic_version_reads_right_to_left(
    translated_event, page, width, assert_no_axe_violations, screenshot
):
    page.set_viewport_size({"width": width, "height": 844})
    page.goto(f"/evenemang/{translated_event.public_id}/{translated_event.slug}")
    assert_no_axe_violations(page)
    read_in = page.get_by_role("navigation", name="Läs på:")
    expect(read_in.get_by_role("link")).to_have_count(2)
    arabic_link = read_in.get_by_role("link", name="العربية")
    expect(arabic_link).to_have_attribute("lang", "ar")
    expect(arabic_link).to_have_attribute("dir", "rtl")
    expect(read_in.get_by_role("link", name="Lättläst svenska")).to_have_attribute(
        "hreflang", "sv-x-lattlast"
    )
    arabic_link.click()

    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(ARABIC_TITLE)
    title = heading.locator("span[lang=ar]")
    # The browser lays it out right to left: the computed direction, not only the attribute.
    assert title.evaluate("element => getComputedStyle(element).direction") == "rtl"
    for block in (page.locator(".lead"), page.locator(".prose")):
        expect(block).to_have_attribute("lang", "ar")
        assert block.evaluate("element => getComputedStyle(element).direction") == "rtl"
    # The page around it stays Swedish, left to right.
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    assert page.evaluate("getComputedStyle(document.body).direction") == "ltr"
    # Right-to-left text starts at the right edge of its block, the title's too.
    for block, container in ((title, heading), (page.locator(".lead"),) * 2):
        outer = container.bounding_box()
        text_box = block.evaluate(
            "element => { const range = document.createRange();"
            " range.selectNodeContents(element); const box = range.getBoundingClientRect();"
            " return {x: box.x, width: box.width}; }"
        )
        assert abs((text_box["x"] + text_box["width"]) - (outer["x"] + outer["width"])) < 2
    assert "las=ar" in page.url
    canonical = page.locator("link[rel=canonical]").get_attribute("href")
    assert canonical.endswith(f"/evenemang/{translated_event.public_id}/{translated_event.slug}")
    assert_no_axe_violations(page)
    screenshot(page, f"event-arabic-{width}")

    # Back to Swedish by the link in Swedish.
    read_in = page.get_by_role("navigation", name="Läs på:")
    read_in.get_by_role("link", name="Svenska", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hälsoinformation för nyanlända")


def log_in(page, user) -> None:
    page.goto("/arrangor/logga-in?lang=sv")
    page.get_by_label("E-postadress").fill(user.email)
    page.get_by_label("Lösenord").fill(USER_PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mina evenemang")


def test_an_organiser_writes_the_somali_text_and_an_admin_keeps_the_list(
    translated_event, page, assert_no_axe_violations, screenshot
):
    organiser = make_user(organisations=[translated_event.organisation], quick_hash=True)
    admin = make_user(is_admin=True, quick_hash=True)
    db.session.commit()
    log_in(page, organiser)
    page.goto(f"/arrangor/evenemang/{translated_event.id}")
    page.get_by_role("navigation", name="Evenemangets sidor").get_by_role(
        "link", name="Översättningar"
    ).click()
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Skriv på Somaliska").click()
    title = page.get_by_label("Titel")
    expect(title).to_have_attribute("lang", "so")
    page.get_by_role("button", name="Spara").click()  # empty: the error beside the field
    expect(page.locator(".error-summary")).to_contain_text("Ange en titel.")
    assert_no_axe_violations(page)
    title.fill("Macluumaad caafimaad oo loogu talagalay dadka cusub")
    page.get_by_label("Sammanfattning").fill("Sida daryeelka caafimaadku u shaqeeyo.")
    page.get_by_role("button", name="Spara").click()
    expect(page.locator(".resource-list")).to_contain_text("Macluumaad caafimaad")
    screenshot(page, "organiser-translations")

    page.goto(f"/evenemang/{translated_event.public_id}/{translated_event.slug}?las=so")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Macluumaad caafimaad oo loogu talagalay dadka cusub"
    )
    expect(page.locator(".lead")).to_have_attribute("lang", "so")

    page.context.clear_cookies()
    log_in(page, admin)
    page.goto("/admin/sprak")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Inaktivera Somaliska").click()
    expect(page.get_by_role("button", name="Aktivera Somaliska")).to_be_visible()
    page.get_by_role("button", name="Flytta upp Arabiska").click()
    expect(page.locator("tbody tr").nth(1)).to_contain_text("العربية")
    screenshot(page, "admin-languages")

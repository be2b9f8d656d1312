"""Events without registration here and target groups (issue 15), and Swedish-only names on
English pages (issue 12), in Chromium on a 390 px phone and a 1280 px desktop: cards that
say "Ingen anmälan behövs" and "Anmälan via annan webbplats", the page of an open lecture
with no form and no seat count, the way to register elsewhere, the event form's choice, the
target group pages of the administration, and an English list whose filter labels and
chips mark Swedish names lang="sv". Every state is scanned with axe-core; screenshots go to
test-artifacts/screenshots/registration_modes_browser/."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from eventreg.extensions import db
from eventreg.models import TargetGroup, utcnow
from tests.factories import USER_PASSWORD, make_event, make_organisation, make_theme, make_user

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
EXTERNAL = "https://www.lansstyrelsen.se/halland/anmalan"


@pytest.fixture(params=[PHONE, DESKTOP], ids=["phone", "desktop"])
def viewport(request, page):
    page.set_viewport_size(request.param)
    return request.param


def name(base: str, viewport: dict) -> str:
    return f"{base}-{viewport['width']}"


def assert_fits_the_width(page, viewport: dict) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"{page.url} is {width} px wide"


@pytest.fixture
def events():
    theme = make_theme(slug="bara-svenska", name_sv="Samhällsorientering", name_en="")
    varberg = make_organisation(slug="varbergs-kommun", name="Varbergs kommun")
    public = TargetGroup(slug="allmanheten", name_sv="Allmänheten", name_en="The public",
                         position=0)  # fmt: skip
    db.session.add(public)
    soon = utcnow().replace(second=0, microsecond=0) + timedelta(days=10)
    made = {
        "lecture": make_event(
            title="Öppen föreläsning om att komma ny", themes=[theme], organisation=varberg,
            municipality="varberg", registration_mode="none", start_dt=soon,
            audience="Alla som är nyfikna",
        ),
        "elsewhere": make_event(
            title="Samverkanskonferens", organisation=varberg, municipality="varberg",
            registration_mode="external", external_registration_url=EXTERNAL,
            start_dt=soon + timedelta(days=1),
        ),
        "seats": make_event(
            title="Validering av yrkeskunskap", themes=[theme], organisation=varberg,
            municipality="varberg", capacity=30, seats_taken=27,
            start_dt=soon + timedelta(days=2),
        ),
    }  # fmt: skip
    made["lecture"].target_groups = [public]
    db.session.commit()
    return made


def card(page, title: str):
    return page.locator(".event-card").filter(has=page.get_by_role("link", name=title))


def test_cards_say_how_people_register(
    events, page, viewport, assert_no_axe_violations, screenshot
):
    page.goto("/evenemang/")
    expect(card(page, "Öppen föreläsning om att komma ny")).to_contain_text(
        "Ingen anmälan behövs"
    )
    expect(card(page, "Samverkanskonferens")).to_contain_text("Anmälan via annan webbplats")
    expect(card(page, "Validering av yrkeskunskap")).to_contain_text("3 platser kvar")
    assert_fits_the_width(page, viewport)
    assert_no_axe_violations(page)
    screenshot(page, name("cards", viewport))


def test_an_open_lecture_has_no_form_and_no_seat_count(
    events, page, viewport, assert_no_axe_violations, screenshot
):
    event = events["lecture"]
    page.goto(f"/evenemang/{event.public_id}/{event.slug}")
    expect(page.locator(".event-cta")).to_contain_text("Ingen anmälan behövs")
    expect(page.locator(".registration-box")).to_contain_text(
        "Ingen anmälan behövs – det är bara att komma."
    )
    expect(page.get_by_role("link", name="Anmäl dig", exact=True)).to_have_count(0)
    expect(page.locator(".seats")).to_have_count(0)
    expect(page.locator(".facts")).to_contain_text("Allmänheten")
    assert_fits_the_width(page, viewport)
    assert_no_axe_violations(page)
    screenshot(page, name("open-lecture", viewport))

    # Typing the form's address answers a page that says so.
    page.goto(f"/evenemang/{event.public_id}/anmalan")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ingen anmälan behövs")
    assert_no_axe_violations(page)


def test_an_event_registered_elsewhere_links_there(
    events, page, viewport, assert_no_axe_violations, screenshot
):
    event = events["elsewhere"]
    page.goto(f"/evenemang/{event.public_id}/{event.slug}")
    link = page.locator(".event-cta").get_by_role("link", name="Anmäl dig på arrangörens webbplats")
    expect(link).to_have_attribute("href", EXTERNAL)
    assert_fits_the_width(page, viewport)
    assert_no_axe_violations(page)
    screenshot(page, name("registration-elsewhere", viewport))


def test_an_english_list_marks_swedish_names_in_filters_and_chips(
    events, page, viewport, assert_no_axe_violations, screenshot
):
    page.goto("/evenemang/?lang=en&tema=bara-svenska&arrangor=varbergs-kommun")
    chips = page.locator(".active-filters")
    expect(chips.locator('[lang="sv"]', has_text="Samhällsorientering")).to_have_count(1)
    expect(chips.locator('[lang="sv"]', has_text="Varbergs kommun")).to_have_count(1)
    filters = page.locator("form.filters")
    expect(filters.locator('label[lang="sv"]', has_text="Samhällsorientering")).to_have_count(1)
    expect(filters.locator('label[lang="sv"]', has_text="Varbergs kommun")).to_have_count(1)
    expect(filters.locator("label", has_text="The public")).not_to_have_attribute("lang", "sv")
    assert_fits_the_width(page, viewport)
    assert_no_axe_violations(page)
    screenshot(page, name("english-filters", viewport))


def log_in(page, user) -> None:
    page.goto("/arrangor/logga-in")
    page.get_by_label("E-postadress").fill(user.email)
    page.get_by_label("Lösenord").fill(USER_PASSWORD)
    page.get_by_role("button", name="Logga in").click()


def test_the_event_form_and_the_target_group_pages(
    events, page, assert_no_axe_violations, screenshot
):
    admin = make_user(is_admin=True, quick_hash=True)
    db.session.commit()
    page.set_viewport_size(DESKTOP)
    log_in(page, admin)
    page.goto(f"/arrangor/evenemang/{events['elsewhere'].id}/redigera")
    expect(page.get_by_label("Anmälan via annan webbplats")).to_be_checked()
    expect(page.get_by_label("Adress för anmälan på annan webbplats")).to_have_value(EXTERNAL)
    expect(page.get_by_role("group", name="Målgrupper")).to_contain_text("Allmänheten")
    assert_no_axe_violations(page)
    screenshot(page, "event-form")

    page.goto("/admin/malgrupper")
    expect(page.get_by_role("heading", level=1)).to_have_text("Målgrupper")
    assert_no_axe_violations(page)
    screenshot(page, "target-groups")
    page.get_by_role("link", name="Ny målgrupp").click()
    page.get_by_label("Namn på svenska").fill("Arbetsgivare")
    page.get_by_label("Namn på engelska").fill("Employers")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Spara").click()
    expect(page.locator("table")).to_contain_text("Arbetsgivare")
    page.get_by_role("link", name="Ta bort målgruppen Allmänheten").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Allmänheten")
    assert_no_axe_violations(page)
    screenshot(page, "target-group-remove")

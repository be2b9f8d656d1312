"""Series in Chromium: the public page of a lecture series (coming and past parts, its
calendar links) and the index of series on a phone and a desktop, the event page's link to
it, the event list filtered by series, and the organiser's copy for a series without
JavaScript; every page scanned with axe-core."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from eventreg.extensions import db
from eventreg.models import EventSeries, utcnow
from tests.factories import USER_PASSWORD, make_event, make_organisation, make_user

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(params=[PHONE, DESKTOP], ids=["phone", "desktop"])
def viewport(request, page):
    page.set_viewport_size(request.param)
    return request.param


def soon(days: float):
    return utcnow().replace(microsecond=0, second=0) + timedelta(days=days)


@pytest.fixture
def lecture_series():
    organisation = make_organisation(name="Region Halland")
    series = EventSeries(
        organisation=organisation, title="Föreläsningsserie: Jämlik hälsa, våren",
        slug="forelasningsserie-jamlik-halsa-varen",
        description="Fyra föreläsningar om **hälsa på lika villkor**.\n\n- En\n- Alla",
    )  # fmt: skip
    db.session.add(series)
    past = make_event(organisation=organisation, series=series, title="Hälsa och migration",
                      start_dt=soon(-14), format="lecture")  # fmt: skip
    coming = [
        make_event(
            organisation=organisation,
            series=series,
            title=title,
            start_dt=soon(days),
            format="lecture",
        )  # fmt: skip
        for days, title in ((7, "Vårdens tillgänglighet"), (21, "Psykisk hälsa efter flykt"))
    ]
    db.session.commit()
    return {"series": series, "past": past, "coming": coming, "organisation": organisation}


def test_the_series_page_lists_its_parts_and_passes_axe(
    lecture_series, page, viewport, assert_no_axe_violations, screenshot
):
    series = lecture_series["series"]
    page.goto(f"/serier/{series.public_id}/{series.slug}")
    expect(page.get_by_role("heading", level=1)).to_have_text(series.title)
    coming = page.locator("section[aria-labelledby=series-upcoming]")
    expect(coming.locator(".event-card")).to_have_count(2)
    past = page.locator("section[aria-labelledby=series-past]")
    expect(past.locator(".event-card")).to_have_count(1)
    expect(past).to_contain_text("Hälsa och migration")
    expect(page.get_by_role("link", name="Prenumerera i din kalenderapp")).to_have_attribute(
        "href",
        f"webcal://127.0.0.1:{page.url.split(':')[2].split('/')[0]}"
        f"/kalender/serie/{series.public_id}.ics",
    )
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"]
    assert_no_axe_violations(page)
    screenshot(page, f"series-{viewport['width']}")

    # An event of the series leads back to it.
    page.get_by_role("link", name="Vårdens tillgänglighet").first.click()
    link = page.get_by_role("link", name=series.title)
    expect(link).to_be_visible()
    assert_no_axe_violations(page)
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(series.title)


def log_in(page, user) -> None:
    page.goto("/arrangor/logga-in")
    page.get_by_label("E-postadress").fill(user.email)
    page.get_by_label("Lösenord").fill(USER_PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mina evenemang")


def test_an_organiser_copies_an_event_for_a_new_series_without_javascript(
    lecture_series, new_context, screenshot
):
    organisation = lecture_series["organisation"]
    event = make_event(organisation=organisation, title="Nätverksträff", start_dt=soon(10))
    user = make_user(organisations=[organisation], quick_hash=True)
    db.session.commit()
    page = new_context(java_script_enabled=False).new_page()
    log_in(page, user)
    page.goto(f"/arrangor/evenemang/{event.id}/kopiera")
    page.get_by_label("Ingår i en ny serie").check()
    page.get_by_label("Namn på den nya serien").fill("Nätverksträffar hösten")
    page.get_by_role("button", name="Skapa kopian").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Nätverksträff")
    page.goto("/arrangor/serier")
    expect(page.get_by_role("link", name="Nätverksträffar hösten", exact=True)).to_be_visible()
    screenshot(page, "organiser-series-no-javascript")
    db.session.expire_all()
    created = db.session.scalar(
        select(EventSeries).where(EventSeries.title == "Nätverksträffar hösten")
    )
    assert len(created.events) == 2  # the original and its copy


def test_the_organiser_series_pages_pass_axe(lecture_series, page, assert_no_axe_violations):
    organisation, series = lecture_series["organisation"], lecture_series["series"]
    event = lecture_series["coming"][0]
    user = make_user(organisations=[organisation], quick_hash=True)
    db.session.commit()
    log_in(page, user)
    for path in (
        "/arrangor/serier",
        "/arrangor/serier/ny",
        f"/arrangor/serier/{series.id}",
        f"/arrangor/serier/{series.id}/ta-bort",
        f"/arrangor/evenemang/{event.id}/kopiera",
        f"/arrangor/evenemang/{event.id}/redigera",
    ):
        page.goto(path)
        assert_no_axe_violations(page)
    # The copy form with an error: the summary links to the series name field.
    page.goto(f"/arrangor/evenemang/{event.id}/kopiera")
    page.get_by_label("Ingår i en ny serie").check()
    page.get_by_role("button", name="Skapa kopian").click()
    expect(page.get_by_role("alert")).to_contain_text("Namn på den nya serien")
    assert_no_axe_violations(page)


def test_the_index_of_series_leads_to_a_series_and_the_list_filters_by_it(
    lecture_series, page, viewport, assert_no_axe_violations, screenshot
):
    """In English (the page's own words; the series' are Swedish, and marked so)."""
    series = lecture_series["series"]
    outside = make_event(organisation=lecture_series["organisation"], title="Fristående",
                         start_dt=soon(3))  # fmt: skip
    db.session.commit()
    page.goto("/serier/?lang=en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Event series")
    coming = page.get_by_role("region", name="Series with upcoming events")
    link = coming.get_by_role("heading", level=3).get_by_role("link", name=series.title)
    expect(link).to_have_attribute("lang", "sv")
    expect(coming).to_contain_text("2 upcoming events")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert_no_axe_violations(page)
    screenshot(page, f"series-index-{viewport['width']}")

    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(series.title)
    page.get_by_role("link", name="All series").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Event series")

    page.goto("/evenemang/?lang=en")
    toggle = page.locator("summary.filter-toggle")
    if viewport == PHONE:
        toggle.click()
    page.get_by_label("Series").select_option(label=series.title)
    page.get_by_role("button", name="Show events").click()
    page.wait_for_url(re.compile(r"serie="))
    cards = page.locator(".event-card")
    expect(cards).to_have_count(2)
    expect(page.locator(".event-list")).not_to_contain_text(outside.title)
    expect(page.locator(".active-filters .chip")).to_have_text(
        f"Remove filter Series: {series.title}×"
    )
    assert_no_axe_violations(page)
    screenshot(page, f"event-list-by-series-{viewport['width']}")

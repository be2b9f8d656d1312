"""The organiser area in Chromium: log in, create and publish an event and find it on the
public site and in its theme's feed, check someone in on a phone, and an axe-core scan of
every organiser and admin page.

Pages are visited in English (?lang=en, then remembered by cookie): the organiser area's
strings are translated to Swedish only when the lead extracts them.
"""

from collections import defaultdict
from datetime import timedelta
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from eventreg.extensions import db
from eventreg.models import Event, Registration, utcnow
from tests.factories import (
    USER_PASSWORD,
    make_event,
    make_organisation,
    make_registration,
    make_resource,
    make_theme,
    make_user,
)

PHONE = {"viewport": {"width": 320, "height": 640}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def world(app):
    varberg = make_organisation(slug="varbergs-kommun", name="Varbergs kommun")
    theme = make_theme(slug="jamlik-halsa-och-vard", name_sv="Jämlik hälsa och vård",
                       name_en="Equal health and care")  # fmt: skip
    resource = make_resource(theme=theme)
    organiser = make_user(organisations=[varberg], name="Olga Organiser", quick_hash=True)
    admin = make_user(is_admin=True, name="Ada Admin", quick_hash=True)
    start = utcnow().replace(microsecond=0, second=0) + timedelta(days=10)
    event = make_event(organisation=varberg, themes=[theme], capacity=1, start_dt=start,
                       title="Vård på lika villkor")  # fmt: skip
    draft = make_event(organisation=varberg, status="draft", title="Utkast", start_dt=start)
    with app.test_request_context():
        confirmed = make_registration(event, name="Åsa Öberg", dietary_needs="Vegetarisk")
        make_registration(event, name="Bo Väntar")
    db.session.commit()
    return {"varberg": varberg, "theme": theme, "resource": resource, "organiser": organiser,
            "admin": admin, "event": event, "draft": draft, "confirmed": confirmed}  # fmt: skip


def log_in(page, user) -> None:
    page.goto("/arrangor/logga-in?lang=en")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(USER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My events")


def test_create_publish_and_find_it_on_the_public_site_and_feed(world, page, screenshot):
    log_in(page, world["organiser"])
    page.get_by_role("link", name="New event").click()
    page.get_by_label("Title").fill("Språkcafé för föräldrar")
    page.get_by_label("Summary").fill("Samtal på lätt svenska")
    page.get_by_label("Format").select_option("workshop")
    page.get_by_label("Equal health and care").check()
    page.get_by_label("Starts").fill("2030-03-12T09:00")
    page.get_by_label("Ends").fill("2030-03-12T11:00")
    page.get_by_label("Municipality").select_option("varberg")
    page.get_by_label("Venue").fill("Stadsbiblioteket")
    page.get_by_label("Seats").fill("25")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Språkcafé för föräldrar")
    page.get_by_role("link", name="Publish", exact=True).click()  # asks once first
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("The event is published.")).to_be_visible()
    # Full-page screenshots only after the clicks: taking one resizes the viewport for a
    # moment, and Chromium then misplaces the next click.
    screenshot(page, "published")

    event = db.session.scalar(select(Event).where(Event.title == "Språkcafé för föräldrar"))
    page.goto(f"/evenemang/{event.public_id}/{event.slug}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Språkcafé för föräldrar")
    screenshot(page, "public-page")
    feed = page.request.get(f"/kalender/tema/{world['theme'].slug}.ics")
    assert feed.ok
    assert "Språkcafé för föräldrar" in feed.text().replace("\r\n ", "")


def test_check_someone_in_on_a_phone(world, new_context, screenshot):
    # At the door: the event starts within the hour, so check-in is open.
    event = world["event"]
    event.start_dt, event.end_dt = utcnow() + timedelta(minutes=30), utcnow() + timedelta(hours=2)
    db.session.commit()
    phone = new_context(**PHONE).new_page()
    log_in(phone, world["organiser"])
    code = world["confirmed"].check_in_code
    phone.goto(f"/arrangor/evenemang/{world['event'].id}/incheckning")
    expect(phone.get_by_text("0 of 1 here")).to_be_visible()
    phone.get_by_label("Name or check-in code").fill(code.lower())
    phone.get_by_role("button", name="Search").click()
    expect(phone.get_by_text("Åsa Öberg", exact=True)).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["viewport"]["width"], f"{width}px wide: the page scrolls sideways"
    phone.get_by_role("button", name="Check in Åsa Öberg").click()
    expect(phone.get_by_text("1 of 1 here")).to_be_visible()
    screenshot(phone, "check-in-phone")
    db.session.expire_all()
    assert db.session.get(Registration, world["confirmed"].id).attended_at is not None


def _organiser_pages(w) -> dict[str, str]:
    e, d = w["event"].id, w["draft"].id
    return {
        "dashboard": "/arrangor/",
        "dashboard-past": "/arrangor/?visa=tidigare",
        "new-event": "/arrangor/evenemang/nytt",
        "event": f"/arrangor/evenemang/{e}",
        "draft": f"/arrangor/evenemang/{d}",
        "edit": f"/arrangor/evenemang/{e}/redigera",
        "preview": f"/arrangor/evenemang/{d}/forhandsvisning",
        "duplicate": f"/arrangor/evenemang/{e}/kopiera",
        "cancel": f"/arrangor/evenemang/{e}/stall-in",
        "delete": f"/arrangor/evenemang/{d}/ta-bort",
        "registrations": f"/arrangor/evenemang/{e}/anmalningar",
        "add-registration": f"/arrangor/evenemang/{e}/anmalningar/ny",
        "message": f"/arrangor/evenemang/{e}/meddelande",
        "attendance-sheet": f"/arrangor/evenemang/{e}/narvarolista",
        "check-in": f"/arrangor/evenemang/{e}/incheckning",
        "check-in-results": f"/arrangor/evenemang/{e}/incheckning?q=a",
        "statistics": "/arrangor/statistik",
        "import": "/arrangor/import",
        "admin": "/admin/",
        "audit-log": "/admin/logg",
        "themes": "/admin/teman",
        "theme-form": f"/admin/teman/{w['theme'].id}",
        "resource-form": f"/admin/resurser/{w['resource'].id}",
        "organisations": "/admin/organisationer",
        "confirm-remove": f"/admin/teman/{w['theme'].id}/ta-bort",
        "organisation-form": f"/admin/organisationer/{w['varberg'].id}",
        "users": "/admin/anvandare",
        "user-form": f"/admin/anvandare/{w['organiser'].id}",
    }


_ANY = SimpleNamespace(id=0)
PAGE_NAMES = list(_organiser_pages(defaultdict(lambda: _ANY)))


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_organiser_page_has_no_axe_violations(
    name, world, page, assert_no_axe_violations, screenshot
):
    log_in(page, world["admin"])  # admins see every page organisers see, and theirs
    page.goto(_organiser_pages(world)[name])
    expect(page.locator("h1")).to_be_visible()
    if name == "statistics":
        expect(page.locator("svg.chart").first).to_be_visible()
    assert_no_axe_violations(page)
    screenshot(page, f"page-{name}")


@pytest.mark.parametrize(
    ("url", "button"),
    [
        ("/arrangor/evenemang/nytt", "Save"),
        ("/admin/anvandare/ny", "Save"),
        ("/arrangor/import", "Check the file"),
    ],
)
def test_form_with_errors_has_no_axe_violations(url, button, world, page, assert_no_axe_violations):
    log_in(page, world["admin"])
    page.goto(url)
    page.get_by_role("button", name=button).click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert_no_axe_violations(page)


@pytest.mark.parametrize("url", ["/arrangor/logga-in", "/arrangor/glomt-losenord"])
def test_logged_out_pages_have_no_axe_violations(url, world, page, assert_no_axe_violations):
    page.goto(url + "?lang=en")
    assert_no_axe_violations(page)
    page.get_by_role("button").last.click()  # an empty form: the error summary
    expect(page.locator(".error-summary")).to_be_visible()
    assert_no_axe_violations(page)


def test_import_preview_has_no_axe_violations(world, page, assert_no_axe_violations, tmp_path):
    csv_file = tmp_path / "events.csv"
    csv_file.write_text(
        "title;start;end;municipality\nÅrsmöte;2030-03-12 09:00;2030-03-12 10:00;varberg\n"
        "Fel;nej;nej;varberg\n",
        encoding="utf-8",
    )
    log_in(page, world["organiser"])
    page.goto("/arrangor/import")
    page.get_by_label("File (.csv or .ics)").set_input_files(str(csv_file))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_text("1 of 2 rows can be imported")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Import 1 event").click()
    expect(page.get_by_text("1 events imported as drafts")).to_be_visible()

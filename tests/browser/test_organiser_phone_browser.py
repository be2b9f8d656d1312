"""Issue 11, items 7, 8, 9 and 12 in Chromium, on a 390 px phone and a 1280 px screen, in
Swedish: check-in at the door, the registrations table, the attendance sheet and the audit
log. Every new state gets an axe-core scan; the check-in screen and the registrations table
are photographed into test-artifacts/screenshots/organiser_phone_browser/."""

import csv
import io
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from eventreg.extensions import db
from eventreg.models import utcnow
from eventreg.services import audit
from tests.factories import (
    USER_PASSWORD,
    make_event,
    make_organisation,
    make_registration,
    make_user,
)

SIZES = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}
NAMES = [
    "Åsa Öberg", "Bo Ek", "Cecilia Ström", "David Larsson", "Elin Nilsson", "Fatima Ali",
    "Gustav Berg", "Hana Yusuf", "Ida Lund", "Johan Sjö", "Karin Holm", "Leila Omar",
]  # fmt: skip


@pytest.fixture
def door(app):
    """An event starting within the hour (check-in is open), twelve people with a seat and
    one on the waiting list, some with needs."""
    varberg = make_organisation(slug="varbergs-kommun", name="Varbergs kommun")
    organiser = make_user(organisations=[varberg], name="Olga Organiser", quick_hash=True)
    admin = make_user(is_admin=True, name="Ada Admin", quick_hash=True)
    start = utcnow().replace(microsecond=0, second=0) + timedelta(minutes=50)
    event = make_event(organisation=varberg, capacity=len(NAMES), start_dt=start,
                       title="Språkcafé för föräldrar")  # fmt: skip
    with app.test_request_context():
        people = {
            name: make_registration(
                event, name=name, email=f"deltagare{n}@example.se",
                organisation="Region Halland" if n % 2 else "Varbergs kommun",
                dietary_needs="Vegetarisk" if n % 3 == 0 else "",
                accessibility_needs="Rullstol" if n == 4 else "",
                interpretation_language="ar" if n == 5 else None,
            )
            for n, name in enumerate(NAMES)
        }  # fmt: skip
        make_registration(event, name="Väntande Vän")
    db.session.commit()
    return {"event": event, "organiser": organiser, "admin": admin, "people": people}


def open_as(new_context, size: str, user, **context_options):
    page = new_context(**SIZES[size], **context_options).new_page()
    page.goto("/arrangor/logga-in")
    page.get_by_label("E-postadress").fill(user.email)
    page.get_by_label("Lösenord").fill(USER_PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mina evenemang")
    return page


def no_sideways_scrolling(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    assert width <= viewport, f"{width}px wide in a {viewport}px screen: it scrolls sideways"


def in_view(page, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and 0 <= box["y"] and box["y"] + box["height"] <= (
        page.viewport_size["height"])  # fmt: skip


def focused_name(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.name")


# --- 7. check-in at the door -----------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_check_in_at_the_door(size, door, new_context, assert_no_axe_violations, screenshot):
    page = open_as(new_context, size, door["organiser"])
    event = door["event"]
    page.goto(f"/arrangor/evenemang/{event.id}/incheckning")
    assert focused_name(page) == "q"  # the search field first, with focus
    expect(page.get_by_text("0 av 12 här")).to_be_visible()
    people = page.locator(".door-person")
    expect(people).to_have_count(12)  # everyone with a seat, as a tap list
    assert in_view(page, page.get_by_label("Namn eller incheckningskod"))
    assert in_view(page, people.first)  # results above the fold
    no_sideways_scrolling(page)
    assert_no_axe_violations(page)
    screenshot(page, f"check-in-list-{size}", full_page=False)

    page.get_by_label("Namn eller incheckningskod").fill("ström")  # filters as you type
    expect(page.locator(".door-person:visible")).to_have_count(1)
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Checka in Cecilia Ström").click()

    # Back at the search, the name confirmed beside it, ready for the next person.
    assert page.url.endswith(f"/arrangor/evenemang/{event.id}/incheckning")
    confirmation = page.get_by_text("Cecilia Ström är incheckad.")
    expect(confirmation).to_be_visible()
    assert in_view(page, confirmation)
    assert focused_name(page) == "q"
    expect(page.get_by_label("Namn eller incheckningskod")).to_have_value("")
    expect(page.get_by_text("1 av 12 här")).to_be_visible()
    expect(page.locator(".door-person.is-here")).to_have_count(1)
    no_sideways_scrolling(page)
    assert_no_axe_violations(page)
    screenshot(page, f"check-in-after-{size}", full_page=False)

    # The code from the email (or its QR code) still finds the person.
    code = door["people"]["Bo Ek"].check_in_code
    page.goto(f"/arrangor/evenemang/{event.id}/incheckning?q={code.lower()}")
    expect(page.locator(".door-person")).to_have_count(1)
    page.get_by_role("button", name="Checka in Bo Ek").click()
    expect(page.get_by_text("2 av 12 här")).to_be_visible()


def test_check_in_without_script_searches_on_the_server(door, new_context):
    page = open_as(new_context, "phone", door["organiser"], java_script_enabled=False)
    page.goto(f"/arrangor/evenemang/{door['event'].id}/incheckning")
    page.get_by_label("Namn eller incheckningskod").fill("åsa")
    page.get_by_label("Namn eller incheckningskod").press("Enter")
    expect(page.locator(".door-person")).to_have_count(1)
    page.get_by_role("button", name="Checka in Åsa Öberg").click()
    expect(page.get_by_text("Åsa Öberg är incheckad.")).to_be_visible()
    expect(page.locator(".door-person")).to_have_count(12)  # back to everyone


# --- 8. the registrations table --------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_registrations_fit_search_sort_and_act_on_the_chosen(
    size, door, new_context, assert_no_axe_violations, screenshot
):
    page = open_as(new_context, size, door["organiser"])
    event = door["event"]
    page.goto(f"/arrangor/evenemang/{event.id}/anmalningar")
    no_sideways_scrolling(page)
    row_display = page.locator("#confirmed ~ .table-wrap tbody tr").first.evaluate(
        "row => getComputedStyle(row).display"
    )
    assert row_display == ("grid" if size == "phone" else "table-row")  # stacked on a phone
    assert_no_axe_violations(page)
    page.locator("#confirmed").scroll_into_view_if_needed()
    screenshot(page, f"registrations-{size}", full_page=False)

    page.get_by_label("Sök på namn, e-post eller organisation").fill("berg")
    page.get_by_label("Sortera efter").select_option("namn")
    page.get_by_role("button", name="Visa", exact=True).click()
    names = page.locator("#confirmed ~ .table-wrap .stack-name")
    # "berg" in a name or an organisation (Varbergs kommun), by name: Å after Z, as in Swedish.
    expect(names).to_have_text(["Cecilia Ström", "Elin Nilsson", "Gustav Berg", "Ida Lund",
                                "Karin Holm", "Åsa Öberg"])  # fmt: skip
    assert "sok=berg" in page.url  # a GET: works without script, can be bookmarked
    assert_no_axe_violations(page)
    screenshot(page, f"registrations-search-{size}", full_page=False)

    page.get_by_label("Välj Gustav Berg").check()
    page.get_by_label("Välj Åsa Öberg").check()
    with page.expect_download() as download:
        page.get_by_role("button", name="Ladda ner dem som CSV").click()
    rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig")),
                           delimiter=";"))  # fmt: skip
    assert sorted(row[1] for row in rows[1:]) == ["Gustav Berg", "Åsa Öberg"]
    assert rows[1][0] == "Bekräftad"
    page.get_by_role("button", name="Skriv till dem").click()
    expect(page.locator(".chosen-people li")).to_have_text(["Åsa Öberg", "Gustav Berg"])
    no_sideways_scrolling(page)
    assert_no_axe_violations(page)


# --- 9. the attendance sheet -----------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_attendance_sheet_prints_with_needs_and_walk_in_rows(
    size, door, new_context, assert_no_axe_violations, screenshot
):
    page = open_as(new_context, size, door["organiser"])
    page.goto(f"/arrangor/evenemang/{door['event'].id}/narvarolista")
    expect(page.get_by_text("Bekräftade: 12")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Behov")).to_be_visible()
    expect(page.locator("tr.walk-in")).to_have_count(8)
    button = page.get_by_role("button", name="Skriv ut närvarolistan")
    expect(button).to_be_visible()
    assert_no_axe_violations(page)
    screenshot(page, f"attendance-sheet-{size}")
    page.evaluate("window.print = () => { window.printed = true; }")
    button.click()
    assert page.evaluate("window.printed") is True
    page.emulate_media(media="print")
    expect(button).to_be_hidden()  # not on the paper
    expect(page.locator("tr.walk-in").first).to_be_visible()


def test_without_script_there_is_no_print_button_that_does_nothing(door, new_context):
    page = open_as(new_context, "desktop", door["organiser"], java_script_enabled=False)
    page.goto(f"/arrangor/evenemang/{door['event'].id}/narvarolista")
    expect(page.get_by_text("Bekräftade: 12")).to_be_visible()
    expect(page.get_by_role("button", name="Skriv ut närvarolistan")).to_be_hidden()


# --- 12. the audit log -----------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_audit_log_readable_paged_and_filtered(
    size, door, new_context, assert_no_axe_violations, screenshot
):
    event, organiser = door["event"], door["organiser"]
    for n in range(60):
        audit.record_event_change(event, "event.update", organiser,
                                  {"capacity": [n, n + 1], "municipality": ["halmstad", "varberg"]})
    db.session.commit()
    page = open_as(new_context, size, door["admin"])
    page.goto("/admin/logg")
    expect(page.get_by_text("Kommun: Halmstad → Varberg").first).to_be_visible()
    expect(page.locator(".audit-table td", has_text="Olga Organiser").first).to_be_visible()
    no_sideways_scrolling(page)
    assert_no_axe_violations(page)
    screenshot(page, f"audit-log-{size}", full_page=False)
    page.get_by_role("link", name="Nästa").click()
    expect(page.get_by_text("Ändring 51–", exact=False)).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_label("Gjord av").select_option(label="Olga Organiser")
    page.get_by_role("button", name="Visa", exact=True).click()
    expect(page.get_by_text("av 60.", exact=False)).to_be_visible()
    assert_no_axe_violations(page)

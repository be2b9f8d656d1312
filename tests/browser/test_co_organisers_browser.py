"""Joint events in a browser: an organiser ticks a co-organiser in the event form, the public
page names both, and an organiser of the co-organising organisation sees the event read only;
each page scanned with axe-core."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from eventreg.extensions import db
from eventreg.models import Event
from tests.factories import USER_PASSWORD, make_event, make_organisation, make_user


@pytest.fixture
def world(app):
    region = make_organisation(slug="region-halland", name="Region Halland")
    lansstyrelsen = make_organisation(
        slug="lansstyrelsen-halland", name="Länsstyrelsen i Hallands län"
    )
    joint = make_event(organisation=region, co_organisers=[lansstyrelsen], capacity=20,
                       title="Etablering i Halland")  # fmt: skip
    owner = make_user(organisations=[region], quick_hash=True)
    co = make_user(organisations=[lansstyrelsen], quick_hash=True)
    db.session.commit()
    return {"region": region, "lansstyrelsen": lansstyrelsen, "joint": joint, "owner": owner,
            "co": co}  # fmt: skip


def log_in(page, user) -> None:
    page.goto("/arrangor/logga-in?lang=en")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(USER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My events")


def test_an_organiser_names_a_co_organiser_and_the_public_page_shows_both(
    world, page, assert_no_axe_violations, screenshot
):
    log_in(page, world["owner"])
    page.goto("/arrangor/evenemang/nytt")
    group = page.get_by_role("group", name="Co-organisers")
    expect(group.get_by_role("checkbox")).to_have_count(1)  # theirs is not offered
    assert_no_axe_violations(page)
    page.get_by_label("Title").fill("Samverkansdag")
    page.get_by_label("Starts").fill("2031-02-10T09:00")
    page.get_by_label("Ends").fill("2031-02-10T11:00")
    group.get_by_label("Länsstyrelsen i Hallands län").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Samverkansdag")
    db.session.expire_all()
    event = db.session.scalar(select(Event).where(Event.title == "Samverkansdag"))
    assert [o.name for o in event.co_organisers] == ["Länsstyrelsen i Hallands län"]
    joint = world["joint"]
    page.goto(f"/evenemang/{joint.public_id}/{joint.slug}?lang=en")
    expect(page.get_by_text("Region Halland in cooperation with Länsstyrelsen i Hallands län",
                            exact=True)).to_be_visible()  # fmt: skip
    assert_no_axe_violations(page)
    screenshot(page, "joint-event-public")


def test_a_co_organiser_sees_the_event_read_only(world, page, assert_no_axe_violations,
                                                 screenshot):  # fmt: skip
    log_in(page, world["co"])
    expect(page.get_by_text("Co-organised by your organisation: read only")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Etablering i Halland").click()
    expect(page.get_by_role("note")).to_contain_text("Your organisation co-organises this event")
    tabs = page.get_by_role("navigation", name="Event pages").get_by_role("link")
    expect(tabs).to_have_text(["Overview", "Feedback"])
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)
    expect(page.get_by_role("link", name="Cancel the event")).to_have_count(0)
    assert_no_axe_violations(page)
    screenshot(page, "joint-event-co-organiser")

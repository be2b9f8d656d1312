"""Email alerts ("Bevaka") in Chromium on a 390 px phone, Swedish and English: from a theme
page to the subscribe form (with its errors), "check your email", the confirm page and its
button, and the unsubscribe page and its button. Every page is scanned with axe-core and
must fit the width; screenshots go to test-artifacts/screenshots/alerts_browser/."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from eventreg.extensions import db
from eventreg.models import AlertSubscription, OutboxEmail
from eventreg.tokens import alert_unsubscribe_token
from tests.factories import make_event, make_theme

PHONE = {"width": 390, "height": 844}

WORDS = {
    "sv": {"follow": "Bevaka nya evenemang via e-post", "email": "E-postadress",
           "weekly": "En gång i veckan", "start": "Starta bevakningen",
           "check": "Titta i din e-post", "confirm": "Bekräfta bevakningen",
           "on": "Bevakningen är startad", "stop": "Avsluta bevakningen",
           "stopped": "Bevakningen är avslutad"},
    "en": {"follow": "Follow new events by email", "email": "Email address",
           "weekly": "Once a week", "start": "Start the email alert",
           "check": "Check your email", "confirm": "Confirm the email alert",
           "on": "The email alert is on", "stop": "Stop the email alert",
           "stopped": "The email alert is stopped"},
}  # fmt: skip


def check(page, assert_no_axe_violations, screenshot, name: str) -> None:
    assert_no_axe_violations(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide"
    screenshot(page, name)


def newest_link(kind: str, part: str) -> str:
    db.session.expire_all()
    email = db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.kind == kind).order_by(OutboxEmail.id.desc())
    ).first()
    (url,) = set(re.findall(rf"https?://\S+/bevaka/{part}/\S+", email.body_text))
    return "/bevaka/" + url.split("/bevaka/", 1)[1]


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_subscribe_confirm_and_unsubscribe_on_a_phone(page, lang, assert_no_axe_violations,
                                                      screenshot, browser_errors):  # fmt: skip
    words = WORDS[lang]
    theme = make_theme(slug="halsa", name_sv="Hälsa", name_en="Health")
    make_event(themes=[theme])
    db.session.commit()
    page.set_viewport_size(PHONE)
    page.goto(f"/teman/halsa?lang={lang}")
    page.get_by_role("link", name=words["follow"]).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "Hälsa" if lang == "sv" else "Health"
    )
    check(page, assert_no_axe_violations, screenshot, f"subscribe-{lang}")
    # Sent empty: the errors, linked from the summary.
    page.get_by_role("button", name=words["start"]).click()
    expect(page.locator(".error-summary")).to_be_visible()
    check(page, assert_no_axe_violations, screenshot, f"subscribe-errors-{lang}")
    page.get_by_label(words["email"]).fill("amina@example.se")
    page.get_by_label(words["weekly"]).check()
    page.get_by_role("button", name=words["start"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["check"])
    check(page, assert_no_axe_violations, screenshot, f"check-email-{lang}")

    page.goto(newest_link("alert_confirm", "bekrafta"))
    expect(page.get_by_role("heading", level=1)).to_have_text(words["confirm"])
    check(page, assert_no_axe_violations, screenshot, f"confirm-{lang}")
    page.get_by_role("button", name=words["confirm"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["on"])
    check(page, assert_no_axe_violations, screenshot, f"confirmed-{lang}")

    db.session.expire_all()
    subscription = db.session.scalar(select(AlertSubscription))
    assert subscription.frequency == "weekly"
    assert subscription.confirmed_at is not None
    page.goto(f"/bevaka/avsluta/{alert_unsubscribe_token(subscription)}")
    expect(page.get_by_role("heading", level=1)).to_have_text(words["stop"])
    check(page, assert_no_axe_violations, screenshot, f"unsubscribe-{lang}")
    page.get_by_role("button", name=words["stop"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["stopped"])
    check(page, assert_no_axe_violations, screenshot, f"unsubscribed-{lang}")
    db.session.expire_all()
    assert db.session.scalar(select(AlertSubscription.email)) is None
    # The one error the console shows is the 400 answer to the form sent empty.
    assert [error for error in browser_errors if "status of 400" not in error] == []

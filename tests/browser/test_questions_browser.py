"""An event's own questions in Chromium: the sign-up form with a choice, a yes/no and a text
question answered with the keyboard alone, the error state of an unanswered required
question (the summary links to the group and focus lands on its first option), and axe
scans of both, in Swedish (the page) and English (the questions stay marked Swedish)."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from eventreg.extensions import db
from eventreg.models import Registration
from eventreg.services import questions as service
from eventreg.services.questions import QuestionData
from tests.factories import USER_PASSWORD, make_event, make_registration, make_user


@pytest.fixture
def event():
    event = make_event(title="Samverkan kring nyanländas hälsa", capacity=20)
    for data in (
        QuestionData("choice", "Vilken verksamhet arbetar du i?",
                     choices=["Hälso- och sjukvård", "Skola", "Socialtjänst"], is_required=True),
        QuestionData("yes_no", "Vill du ha intyg?", help_text="Intyget skickas efteråt."),
        QuestionData("text", "Något du vill att vi tar upp?"),
    ):  # fmt: skip
        service.add_question(event, data, None)
    db.session.commit()  # the server thread sees only committed rows
    return event


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches `selector` (the keyboard user's way)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"Tab never reached {selector}")


def fill_the_usual_fields(page) -> None:
    tab_to(page, "#name")
    page.keyboard.type("Åsa Öberg")
    page.keyboard.press("Tab")
    page.keyboard.type("asa.oberg@example.se")
    tab_to(page, "input[name=sector]")
    page.keyboard.press("Space")
    tab_to(page, "#municipality")
    page.keyboard.type("Varberg")


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_questions_are_answered_with_the_keyboard_only(
    event, page, lang, assert_no_axe_violations, screenshot
):
    choice, yes_no, text = service.questions_of(event)
    page.goto(f"/evenemang/{event.public_id}/anmalan?lang={lang}")
    assert_no_axe_violations(page)
    screenshot(page, f"form-{lang}")
    # The group is named by its legend, each option by its label.
    group = page.get_by_role("group", name="Vilken verksamhet arbetar du i?")
    expect(group.get_by_role("radio", name="Skola")).to_be_visible()
    expect(page.get_by_role("textbox", name="Något du vill att vi tar upp?")).to_be_visible()

    fill_the_usual_fields(page)
    # A radio group is one stop for Tab; the arrow keys choose inside it.
    tab_to(page, f"#question_{choice.id}-0")
    page.keyboard.press("ArrowDown")
    expect(page.locator(f"#question_{choice.id}-1")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.locator(f"#question_{yes_no.id}-0")).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator(f"#question_{yes_no.id}-0")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.locator(f"#question_{text.id}")).to_be_focused()
    page.keyboard.type("Tolkning vid första besöket")
    tab_to(page, "#consent")
    page.keyboard.press("Space")
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")

    expect(page.locator("h1")).not_to_contain_text("Anmäl")
    db.session.expire_all()
    registration = db.session.scalar(select(Registration))
    assert service.answers_of(registration) == {
        choice.id: "Skola",
        yes_no.id: "yes",
        text.id: "Tolkning vid första besöket",
    }


def test_an_unanswered_required_question_is_in_the_error_summary(
    event, page, assert_no_axe_violations, screenshot
):
    choice, _yes_no, text = service.questions_of(event)
    page.goto(f"/evenemang/{event.public_id}/anmalan")
    fill_the_usual_fields(page)
    tab_to(page, f"#question_{text.id}")
    page.keyboard.type("Kvar efter felet")
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")

    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    link = summary.get_by_role("link", name="Vilken verksamhet arbetar du i?: Svara på frågan.")
    expect(link).to_be_visible()
    group = page.locator(f"#question_{choice.id}")
    expect(group).to_have_attribute("aria-describedby", f"question_{choice.id}-error")
    expect(page.locator(f"#question_{choice.id}-error")).to_contain_text("Svara på frågan.")
    expect(page.locator(f"#question_{text.id}")).to_have_value("Kvar efter felet")
    assert_no_axe_violations(page)
    screenshot(page, "form-errors")

    # Following the link takes the keyboard user to the group's first option.
    link.focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"#question_{choice.id}-0")).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator(f"#question_{choice.id}-0")).to_be_checked()
    db.session.expire_all()
    assert db.session.scalar(select(Registration)) is None


def test_an_organiser_adds_a_question_and_is_warned_before_changing_an_answered_one(
    event, page, assert_no_axe_violations, screenshot
):
    organiser = make_user(organisations=[event.organisation], quick_hash=True)
    choice = service.questions_of(event)[0]
    make_registration(event, answers={choice.id: "Skola"})
    db.session.commit()
    page.goto("/arrangor/logga-in")
    page.get_by_label("E-postadress").fill(organiser.email)
    page.get_by_label("Lösenord").fill(USER_PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.goto(f"/arrangor/evenemang/{event.id}/fragor")
    assert_no_axe_violations(page)
    screenshot(page, "organiser-questions")

    page.get_by_label("Fråga", exact=True).fill("Vilken dag passar bäst?")
    page.get_by_role("radio", name="Ett av några val").check()
    page.get_by_label("Svarsalternativ, ett per rad").fill("Måndag\nTisdag")
    page.get_by_role("button", name="Lägg till frågan").click()
    expect(page.get_by_text("Frågan är tillagd.")).to_be_visible()
    assert [q.label for q in service.questions_of(event)][-1] == "Vilken dag passar bäst?"

    page.get_by_role("link", name=re.compile(f"^Ändra.*{choice.label}")).click()
    page.get_by_label("Svarsalternativ, ett per rad").fill("Hälso- och sjukvård\nSocialtjänst")
    page.get_by_role("button", name="Spara").click()
    warning = page.locator("#answered-warning")
    expect(warning).to_be_focused()
    expect(warning).to_contain_text("Skola (1 svar)")
    assert_no_axe_violations(page)
    screenshot(page, "organiser-change-warning")
    page.get_by_role("button", name="Spara ändringen").click()
    expect(page.get_by_text("Frågan är sparad.")).to_be_visible()
    db.session.expire_all()
    assert service.questions_of(event)[0].choice_list == ["Hälso- och sjukvård", "Socialtjänst"]

"""The confirmation, the waiting-list and the promotion email ("You have a seat") repeat the
person's answers to the event's own questions ("Dina svar" / "Your answers"), read from the
database when the email is rendered, in both parts and the attendee's language: a choice as
the choice's words, yes/no as Ja/Nej or Yes/No, unanswered questions left out. A typed answer
is not repeated (whoever fills in the form chooses the address), only pointed to. The
organisers' words are escaped in the HTML part; an anonymised registration's email has no
answers and still renders; one query reads the answers however many there are."""

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select, update

from eventreg.extensions import db
from eventreg.mail import notifications
from eventreg.models import OutboxEmail, Registration, utcnow
from eventreg.services import questions as service
from eventreg.services.questions import QuestionData, update_registration_and_answers
from eventreg.services.registrations import (
    ProfileUpdate,
    anonymise_registrations,
    cancel_registration,
)
from tests.factories import make_event, make_organisation, make_registration

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
TYPED = "Ring 070-123 45 67 om ert konto"

WORDS = {
    "sv": {"heading": "Dina svar", "yes": "Ja", "no": "Nej",
           "typed": "Visas på din anmälningssida"},
    "en": {"heading": "Your answers", "yes": "Yes", "no": "No",
           "typed": "Shown on your registration page"},
}  # fmt: skip


def add(event, kind, label, **fields):
    return service.add_question(event, QuestionData(kind=kind, label=label, **fields), None)


def asked(event):
    """Five questions, the most an event has: a choice, two yes/no, a text and an optional
    choice the person leaves unanswered."""
    return {
        "work": add(event, "choice", "Vilken verksamhet arbetar du i?",
                    choices=["Vård", "Skola", "Annat"], is_required=True),
        "certificate": add(event, "yes_no", "Vill du ha intyg?"),
        "car": add(event, "yes_no", "Kommer du med bil?"),
        "topic": add(event, "text", "Något du vill att vi tar upp?"),
        "lunch": add(event, "choice", "Vilken lunch vill du ha?",
                     choices=["Kött", "Vegetarisk"]),
    }  # fmt: skip


def answered(questions) -> dict[int, str]:
    return {
        questions["work"].id: "Skola",
        questions["certificate"].id: "yes",
        questions["car"].id: "no",
        questions["topic"].id: TYPED,
    }


def signed_up(kind: str, locale: str = "sv", *, answers=None, event=None) -> Registration:
    """A registration with a seat ("confirmation"), on the waiting list ("waiting") or moved
    from the waiting list to the seat freed by a cancellation ("promotion"), answering all
    the event's questions but the lunch; the event (one seat) gets the questions."""
    if event is None:
        event = make_event(organisation=make_organisation(), capacity=1)
        questions = asked(event)
        answers = answered(questions) if answers is None else answers
    holder = make_registration(event) if kind in ("waiting", "promotion") else None
    registration = make_registration(event, locale=locale, answers=answers or {})
    assert registration.status == ("confirmed" if kind == "confirmation" else "waiting")
    db.session.commit()
    if kind == "promotion":
        promote(holder, registration)
    return registration


def promote(holder: Registration, waiting: Registration) -> None:
    """The holder cancels, and the seat goes to the one waiting (a "promotion" email)."""
    assert cancel_registration(holder) == [waiting]
    db.session.commit()


def rendered(registration: Registration, kind: str) -> OutboxEmail:
    email = db.session.scalar(
        select(OutboxEmail).where(
            OutboxEmail.registration_id == registration.id, OutboxEmail.kind == kind
        )
    )
    return notifications.render(email)


def read(body: str) -> str:
    """A part as a reader sees it: tags dropped, entities decoded, blanks collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


@pytest.mark.parametrize("locale", ["sv", "en"])
@pytest.mark.parametrize("kind", ["confirmation", "waiting", "promotion"])
def test_the_email_repeats_each_answer_under_its_question_in_both_parts(kind, locale):
    words = WORDS[locale]
    email = rendered(signed_up(kind, locale), kind)
    expected = (
        f"{words['heading']}"
        f" Vilken verksamhet arbetar du i? Skola"
        f" Vill du ha intyg? {words['yes']}"
        f" Kommer du med bil? {words['no']}"
        f" Något du vill att vi tar upp? {words['typed']}"
    )
    for part in (email.body_text, email.body_html):
        assert expected in read(part)
        # Left unanswered: left out, not "no answer".
        assert "Vilken lunch vill du ha?" not in part
    assert "\nVill du ha intyg?\n  " + words["yes"] + "\n" in email.body_text


@pytest.mark.parametrize("kind", ["confirmation", "promotion"])
def test_the_swedish_questions_and_choices_are_marked_swedish_in_an_english_email(kind):
    html = rendered(signed_up(kind, "en"), kind).body_html
    assert '<strong lang="sv">Vilken verksamhet arbetar du i?</strong>' in html
    assert '<span lang="sv">Skola</span>' in html
    # Yes and No are in the email's own language.
    assert re.search(r"Vill du ha intyg\?</strong><br>\s*<span>Yes</span>", html)


@pytest.mark.parametrize("kind", ["confirmation", "promotion"])
def test_a_choice_keeps_the_words_picked_after_the_organiser_changes_the_choices(kind):
    registration = signed_up(kind)
    work = service.questions_of(registration.event_id)[0]
    service.update_question(
        work, QuestionData("choice", work.label, choices=["Vård", "Förskola", "Annat"]), None
    )
    db.session.commit()
    email = rendered(registration, kind)
    assert "Vilken verksamhet arbetar du i? Skola" in read(email.body_text)
    assert "Vilken verksamhet arbetar du i? Skola" in read(email.body_html)


@pytest.mark.parametrize("kind", ["confirmation", "waiting", "promotion"])
def test_a_typed_answer_is_pointed_to_not_repeated(kind):
    """Whoever fills in the form chooses the address: typed text would reach a stranger's
    inbox in the site's name. The question stays, with where to read the answer."""
    email = rendered(signed_up(kind), kind)
    for part in (email.body_text, email.body_html):
        assert "Något du vill att vi tar upp? Visas på din anmälningssida" in read(part)
        assert "070-123" not in part


@pytest.mark.parametrize("kind", ["confirmation", "promotion"])
def test_the_organisers_words_are_escaped_in_the_html_and_kept_as_written_in_the_text(kind):
    event = make_event(organisation=make_organisation(), capacity=1)
    label = add(event, "yes_no", f"Fråga {SCRIPT} {IMG}")
    choice = add(event, "choice", "Välj", choices=[f"Svar {SCRIPT}", f"Svar {IMG}"])
    typed = add(event, "text", "Skriv")
    registration = signed_up(
        kind, event=event,
        answers={label.id: "yes", choice.id: f"Svar {IMG}", typed.id: f"{SCRIPT} {IMG}"},
    )  # fmt: skip
    email = rendered(registration, kind)
    html = email.body_html
    assert "<script" not in html
    assert "<img src=x" not in html
    assert "Fråga &lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt;" in html
    assert "Svar &lt;img src=x onerror=alert(1)&gt;" in html
    assert "&amp;lt;" not in html  # escaped once, so it reads as typed
    # What the attendee typed is not in the email at all, escaped or not.
    assert html.count("alert(1)") == 3
    # A text part is never read as HTML: the organiser's words as written.
    assert f"Fråga {SCRIPT} {IMG}\n  Ja\n" in email.body_text
    assert f"Välj\n  Svar {IMG}\n" in email.body_text
    assert email.body_text.count("alert(1)") == 3


@pytest.mark.parametrize("kind", ["confirmation", "waiting", "promotion"])
def test_no_answers_block_without_questions_or_without_answers(kind):
    answering = signed_up(kind)
    no_questions = signed_up(kind, event=make_event(organisation=make_organisation(), capacity=1))
    all_optional = make_event(organisation=make_organisation(), capacity=1)
    add(all_optional, "yes_no", "Vill du ha intyg?")
    no_answers = signed_up(kind, event=all_optional, answers={})
    # Rendered for reading only, after the last commit (which would expire what it filled in).
    with_answers = rendered(answering, kind)
    without_questions = rendered(no_questions, kind)
    none_given = rendered(no_answers, kind)
    assert "Dina svar" in with_answers.body_text
    assert "Dina svar" in with_answers.body_html
    for email in (without_questions, none_given):
        for part in (email.body_text, email.body_html):
            assert "Dina svar" not in part
            assert "Vill du ha intyg?" not in part
        # The text part ends as before: the links follow the event's facts after one blank.
        assert "\n\nSe, ändra eller avboka din anmälan:\n" in email.body_text
        assert "\n\n\n" not in email.body_text


@pytest.mark.parametrize("kind", ["confirmation", "promotion"])
def test_an_email_rendered_after_the_registration_was_anonymised_has_no_answers(kind):
    registration = signed_up(kind)
    email = rendered(registration, kind)
    assert "Vill du ha intyg? Ja" in read(email.body_text)
    event = registration.event
    event.start_dt = utcnow() - timedelta(days=100)
    event.end_dt = event.start_dt + timedelta(hours=2)
    db.session.commit()
    # The promoted registration and the one that gave up its seat.
    assert anonymise_registrations(30)[0] == (1 if kind == "confirmation" else 2)
    db.session.commit()
    # The sender loaded the email before the anonymisation committed: it still renders it,
    # from what the database holds now.
    db.session.execute(
        update(OutboxEmail).where(OutboxEmail.id == email.id)
        .values(subject=None, body_text=None, body_html=None)
    )  # fmt: skip
    email = db.session.get(OutboxEmail, email.id, populate_existing=True)
    notifications.render(email)
    assert event.title in email.body_text
    assert event.title in email.body_html
    for part in (email.body_text, email.body_html):
        assert "Dina svar" not in part
        assert "Vill du ha intyg?" not in part
        assert "Skola" not in part


def render_queries(kind: str, question_count: int) -> tuple[int, str]:
    """How many statements rendering a confirmation or a promotion takes, every question
    answered, from an empty session (as the sender starts); and the text rendered."""
    event = make_event(organisation=make_organisation(), capacity=1)
    questions = [add(event, "yes_no", f"Fråga {n}?") for n in range(question_count)]
    registration = signed_up(kind, event=event, answers={q.id: "yes" for q in questions})
    email_id = db.session.scalar(
        select(OutboxEmail.id).where(
            OutboxEmail.registration_id == registration.id, OutboxEmail.kind == kind
        )
    )
    db.session.expunge_all()
    email = db.session.get(OutboxEmail, email_id)
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", record)
    try:
        notifications.render(email)
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", record)
    return len(statements), email.body_text


@pytest.mark.parametrize("kind", ["confirmation", "promotion"])
def test_the_answers_are_read_in_one_query_however_many_questions(kind):
    one, one_text = render_queries(kind, 1)
    five, five_text = render_queries(kind, 5)
    assert "Fråga 0?\n  Ja" in one_text
    assert all(f"Fråga {n}?\n  Ja" in five_text for n in range(5))
    assert one == five


def test_the_promotion_repeats_the_answers_as_they_are_when_the_seat_is_given():
    """Someone on the waiting list may change their answers before a seat becomes free: the
    promotion email repeats what the organiser holds now, not what the sign-up said."""
    event = make_event(organisation=make_organisation(), capacity=1)
    questions = asked(event)
    holder = make_registration(event)
    waiting = make_registration(event, answers=answered(questions))
    db.session.commit()
    changed = {**answered(questions), questions["work"].id: "Vård", questions["car"].id: "yes"}
    changed.pop(questions["certificate"].id)
    update_registration_and_answers(waiting, ProfileUpdate(name=waiting.name), changed)
    db.session.commit()
    promote(holder, waiting)
    promotion = rendered(waiting, "promotion")
    for part in (promotion.body_text, promotion.body_html):
        text = read(part)
        # After the news and the event's facts, as in the confirmation.
        assert text.index("Goda nyheter: en plats har blivit ledig") < text.index("Dina svar")
        assert (
            "Dina svar Vilken verksamhet arbetar du i? Vård Kommer du med bil? Ja"
            " Något du vill att vi tar upp? Visas på din anmälningssida"
        ) in text
        assert "Vill du ha intyg?" not in part
        assert "070-123" not in part

"""An event's own registration questions: the organiser's rules for them, the sign-up form
that asks them, the answers saved with the registration (and never without it), changed
through the manage link, shown to organisers (list, CSV), left out of the audit log, and
erased with the rest of the personal data."""

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from eventreg.extensions import db
from eventreg.models import (
    AuditEntry,
    Registration,
    RegistrationAnswer,
    RegistrationQuestion,
    utcnow,
)
from eventreg.services import questions as service
from eventreg.services.events import duplicate_event
from eventreg.services.questions import QuestionData, QuestionError
from eventreg.services.registrations import (
    ProfileUpdate,
    anonymise_registrations,
    cancel_registration,
    manage_token,
)
from tests.factories import (
    log_in,
    make_event,
    make_organisation,
    make_registration,
    make_user,
    registration_form,
)

PAYLOAD = "<img src=x onerror=alert(1)>"


@pytest.fixture
def organisation():
    return make_organisation(name="Region Halland")


@pytest.fixture
def organiser(organisation):
    user = make_user(organisations=[organisation], quick_hash=True)
    db.session.commit()
    return user


@pytest.fixture
def event(organisation):
    event = make_event(organisation=organisation, capacity=10)
    db.session.commit()
    return event


def add(event, kind="text", label="Något du vill att vi tar upp?", **fields):
    question = service.add_question(event, QuestionData(kind=kind, label=label, **fields), None)
    db.session.commit()
    return question


def asked(event):
    """A required choice, an optional yes/no and an optional text question."""
    return (
        add(event, "choice", "Vilken verksamhet arbetar du i?",
            choices=["Vård", "Skola", "Annat"], is_required=True),
        add(event, "yes_no", "Vill du ha intyg?", help_text="Skickas efteråt."),
        add(event, "text", "Något du vill att vi tar upp?"),
    )  # fmt: skip


def field(question) -> str:
    return f"question_{question.id}"


def answers_in_db() -> list[tuple[int, str]]:
    db.session.expire_all()
    return sorted((a.question_id, a.value) for a in db.session.scalars(select(RegistrationAnswer)))


def registration_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Registration))


# --- the organiser's rules ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field_name"),
    [
        (QuestionData("text", ""), "label"),
        (QuestionData("text", "   "), "label"),
        (QuestionData("text", "x" * 201), "label"),
        (QuestionData("text", "Fråga\x00"), "label"),
        (QuestionData("text", "Fråga\nSubject: spam"), "label"),
        (QuestionData("text", "Fråga\u2028två"), "label"),
        (QuestionData("text", "Fråga", help_text="h" * 301), "help_text"),
        (QuestionData("text", "Fråga", help_text="rad\x07"), "help_text"),
        (QuestionData("essay", "Fråga"), "kind"),
        (QuestionData("choice", "Fråga", choices=[]), "choices"),
        (QuestionData("choice", "Fråga", choices=["Bara en", " ", ""]), "choices"),
        (QuestionData("choice", "Fråga", choices=["Ja", "ja "]), "choices"),
        (QuestionData("choice", "Fråga", choices=["Kort", "l" * 101]), "choices"),
        (QuestionData("choice", "Fråga", choices=["A", "B\tC"]), "choices"),
        (QuestionData("choice", "Fråga", choices=[f"Val {n}" for n in range(11)]), "choices"),
    ],
)
def test_a_question_the_rules_refuse_names_its_field_and_stores_nothing(event, data, field_name):
    with pytest.raises(QuestionError) as refused:
        service.add_question(event, data, None)
    assert refused.value.field == field_name
    db.session.rollback()
    assert service.questions_of(event) == []


def test_choices_are_cleaned_and_only_a_choice_question_keeps_them(event):
    choice = add(event, "choice", "  Verksamhet  ",
                 choices=[" Vård ", "", "Skola", "  "])  # fmt: skip
    text = add(event, "text", "Övrigt", choices=["ignoreras"])
    assert (choice.label, choice.choice_list) == ("Verksamhet", ["Vård", "Skola"])
    assert text.choices == ""
    assert [q.position for q in service.questions_of(event)] == [0, 1]


def test_the_database_refuses_an_unknown_kind_and_choices_on_a_text_question(event):
    db.session.add(RegistrationQuestion(event_id=event.id, kind="essay", label="x", choices=""))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    db.session.add(RegistrationQuestion(event_id=event.id, kind="text", label="x", choices="a"))
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_an_event_has_at_most_the_configured_number_of_questions(app, event):
    app.config["QUESTIONS_PER_EVENT"] = 2
    try:
        add(event)
        add(event)
        with pytest.raises(QuestionError):
            service.add_question(event, QuestionData("text", "En tredje"), None)
    finally:
        app.config["QUESTIONS_PER_EVENT"] = 5
    db.session.rollback()
    assert len(service.questions_of(event)) == 2


def test_the_default_limit_is_five(app):
    assert app.config["QUESTIONS_PER_EVENT"] == 5


@pytest.mark.parametrize("mode", ["none", "external"])
def test_only_an_event_people_register_for_here_has_questions(organisation, mode):
    event = make_event(organisation=organisation, registration_mode=mode,
                       external_registration_url="https://example.se/anmal")  # fmt: skip
    with pytest.raises(QuestionError):
        service.add_question(event, QuestionData("text", "Fråga"), None)


def test_questions_move_up_and_down_and_stay_numbered_after_a_removal(event):
    first, second, third = asked(event)
    assert service.move_question(third, -1, None)
    assert service.move_question(first, 1, None) is True
    assert service.move_question(service.questions_of(event)[0], -1, None) is False
    db.session.commit()
    assert [q.id for q in service.questions_of(event)] == [third.id, first.id, second.id]
    service.delete_question(first, None)
    db.session.commit()
    assert [(q.id, q.position) for q in service.questions_of(event)] == [
        (third.id, 0), (second.id, 1)]  # fmt: skip


def test_removing_a_question_removes_its_answers_only(event):
    choice, yes_no, _text = asked(event)
    make_registration(event, answers={choice.id: "Vård", yes_no.id: "yes"})
    db.session.commit()
    assert service.delete_question(choice, None) == 1
    db.session.commit()
    assert answers_in_db() == [(yes_no.id, "yes")]


def test_an_answered_question_keeps_its_kind_and_its_answers_when_changed(event):
    choice, _yes_no, _text = asked(event)
    make_registration(event, answers={choice.id: "Vård"})
    db.session.commit()
    with pytest.raises(QuestionError) as refused:
        service.update_question(choice, QuestionData("text", "Verksamhet"), None)
    assert refused.value.field == "kind"
    db.session.rollback()
    data = QuestionData("choice", "Var arbetar du?", choices=["Skola", "Annat"])
    outlook = service.change_outlook(choice, data)
    assert (outlook.answers, outlook.removed_choices) == (1, [("Vård", 1)])
    service.update_question(choice, data, None)
    db.session.commit()
    assert answers_in_db()[0] == (choice.id, "Vård")  # readable as given


def test_question_changes_are_logged_with_the_organisers_words(event, organiser):
    question = service.add_question(event, QuestionData("text", "Fråga"), organiser)
    service.update_question(question, QuestionData("text", "Ny fråga", is_required=True),
                            organiser)  # fmt: skip
    service.delete_question(question, organiser)
    db.session.commit()
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action.like("event.question.%"))
        .order_by(AuditEntry.id)
    ).all()  # fmt: skip
    assert [e.action for e in entries] == [
        "event.question.add", "event.question.update", "event.question.delete"]  # fmt: skip
    assert entries[1].changes["question"] == ["Fråga", "Ny fråga"]
    assert entries[1].changes["is_required"] == [False, True]
    assert all(e.user_id == organiser.id for e in entries)


def test_a_copy_of_an_event_asks_the_same_questions(event):
    asked(event)
    copy = duplicate_event(event, event.start_dt + timedelta(weeks=1), None)
    db.session.commit()
    assert [(q.kind, q.label, q.choices) for q in service.questions_of(copy)] == [
        (q.kind, q.label, q.choices) for q in service.questions_of(event)]  # fmt: skip


# --- the sign-up form --------------------------------------------------------------------


def test_the_form_asks_each_question_with_a_native_control_and_a_linked_label(client, event):
    choice, yes_no, text = asked(event)
    html = client.get(f"/evenemang/{event.public_id}/anmalan").get_data(as_text=True)
    # A text input whose label names it.
    assert re.search(rf'<label for="{field(text)}">.*Något du vill att vi tar upp\?', html)
    assert re.search(rf'<input[^>]*id="{field(text)}"[^>]*type="text"', html) or re.search(
        rf'<input[^>]*type="text"[^>]*id="{field(text)}"', html
    )
    # Radio buttons in a fieldset whose legend is the question, each option labelled.
    fieldset = html[html.index(f'<fieldset class="checkbox-group" id="{field(choice)}"') :]
    fieldset = fieldset[: fieldset.index("</fieldset>")]
    assert "<legend><span>Vilken verksamhet arbetar du i?</span></legend>" in fieldset
    for n, word in enumerate(["Vård", "Skola", "Annat"]):
        assert f'id="{field(choice)}-{n}"' in fieldset
        assert "required" in fieldset
        assert f'<label for="{field(choice)}-{n}">{word}</label>' in fieldset
    # Optional questions say so; the help text is linked to its group.
    assert "Vill du ha intyg?</span> (valfritt)" in html
    assert f'aria-describedby="{field(yes_no)}-hint"' in html
    assert f'<label for="{field(yes_no)}-0">Ja</label>' in html


def test_an_english_page_marks_the_swedish_questions(client, event):
    asked(event)
    html = client.get(f"/evenemang/{event.public_id}/anmalan?lang=en").get_data(as_text=True)
    assert '<legend><span lang="sv">Vilken verksamhet arbetar du i?</span></legend>' in html
    assert "(optional)" in html


def test_a_sign_up_stores_its_answers_with_the_registration(client, event):
    choice, yes_no, text = asked(event)
    response = client.post(
        f"/evenemang/{event.public_id}/anmalan",
        data=registration_form(
            **{field(choice): "Skola", field(yes_no): "yes", field(text): "  Tolkning  "}
        ),
    )
    assert response.status_code == 302
    registration = db.session.scalar(select(Registration))
    assert answers_in_db() == sorted(
        [(choice.id, "Skola"), (yes_no.id, "yes"), (text.id, "Tolkning")])  # fmt: skip
    assert {a.registration_id for a in db.session.scalars(select(RegistrationAnswer))} == {
        registration.id}  # fmt: skip


def test_optional_questions_may_be_left_empty(client, event):
    choice, yes_no, text = asked(event)
    response = client.post(f"/evenemang/{event.public_id}/anmalan", data=registration_form(
        **{field(choice): "Vård", field(yes_no): "", field(text): ""}))  # fmt: skip
    assert response.status_code == 302
    assert answers_in_db() == [(choice.id, "Vård")]


@pytest.mark.parametrize(
    ("answers", "wrong", "message"),
    [
        ({}, "choice", "Svara på frågan."),  # the required choice left out
        ({"choice": "Vård'; DROP TABLE event;--"}, "choice", "Välj ett av svaren."),  # forged
        ({"choice": "vård"}, "choice", "Välj ett av svaren."),  # not exactly a choice
        ({"choice": "Vård", "yes_no": "kanske"}, "yes_no", "Välj ett av svaren."),
        ({"choice": "Vård", "text": "x" * 501}, "text", "högst 500 tecken"),
        ({"choice": "Vård", "text": "rad ett\nrad två"}, "text", "på en rad"),
        ({"choice": "Vård", "text": "klocka\x07"}, "text", "på en rad"),
    ],
)
def test_a_wrong_answer_is_an_error_beside_its_question_and_nothing_is_stored(
    client, event, answers, wrong, message
):
    choice, yes_no, text = asked(event)
    by_kind = {"choice": choice, "yes_no": yes_no, "text": text}
    data = registration_form(**{field(by_kind[k]): v for k, v in answers.items()})
    response = client.post(f"/evenemang/{event.public_id}/anmalan", data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    # The error summary links to the question (a group to its first option).
    wrong = by_kind[wrong]
    anchor = f"#{field(wrong)}" + ("" if wrong.kind == "text" else "-0")
    assert f'href="{anchor}"' in html
    assert registration_count() == 0
    assert answers_in_db() == []


def test_a_nul_in_an_answer_is_refused_before_the_form(client, event):
    _choice, _yes_no, text = asked(event)
    data = registration_form(**{field(text): "a\x00b"})
    assert client.post(f"/evenemang/{event.public_id}/anmalan", data=data).status_code == 400
    assert registration_count() == 0


def test_the_answers_are_kept_on_the_form_after_another_error(client, event):
    choice, yes_no, text = asked(event)
    data = registration_form(email="inte en adress", **{
        field(choice): "Skola", field(yes_no): "no", field(text): "Min fråga"})  # fmt: skip
    response = client.post(f"/evenemang/{event.public_id}/anmalan", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(rf'checked[^>]*id="{field(choice)}-1"|id="{field(choice)}-1"[^>]*checked',
                     html)  # fmt: skip
    assert re.search(rf'checked[^>]*id="{field(yes_no)}-1"|id="{field(yes_no)}-1"[^>]*checked',
                     html)  # fmt: skip
    assert 'value="Min fråga"' in html
    assert registration_count() == 0


def test_a_full_event_puts_the_person_on_the_waiting_list_with_their_answers(client, organisation):
    event = make_event(organisation=organisation, capacity=1)
    db.session.commit()
    choice, _yes_no, _text = asked(event)
    make_registration(event, answers={choice.id: "Vård"})
    db.session.commit()
    response = client.post(f"/evenemang/{event.public_id}/anmalan",
                           data=registration_form(**{field(choice): "Annat"}))  # fmt: skip
    assert response.status_code == 302
    waiting = db.session.scalar(select(Registration).where(Registration.status == "waiting"))
    assert service.answers_of(waiting) == {choice.id: "Annat"}


def test_an_answer_to_a_question_removed_meanwhile_or_of_another_event_is_left_out(
    event, organisation
):
    """The form was checked against the questions before the sign-up took the event's lock;
    a question removed in between (under the same lock) must not fail the sign-up."""
    choice, _yes_no, text = asked(event)
    foreign = add(make_event(organisation=organisation))
    removed_id = text.id
    service.delete_question(text, None)
    db.session.commit()
    registration = make_registration(
        event, answers={choice.id: "Vård", removed_id: "Sent", foreign.id: "Fel evenemang"}
    )
    db.session.commit()
    assert answers_in_db() == [(choice.id, "Vård")]
    # The same through the manage link.
    service.update_registration_and_answers(
        registration, ProfileUpdate(name=registration.name),
        {choice.id: "Skola", removed_id: "Sent", foreign.id: "Fel"})  # fmt: skip
    db.session.commit()
    assert answers_in_db() == [(choice.id, "Skola")]


def test_signing_up_again_with_the_same_address_changes_no_answers(client, event):
    choice, _yes_no, _text = asked(event)
    data = registration_form(email="amina@example.se", **{field(choice): "Vård"})
    assert client.post(f"/evenemang/{event.public_id}/anmalan", data=data).status_code == 302
    data = registration_form(email="amina@example.se", **{field(choice): "Skola"})
    assert client.post(f"/evenemang/{event.public_id}/anmalan", data=data).status_code == 302
    assert answers_in_db() == [(choice.id, "Vård")]
    assert registration_count() == 1


def test_an_event_without_questions_shows_no_question_section(client, event):
    html = client.get(f"/evenemang/{event.public_id}/anmalan").get_data(as_text=True)
    assert "Frågor från arrangören" not in html
    assert client.post(f"/evenemang/{event.public_id}/anmalan",
                       data=registration_form()).status_code == 302  # fmt: skip


# --- the manage page ---------------------------------------------------------------------


def manage_url(app, registration) -> str:
    with app.test_request_context():
        return f"/anmalan/{manage_token(registration)}"


def test_the_manage_page_shows_the_answers_and_saves_changes(app, client, event):
    choice, yes_no, text = asked(event)
    registration = make_registration(
        event, name="Amina Yusuf", answers={choice.id: "Vård", text.id: "Tolkning"}
    )
    db.session.commit()
    url = manage_url(app, registration)
    html = client.get(url).get_data(as_text=True)
    assert re.search(rf'checked[^>]*id="{field(choice)}-0"|id="{field(choice)}-0"[^>]*checked',
                     html)  # fmt: skip
    assert 'value="Tolkning"' in html
    response = client.post(url, data={"name": "Amina Yusuf", "interpretation_language": "",
                                      field(choice): "Skola", field(yes_no): "yes",
                                      field(text): ""})  # fmt: skip
    assert response.status_code == 302
    assert service.answers_of(registration) == {choice.id: "Skola", yes_no.id: "yes"}
    # The log says the answers changed, never what they were or became.
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "registration.update"))  # fmt: skip
    assert entry.changes == {"answers": ["…", "…"]}
    assert entry.registration_id == registration.id


def test_the_manage_page_needs_the_required_answer_and_refuses_a_forged_one(app, client, event):
    choice, _yes_no, _text = asked(event)
    registration = make_registration(event, name="Amina Yusuf", answers={choice.id: "Vård"})
    db.session.commit()
    url = manage_url(app, registration)
    for value in ("", "Något påhittat"):
        response = client.post(url, data={"name": "Amina", field(choice): value})
        assert response.status_code == 400
    assert service.answers_of(registration) == {choice.id: "Vård"}
    assert registration.name == "Amina Yusuf"


def test_an_answer_whose_choice_was_removed_stays_until_the_person_changes_it(app, client, event):
    choice, _yes_no, _text = asked(event)
    registration = make_registration(event, name="Amina Yusuf", answers={choice.id: "Vård"})
    db.session.commit()
    service.update_question(
        choice,
        QuestionData("choice", choice.label, choices=["Skola", "Annat"], is_required=True),
        None,
    )
    db.session.commit()
    url = manage_url(app, registration)
    html = client.get(url).get_data(as_text=True)
    assert f'<label for="{field(choice)}-2">Vård</label>' in html  # still theirs
    response = client.post(url, data={"name": "Amina Yusuf", field(choice): "Vård"})
    assert response.status_code == 302
    assert service.answers_of(registration) == {choice.id: "Vård"}
    # Someone else cannot pick the removed choice.
    response = client.post(f"/evenemang/{event.public_id}/anmalan",
                           data=registration_form(**{field(choice): "Vård"}))  # fmt: skip
    assert response.status_code == 400


def test_a_cancelled_registration_shows_its_answers_without_a_form(app, client, event):
    choice, yes_no, _text = asked(event)
    registration = make_registration(event, answers={choice.id: "Skola", yes_no.id: "no"})
    cancel_registration(registration)
    db.session.commit()
    html = client.get(manage_url(app, registration)).get_data(as_text=True)
    assert "<dt>Vilken verksamhet arbetar du i?</dt>\n    <dd>Skola</dd>" in html
    assert "<dt>Vill du ha intyg?</dt>\n    <dd>Nej</dd>" in html
    assert f'name="{field(choice)}"' not in html


# --- what organisers see -----------------------------------------------------------------


def test_the_registration_list_shows_each_persons_answers_and_a_tally(client, event, organiser):
    choice, yes_no, _text = asked(event)
    make_registration(event, name="Amina Yusuf", answers={choice.id: "Vård", yes_no.id: "yes"})
    make_registration(event, name="Erik Berg", answers={choice.id: "Vård"})
    db.session.commit()
    log_in(client, organiser)
    html = client.get(f"/arrangor/evenemang/{event.id}/anmalningar").get_data(as_text=True)
    assert "Svar på era frågor" in html
    assert (
        "<span>Vilken verksamhet arbetar du i?</span>: Vård<br><span>Vill du ha intyg?</span>: Ja"
        in html
    )  # noqa: E501
    assert "<li>Vård: 2</li>" in html
    assert "<li>Skola: 0</li>" in html
    assert "<li>Ja: 1</li>" in html


def test_the_csv_has_a_column_per_question_and_is_spreadsheet_safe(client, event, organiser):
    choice, yes_no, text = asked(event)
    make_registration(
        event,
        name="Amina Yusuf",
        answers={choice.id: "Vård", yes_no.id: "no", text.id: "=HYPERLINK(1)"},
    )
    make_registration(event, name="Erik Berg", answers={choice.id: "Skola"})
    db.session.commit()
    log_in(client, organiser)
    response = client.get(f"/arrangor/evenemang/{event.id}/anmalningar.csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")),
                           delimiter=";"))  # fmt: skip
    header = rows[0]
    assert header[-3:] == [choice.label, yes_no.label, text.label]
    by_name = {row[1]: row[-3:] for row in rows[1:]}
    assert by_name["Amina Yusuf"] == ["Vård", "Nej", "'=HYPERLINK(1)"]
    assert by_name["Erik Berg"] == ["Skola", "", ""]


def test_an_organiser_adding_someone_need_not_answer_required_questions(client, event, organiser):
    choice, yes_no, _text = asked(event)
    log_in(client, organiser)
    url = f"/arrangor/evenemang/{event.id}/anmalningar/ny"
    html = client.get(url).get_data(as_text=True)
    assert "Vilken verksamhet arbetar du i?</span> (valfritt)" in html
    assert client.post(url, data=registration_form()).status_code == 302
    assert client.post(url, data=registration_form(
        **{field(choice): "Annat", field(yes_no): "no"})).status_code == 302  # fmt: skip
    assert answers_in_db() == sorted([(choice.id, "Annat"), (yes_no.id, "no")])
    response = client.post(url, data=registration_form(**{field(choice): "Påhittat"}))
    assert response.status_code == 400
    assert registration_count() == 2


# --- the organiser's pages ---------------------------------------------------------------


def test_an_organiser_adds_changes_moves_and_removes_questions(client, event, organiser):
    log_in(client, organiser)
    url = f"/arrangor/evenemang/{event.id}/fragor"
    assert "Frågor" in client.get(url).get_data(as_text=True)
    response = client.post(url, data={"label": "Vill du ha intyg?", "kind": "yes_no"})
    assert response.status_code == 302
    response = client.post(
        url,
        data={
            "label": "Verksamhet",
            "kind": "choice",
            "choices": "Vård\r\nSkola\r\n\r\n",
            "is_required": "y",
        },
    )
    assert response.status_code == 302
    yes_no, choice = service.questions_of(event)
    assert (choice.choice_list, choice.is_required) == (["Vård", "Skola"], True)
    response = client.post(f"{url}/{choice.id}/flytta", data={"riktning": "upp"})
    assert response.status_code == 302
    assert [q.id for q in service.questions_of(event)] == [choice.id, yes_no.id]
    assert client.post(f"{url}/{choice.id}/flytta", data={"riktning": "sidled"}).status_code == 400
    response = client.post(f"{url}/{yes_no.id}", data={"label": "Intyg?", "kind": "yes_no"})
    assert response.status_code == 302
    assert "Ta bort frågan" in client.get(f"{url}/{yes_no.id}/ta-bort").get_data(as_text=True)
    assert client.post(f"{url}/{yes_no.id}/ta-bort").status_code == 302
    db.session.expire_all()
    assert [q.label for q in service.questions_of(event)] == ["Verksamhet"]


def test_the_question_form_shows_errors_beside_its_fields(client, event, organiser):
    log_in(client, organiser)
    url = f"/arrangor/evenemang/{event.id}/fragor"
    response = client.post(url, data={"label": "Verksamhet", "kind": "choice",
                                      "choices": "Vård\nvård"})  # fmt: skip
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'href="#choices"' in html
    assert "Varje val ska skilja sig" in html
    response = client.post(url, data={"label": "x" * 500, "kind": "nonsense"})
    assert response.status_code == 400
    assert service.questions_of(event) == []


def test_changing_an_answered_question_warns_first(client, event, organiser):
    choice, _yes_no, _text = asked(event)
    make_registration(event, answers={choice.id: "Vård"})
    db.session.commit()
    log_in(client, organiser)
    url = f"/arrangor/evenemang/{event.id}/fragor/{choice.id}"
    assert "1 person har svarat" in client.get(url).get_data(as_text=True)
    data = {"label": "Verksamhet", "kind": "choice", "choices": "Skola\nAnnat", "is_required": "y"}
    response = client.post(url, data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Kontrollera innan du sparar" in html
    assert "<li>Vård (1 svar)</li>" in html
    db.session.expire_all()
    assert db.session.get(RegistrationQuestion, choice.id).label != "Verksamhet"
    response = client.post(url, data={**data, "bekraftad": "1"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(RegistrationQuestion, choice.id).choice_list == ["Skola", "Annat"]
    assert answers_in_db() == [(choice.id, "Vård")]


def test_removing_an_answered_question_says_the_answers_go(client, event, organiser):
    choice, _yes_no, _text = asked(event)
    make_registration(event, answers={choice.id: "Vård"})
    make_registration(event, answers={choice.id: "Skola"})
    db.session.commit()
    log_in(client, organiser)
    html = client.get(f"/arrangor/evenemang/{event.id}/fragor/{choice.id}/ta-bort").get_data(
        as_text=True
    )
    assert "2 personer har svarat på frågan. Deras svar tas bort med den." in html


def test_another_organisations_organiser_cannot_see_or_change_the_questions(client, event):
    question = add(event)
    stranger = make_user(organisations=[make_organisation(name="Hylte kommun")],
                         quick_hash=True)  # fmt: skip
    db.session.commit()
    log_in(client, stranger)
    base = f"/arrangor/evenemang/{event.id}/fragor"
    assert client.get(base).status_code == 403
    assert client.post(base, data={"label": "X", "kind": "text"}).status_code == 403
    assert client.post(f"{base}/{question.id}", data={"label": "X", "kind": "text"}
                       ).status_code == 403  # fmt: skip
    assert client.post(f"{base}/{question.id}/ta-bort").status_code == 403
    assert client.post(f"{base}/{question.id}/flytta", data={"riktning": "ner"}).status_code == 403
    assert [q.label for q in service.questions_of(event)] == [question.label]


def test_a_question_of_another_event_is_not_found(client, event, organiser, organisation):
    other = make_event(organisation=organisation)
    question = add(other)
    log_in(client, organiser)
    assert client.get(f"/arrangor/evenemang/{event.id}/fragor/{question.id}").status_code == 404


def test_an_event_without_registration_here_offers_no_question_form(
    client, organiser, organisation
):
    event = make_event(organisation=organisation, registration_mode="none")
    db.session.commit()
    log_in(client, organiser)
    url = f"/arrangor/evenemang/{event.id}/fragor"
    html = client.get(url).get_data(as_text=True)
    assert "Lägg till en fråga" not in html
    assert client.post(url, data={"label": "X", "kind": "text"}).status_code in (200, 400)
    assert service.questions_of(event) == []


# --- personal data -----------------------------------------------------------------------


def test_anonymisation_deletes_the_answers_with_the_rest(organisation):
    old = make_event(organisation=organisation, capacity=10)
    kept = make_event(organisation=organisation, capacity=10)
    old_question = add(old)
    kept_question = add(kept)
    gone = make_registration(old, answers={old_question.id: "Personligt svar"})
    stays = make_registration(kept, answers={kept_question.id: "Också personligt"})
    old.start_dt = utcnow() - timedelta(days=100)
    old.end_dt = old.start_dt + timedelta(hours=2)
    db.session.commit()
    count, _ = anonymise_registrations(30)
    db.session.commit()
    assert count == 1
    assert service.answers_of(gone) == {}
    assert service.answers_of(stays) == {kept_question.id: "Också personligt"}


def test_answers_never_reach_the_audit_log(client, event):
    choice, _yes_no, text = asked(event)
    client.post(f"/evenemang/{event.public_id}/anmalan", data=registration_form(
        **{field(choice): "Vård", field(text): "Hemligt svar"}))  # fmt: skip
    registration = db.session.scalar(select(Registration))
    service.update_registration_and_answers(
        registration, ProfileUpdate(name=registration.name), {choice.id: "Skola"}
    )
    db.session.commit()
    entries = db.session.scalars(select(AuditEntry)).all()
    assert {e.action for e in entries} == {"registration.create", "event.question.add",
                                           "registration.update"}  # fmt: skip
    logged = " ".join(f"{e.label} {e.changes}" for e in entries)
    assert "Hemligt svar" not in logged
    assert "Vård" not in logged
    assert "Skola" not in logged


def test_answers_are_not_in_the_public_pages_or_feeds(client, event):
    choice, _yes_no, text = asked(event)
    make_registration(event, answers={choice.id: "Vård", text.id: "Hemligt svar"})
    db.session.commit()
    for url in (f"/evenemang/{event.public_id}", "/kalender.ics", "/evenemang"):
        response = client.get(url)
        assert "Hemligt svar" not in response.get_data(as_text=True), url


# --- escaping ----------------------------------------------------------------------------


def test_a_script_in_a_question_or_an_answer_is_shown_as_text(app, client, event, organiser):
    question = add(event, "choice", PAYLOAD, choices=[PAYLOAD, "Annat"],
                   help_text=PAYLOAD)  # fmt: skip
    text = add(event, "text", "Övrigt")
    registration = make_registration(
        event, name="Amina", answers={question.id: PAYLOAD, text.id: PAYLOAD}
    )
    db.session.commit()
    escaped = "&lt;img src=x onerror=alert(1)&gt;"
    pages = [
        f"/evenemang/{event.public_id}/anmalan",
        manage_url(app, registration),
    ]
    for url in pages:
        html = client.get(url).get_data(as_text=True)
        assert PAYLOAD not in html, url
        assert escaped in html, url
    log_in(client, organiser)
    for url in (f"/arrangor/evenemang/{event.id}/anmalningar",
                f"/arrangor/evenemang/{event.id}/fragor",
                f"/arrangor/evenemang/{event.id}/fragor/{question.id}",
                f"/arrangor/evenemang/{event.id}/fragor/{question.id}/ta-bort",
                f"/arrangor/evenemang/{event.id}/anmalningar/ny"):  # fmt: skip
        html = client.get(url).get_data(as_text=True)
        assert PAYLOAD not in html, url
        assert escaped in html, url
    exported = client.get(f"/arrangor/evenemang/{event.id}/anmalningar.csv")
    assert exported.mimetype == "text/csv"
    assert PAYLOAD in exported.get_data(as_text=True)  # text in a CSV cell, not HTML
    # A form posted back with the payload as the answer shows it escaped too.
    response = client.post(
        f"/evenemang/{event.public_id}/anmalan",
        data=registration_form(email="x", **{field(text): PAYLOAD}),
    )
    html = response.get_data(as_text=True)
    assert PAYLOAD not in html
    assert escaped in html


def test_deleting_a_draft_deletes_its_questions_on_every_database(organisation):
    from eventreg.services.events import delete_draft

    draft = make_event(organisation=organisation, status="draft")
    service.add_question(draft, QuestionData("text", "Fråga"), None)
    db.session.commit()
    delete_draft(draft, None)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(RegistrationQuestion)) == 0


def test_the_demo_data_has_an_event_with_questions_and_answers(runner):
    result = runner.invoke(args=["demo-db", "--force"])
    assert result.exit_code == 0, result.output
    asked = db.session.scalars(select(RegistrationQuestion)).all()
    assert {question.kind for question in asked} == {"text", "choice", "yes_no"}
    assert len({question.event_id for question in asked}) == 1
    assert db.session.scalar(select(func.count()).select_from(RegistrationAnswer)) > 0


def test_the_questions_page_counts_each_questions_answers(client, event, organiser):
    choice, yes_no, _text = asked(event)
    make_registration(event, answers={choice.id: "Vård", yes_no.id: "yes"})
    make_registration(event, answers={choice.id: "Skola"})
    other = make_event(organisation=event.organisation)
    make_registration(other, answers={})
    db.session.commit()
    log_in(client, organiser)
    html = client.get(f"/arrangor/evenemang/{event.id}/fragor").get_data(as_text=True)
    counts = re.findall(r"<p>(\d+) svar</p>", html)
    assert counts == ["2", "1", "0"]

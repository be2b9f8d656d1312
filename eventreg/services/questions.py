"""An event's own registration questions: the organiser's rules for writing them (a few per
event, short, clean text, distinct choices), and the answers people give (checked against
the questions as they are when the answer arrives, saved with the registration, shown to
the event's organisers, deleted with the rest of the personal data).

Questions are written to the audit log by their label (an organiser's text, not personal
data); answers never are, only that a registration's answers changed.

Functions add and flush; the caller commits.
"""

from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from ..extensions import db
from ..models import Event, Registration, User
from ..models.questions import (
    ANSWER_MAX,
    CHOICE_MAX,
    HELP_TEXT_MAX,
    LABEL_MAX,
    MAX_CHOICES,
    NO,
    QUESTION_KINDS,
    YES,
    RegistrationAnswer,
    RegistrationQuestion,
    insert_answers,
)
from ..templating import answer_text
from ..text import is_one_line
from .audit import ANSWERS_CHANGED_KEY, record_event_change
from .errors import RuleError
from .registrations import ProfileUpdate, lock_event, update_registration


class QuestionError(RuleError):
    """A question or an answer the rules refuse; `field` names the form field."""


@dataclass
class QuestionData:
    """What an organiser writes for a question. `choices` one per item, as typed."""

    kind: str
    label: str
    help_text: str = ""
    choices: list[str] = field(default_factory=list)
    is_required: bool = False


def field_name(question: RegistrationQuestion) -> str:
    """The form field a question is asked in (the error summary links to it)."""
    return f"question_{question.id}"


def can_have_questions(event: Event) -> bool:
    """Only an event people register for here has a form to ask on."""
    return event.registers_here


def max_questions() -> int:
    return current_app.config["QUESTIONS_PER_EVENT"]


def questions_of(event: Event | int) -> list[RegistrationQuestion]:
    """The event's questions in their order on the form."""
    event_id = event if isinstance(event, int) else event.id
    return list(
        db.session.scalars(
            select(RegistrationQuestion)
            .where(RegistrationQuestion.event_id == event_id)
            .order_by(RegistrationQuestion.position, RegistrationQuestion.id)
        )
    )


def form_questions(event: Event) -> list[RegistrationQuestion]:
    """`questions_of` for the sign-up form: an event loaded with its `question_count`
    (registrations.signup_event) that has none needs no query."""
    return questions_of(event) if event.question_count else []


def question_of_event(event: Event, question_id: int) -> RegistrationQuestion | None:
    """A question of this event (another event's id, guessed, gives None)."""
    question = db.session.get(RegistrationQuestion, question_id)
    return question if question is not None and question.event_id == event.id else None


def split_choices(text: str | None) -> list[str]:
    """Choices typed one per line: blanks around each and empty lines dropped."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _clean(data: QuestionData) -> QuestionData:
    """The question as it may be stored, or QuestionError naming the field at fault."""
    if data.kind not in QUESTION_KINDS:
        raise QuestionError(_("Choose what kind of question it is."), "kind")
    label = (data.label or "").strip()
    if not label:
        raise QuestionError(_("Write the question."), "label")
    if len(label) > LABEL_MAX:
        raise QuestionError(_("Write at most %(max)d characters.", max=LABEL_MAX), "label")
    if not is_one_line(label):
        raise QuestionError(_("Write this on one line, without line breaks or control "
                              "characters."), "label")  # fmt: skip
    help_text = (data.help_text or "").strip()
    if len(help_text) > HELP_TEXT_MAX:
        raise QuestionError(_("Write at most %(max)d characters.", max=HELP_TEXT_MAX),
                            "help_text")  # fmt: skip
    if not is_one_line(help_text):
        raise QuestionError(_("Write this on one line, without line breaks or control "
                              "characters."), "help_text")  # fmt: skip
    choices: list[str] = []
    if data.kind == "choice":
        choices = [choice.strip() for choice in data.choices if choice.strip()]
        if len(choices) < 2:
            raise QuestionError(_("Write at least two choices, one per line."), "choices")
        if len(choices) > MAX_CHOICES:
            raise QuestionError(_("At most %(count)d choices.", count=MAX_CHOICES), "choices")
        for choice in choices:
            if len(choice) > CHOICE_MAX:
                raise QuestionError(
                    _("Each choice can be at most %(max)d characters.", max=CHOICE_MAX),
                    "choices",
                )
            if not is_one_line(choice):
                raise QuestionError(_("Write each choice on its own line, without control "
                                      "characters."), "choices")  # fmt: skip
        folded = [choice.casefold() for choice in choices]
        if len(set(folded)) != len(folded):
            raise QuestionError(_("Each choice must be different from the others."), "choices")
    return QuestionData(data.kind, label, help_text, choices, bool(data.is_required))


def _apply(question: RegistrationQuestion, data: QuestionData) -> None:
    question.kind = data.kind
    question.label = data.label
    question.help_text = data.help_text
    question.choices = "\n".join(data.choices)
    question.is_required = data.is_required


def _described(question: RegistrationQuestion) -> dict:
    """What the audit log keeps of a question: the organiser's words, nothing personal."""
    return {
        "question": question.label,
        "question_kind": question.kind,
        "help_text": question.help_text,
        "choices": question.choice_list,
        "is_required": question.is_required,
    }


def _lock(event: Event) -> None:
    """Changes to one event's questions one after another (the count and the order are read
    and written under it). The event's own row lock, which every seat change takes too:
    question changes are rare and short."""
    lock_event(event.id)


def add_question(event: Event, data: QuestionData, user: User | None) -> RegistrationQuestion:
    """A new question, last on the form. At most QUESTIONS_PER_EVENT per event, and only for
    an event people register for here."""
    if not can_have_questions(event):
        raise QuestionError(_("People do not register here for this event, so it has no "
                              "registration form to ask on."))  # fmt: skip
    cleaned = _clean(data)
    _lock(event)
    existing = questions_of(event)
    if len(existing) >= max_questions():
        raise QuestionError(_("An event can have at most %(count)d questions.",
                              count=max_questions()))  # fmt: skip
    question = RegistrationQuestion(event_id=event.id, position=len(existing))
    _apply(question, cleaned)
    db.session.add(question)
    db.session.flush()
    record_event_change(event, "event.question.add", user, {"question": [None, question.label]})
    return question


def answer_count(question: RegistrationQuestion) -> int:
    return db.session.scalar(
        select(func.count()).where(RegistrationAnswer.question_id == question.id)
    )


def answer_counts(event: Event) -> dict[int, int]:
    """How many people answered each of the event's questions (one query; none: absent)."""
    rows = db.session.execute(
        select(RegistrationAnswer.question_id, func.count())
        .join(RegistrationQuestion, RegistrationQuestion.id == RegistrationAnswer.question_id)
        .where(RegistrationQuestion.event_id == event.id)
        .group_by(RegistrationAnswer.question_id)
    )
    return dict(rows.all())


@dataclass
class ChangeOutlook:
    """What changing an answered question does to the answers given (for the warning)."""

    answers: int
    # Choices that go, with how many answers keep each (they stay readable as given).
    removed_choices: list[tuple[str, int]] = field(default_factory=list)


def change_outlook(question: RegistrationQuestion, data: QuestionData) -> ChangeOutlook:
    """How many have answered, and which of their choices the change would remove."""
    answers = answer_count(question)
    removed: list[tuple[str, int]] = []
    if answers and question.kind == "choice":
        kept = {choice.strip().casefold() for choice in data.choices}
        gone = [c for c in question.choice_list if c.casefold() not in kept]
        if gone:
            counts = dict(
                db.session.execute(
                    select(RegistrationAnswer.value, func.count())
                    .where(RegistrationAnswer.question_id == question.id,
                           RegistrationAnswer.value.in_(gone))
                    .group_by(RegistrationAnswer.value)
                ).all()
            )  # fmt: skip
            removed = [(choice, counts.get(choice, 0)) for choice in gone]
    return ChangeOutlook(answers=answers, removed_choices=removed)


def update_question(question: RegistrationQuestion, data: QuestionData, user: User | None) -> None:
    """Change a question. The answers given stay as they were given (a choice renamed or
    removed stays in the answers that picked it); the kind of an answered question cannot
    change, since its answers would no longer fit it."""
    event = db.session.get(Event, question.event_id)
    cleaned = _clean(data)
    _lock(event)
    if cleaned.kind != question.kind and answer_count(question):
        raise QuestionError(
            _(
                "People have answered this question, so its kind cannot "
                "change. Remove it and add a new question instead."
            ),
            "kind",
        )
    before = _described(question)
    _apply(question, cleaned)
    db.session.flush()
    changes = {key: [before[key], value] for key, value in _described(question).items()
               if before[key] != value}  # fmt: skip
    if changes:
        changes = {"question": [before["question"], question.label], **changes}
        record_event_change(event, "event.question.update", user, changes)


def delete_question(question: RegistrationQuestion, user: User | None) -> int:
    """Remove a question and every answer to it; returns how many answers went."""
    event = db.session.get(Event, question.event_id)
    _lock(event)
    removed = db.session.execute(
        delete(RegistrationAnswer).where(RegistrationAnswer.question_id == question.id)
    ).rowcount
    label = question.label
    db.session.delete(question)
    db.session.flush()
    _renumber(questions_of(event))
    record_event_change(event, "event.question.delete", user,
                        {"question": [label, None], "answers": [removed, None]})  # fmt: skip
    return removed


def move_question(question: RegistrationQuestion, step: int, user: User | None) -> bool:
    """Move a question one place up (step -1) or down (+1); False at either end."""
    event = db.session.get(Event, question.event_id)
    _lock(event)
    ordered = questions_of(event)
    index = next(i for i, q in enumerate(ordered) if q.id == question.id)
    target = index + (1 if step > 0 else -1)
    if not 0 <= target < len(ordered):
        return False
    ordered[index], ordered[target] = ordered[target], ordered[index]
    _renumber(ordered)
    record_event_change(event, "event.question.move", user,
                        {"question": [question.label, question.label],
                         "position": [index + 1, target + 1]})  # fmt: skip
    return True


def _renumber(ordered: list[RegistrationQuestion]) -> None:
    for position, question in enumerate(ordered):
        question.position = position
    db.session.flush()


def remove_questions_of(event: Event) -> None:
    """Delete an event's questions with it (a draft has no answers). PostgreSQL's cascade
    would do it; SQLite, which runs without foreign-key enforcement here, would keep them."""
    db.session.execute(
        delete(RegistrationQuestion).where(RegistrationQuestion.event_id == event.id)
    )


def copy_questions(source: Event, copy: Event) -> None:
    """The questions of an event on its copy (no answers: the copy has nobody yet)."""
    for question in questions_of(source):
        db.session.add(
            RegistrationQuestion(
                event_id=copy.id, position=question.position, kind=question.kind,
                label=question.label, help_text=question.help_text,
                choices=question.choices, is_required=question.is_required,
            )
        )  # fmt: skip
    db.session.flush()


# --- answers -------------------------------------------------------------------------------


def answer_choices(question: RegistrationQuestion) -> list[tuple[str, str]]:
    """(stored value, words) of the options a choice or yes/no question offers."""
    if question.kind == "yes_no":
        return [(YES, _("Yes")), (NO, _("No"))]
    return [(choice, choice) for choice in question.choice_list]


def check_answers(
    questions: list[RegistrationQuestion],
    answers: dict[int, str],
    *,
    require: bool = True,
    earlier: dict[int, str] | None = None,
) -> dict[int, str]:
    """The answers as they may be stored ({question id: value}, unanswered left out), or
    QuestionError naming the question's field. A choice must be one of the question's
    choices now, or the person's own earlier answer (a choice since removed, which they
    keep until they pick another). `require=False` lets required questions be left
    unanswered (an organiser registering someone by phone)."""
    earlier = earlier or {}
    cleaned: dict[int, str] = {}
    for question in questions:
        value = (answers.get(question.id) or "").strip()
        name = field_name(question)
        if not value:
            if require and question.is_required:
                raise QuestionError(_("Answer this question."), name)
            continue
        if question.kind == "text":
            if len(value) > ANSWER_MAX:
                raise QuestionError(_("Write at most %(max)d characters.", max=ANSWER_MAX), name)
            if not is_one_line(value):
                raise QuestionError(_("Write this on one line, without line breaks or control "
                                      "characters."), name)  # fmt: skip
        else:
            allowed = {stored for stored, _words in answer_choices(question)}
            if value not in allowed and value != earlier.get(question.id):
                raise QuestionError(_("Choose one of the answers given."), name)
        cleaned[question.id] = value
    return cleaned


def answers_of(registration: Registration) -> dict[int, str]:
    """{question id: value} of one registration."""
    if registration.id is None:
        return {}
    return dict(
        db.session.execute(
            select(RegistrationAnswer.question_id, RegistrationAnswer.value).where(
                RegistrationAnswer.registration_id == registration.id
            )
        ).all()
    )


def _replace_answers(registration: Registration, answers: dict[int, str]) -> bool:
    """Store these answers in place of the earlier ones (a question left out is no longer
    answered); whether anything changed. Under the event's lock, as the sign-up, so a
    question removed meanwhile is left out rather than an error."""
    if answers_of(registration) == answers:
        return False
    lock_event(registration.event_id)
    rows = {
        answer.question_id: answer
        for answer in db.session.scalars(
            select(RegistrationAnswer).where(RegistrationAnswer.registration_id == registration.id)
        )
    }
    for question_id, answer in rows.items():
        if question_id not in answers:
            db.session.delete(answer)
        elif answer.value != answers[question_id]:
            answer.value = answers[question_id]
    new = {question_id: value for question_id, value in answers.items() if question_id not in rows}
    if new:
        db.session.execute(insert_answers(registration.id, registration.event_id, new))
    return True


def update_registration_and_answers(
    registration: Registration,
    changes: ProfileUpdate,
    answers: dict[int, str],
    now: datetime | None = None,
) -> None:
    """The attendee's changes through the manage link: their details
    (services.registrations.update_registration) and their answers (checked with
    `check_answers`), in one flush. The audit log notes which details changed and that the
    answers did, never what any of them said."""
    if registration.is_active and _replace_answers(registration, answers):
        # Read by the audit log's flush listener (services.audit), with the details' changes.
        db.session.info.setdefault(ANSWERS_CHANGED_KEY, set()).add(registration.id)
    update_registration(registration, changes, now=now)


def answers_by_registration(
    registrations: list[Registration],
) -> dict[int, dict[int, str]]:
    """{registration id: {question id: value}} for these registrations, in one query."""
    ids = [registration.id for registration in registrations]
    found: dict[int, dict[int, str]] = {}
    if not ids:
        return found
    rows = db.session.execute(
        select(
            RegistrationAnswer.registration_id,
            RegistrationAnswer.question_id,
            RegistrationAnswer.value,
        ).where(RegistrationAnswer.registration_id.in_(ids))
    )
    for registration_id, question_id, value in rows:
        found.setdefault(registration_id, {})[question_id] = value
    return found


def answer_summary(
    questions: list[RegistrationQuestion],
    registrations: list[Registration],
    answers: dict[int, dict[int, str]],
) -> list[tuple[RegistrationQuestion, list[tuple[str, int]]]]:
    """Per choice or yes/no question, how many of the active registrations gave each
    answer (in the order of the choices; earlier choices since removed after them)."""
    active = [r for r in registrations if r.is_active]
    summary = []
    for question in questions:
        if question.kind == "text":
            continue
        counts: dict[str, int] = {stored: 0 for stored, _words in answer_choices(question)}
        for registration in active:
            value = answers.get(registration.id, {}).get(question.id)
            if value:
                counts[value] = counts.get(value, 0) + 1
        summary.append(
            (question, [(answer_text(question, value), n) for value, n in counts.items()])
        )
    return summary


def delete_answers(registration_ids: list[int]) -> None:
    """Delete every answer of these registrations (anonymisation)."""
    if registration_ids:
        db.session.execute(
            delete(RegistrationAnswer).where(
                RegistrationAnswer.registration_id.in_(registration_ids)
            )
        )

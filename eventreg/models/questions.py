"""An event's own questions on its registration form, and the answers people give.

Answers are personal data: they are deleted with the rest of a registration's personal data
(services.registrations.anonymise_registrations) and never written to the audit log."""

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Insert,
    Integer,
    String,
    Text,
    case,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from ..extensions import db
from .events import Event
from .registrations import Registration

QUESTION_KINDS = ("text", "choice", "yes_no")
# The stored answers of a yes/no question.
YES, NO = "yes", "no"

LABEL_MAX = 200
HELP_TEXT_MAX = 300
CHOICE_MAX = 100
MAX_CHOICES = 10
ANSWER_MAX = 500


class RegistrationQuestion(db.Model):
    """One question of an event's registration form: short text, one of a few choices, or
    yes/no. The choices are kept one per line, in their order on the form; an answer keeps
    the words of the choice it picked, so renaming or removing a choice later leaves the
    answers given readable."""

    __tablename__ = "registration_question"
    __table_args__ = (
        CheckConstraint("kind IN ('text', 'choice', 'yes_no')", name="kind_known"),
        CheckConstraint("position >= 0", name="position_not_negative"),
        # Only a choice question has choices.
        CheckConstraint("kind = 'choice' OR choices = ''", name="choices_only_for_choice"),
        Index("ix_registration_question_event_position", "event_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(20))  # QUESTION_KINDS
    label: Mapped[str] = mapped_column(String(LABEL_MAX))
    help_text: Mapped[str] = mapped_column(String(HELP_TEXT_MAX), default="")
    # One choice per line (each at most CHOICE_MAX characters, at most MAX_CHOICES).
    choices: Mapped[str] = mapped_column(
        Text, default="", info={"max_length": MAX_CHOICES * (CHOICE_MAX + 1)}
    )
    is_required: Mapped[bool] = mapped_column(default=False)

    @property
    def choice_list(self) -> list[str]:
        return [line for line in (self.choices or "").split("\n") if line]

    def __repr__(self) -> str:
        return f"<RegistrationQuestion {self.id} {self.kind} event={self.event_id}>"


class RegistrationAnswer(db.Model):
    """One person's answer to one question (no row: not answered)."""

    __tablename__ = "registration_answer"
    __table_args__ = (
        # The primary key serves "answers of this registration"; this serves "answers to
        # this question" (counting them before a change, and the cascade when it is removed).
        Index("ix_registration_answer_question_id", "question_id"),
    )

    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[int] = mapped_column(
        ForeignKey("registration_question.id", ondelete="CASCADE"), primary_key=True
    )
    value: Mapped[str] = mapped_column(String(ANSWER_MAX))

    registration: Mapped[Registration] = relationship()
    question: Mapped[RegistrationQuestion] = relationship()

    def __repr__(self) -> str:
        return f"<RegistrationAnswer {self.registration_id}/{self.question_id}>"


# How many questions an event has: deferred, so read only where asked for (`undefer`). The
# sign-up form loads it with its event and asks for the questions only when there are some.
Event.question_count = column_property(
    select(func.count(RegistrationQuestion.id))
    .where(RegistrationQuestion.event_id == Event.id)
    .correlate_except(RegistrationQuestion)
    .scalar_subquery(),
    deferred=True,
)


def insert_answers(registration_id: int, event_id: int, answers: dict[int, str]) -> Insert:
    """One INSERT of these answers ({question id: value}) for a registration, of only those
    whose question the event still has. Run under the event's lock, which removing a
    question takes too, it cannot store an answer to a question removed while the form
    was being filled in (nor to another event's question)."""
    value = case(answers, value=RegistrationQuestion.id)
    return insert(RegistrationAnswer).from_select(
        ["registration_id", "question_id", "value"],
        select(literal(registration_id, Integer), RegistrationQuestion.id, value).where(
            RegistrationQuestion.event_id == event_id,
            RegistrationQuestion.id.in_(list(answers)),
        ),
    )


def answered_questions(registration_id: int) -> list[tuple[RegistrationQuestion, str]]:
    """The questions one registration answered, each with its stored answer, in their order
    on the form (questions left unanswered, and every answer of an anonymised registration,
    have no row). One query however many questions: the emails read it as they are sent."""
    rows = db.session.execute(
        select(RegistrationQuestion, RegistrationAnswer.value)
        .join(RegistrationAnswer, RegistrationAnswer.question_id == RegistrationQuestion.id)
        .where(RegistrationAnswer.registration_id == registration_id)
        .order_by(RegistrationQuestion.position, RegistrationQuestion.id)
    )
    return [(question, value) for question, value in rows]

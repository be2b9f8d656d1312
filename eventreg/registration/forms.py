"""The registration form and the self-service change form."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from .. import vocab
from ..forms import strip, visitor_email_field
from ..services.questions import QuestionError, answer_choices, check_answers, field_name
from ..services.registrations import AttendeeDetails, ProfileUpdate
from ..text import contains_line_break

# Where attendees come from: Halland's municipalities, or elsewhere ("online" is a place for
# events, not for people).
HOME_MUNICIPALITIES = {
    **vocab.HALLAND_MUNICIPALITIES,
    "elsewhere": vocab.MUNICIPALITIES["elsewhere"],
}


def no_line_breaks(form, field) -> None:
    """One line for the organisation, as for the name and address (whose line breaks, which
    could add headers to the emails we send, the registration service refuses)."""
    if contains_line_break(field.data):
        raise ValidationError(_l("Write this on one line, without line breaks."))


INTERPRETATION_CHOICES = [
    SelectChoice("", _l("No interpretation needed")),
    *vocab.choices(vocab.LANGUAGES),
]


class ProfileForm(FlaskForm):
    """The fields an attendee can change after registering (and, made by `with_questions`,
    the event's own questions)."""

    # The event's questions (services.questions), one field each, named by field_name.
    questions: tuple = ()
    # Whether a required question must be answered (not when an organiser registers
    # someone), and the person's answers so far (a choice since removed stays allowed).
    require_answers = True
    earlier_answers: dict = {}

    name = StringField(
        _l("Full name"),
        filters=[strip],
        validators=[
            DataRequired(_l("Enter your name.")),
            Length(max=200, message=_l("The name can be at most %(max)d characters.")),
        ],
    )
    organisation = StringField(
        _l("Organisation (optional)"),
        filters=[strip],
        validators=[
            Length(max=200, message=_l("The organisation can be at most %(max)d characters.")),
            no_line_breaks,
        ],
    )
    dietary_needs = TextAreaField(
        _l("Dietary needs (optional)"),
        filters=[strip],
        validators=[Length(max=500, message=_l("Write at most %(max)d characters."))],
    )
    accessibility_needs = TextAreaField(
        _l("Accessibility needs (optional)"),
        filters=[strip],
        validators=[Length(max=500, message=_l("Write at most %(max)d characters."))],
    )
    interpretation_language = SelectField(
        _l("Interpretation needed"), choices=INTERPRETATION_CHOICES, default=""
    )

    def validate(self, extra_validators=None) -> bool:
        """The fields, then each question's answer against the question as it is now (a
        forged choice is an error beside the question, like an empty required one); the
        answers that may be stored are left in `answers`."""
        valid = super().validate(extra_validators)
        self.answers: dict[int, str] = {}
        for question in self.questions:
            answer_field = self[field_name(question)]
            try:
                self.answers |= check_answers(
                    [question], {question.id: answer_field.data or ""},
                    require=self.require_answers, earlier=self.earlier_answers,
                )  # fmt: skip
            except QuestionError as error:
                answer_field.errors = [*answer_field.errors, error.message]
                valid = False
        return valid

    def profile_update(self) -> ProfileUpdate:
        return ProfileUpdate(
            name=self.name.data,
            organisation=self.organisation.data or "",
            dietary_needs=self.dietary_needs.data or "",
            accessibility_needs=self.accessibility_needs.data or "",
            interpretation_language=self.interpretation_language.data or None,
        )


class RegistrationForm(ProfileForm):
    """Sign-up for one event. Field order is the order on the page."""

    email = visitor_email_field()
    sector = RadioField(
        _l("Sector"),
        choices=vocab.choices(vocab.SECTORS),
        validators=[InputRequired(_l("Choose the sector you work in."))],
    )
    municipality = SelectField(
        _l("Municipality"),
        choices=[
            SelectChoice("", _l("Choose a municipality")),
            *vocab.choices(HOME_MUNICIPALITIES),
        ],
        validators=[DataRequired(_l("Choose the municipality you work or live in."))],
    )
    message = TextAreaField(
        _l("Message to the organiser (optional)"),
        filters=[strip],
        validators=[Length(max=2000, message=_l("Write at most %(max)d characters."))],
    )
    # "Remind me in my calendar": a VALARM in the calendar files we send (kept simple: a
    # few choices, none by default).
    calendar_alarm = SelectField(
        _l("Reminder in your calendar"),
        choices=[
            SelectChoice("", _l("No reminder in my calendar")),
            SelectChoice("15", _l("15 minutes before")),
            SelectChoice("60", _l("1 hour before")),
            SelectChoice("1440", _l("1 day before")),
        ],
        default="",
    )
    consent = BooleanField(
        _l("I agree that my personal data is processed as described"),
        validators=[DataRequired(_l("You need to agree to the processing to register."))],
    )

    # Page order: identity first, then work, then needs, then consent.
    field_order = (
        "name", "email", "organisation", "sector", "municipality", "dietary_needs",
        "accessibility_needs", "interpretation_language", "message", "calendar_alarm",
        "consent",
    )  # fmt: skip

    def __iter__(self):
        # The error summary lists errors in the order the fields appear on the page.
        return iter([self[name] for name in self.field_order])

    def attendee_details(self) -> AttendeeDetails:
        return AttendeeDetails(
            name=self.name.data,
            email=self.email.data,
            sector=self.sector.data,
            municipality=self.municipality.data,
            organisation=self.organisation.data or "",
            dietary_needs=self.dietary_needs.data or "",
            accessibility_needs=self.accessibility_needs.data or "",
            interpretation_language=self.interpretation_language.data or None,
            message=self.message.data or "",
            calendar_alarm_minutes=int(self.calendar_alarm.data) if self.calendar_alarm.data
            else None,
            answers=dict(getattr(self, "answers", {})),
        )


def with_questions(form_class, questions, *, require: bool = True, earlier: dict | None = None):
    """`form_class` (ProfileForm or a subclass) asking the event's questions too, after its
    own fields and before the consent: a text input, or radio buttons for a choice and for
    yes or no. The answers are checked in `validate`, not by the fields (a radio field would
    answer a forged value with its own untranslated message)."""
    if not questions:
        # The class itself (it asks none): a new subclass for every request would make
        # WTForms gather and sort its fields anew each time.
        return form_class
    earlier = dict(earlier or {})
    fields: dict = {
        "questions": tuple(questions), "require_answers": require, "earlier_answers": earlier,
    }  # fmt: skip
    for question in questions:
        name = field_name(question)
        if question.kind == "text":
            fields[name] = StringField(question.label, filters=[strip])
        else:
            choices = [SelectChoice(value, words) for value, words in answer_choices(question)]
            kept = earlier.get(question.id)
            if kept and kept not in {choice.value for choice in choices}:
                choices.append(SelectChoice(kept, kept))
            fields[name] = RadioField(question.label, choices=choices, validate_choice=False)
    order = getattr(form_class, "field_order", None)
    if order is not None:
        names = [field_name(question) for question in questions]
        fields["field_order"] = (*order[:-1], *names, order[-1])  # before the consent
    return type(form_class.__name__, (form_class,), fields)


class CancelForm(FlaskForm):
    """The confirmation step of a cancellation (only the CSRF token)."""

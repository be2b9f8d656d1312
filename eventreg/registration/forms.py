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
    """The fields an attendee can change after registering."""

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
        )


class CancelForm(FlaskForm):
    """The confirmation step of a cancellation (only the CSRF token)."""

"""Forms of the administration pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import (
    URL,
    DataRequired,
    Email,
    EqualTo,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from .. import vocab
from ..organiser.forms import CheckboxListField

SLUG = Regexp(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$", message=_l("Use a-z, 0-9 and hyphens, like jamlik-halsa.")
)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ThemeForm(FlaskForm):
    slug = StringField(
        _l("Address name (slug)"),
        filters=[_strip],
        validators=[DataRequired(_l("Enter an address name.")), Length(max=80), SLUG],
    )
    name_sv = StringField(
        _l("Name in Swedish"),
        filters=[_strip],
        validators=[DataRequired(_l("Enter the Swedish name.")), Length(max=200)],
    )
    name_en = StringField(
        _l("Name in English"),
        filters=[_strip],
        validators=[DataRequired(_l("Enter the English name.")), Length(max=200)],
    )
    description_sv = TextAreaField(_l("Description in Swedish"), validators=[Length(max=5000)])
    description_en = TextAreaField(_l("Description in English"), validators=[Length(max=5000)])
    position = IntegerField(
        _l("Position in lists"), default=0, validators=[Optional(), NumberRange(min=0, max=10000)]
    )


class ResourceForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=vocab.choices(vocab.RESOURCE_KINDS))
    title = StringField(
        _l("Title"),
        filters=[_strip],
        validators=[DataRequired(_l("Enter a title.")), Length(max=300)],
    )
    url = URLField(
        _l("Web address"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter a web address.")),
            Length(max=1000),
            URL(message=_l("Enter a web address starting with https://.")),
        ],
    )
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)])
    language = SelectField(_l("Language"), choices=vocab.choices(vocab.LANGUAGES))
    position = IntegerField(
        _l("Position in lists"), default=0, validators=[Optional(), NumberRange(min=0, max=10000)]
    )


class OrganisationForm(FlaskForm):
    slug = StringField(
        _l("Address name (slug)"),
        filters=[_strip],
        validators=[DataRequired(_l("Enter an address name.")), Length(max=80), SLUG],
    )
    name = StringField(
        _l("Name"),
        filters=[_strip],
        validators=[DataRequired(_l("Enter a name.")), Length(max=200)],
    )
    website = URLField(
        _l("Website"),
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=500),
            URL(message=_l("Enter a web address starting with https://.")),
        ],
    )
    contact_email = EmailField(
        _l("Contact email"),
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=254),
            Email(_l("Enter an email address like name@example.se.")),
        ],
    )


class UserForm(FlaskForm):
    email = EmailField(
        _l("Email address"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter an email address.")),
            Length(max=254),
            Email(_l("Enter an email address like name@example.se.")),
        ],
    )
    name = StringField(
        _l("Name"),
        filters=[_strip],
        validators=[DataRequired(_l("Enter a name.")), Length(max=200)],
    )
    organisation_ids = CheckboxListField(_l("Member of"), coerce=int)
    is_admin = BooleanField(_l("Administrator (may change everything)"))
    active = BooleanField(_l("Active (may log in)"), default=True)
    password = PasswordField(
        _l("New password"),
        validators=[Optional(), Length(min=12, max=200, message=_l("Use 12 to 200 characters."))],
    )
    password_again = PasswordField(
        _l("New password again"), validators=[EqualTo("password", _l("The passwords differ."))]
    )

    def __init__(self, organisations, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation_ids.choices = [SelectChoice(o.id, o.name) for o in organisations]


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    action = SelectField(
        _l("Kind of change"),
        choices=[
            SelectChoice("", _l("All")),
            SelectChoice("event.", _l("Events")),
            SelectChoice("registration.", _l("Registrations")),
            SelectChoice("admin.", _l("Administration")),
        ],
        validators=[Optional()],
    )
    event_id = IntegerField(_l("Event number"), validators=[Optional(), NumberRange(min=1)])

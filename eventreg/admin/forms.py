"""Forms of the administration pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    PasswordField,
    RadioField,
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
    ValidationError,
)

from .. import vocab
from ..auth.forms import StrongPassword
from ..forms import CheckboxListField, TextForm, YearsBetween, https_url, longest
from ..models import ContentLanguage, Organisation, Resource, TargetGroup, Theme, User
from ..models.types import MAX_ROW_ID

SLUG = Regexp(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$", message=_l("Use a-z, 0-9 and hyphens, like jamlik-halsa.")
)


class ThemeForm(TextForm):
    # Empty: made from the Swedish name (admin.operations.save_theme).
    slug = StringField(
        _l("Address name (slug)"), validators=[Optional(), longest(Theme.slug), SLUG]
    )
    name_sv = StringField(
        _l("Name in Swedish"),
        validators=[DataRequired(_l("Enter the Swedish name.")), longest(Theme.name_sv)],
    )
    name_en = StringField(
        _l("Name in English"),
        validators=[DataRequired(_l("Enter the English name.")), longest(Theme.name_en)],
    )
    description_sv = TextAreaField(
        _l("Description in Swedish"), validators=[longest(Theme.description_sv)]
    )
    description_en = TextAreaField(
        _l("Description in English"), validators=[longest(Theme.description_en)]
    )
    # Empty: a new theme goes last, an edited one keeps its place.
    position = IntegerField(
        _l("Position in lists"), validators=[Optional(), NumberRange(min=0, max=10000)]
    )


class ResourceForm(TextForm):
    kind = SelectField(_l("Kind"), choices=vocab.choices(vocab.RESOURCE_KINDS))
    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Enter a title.")), longest(Resource.title)],
    )
    url = URLField(
        _l("Web address"),
        validators=[
            DataRequired(_l("Enter a web address.")),
            longest(Resource.url),
            https_url,
        ],
    )
    description = TextAreaField(_l("Description"), validators=[longest(Resource.description)])
    language = SelectField(_l("Language"), choices=vocab.choices(vocab.LANGUAGES))
    position = IntegerField(
        _l("Position in lists"), default=0, validators=[Optional(), NumberRange(min=0, max=10000)]
    )


class OrganisationForm(TextForm):
    slug = StringField(
        _l("Address name (slug)"),
        validators=[DataRequired(_l("Enter an address name.")), longest(Organisation.slug), SLUG],
    )
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Enter a name.")), longest(Organisation.name)],
    )
    website = URLField(
        _l("Website"),
        validators=[
            Optional(),
            longest(Organisation.website),
            URL(message=_l("Enter a web address starting with https://.")),
        ],
    )
    contact_email = EmailField(
        _l("Contact email"),
        validators=[
            Optional(),
            longest(Organisation.contact_email),
            Email(_l("Enter an email address like name@example.se.")),
        ],
    )


class UserForm(TextForm):
    email = EmailField(
        _l("Email address"),
        validators=[
            DataRequired(_l("Enter an email address.")),
            longest(User.email),
            Email(_l("Enter an email address like name@example.se.")),
        ],
    )
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Enter a name.")), longest(User.name)],
    )
    organisation_ids = CheckboxListField(_l("Member of"), coerce=int)
    is_admin = BooleanField(_l("Administrator (may change everything)"))
    active = BooleanField(_l("Active (may log in)"), default=True)
    password = PasswordField(
        _l("New password"),
        validators=[
            Optional(),
            Length(min=12, max=200, message=_l("Use 12 to 200 characters.")),
            StrongPassword(),
        ],
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
    event_id = IntegerField(
        _l("Event number"),
        validators=[
            Optional(),
            NumberRange(min=1, max=MAX_ROW_ID, message=_l("No event has this number.")),
        ],
    )
    user_id = SelectField(_l("Made by"), validators=[Optional()], default="")
    # The log covers this registry's years; far-off dates are typing mistakes.
    fran = DateField(_l("From"), validators=[Optional(), YearsBetween(2000, 2100)])
    till = DateField(_l("Until"), validators=[Optional(), YearsBetween(2000, 2100)])
    sida = IntegerField(
        _l("Page"), default=1, validators=[Optional(), NumberRange(min=1, max=MAX_ROW_ID)]
    )

    def __init__(self, users, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user_id.choices = [SelectChoice("", _l("Anyone"))] + [
            SelectChoice(str(u.id), u.name) for u in users
        ]

    def validate_till(self, field):
        if field.data and self.fran.data and field.data < self.fran.data:
            raise ValidationError(_l("The end date must not be before the start date."))


class TargetGroupForm(TextForm):
    name_sv = StringField(
        _l("Name in Swedish"),
        validators=[DataRequired(_l("Enter the Swedish name.")), longest(TargetGroup.name_sv)],
    )
    name_en = StringField(
        _l("Name in English"),
        validators=[DataRequired(_l("Enter the English name.")), longest(TargetGroup.name_en)],
    )
    # Empty: made from the Swedish name (services.target_groups.save_target_group).
    slug = StringField(
        _l("Address name (slug)"), validators=[Optional(), longest(TargetGroup.slug), SLUG]
    )
    # Empty: a new target group goes last, an edited one keeps its place.
    position = IntegerField(
        _l("Position in lists"), validators=[Optional(), NumberRange(min=0, max=10000)]
    )


class OriginForm(TextForm):
    origin = StringField(
        _l("Web site address"),
        validators=[DataRequired(_l("Enter the address of the web site."))],
        description=_l(
            "Only the scheme and host, such as https://www.varberg.se (a port if the site uses "
            "one). https only; http:// is allowed for localhost and 127.0.0.1, for testing."
        ),
    )


class ContentLanguageForm(TextForm):
    """A language event text may be written in (services.translations checks the rest)."""

    # Given once: the edit page shows it without a field (translations refer to it).
    code = StringField(
        _l("Language code"),
        validators=[DataRequired(_l("Enter the language code.")), longest(ContentLanguage.code)],
    )
    native_name = StringField(
        _l("Name in the language itself"),
        validators=[DataRequired(_l("Enter the name.")), longest(ContentLanguage.native_name)],
    )
    name_sv = StringField(
        _l("Name in Swedish"),
        validators=[DataRequired(_l("Enter the Swedish name.")), longest(ContentLanguage.name_sv)],
    )
    name_en = StringField(
        _l("Name in English"),
        validators=[DataRequired(_l("Enter the English name.")), longest(ContentLanguage.name_en)],
    )
    direction = RadioField(
        _l("Direction of the writing"),
        choices=[
            SelectChoice("ltr", _l("Left to right")),
            SelectChoice("rtl", _l("Right to left (Arabic, Dari, Persian …)")),
        ],
        default="ltr",
        validators=[DataRequired(_l("Choose the direction of the writing."))],
    )

"""What the forms that save text share: one helper per cleaning step, and a base form that
applies them to every text field, so a field added later is cleaned too."""

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    SearchField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import DataRequired, Email, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from .models.types import max_length
from .text import is_https_url, is_one_line, normalise_newlines

# Input types a browser keeps on one line; a password or a hidden field is no text to clean.
ONE_LINE_FIELDS = (StringField, SearchField, URLField, EmailField)
MULTI_LINE_FIELDS = (TextAreaField,)

ONE_LINE_MESSAGE = _l("Write this on one line, without line breaks or control characters.")


def strip(value):
    """Blanks around a text are never meant."""
    return value.strip() if isinstance(value, str) else value


def newlines_normalised(value):
    """A multi-line text with LF line ends only (see text.normalise_newlines)."""
    return normalise_newlines(value) if isinstance(value, str) else value


def longest(attribute) -> Length:
    """The column's own limit (models.types.max_length), so form and database agree."""
    return Length(max=max_length(attribute))


def one_line(form, field) -> None:
    """Refuse line breaks and control characters, which break email headers and calendar
    lines (a browser never sends them from a one-line input; a crafted request can)."""
    if isinstance(field.data, str) and not is_one_line(field.data):
        raise ValidationError(ONE_LINE_MESSAGE)


HTTPS_MESSAGE = _l("Enter a web address starting with https://.")


def https_url(form, field) -> None:
    """Links we show must be https:// (an http:// link can be changed on the way, and
    javascript: is no link): online links and resources alike."""
    if field.data and not is_https_url(field.data):
        raise ValidationError(HTTPS_MESSAGE)


class TextForm(FlaskForm):
    """A form whose text fields are all cleaned alike: blanks around them stripped, one-line
    fields refusing control characters, multi-line fields keeping only LF line ends."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            kind = unbound_field.field_class
            filters = list(unbound_field.kwargs.get("filters", []))
            validators = list(unbound_field.kwargs.get("validators", []))
            if kind in ONE_LINE_FIELDS:
                filters = [strip, *filters]
                validators = [*validators, one_line]
            elif kind in MULTI_LINE_FIELDS:
                filters = [newlines_normalised, strip, *filters]
            return unbound_field.bind(form=form, filters=filters, validators=validators, **options)


class YearsBetween:
    """A date within these years: others are typing mistakes, and near year 1 or 9999 the
    date arithmetic behind a filter overflows."""

    def __init__(self, first: int, last: int):
        self.first, self.last = first, last

    def __call__(self, form, field) -> None:
        if isinstance(field.data, date) and not self.first <= field.data.year <= self.last:
            raise ValidationError(
                _l("Choose a date between the years %(first)d and %(last)d.",
                   first=self.first, last=self.last)
            )  # fmt: skip


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class CheckboxListField(SelectMultipleField):
    """A multiple choice as a list of checkboxes (the form macros give it a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def visitor_email_field() -> EmailField:
    """The address a visitor gives us to write to (signing up, following new events): one
    rule for what is accepted, wherever it is asked for."""
    return EmailField(
        _l("Email address"),
        filters=[strip],
        validators=[
            DataRequired(_l("Enter your email address.")),
            Length(max=254, message=_l("The email address can be at most %(max)d characters.")),
            Email(
                message=_l("Enter an email address in the right format, like name@example.se."),
                check_deliverability=False,
                # Non-ASCII before the @ needs SMTPUTF8, which many mail servers lack.
                allow_smtputf8=False,
            ),
        ],
    )

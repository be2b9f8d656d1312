"""The subscribe form: an address and how often."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField, SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length

from ..forms import strip
from ..models import AlertFrequency


class AlertForm(FlaskForm):
    email = EmailField(
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
    frequency = RadioField(
        _l("How often"),
        choices=[
            SelectChoice(
                AlertFrequency.WEEKLY.value, _l("Once a week, a summary of the week's new events")
            ),
            SelectChoice(
                AlertFrequency.IMMEDIATE.value, _l("At once, one email for each new event")
            ),
        ],
        default=AlertFrequency.WEEKLY.value,
        validators=[InputRequired(_l("Choose how often."))],
    )

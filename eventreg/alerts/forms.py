"""The subscribe form: an address and how often."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice
from wtforms.validators import InputRequired

from ..forms import visitor_email_field
from ..models import AlertFrequency


class AlertForm(FlaskForm):
    email = visitor_email_field()
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

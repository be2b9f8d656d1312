"""The short feedback form: rating, usefulness, what to improve, free text."""

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectChoice, TextAreaField
from wtforms.validators import InputRequired

from .. import vocab
from ..forms import CheckboxListField, TextForm, longest
from ..models import FeedbackAnswer
from ..services.feedback import FeedbackData

RATING_CHOICES = [
    SelectChoice("5", _l("5 – very good")),
    SelectChoice("4", _l("4 – good")),
    SelectChoice("3", _l("3 – fair")),
    SelectChoice("2", _l("2 – poor")),
    SelectChoice("1", _l("1 – very poor")),
]


class FeedbackForm(TextForm):
    rating = RadioField(
        _l("Overall, what did you think of the event?"),
        choices=RATING_CHOICES,
        validators=[InputRequired(_l("Choose a rating from 1 to 5."))],
    )
    usefulness = RadioField(
        _l("Was it useful for your work?"),
        choices=vocab.choices(vocab.FEEDBACK_USEFULNESS),
        validators=[InputRequired(_l("Choose yes, partly or no."))],
    )
    improvements = CheckboxListField(
        _l("What could be better? (optional)"),
        choices=vocab.choices(vocab.FEEDBACK_IMPROVEMENTS),
    )
    comment = TextAreaField(
        _l("Anything else you want to tell the organiser? (optional)"),
        validators=[longest(FeedbackAnswer.comment)],
    )

    def to_data(self) -> FeedbackData:
        return FeedbackData(
            rating=int(self.rating.data),
            usefulness=self.usefulness.data,
            improvements=list(self.improvements.data or []),
            comment=self.comment.data or "",
        )

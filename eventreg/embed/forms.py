"""The embed's URL parameters, checked like a form: `?tema=…&kommun=…&arrangor=…&antal=5`."""

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import IntegerField, SelectChoice, SelectField, SelectMultipleField
from wtforms.validators import Optional, ValidationError

from .. import vocab
from ..services.catalogue import EventFilter, all_organisations, all_themes

DEFAULT_COUNT = 5


class EmbedForm(FlaskForm):
    """GET parameters (Swedish names, as the event list's). Values within a parameter are
    alternatives, as in the event list; `antal` above EMBED_MAX_EVENTS shows that many."""

    class Meta:
        csrf = False  # GET: showing a list changes nothing

    tema = SelectMultipleField(_l("Theme"))
    kommun = SelectMultipleField(_l("Municipality"), choices=vocab.choices(vocab.MUNICIPALITIES))
    arrangor = SelectMultipleField(_l("Organiser"))
    antal = IntegerField(_l("Number of events"), validators=[Optional()])
    rubrik = SelectField(
        _l("Heading"),
        choices=[SelectChoice("1", _l("Show")), SelectChoice("0", _l("Hide"))],
        validators=[Optional()],
        validate_choice=True,
    )
    lang = SelectField(_l("Language"), validators=[Optional()])

    def __init__(self, args: MultiDict, **kwargs):
        super().__init__(formdata=args, **kwargs)
        self.tema.choices = [SelectChoice(t.slug, t.name) for t in all_themes()]
        self.arrangor.choices = [SelectChoice(o.slug, o.name) for o in all_organisations()]
        self.lang.choices = [SelectChoice(code, code) for code in current_app.config["LANGUAGES"]]

    def validate_antal(self, field):
        if field.data is not None and field.data < 1:
            raise ValidationError(_l("Show at least one event."))

    @property
    def count(self) -> int:
        """How many events to show: `antal`, at most EMBED_MAX_EVENTS."""
        return min(self.antal.data or DEFAULT_COUNT, current_app.config["EMBED_MAX_EVENTS"])

    @property
    def show_heading(self) -> bool:
        return self.rubrik.data != "0"

    def to_filter(self) -> EventFilter:
        return EventFilter(
            themes=tuple(self.tema.data or ()),
            municipalities=tuple(self.kommun.data or ()),
            organisations=tuple(self.arrangor.data or ()),
        )

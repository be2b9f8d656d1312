"""The event-list filter, read from the URL so a filtered list can be shared."""

import re
from dataclasses import dataclass

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import DateField, SearchField, SelectChoice, SelectField
from wtforms.fields.core import UnboundField
from wtforms.validators import Length, Optional, ValidationError

from .. import vocab
from ..forms import CheckboxListField
from ..i18n import current_language
from ..services import series as series_service
from ..services import translations
from ..services.catalogue import (
    EventFilter,
    all_organisations,
    all_target_groups,
    all_themes,
)
from ..templating import CONTENT_LANGUAGE, DATE_FORMAT

# Control characters (NUL, tab, escape, DEL, the C1 range) mean nothing in a search, and
# PostgreSQL refuses a NUL in a query: they separate words like a space does.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _without_control_characters(value: str | None) -> str | None:
    return CONTROL_CHARACTERS.sub(" ", value) if value else value


class EventFilterForm(FlaskForm):
    """GET form; field names are the URL parameters (Swedish, as the site's addresses are)."""

    class Meta:
        csrf = False  # a search changes nothing

    q = SearchField(
        _l("Search"),
        validators=[Optional(), Length(max=200)],
        filters=[_without_control_characters],
    )
    tema = CheckboxListField(_l("Theme"))
    malgrupp = CheckboxListField(_l("Target group"))
    kommun = CheckboxListField(_l("Municipality"), choices=vocab.choices(vocab.MUNICIPALITIES))
    format = CheckboxListField(_l("Format"), choices=vocab.choices(vocab.FORMATS))
    # The language spoken at the event; `beskriven_pa` is the language its text is written in.
    sprak = CheckboxListField(_l("Held in language"), choices=vocab.choices(vocab.LANGUAGES))
    beskriven_pa = CheckboxListField(_l("Described in language"))
    arrangor = CheckboxListField(_l("Organiser"))
    # One series (its public id, as the API's and the feeds' `serie`): the public ones.
    serie = SelectField(_l("Series"), default="")
    fran = DateField(_l("From date"), validators=[Optional()])
    till = DateField(_l("To date"), validators=[Optional()])

    def __init__(self, args: MultiDict, **kwargs):
        super().__init__(formdata=args, **kwargs)
        themes = all_themes()
        target_groups = all_target_groups()
        organisations = all_organisations()
        series = series_service.public_series_names()
        self.tema.choices = [SelectChoice(t.slug, t.name) for t in themes]
        self.malgrupp.choices = [SelectChoice(t.slug, t.name) for t in target_groups]
        self.arrangor.choices = [SelectChoice(o.slug, o.name) for o in organisations]
        # Each language by its own name ("العربية", "Soomaali"), as its readers look for it.
        content_languages = translations.content_languages()
        self.beskriven_pa.choices = [
            SelectChoice(language.code, language.native_name) for language in content_languages
        ]
        # The language of each choice's label where it is not the page's (WCAG 3.1.2): a
        # theme or target group without an English name, and organisations' and series'
        # names, which are Swedish, are marked lang="sv" on English pages (in the series'
        # select by each option's own attribute). {field: {value: language}}
        page = current_language()
        title_attrs = {"lang": CONTENT_LANGUAGE} if CONTENT_LANGUAGE != page else {}
        self.serie.choices = [
            SelectChoice("", _("All series")),
            *(SelectChoice(public_id, title, render_kw=title_attrs) for public_id, title in series),
        ]
        self.label_languages = {
            "tema": {t.slug: t.name_language for t in themes if t.name_language != page},
            "malgrupp": {
                t.slug: t.name_language for t in target_groups if t.name_language != page
            },
            "arrangor": {
                o.slug: CONTENT_LANGUAGE for o in organisations if CONTENT_LANGUAGE != page
            },
            "beskriven_pa": {
                language.code: language.code
                for language in content_languages
                if language.code != page
            },
            "serie": {
                public_id: CONTENT_LANGUAGE
                for public_id, _title in series
                if CONTENT_LANGUAGE != page
            },
        }

    def validate_till(self, field):
        if field.data and self.fran.data and field.data < self.fran.data:
            raise ValidationError(_l("The end date must not be before the start date."))

    def to_filter(self, past: bool = False) -> EventFilter:
        return EventFilter(
            themes=tuple(self.tema.data or ()),
            target_groups=tuple(self.malgrupp.data or ()),
            municipalities=tuple(self.kommun.data or ()),
            formats=tuple(self.format.data or ()),
            languages=tuple(self.sprak.data or ()),
            described_in=tuple(self.beskriven_pa.data or ()),
            organisations=tuple(self.arrangor.data or ()),
            series=(self.serie.data,) if self.serie.data else (),
            date_from=self.fran.data,
            date_to=self.till.data,
            text=(self.q.data or "").strip(),
            past=past,
        )


# The URL parameters that select events (the rest, such as the page, do not): the filter
# form's own fields, so feeds and links follow when a filter is added.
FILTER_PARAMS = tuple(
    name for name, value in vars(EventFilterForm).items() if isinstance(value, UnboundField)
)


def parse_event_filter(args: MultiDict, past: bool = False):
    """(form, filter or None): None when the URL holds values that are not valid."""
    form = EventFilterForm(args)
    if not form.validate():
        return form, None
    return form, form.to_filter(past=past)


@dataclass(frozen=True)
class ActiveFilter:
    """One chosen filter value, shown above the results with a link that removes it."""

    field: str  # the filter's name, e.g. "Kommun"
    value: str  # the chosen value as shown, e.g. "Varberg"
    remove_args: dict[str, list[str]]  # the list's query without this value, on page 1
    # The value's language when it is not the page's (a Swedish-only name), else None.
    lang: str | None = None


def active_filters(form: EventFilterForm, args: dict[str, list[str]]) -> list[ActiveFilter]:
    """The filters a valid `form` applies, in the form's order. `args` is the page's query
    (see templating.current_args); each filter's link keeps the rest of it."""
    base = {key: values for key, values in args.items() if key != "sida"}

    def without(name: str, value: str | None = None) -> dict[str, list[str]]:
        rest = dict(base)
        kept = [v for v in rest.pop(name, []) if value is not None and v != value]
        if kept:
            rest[name] = kept
        return rest

    chips = []
    for name in FILTER_PARAMS:
        field = form[name]
        if isinstance(field, CheckboxListField):
            labels = {str(choice.value): str(choice.label) for choice in field.choices}
            languages = form.label_languages.get(name, {})
            for value in field.data or ():
                shown = labels.get(value, value)
                chips.append(ActiveFilter(str(field.label.text), shown, without(name, value),
                                          languages.get(value)))  # fmt: skip
        elif isinstance(field, SelectField) and field.data:
            labels = {str(choice.value): str(choice.label) for choice in field.choices}
            languages = form.label_languages.get(name, {})
            chips.append(ActiveFilter(str(field.label.text), labels.get(field.data, field.data),
                                      without(name), languages.get(field.data)))  # fmt: skip
        elif isinstance(field, DateField) and field.data:
            shown = format_date(field.data, DATE_FORMAT)
            chips.append(ActiveFilter(str(field.label.text), shown, without(name)))
        elif name == "q" and (field.data or "").strip():
            chips.append(ActiveFilter(str(field.label.text), field.data.strip(), without(name)))
    return chips

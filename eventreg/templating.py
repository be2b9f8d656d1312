"""Template filters and globals: dates in Stockholm time, Markdown, vocabularies."""

import inspect
from datetime import datetime
from urllib.parse import urlencode

from babel.lists import format_list
from flask import request, url_for
from flask_babel import format_date, format_datetime, format_time
from flask_babel import gettext as _
from markupsafe import Markup, escape

from . import vocab
from .i18n import LOCALE_PARAM, current_language
from .models.questions import NO, YES, RegistrationQuestion
from .models.translations import TextPart, event_text, text_versions
from .text import render_markdown

# One way to write dates in both languages, day before month as in Swedish: "tisdag
# 2 januari 2027" / "Tuesday 2 January 2027" (Babel's English "full" format is American).
DAY_FORMAT = "EEEE d MMMM y"
DATE_FORMAT = "d MMMM y"
DATE_TIME_FORMAT = "d MMMM y HH:mm"
SHORT_DATE_FORMAT = "d MMM"  # "2 jan." / "2 Jan", on event cards

# Events, their organisers' texts and resources without a translation are written in Swedish
# only, whatever the page's language.
CONTENT_LANGUAGE = "sv"

# An ordinary link to a map search: no embedded map, no scripts, no trackers on our pages.
MAP_SEARCH_URL = "https://www.openstreetmap.org/search"


def event_when(start: datetime, end: datetime) -> str:
    """'tisdag 10 mars 2026, 09:00–12:00' in the viewer's locale and Stockholm time."""
    if format_date(start, "yyyy-MM-dd") == format_date(end, "yyyy-MM-dd"):
        return _(
            "%(date)s, %(start)s–%(end)s",
            date=format_date(start, DAY_FORMAT),
            start=format_time(start, "HH:mm"),
            end=format_time(end, "HH:mm"),
        )
    return f"{format_datetime(start, DATE_TIME_FORMAT)} – {format_datetime(end, DATE_TIME_FORMAT)}"


def event_organisers(event) -> str:
    """Who arranges the event, as plain text for pages, feeds and emails: "Region Halland",
    or "Region Halland in cooperation with Länsstyrelsen i Hallands län" (the responsible
    organisation first, then the co-organisers, "A, B and C" in the reader's language)."""
    if not event.co_organisers:
        return event.organisation.name
    return _(
        "%(organisation)s in cooperation with %(co_organisers)s",
        organisation=event.organisation.name,
        co_organisers=format_list(
            [o.name for o in event.co_organisers], locale=current_language()
        ),
    )


def answer_text(question: RegistrationQuestion, value: str | None) -> str:
    """An answer to an event's question as people read it, on pages, in the CSV export and
    in emails: yes/no in the reader's language, others as given."""
    if not value:
        return ""
    if question.kind == "yes_no":
        return {YES: _("Yes"), NO: _("No")}.get(value, value)
    return value


def lang_attr(language: str = CONTENT_LANGUAGE) -> Markup:
    """` lang="sv"` on an element whose text is in another language than the page (WCAG
    3.1.2), so a screen reader pronounces it right; nothing when the languages agree."""
    if language == current_language():
        return Markup("")
    return Markup(' lang="%s"') % language


def in_language(text: str, language: str = CONTENT_LANGUAGE) -> Markup:
    """The text, escaped, in a `<span lang>` when it is in another language than the page."""
    if language == current_language():
        return escape(text)
    return Markup('<span lang="%s">%s</span>') % (language, text)


def text_attrs(part: TextPart) -> Markup:
    """` lang="ar" dir="rtl"` for a block of an event's text (models.translations.event_text):
    its language where it is not the page's, and the direction of right-to-left writing."""
    attrs = lang_attr(part.lang)
    if part.dir == "rtl":
        attrs += Markup(' dir="rtl"')
    return attrs


def in_text(part: TextPart) -> Markup:
    """A block of an event's text, escaped, in a `<span lang dir>` when its language is not
    the page's or it is written right to left (as `in_language`)."""
    attrs = text_attrs(part)
    if not attrs:
        return escape(part.text)
    return Markup("<span%s>%s</span>") % (attrs, part.text)


def event_title(event, language: str | None = None) -> TextPart:
    """The event's title in `language` (by default the current one: an email's is its
    recipient's) when the event is translated into it, else the Swedish title, marked as
    Swedish: for emails, whose recipient may not read Swedish; pages choose their text with
    `event_text` (?las= may ask for another version)."""
    return event_text(event, language or current_language()).title


def map_url(event) -> str | None:
    """A map search for the event's address, or None for an event without one."""
    if event.is_online or not event.address.strip():
        return None
    municipality = str(vocab.MUNICIPALITIES.get(event.municipality, ""))
    parts = [event.address.strip()]
    if event.municipality != "elsewhere" and municipality not in event.address:
        parts.append(municipality)
    return f"{MAP_SEARCH_URL}?{urlencode({'query': ', '.join(parts)})}"


# url_for's own parameters (endpoint, _external, _scheme, _anchor, _method): a query
# parameter with one of these names would be taken as an instruction, not passed on.
URL_FOR_PARAMETERS = frozenset(
    name
    for name, parameter in inspect.signature(url_for).parameters.items()
    if parameter.kind is not inspect.Parameter.VAR_KEYWORD
)


def current_args(**overrides) -> dict[str, list[str]]:
    """This page's query parameters, to build a link to it with other values
    (`url_for(request.endpoint, **current_args(sida=2))`). Left out: names url_for keeps
    for itself, and names of the path's own variables (`/teman/x?slug=y`), which url_for
    could not take twice."""
    view_args = request.view_args or {}
    args = {
        key: values
        for key, values in request.args.lists()
        if key not in URL_FOR_PARAMETERS and key not in view_args
    }
    args.update(overrides)
    return args


def url_for_language(language: str) -> str:
    """The current page in another language (the choice is then remembered)."""
    if request.endpoint is None:
        return url_for("catalogue.home", **{LOCALE_PARAM: language})
    view_args = request.view_args or {}
    return url_for(request.endpoint, **view_args, **current_args(**{LOCALE_PARAM: [language]}))


def init_app(app) -> None:
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["when"] = lambda event: event_when(event.start_dt, event.end_dt)
    app.jinja_env.filters["organisers"] = event_organisers
    app.jinja_env.filters["short_date"] = lambda value: format_date(value, SHORT_DATE_FORMAT)
    app.jinja_env.filters["long_date"] = lambda value: format_date(value, DATE_FORMAT)
    app.jinja_env.globals.update(
        vocab=vocab,
        lang_attr=lang_attr,
        in_language=in_language,
        text_attrs=text_attrs,
        in_text=in_text,
        event_text=event_text,
        text_versions=text_versions,
        map_url=map_url,
        url_for_language=url_for_language,
        current_args=current_args,
        format_date=format_date,
        format_datetime=format_datetime,
        format_time=format_time,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

"""Template filters and globals: dates in Stockholm time, Markdown, vocabularies."""

import inspect
from datetime import datetime

from flask import request, url_for
from flask_babel import format_date, format_datetime, format_time
from flask_babel import gettext as _

from . import vocab
from .i18n import LOCALE_PARAM
from .text import render_markdown


def event_when(start: datetime, end: datetime) -> str:
    """'tisdag 10 mars 2026, 09:00–12:00' in the viewer's locale and Stockholm time."""
    if format_date(start, "yyyy-MM-dd") == format_date(end, "yyyy-MM-dd"):
        return _(
            "%(date)s, %(start)s–%(end)s",
            date=format_date(start, "full"),
            start=format_time(start, "HH:mm"),
            end=format_time(end, "HH:mm"),
        )
    return f"{format_datetime(start, 'd MMMM y HH:mm')} – {format_datetime(end, 'd MMMM y HH:mm')}"


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
    app.jinja_env.globals.update(
        vocab=vocab,
        url_for_language=url_for_language,
        current_args=current_args,
        format_date=format_date,
        format_datetime=format_datetime,
        format_time=format_time,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

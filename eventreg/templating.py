"""Template filters and globals: dates in Stockholm time, Markdown, vocabularies."""

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


def url_for_language(language: str) -> str:
    """The current page in another language (the choice is then remembered)."""
    args = request.args.to_dict(flat=False)
    args[LOCALE_PARAM] = [language]
    view_args = request.view_args or {}
    if request.endpoint is None:
        return url_for("catalogue.home", **{LOCALE_PARAM: language})
    return url_for(request.endpoint, **view_args, **args)


def init_app(app) -> None:
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["when"] = lambda event: event_when(event.start_dt, event.end_dt)
    app.jinja_env.globals.update(
        vocab=vocab,
        url_for_language=url_for_language,
        format_date=format_date,
        format_datetime=format_datetime,
        format_time=format_time,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

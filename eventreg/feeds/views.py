"""Calendar feeds over HTTP: which events, and serving them cheaply to polling calendars.

Every feed is answered the same way: two small queries give the data version (of the
events, and of what the feed shows of their themes and organisations); if the serialised
feed for that version is cached it is served as is (or as 304 Not Modified), otherwise the
events are loaded, built with `ical.build_calendar` and cached.
"""

import hashlib
from collections.abc import Callable, Iterable
from datetime import datetime

from flask import Blueprint, Response, abort, current_app, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from .. import vocab
from ..catalogue.forms import FILTER_PARAMS, parse_event_filter
from ..extensions import db
from ..models import Event, utcnow
from ..services import catalogue
from ..services.catalogue import EventFilter
from ..services.feeds import (
    data_version,
    feed_events_stmt,
    get_organisation_by_slug,
    shown_rows_key,
)
from ..text import markdown_to_text
from . import ical
from .cache import CachedFeed, FeedCache
from .links import google_calendar_url, outlook_calendar_url, webcal_url

bp = Blueprint("feeds", __name__, url_prefix="/kalender")

# Bump when the feed layout changes, so cached copies and clients' ETags are not reused.
FORMAT_VERSION = "1"
CACHE_EXTENSION = "eventreg.feed_cache"


@bp.record_once
def _create_cache(state) -> None:
    config = state.app.config
    state.app.extensions[CACHE_EXTENSION] = FeedCache(
        max_entries=config.get("FEED_CACHE_MAX_ENTRIES", 512),
        max_bytes=config.get("FEED_CACHE_MAX_BYTES", 64 * 1024 * 1024),
    )


def feed_cache() -> FeedCache:
    return current_app.extensions[CACHE_EXTENSION]


def _base_url() -> str:
    """Where the site lives: EVENTREG_BASE_URL, else the address this request came to."""
    return (current_app.config.get("BASE_URL") or request.url_root).rstrip("/")


def _site_name() -> str:
    return _("Halland's seminar registry")


def _serve(
    feed_key: tuple,
    version: str,
    newest_change: datetime | None,
    load_events: Callable[[], Iterable[Event]],
    *,
    filename: str,
    name: str,
    description: str = "",
) -> Response:
    """The cached feed for this data version, or a freshly built one; 304 when the client
    already has it."""
    locale = str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
    base_url = _base_url()
    cache_key = (feed_key, locale, base_url)

    def build() -> CachedFeed:
        now = utcnow()
        calendar = ical.build_calendar(
            load_events(),
            base_url=base_url,
            name=name,
            description=description,
            now=now,
            locale=locale,
        )
        fingerprint = repr((FORMAT_VERSION, cache_key, version)).encode()
        return CachedFeed(
            version=version,
            body=ical.serialize(calendar),
            etag=hashlib.sha256(fingerprint).hexdigest()[:32],
            # Not just the newest updated_at: an event leaving the feed (unpublished or aged
            # out) changes no remaining row, and If-Modified-Since must still see a change.
            last_modified=max(filter(None, (now, newest_change))).replace(microsecond=0),
        )

    entry = feed_cache().get_or_build(cache_key, version, build)
    response = Response(entry.body, mimetype="text/calendar")  # werkzeug adds charset=utf-8
    # Weak: a rebuild of the same data differs only in DTSTAMP.
    response.set_etag(entry.etag, weak=True)
    response.last_modified = entry.last_modified
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    response.cache_control.public = True
    response.cache_control.max_age = current_app.config.get("FEED_MAX_AGE", 900)
    response.vary.add("Cookie")  # the language may come from the lang cookie
    return response.make_conditional(request)


def _serve_events(feed_key: tuple, event_filter: EventFilter, **meta) -> Response:
    stmt = feed_events_stmt(event_filter, now=utcnow())
    version = data_version(stmt)
    return _serve(
        feed_key,
        version.key,
        version.max_updated_at,
        lambda: db.session.scalars(stmt),
        **meta,
    )


def _invalid_filter(form) -> Response:
    lines = [_("The filter in the address is not valid:")]
    for field_name, errors in form.errors.items():
        label = form[field_name].label.text
        lines.extend(f"- {label}: {error}" for error in errors)
    return Response("\n".join(lines) + "\n", status=400, mimetype="text/plain")


@bp.get("/evenemang.ics")
def events_feed():
    """All upcoming and recent events, or those matching the event list's filters."""
    form, event_filter = parse_event_filter(request.args)
    if event_filter is None:
        return _invalid_filter(form)
    if event_filter.is_empty:
        return _serve_events(
            ("all",),
            event_filter,
            filename="evenemang.ics",
            name=_site_name(),
            description=_("Seminars and lectures on integration and inclusion in Halland"),
        )
    return _serve_events(
        ("filter", event_filter),
        event_filter,
        filename="evenemang-urval.ics",
        name=_("%(site)s – selected events", site=_site_name()),
    )


@bp.get("/tema/<slug>.ics")
def theme_feed(slug: str):
    theme = catalogue.get_theme_by_slug(slug) or abort(404)
    return _serve_events(
        # Name and description are the calendar's title and description: editing either
        # gives a new feed.
        ("theme", slug, theme.name, theme.description),
        EventFilter(themes=(slug,)),
        filename=f"tema-{slug}.ics",
        name=f"{theme.name} – {_site_name()}",
        description=markdown_to_text(theme.description),
    )


@bp.get("/kommun/<code>.ics")
def municipality_feed(code: str):
    if code not in vocab.MUNICIPALITIES:
        abort(404)
    place = str(vocab.MUNICIPALITIES[code])
    return _serve_events(
        ("municipality", code),
        EventFilter(municipalities=(code,)),
        filename=f"kommun-{code}.ics",
        name=f"{place} – {_site_name()}",
    )


@bp.get("/arrangor/<slug>.ics")
def organisation_feed(slug: str):
    organisation = get_organisation_by_slug(slug) or abort(404)
    return _serve_events(
        ("organisation", slug, organisation.name),
        EventFilter(organisations=(slug,)),
        filename=f"arrangor-{slug}.ics",
        name=f"{organisation.name} – {_site_name()}",
    )


@bp.get("/evenemang/<public_id>.ics")
def event_feed(public_id: str):
    """One event, whenever it is (past or upcoming); drafts are not public."""
    event = catalogue.get_public_event(public_id) or abort(404)
    return _serve(
        ("event", public_id),
        f"{event.updated_at.isoformat()}:{event.revision}:{event.status}:"
        f"{shown_rows_key([event.id])}",
        event.updated_at,
        lambda: [event],
        filename=f"{event.slug}.ics",
        name=event.title,
    )


# --- Links for the subscribe partial (templates/feeds/_subscribe.html) ---


def _absolute(path: str) -> str:
    """An absolute URL for a path from url_for (which already carries the script root)."""
    base = current_app.config.get("BASE_URL")
    if base:
        return base.rstrip("/") + path.removeprefix(request.script_root)
    return request.host_url.rstrip("/") + path


def _list_feed_path(args: MultiDict) -> str:
    """The feed matching an event-list URL: a theme, municipality or organisation feed when
    the list is filtered on exactly one of those, so the same feed is shared and cached."""
    selected = {
        key: [value for value in args.getlist(key) if value]
        for key in FILTER_PARAMS
        if any(args.getlist(key))
    }
    keys = list(selected)
    if not keys:
        return url_for("feeds.events_feed", **_lang_arg())
    if len(keys) == 1 and len(selected[keys[0]]) == 1:
        key, (value,) = keys[0], selected[keys[0]]
        endpoint, name = {
            "tema": ("feeds.theme_feed", "slug"),
            "kommun": ("feeds.municipality_feed", "code"),
            "arrangor": ("feeds.organisation_feed", "slug"),
        }.get(key, (None, None))
        if endpoint:
            return url_for(endpoint, **{name: value}, **_lang_arg())
    return url_for("feeds.events_feed", **selected, **_lang_arg())


def _lang_arg() -> dict:
    """?lang= for a feed linked from a page in another language than the default, as a
    calendar app sends no language cookie."""
    locale = str(get_locale() or "")
    return (
        {"lang": locale} if locale and locale != current_app.config["BABEL_DEFAULT_LOCALE"] else {}
    )


def feed_links(event: Event | None = None, theme=None, args: MultiDict | None = None) -> dict:
    """URLs for the subscribe partial: the feed (https and webcal), and for one event the
    Google Calendar and Outlook links."""
    if event is not None:
        path = url_for("feeds.event_feed", public_id=event.public_id, **_lang_arg())
    elif theme is not None:
        path = url_for("feeds.theme_feed", slug=theme.slug, **_lang_arg())
    else:
        path = _list_feed_path(args if args is not None else request.args)
    https = _absolute(path)
    links = {"https": https, "webcal": webcal_url(https)}
    if event is not None:
        page = ical.event_url(event, _base_url())
        links["google"] = google_calendar_url(event, page)
        links["outlook"] = outlook_calendar_url(event, page)
    return links


@bp.app_context_processor
def _inject_feed_links() -> dict:
    return {"feed_links": feed_links}

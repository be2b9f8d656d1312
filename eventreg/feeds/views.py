"""Calendar feeds over HTTP: which events, and serving them cheaply to polling calendars.

Every feed route is wrapped in `pagecache.cached_feed`: one read of the public data's
version, and if the response for that version, address and language is cached (memory or
Redis) it is served as is, or as 304 Not Modified, before the route parses anything. On a
miss the route runs: two small queries fingerprint the feed's events (and what it shows of
their themes and organisations); a feed built for that fingerprint in this worker is reused,
otherwise the events are loaded and built with `ical.build_calendar`. The bytes and both
validators come from the data alone (DTSTAMP and Last-Modified from the events' changes,
the ETag from the bytes), so every worker and host answers alike.
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
from ..mail import links as mail_links
from ..models import Event, utcnow
from ..models.data_version import current_version
from ..pagecache import cache_now, cached_feed
from ..services import catalogue
from ..services import series as series_service
from ..services.catalogue import EventFilter
from ..services.feeds import (
    data_version,
    feed_events_stmt,
    feed_last_modified,
    get_organisation_by_slug,
    shown_rows_key,
)
from ..text import markdown_to_text
from . import atom, ical
from .cache import CachedFeed, FeedCache
from .links import google_calendar_url, outlook_calendar_url, webcal_url

bp = Blueprint("feeds", __name__, url_prefix="/kalender")

# Bump when the feed layout changes, so cached copies and clients' ETags are not reused.
FORMAT_VERSION = "1"
CACHE_EXTENSION = "eventreg.feed_cache"
ICAL, ATOM = "ics", "atom"
ATOM_MIMETYPE = "application/atom+xml"


@bp.record_once
def _create_cache(state) -> None:
    config = state.app.config
    state.app.extensions[CACHE_EXTENSION] = FeedCache(
        max_entries=config["FEED_CACHE_MAX_ENTRIES"], max_bytes=config["FEED_CACHE_MAX_BYTES"]
    )


def feed_cache() -> FeedCache:
    return current_app.extensions[CACHE_EXTENSION]


def _site_name() -> str:
    """The installation's name (SITE_NAME: translated by default, else as configured)."""
    return str(current_app.config["SITE_NAME"])


def _serve(
    feed_key: tuple,
    version: str,
    newest_change: datetime | None,
    load_events: Callable[[], Iterable[Event]],
    *,
    filename: str,
    name: str,
    description: str = "",
    kind: str = ICAL,
    page_path: str = "",
) -> Response:
    """The cached feed for this data version, or a freshly built one; 304 when the client
    already has it. `kind` is ICAL or ATOM; an Atom feed links to `page_path`, the web page
    with the same events."""
    locale = str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
    base_url = mail_links.base_url(from_request=True)
    # The name too: it comes from the configuration and the language as well as the data.
    cache_key = (feed_key, locale, base_url, name)
    if kind != ICAL:  # the calendar keeps its key; other kinds add theirs
        cache_key += (kind,)

    def build() -> CachedFeed:
        if kind == ATOM:
            body = atom.build_feed(
                load_events(),
                base_url=base_url,
                self_url=_absolute(_canonical_feed_path()),
                page_url=_absolute(page_path),
                title=name,
                subtitle=description,
                author=_site_name(),
                locale=locale,
            )
        else:
            body = ical.serialize(
                ical.build_calendar(
                    load_events(),
                    base_url=base_url,
                    name=name,
                    description=description,
                    stamp_with_last_change=True,
                    locale=locale,
                )
            )
        return CachedFeed(
            version=version,
            body=body,
            # Both validators come from the data, never the build time or the worker, so
            # every worker and host answers alike; an unrelated change keeps the ETag.
            etag=hashlib.sha256(FORMAT_VERSION.encode() + body).hexdigest()[:32],
            last_modified=newest_change.replace(microsecond=0),
        )

    entry = feed_cache().get_or_build(cache_key, version, build)
    if kind == ATOM:
        response = Response(entry.body, content_type=f"{ATOM_MIMETYPE}; charset=utf-8")
    else:
        response = Response(entry.body, mimetype="text/calendar")  # werkzeug adds charset
        response.headers.set("Content-Disposition", "attachment", filename=filename)
    response.set_etag(entry.etag)  # strong: the same data gives the same bytes
    response.last_modified = entry.last_modified
    response.cache_control.public = True
    response.cache_control.max_age = current_app.config["FEED_MAX_AGE"]
    response.vary.add("Cookie")  # the language may come from the lang cookie
    return response  # conditional GETs: see pagecache.cached_feed on every route


def _feed_now():
    """The start of the cache's time step: which events are in the window depends on the
    clock, and every worker building a feed within the step must agree."""
    return cache_now() or utcnow()


def _names_changed_at():
    version = current_version()
    return version[2] if version else None


def _serve_events(feed_key: tuple, event_filter: EventFilter, **meta) -> Response:
    now = _feed_now()
    stmt = feed_events_stmt(event_filter, now=now)
    version = data_version(stmt)
    return _serve(
        feed_key,
        version.key,
        feed_last_modified(event_filter, now, _names_changed_at()),
        lambda: db.session.scalars(stmt),
        **meta,
    )


def _invalid_filter(form) -> Response:
    lines = [_("The filter in the address is not valid:")]
    for field_name, errors in form.errors.items():
        label = form[field_name].label.text
        lines.extend(f"- {label}: {error}" for error in errors)
    return Response("\n".join(lines) + "\n", status=400, mimetype="text/plain")


def _selected_filters(args: MultiDict) -> dict[str, list[str]]:
    """The filter parameters of a URL that have a value, in the filter form's order."""
    return {
        key: [value for value in args.getlist(key) if value]
        for key in FILTER_PARAMS
        if any(args.getlist(key))
    }


def _canonical_feed_path() -> str:
    """This feed's own address: its path, the filters it was asked for and the language
    (the Atom feed's id and self link)."""
    selected = _selected_filters(request.args)
    return url_for(request.endpoint, **(request.view_args or {}), **selected, **_lang_arg())


@bp.get("/evenemang.ics", defaults={"kind": ICAL})
@cached_feed
def events_feed(kind: str):
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
            kind=kind,
            page_path=url_for("catalogue.list_events", **_lang_arg()),
        )
    selected = _selected_filters(request.args)
    return _serve_events(
        ("filter", event_filter),
        event_filter,
        filename="evenemang-urval.ics",
        name=_("%(site)s – selected events", site=_site_name()),
        kind=kind,
        page_path=url_for("catalogue.list_events", **selected, **_lang_arg()),
    )


@bp.get("/tema/<slug>.ics", defaults={"kind": ICAL})
@cached_feed
def theme_feed(slug: str, kind: str):
    theme = catalogue.get_theme_by_slug(slug) or abort(404)
    return _serve_events(
        # Name and description are the calendar's title and description: editing either
        # gives a new feed.
        ("theme", slug, theme.name, theme.description),
        EventFilter(themes=(slug,)),
        filename=f"tema-{slug}.ics",
        name=f"{theme.name} – {_site_name()}",
        description=markdown_to_text(theme.description),
        kind=kind,
        page_path=url_for("catalogue.show_theme", slug=slug, **_lang_arg()),
    )


@bp.get("/kommun/<code>.ics", defaults={"kind": ICAL})
@cached_feed
def municipality_feed(code: str, kind: str):
    if code not in vocab.MUNICIPALITIES:
        abort(404)
    place = str(vocab.MUNICIPALITIES[code])
    return _serve_events(
        ("municipality", code),
        EventFilter(municipalities=(code,)),
        filename=f"kommun-{code}.ics",
        name=f"{place} – {_site_name()}",
        kind=kind,
        page_path=url_for("catalogue.list_events", kommun=code, **_lang_arg()),
    )


@bp.get("/arrangor/<slug>.ics", defaults={"kind": ICAL})
@cached_feed
def organisation_feed(slug: str, kind: str):
    organisation = get_organisation_by_slug(slug) or abort(404)
    return _serve_events(
        ("organisation", slug, organisation.name),
        EventFilter(organisations=(slug,)),
        filename=f"arrangor-{slug}.ics",
        name=f"{organisation.name} – {_site_name()}",
        kind=kind,
        page_path=url_for("catalogue.list_events", arrangor=slug, **_lang_arg()),
    )


@bp.get("/serie/<public_id>.ics", defaults={"kind": ICAL})
@cached_feed
def series_feed(public_id: str, kind: str):
    """The public events of one series (a series none of whose events is public: 404)."""
    series = series_service.get_public_series(public_id) or abort(404)
    return _serve_events(
        # Title and description are the calendar's: editing either gives a new feed.
        ("series", public_id, series.title, series.description),
        EventFilter(series=(public_id,)),
        filename=f"serie-{series.slug}.ics",
        name=f"{series.title} – {_site_name()}",
        description=markdown_to_text(series.description),
        kind=kind,
        page_path=url_for(
            "catalogue.show_series", public_id=public_id, slug=series.slug, **_lang_arg()
        ),
    )


# The Atom feeds: the same feeds, views and caching, for feed readers (own endpoints, so
# url_for("feeds.theme_feed") stays the calendar).
for _rule, _endpoint, _view in (
    ("/evenemang.atom", "events_atom", events_feed),
    ("/tema/<slug>.atom", "theme_atom", theme_feed),
    ("/kommun/<code>.atom", "municipality_atom", municipality_feed),
    ("/arrangor/<slug>.atom", "organisation_atom", organisation_feed),
    ("/serie/<public_id>.atom", "series_atom", series_feed),
):
    bp.add_url_rule(_rule, _endpoint, _view, methods=["GET"], defaults={"kind": ATOM})


@bp.get("/evenemang/<public_id>.ics")
@cached_feed
def event_feed(public_id: str):
    """One event, whenever it is (past or upcoming); drafts are not public."""
    event = catalogue.get_public_event(public_id) or abort(404)
    return _serve(
        ("event", public_id),
        f"{event.updated_at.isoformat()}:{event.revision}:{event.status}:"
        f"{shown_rows_key([event.id])}",
        max(filter(None, (event.updated_at, _names_changed_at()))),
        lambda: [event],
        filename=f"{event.slug}.ics",
        name=event.title,
    )


# --- Links for the subscribe partial (templates/feeds/_subscribe.html) ---


def _absolute(path: str) -> str:
    """An absolute URL for a path from url_for (which already carries the script root)."""
    return mail_links.base_url(from_request=True) + path.removeprefix(request.script_root)


# Each kind's endpoints: the whole or filtered list, and the feeds of one theme,
# municipality or organisation (with the name of their path variable).
FEED_ENDPOINTS = {
    ICAL: {
        "": ("feeds.events_feed", None),
        "tema": ("feeds.theme_feed", "slug"),
        "kommun": ("feeds.municipality_feed", "code"),
        "arrangor": ("feeds.organisation_feed", "slug"),
    },
    ATOM: {
        "": ("feeds.events_atom", None),
        "tema": ("feeds.theme_atom", "slug"),
        "kommun": ("feeds.municipality_atom", "code"),
        "arrangor": ("feeds.organisation_atom", "slug"),
    },
}


def _list_feed_path(args: MultiDict, kind: str = ICAL) -> str:
    """The feed matching an event-list URL: a theme, municipality or organisation feed when
    the list is filtered on exactly one of those, so the same feed is shared and cached."""
    endpoints = FEED_ENDPOINTS[kind]
    selected = _selected_filters(args)
    keys = list(selected)
    if len(keys) == 1 and len(selected[keys[0]]) == 1 and keys[0] in endpoints:
        endpoint, name = endpoints[keys[0]]
        return url_for(endpoint, **{name: selected[keys[0]][0]}, **_lang_arg())
    return url_for(endpoints[""][0], **selected, **_lang_arg())


def _lang_arg() -> dict:
    """?lang= for a feed linked from a page in another language than the default, as a
    calendar app sends no language cookie."""
    locale = str(get_locale() or "")
    return (
        {"lang": locale} if locale and locale != current_app.config["BABEL_DEFAULT_LOCALE"] else {}
    )


def feed_links(
    event: Event | None = None, theme=None, args: MultiDict | None = None, series=None
) -> dict:
    """URLs for the subscribe partial: the feed (https and webcal), and for one event the
    Google Calendar and Outlook links; for a list, its Atom feed too (`atom`)."""
    if series is not None and event is None:
        https = _absolute(url_for("feeds.series_feed", public_id=series.public_id, **_lang_arg()))
        atom = url_for("feeds.series_atom", public_id=series.public_id, **_lang_arg())
        return {"https": https, "webcal": webcal_url(https), "atom": _absolute(atom)}
    if event is not None:
        path = url_for("feeds.event_feed", public_id=event.public_id, **_lang_arg())
    elif theme is not None:
        path = url_for("feeds.theme_feed", slug=theme.slug, **_lang_arg())
    else:
        path = _list_feed_path(args if args is not None else request.args)
    https = _absolute(path)
    links = {"https": https, "webcal": webcal_url(https)}
    if theme is not None and event is None:
        links["atom"] = _absolute(url_for("feeds.theme_atom", slug=theme.slug, **_lang_arg()))
    elif event is None:
        links["atom"] = _absolute(
            _list_feed_path(args if args is not None else request.args, kind=ATOM)
        )
    if event is not None:
        page = ical.event_url(event, mail_links.base_url(from_request=True))
        links["google"] = google_calendar_url(event, page)
        links["outlook"] = outlook_calendar_url(event, page)
    return links


@bp.app_context_processor
def _inject_feed_links() -> dict:
    return {"feed_links": feed_links}

"""The open data API: read-only JSON, cached by ETag, open to every origin, rate-limited.

Each view parses its query (spectree, against the models in schemas.py), asks a service for
the rows, builds the answer with objects.py and sends it through `_json`, which adds the
ETag, Cache-Control and Content-Language and answers 304 when the client has it."""

import hashlib
from datetime import UTC, datetime

from flask import current_app, g, request
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from ..catalogue.forms import parse_event_filter
from ..extensions import limiter
from ..mail.links import absolute_url
from ..models import utcnow
from ..services import catalogue, open_data
from ..services import series as series_service
from ..services.statistics import month_name
from . import bp, objects, schemas
from .spec import api_spec, error_response, openapi_document, responses

limiter.limit(lambda: current_app.config["API_RATE_LIMIT"])(bp)


@bp.before_request
def _stateless() -> None:
    # A ?lang= here chooses this answer's language only: no cookie on a shared, cached answer.
    g.remember_locale = False


@bp.errorhandler(HTTPException)
def _api_error(error: HTTPException):
    """Errors in the API's JSON shape (the site's pages are HTML)."""
    if error.response is not None and error.response.mimetype == "application/json":
        return error.response  # already one of ours (a refused query)
    if error.code == 429:
        response = error_response(
            429, "too_many_requests", _("Too many requests: wait a minute and try again.")
        )
        retry_after = getattr(getattr(error, "limit", None), "limit", None)
        response.headers["Retry-After"] = str(retry_after.get_expiry() if retry_after else 60)
        return response
    if error.code == 404:
        return error_response(404, "not_found", _("There is nothing at this address."))
    return error_response(error.code or 500, "error", error.description or error.name)


def _locale() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def _json(model: schemas.Model):
    """The model as JSON with a strong ETag of its bytes, public caching for a few minutes
    (like the calendar feeds) and 304 Not Modified when If-None-Match has that ETag."""
    body = model.model_dump_json(by_alias=True).encode()
    response = current_app.response_class(body, mimetype="application/json")
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    response.cache_control.public = True
    response.cache_control.max_age = current_app.config["API_MAX_AGE"]
    response.headers["Content-Language"] = _locale()
    response.vary.add("Cookie")  # without ?lang= the language may come from the lang cookie
    return response.make_conditional(request)


def _as_utc(moment: datetime) -> datetime:
    """An aware moment in UTC; one beyond UTC's calendar (year 1 at +14:00) is its edge."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        if moment.year == 1:
            return datetime.min.replace(tzinfo=UTC)
        return datetime.max.replace(tzinfo=UTC)


def _next_url(**changes) -> str:
    args = request.args.to_dict(flat=False)
    args.update({key: [str(value)] for key, value in changes.items()})
    return absolute_url("api.list_events", **args)


@bp.get("/events")
@api_spec.validate(
    query=schemas.EventListQuery, resp=responses(schemas.EventPage, 400), tags=["events"]
)
def list_events():
    """Events (published and cancelled), filtered like the site's event list.

    Page paging (`page`, `per_page`) in list order by default; with `updated_since` or
    `cursor`, in order of change with cursor paging (follow `next` until it is null), for
    incremental sync. Cancelled events stay listed with eventStatus EventCancelled; an event
    taken back to draft or deleted no longer appears, so compare identifiers with a full
    listing now and then. Remaining seats change without changing `dateModified`."""
    query: schemas.EventListQuery = request.context.query
    form, event_filter = parse_event_filter(request.args)
    if event_filter is None:
        details = {name: [str(message) for message in messages]
                   for name, messages in form.errors.items()}  # fmt: skip
        return error_response(400, "invalid_parameters", _("The filter is not valid."), details)
    stmt = open_data.events_stmt(event_filter, query.when)
    if query.updated_since is not None or query.cursor is not None:
        after = None
        if query.cursor is not None:
            after = open_data.SyncPosition.decode(query.cursor)
            if after is None:
                details = {"cursor": [_("Use next_cursor from a previous page.")]}
                return error_response(
                    400, "invalid_parameters", _("The cursor is not valid."), details
                )
        since = _as_utc(query.updated_since) if query.updated_since else None
        events, position = open_data.changed_events(stmt, since, after, query.per_page)
        cursor = position.encode() if position else None
        following = _next_url(cursor=cursor) if cursor else None
        paging = {"page": None, "total": None, "next": following, "next_cursor": cursor}
    else:
        pagination = open_data.paginate(stmt, query.page, query.per_page)
        events = pagination.items
        following = _next_url(page=query.page + 1) if pagination.has_next else None
        paging = {"page": query.page, "total": pagination.total, "next": following}
    now = utcnow()
    items = [objects.event_object(event, now) for event in events]
    return _json(schemas.EventPage(items=items, per_page=query.per_page, **paging))


@bp.get("/events/<public_id>")
@api_spec.validate(
    query=schemas.LanguageQuery, resp=responses(schemas.ApiEvent, 400, 404), tags=["events"]
)
def show_event(public_id: str):
    """One event by its identifier, past or upcoming. Drafts are not public (404)."""
    event = catalogue.get_public_event(public_id)
    if event is None:
        return error_response(404, "not_found", _("No public event has this identifier."))
    return _json(objects.event_object(event))


@bp.get("/series")
@api_spec.validate(query=schemas.LanguageQuery, resp=responses(schemas.SeriesList, 400),
                   tags=["series"])  # fmt: skip
def list_series():
    """Every public series (a series is public once one of its events is), by name; its
    events through `events` (the event list filtered on `serie`)."""
    items = [objects.series_object(series) for series in series_service.public_series()]
    return _json(schemas.SeriesList(items=items))


@bp.get("/series/<public_id>")
@api_spec.validate(
    query=schemas.LanguageQuery, resp=responses(schemas.ApiSeries, 400, 404), tags=["series"]
)
def show_series(public_id: str):
    """One series by its identifier. A series none of whose events is public: 404."""
    series = series_service.get_public_series(public_id)
    if series is None:
        return error_response(404, "not_found", _("No public series has this identifier."))
    return _json(objects.series_object(series))


@bp.get("/themes")
@api_spec.validate(query=schemas.LanguageQuery, resp=responses(schemas.ThemeList, 400),
                   tags=["themes"])  # fmt: skip
def list_themes():
    """Every theme, in display order, with its resources (recordings, courses, reading)."""
    themes = open_data.themes_with_resources()
    return _json(schemas.ThemeList(items=[objects.theme_object(theme) for theme in themes]))


@bp.get("/organisations")
@api_spec.validate(
    query=schemas.LanguageQuery,
    resp=responses(schemas.OrganisationList, 400),
    tags=["organisations"],
)
def list_organisations():
    """Every organisation that arranges events, by name."""
    items = [objects.organisation_object(o) for o in open_data.organisations()]
    return _json(schemas.OrganisationList(items=items))


@bp.get("/municipalities")
@api_spec.validate(
    query=schemas.LanguageQuery,
    resp=responses(schemas.MunicipalityList, 400),
    tags=["municipalities"],
)
def list_municipalities():
    """Halland's six municipalities, then online and outside Halland (filter `kommun`)."""
    return _json(schemas.MunicipalityList(items=objects.municipality_objects()))


@bp.get("/statistics")
@api_spec.validate(
    query=schemas.LanguageQuery,
    resp=responses(schemas.StatisticsResponse, 400),
    tags=["statistics"],
)
def show_statistics():
    """The public follow-up figures: events, registrations, attendance and waiting-list
    demand of the events that have taken place, in total and per theme, municipality where
    held, format and month. Counts of people below `min_count` are withheld (null), and
    so is one more where a lone withheld count could be worked out from the others."""
    figures = open_data.open_statistics(current_app.config["OPEN_STATISTICS_MIN_COUNT"])
    return _json(statistics_object(figures))


def statistics_object(figures: open_data.OpenStatistics) -> schemas.StatisticsResponse:
    names = objects.figure_names()

    def figure(dimension: str, item: open_data.OpenFigure) -> schemas.Figure:
        name = month_name(item.key) if dimension == "month" else names[dimension].get(
            item.key, item.key)  # fmt: skip
        return schemas.Figure(name=name, **vars(item))

    return schemas.StatisticsResponse(
        until=figures.until,
        min_count=figures.min_count,
        total=figure("total", figures.total),
        **{f"by_{dimension}": [figure(dimension, item) for item in items]
           for dimension, items in figures.dimensions()},
    )  # fmt: skip


@bp.get("/openapi.json")
def openapi():
    """This API's OpenAPI 3.1 document."""
    response = current_app.response_class(
        current_app.json.dumps(openapi_document()), mimetype="application/json"
    )
    response.cache_control.public = True
    response.cache_control.max_age = current_app.config["API_MAX_AGE"]
    response.add_etag()
    return response.make_conditional(request)

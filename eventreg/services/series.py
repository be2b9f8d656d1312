"""Series of events: the rules for keeping them (organisers), and what the public sees.

A series belongs to one organisation; only that organisation's events can be part of it,
and only its organisers (and administrators) change it. A series is public once one of its
events is (published or cancelled): before that its page, feed and API object do not exist,
so a title for next term's plans is not shown early.

Functions add and flush; the view commits once. Every change is written to the audit log.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import gettext as _
from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Event, EventSeries, Organisation, User, utcnow
from ..models.statuses import PUBLIC_EVENT_STATUSES, EventStatus
from ..models.types import MAX_ROW_ID, max_length
from ..text import is_one_line, normalise_newlines, slugify
from . import audit
from . import registrations as registration_service
from .errors import RuleError

# An upcoming series is a term or a year of parts; far more on one page is a mistake
# somewhere, and the page stays bounded (past parts are paged).
MAX_UPCOMING_SHOWN = 200


class SeriesRuleError(RuleError):
    """A change to a series the rules do not allow; `field` names the form field to mark."""


@dataclass
class SeriesData:
    """What an organiser sets on a series. The organisation is chosen once, at creation."""

    title: str
    organisation_id: int
    description: str = ""


FIELDS = ("title", "description", "organisation_id")
MAX_TITLE = max_length(EventSeries.title)
MAX_DESCRIPTION = max_length(EventSeries.description)


def validate_series_data(data: SeriesData) -> dict[str, str]:
    """Problems with the data, keyed by field name (empty when all is well). The form
    checks the same; the service checks again for callers that are not the form."""
    errors: dict[str, str] = {}
    title = (data.title or "").strip()
    if not title:
        errors["title"] = _("Enter a title.")
    elif not is_one_line(title):
        errors["title"] = _("Write this on one line, without line breaks or control characters.")
    elif len(title) > MAX_TITLE:
        errors["title"] = _("Write at most %(max)d characters.", max=MAX_TITLE)
    if len(data.description or "") > MAX_DESCRIPTION:
        errors["description"] = _("Write at most %(max)d characters.", max=MAX_DESCRIPTION)
    if db.session.get(Organisation, data.organisation_id) is None:
        errors["organisation_id"] = _("Choose an organisation.")
    return errors


def _check(data: SeriesData) -> None:
    errors = validate_series_data(data)
    if errors:
        name, message = next(iter(errors.items()))
        raise SeriesRuleError(message, name)


def _values(series: EventSeries) -> dict:
    return {name: getattr(series, name) for name in FIELDS}


def _apply(series: EventSeries, data: SeriesData) -> None:
    series.title = data.title.strip()
    series.slug = slugify(series.title)
    series.description = normalise_newlines(data.description or "").strip()


def create_series(data: SeriesData, user: User | None) -> EventSeries:
    """A new series of the organisation; raises SeriesRuleError if a rule is broken."""
    _check(data)
    series = EventSeries(organisation_id=data.organisation_id)
    _apply(series, data)
    db.session.add(series)
    db.session.flush()
    audit.log_change("series.create", series.title, user, audit.diff({}, _values(series)))
    return series


def update_series(series: EventSeries, data: SeriesData, user: User | None) -> dict:
    """Change the title and description ({field: [old, new]} of what changed). The
    organisation stays: its events are the series' parts."""
    if data.organisation_id != series.organisation_id:
        raise SeriesRuleError(_("A series stays with the organisation that made it."),
                              "organisation_id")  # fmt: skip
    _check(data)
    before = _values(series)
    _apply(series, data)
    db.session.flush()
    changes = audit.diff(before, _values(series))
    if changes:
        series.updated_at = utcnow()
        audit.log_change("series.update", series.title, user, changes)
    return changes


def delete_series(series: EventSeries, user: User | None) -> int:
    """Remove a series; its events stay, outside any series. Returns how many there were.

    Each event is unlinked through the ORM (not a bulk UPDATE), so its revision moves on
    (calendars see the change) and its own history says so."""
    events = list(series.events)
    for event in events:
        registration_service.lock_event(event.id)
        event.series = None
        audit.record_event_change(event, "event.update", user, {"series_id": [series.id, None]})
    audit.log_change("series.delete", series.title, user,
                     {"title": [series.title, None], "events": [len(events), 0]})
    db.session.delete(series)
    db.session.flush()
    return len(events)


def add_event(event: Event, series: EventSeries, user: User | None) -> None:
    """Put an event (of the series' organisation) into the series."""
    problem = series_problem(series.id, event.organisation_id)
    if problem:
        raise SeriesRuleError(problem, "series_id")
    if event.series_id == series.id:
        return
    registration_service.lock_event(event.id)  # as for any edit of the event's row
    old = event.series_id
    event.series = series
    db.session.flush()
    audit.record_event_change(event, "event.update", user, {"series_id": [old, series.id]})


def series_problem(series_id: int | None, organisation_id: int | None) -> str | None:
    """Why an event of `organisation_id` cannot be part of the series `series_id` (None: it
    can). Only a series of the event's own organisation: a guessed id of another
    organisation's series is refused like one that does not exist."""
    if series_id is None:
        return None
    series = db.session.get(EventSeries, series_id) if 0 < series_id <= MAX_ROW_ID else None
    if series is None or series.organisation_id != organisation_id:
        return _("Choose a series of the event's organisation from the list.")
    return None


# --- for organisers ---


def series_of_organisations(organisation_ids: set[int] | None) -> list[EventSeries]:
    """The series of these organisations (None: every organisation, for an administrator),
    by organisation and title."""
    stmt = (
        select(EventSeries)
        .join(Organisation, Organisation.id == EventSeries.organisation_id)
        .options(selectinload(EventSeries.organisation))
        .order_by(Organisation.name, EventSeries.title, EventSeries.id)
    )
    if organisation_ids is not None:
        stmt = stmt.where(EventSeries.organisation_id.in_(organisation_ids or {-1}))
    return list(db.session.scalars(stmt))


def event_counts(series_ids: list[int]) -> dict[int, int]:
    """How many events (of any status) each series has; series without any are left out."""
    if not series_ids:
        return {}
    rows = db.session.execute(
        select(Event.series_id, func.count())
        .where(Event.series_id.in_(series_ids))
        .group_by(Event.series_id)
    )
    return dict(rows.all())


def events_of(series: EventSeries) -> list[Event]:
    """Every event of the series in any status, in date order (for its organisers)."""
    return list(db.session.scalars(
        select(Event).where(Event.series_id == series.id).order_by(Event.start_dt, Event.id)
    ))  # fmt: skip


# --- for the public ---


def _is_public():
    return exists().where(
        Event.series_id == EventSeries.id, Event.status.in_(PUBLIC_EVENT_STATUSES)
    )


def get_public_series(public_id: str) -> EventSeries | None:
    """A series by its public id, if at least one of its events is public."""
    if "\x00" in public_id or len(public_id) > max_length(EventSeries.public_id):
        return None
    return db.session.scalar(
        select(EventSeries)
        .where(EventSeries.public_id == public_id, _is_public())
        .options(selectinload(EventSeries.organisation))
    )


def public_series_stmt() -> Select:
    """Every public series, by title."""
    return (
        select(EventSeries)
        .where(_is_public())
        .options(selectinload(EventSeries.organisation))
        .order_by(EventSeries.title, EventSeries.id)
    )


def public_series() -> list[EventSeries]:
    return list(db.session.scalars(public_series_stmt()))


def public_series_names() -> list[tuple[str, str]]:
    """(public_id, title) of every public series, by title: the event list's choices."""
    rows = db.session.execute(
        select(EventSeries.public_id, EventSeries.title)
        .where(_is_public())
        .order_by(EventSeries.title, EventSeries.id)
    )
    return [tuple(row) for row in rows]


@dataclass(frozen=True)
class SeriesSummary:
    """A public series as the index of series shows it."""

    series: EventSeries  # with its organisation loaded
    coming: int  # published events that have not ended
    next_start_dt: datetime | None  # the start of the first of them
    last_start_dt: datetime | None = None  # the start of the latest published one that ended


def public_series_index(now: datetime | None = None) -> list[SeriesSummary]:
    """Every public series with its coming events counted: series with coming events
    first, the next one soonest (then by title); then the rest, the one whose last event
    was most recent first (then by title), those with no event held (only cancelled ones)
    last. Coming is what the theme list counts: published (not cancelled) and not yet
    ended; held is published and ended. Two queries, however many series: the series with
    their counts and dates, then their organisations."""
    now = now or utcnow()
    published = (Event.series_id == EventSeries.id) & (Event.status == EventStatus.PUBLISHED)
    coming = published & (Event.end_dt > now)
    count = select(func.count()).where(coming).correlate(EventSeries).scalar_subquery()
    first = select(func.min(Event.start_dt)).where(coming).correlate(EventSeries)
    last = select(func.max(Event.start_dt)).where(published & (Event.end_dt <= now))
    rows = db.session.execute(public_series_stmt().add_columns(
        count, first.scalar_subquery(), last.correlate(EventSeries).scalar_subquery()
    ))  # fmt: skip
    summaries = [
        SeriesSummary(
            series,
            number or 0,
            _aware(next_start).astimezone(UTC) if number else None,
            _aware(last_start).astimezone(UTC) if last_start is not None else None,
        )
        for series, number, next_start, last_start in rows
    ]

    def order(summary: SeriesSummary) -> tuple:
        if summary.coming:
            return (0, summary.next_start_dt.timestamp())
        if summary.last_start_dt is not None:
            return (1, -summary.last_start_dt.timestamp())  # the most recent first
        return (2, 0.0)

    # Stable: the query's order by title stays within each group and among equal dates.
    return sorted(summaries, key=order)


def public_series_rows() -> list[tuple[str, str, datetime]]:
    """(public_id, slug, last change) of every public series, for the sitemap: the series'
    own change or its newest event change, whichever is later."""
    newest_event = (
        select(func.max(Event.updated_at))
        .where(Event.series_id == EventSeries.id, Event.status.in_(PUBLIC_EVENT_STATUSES))
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(EventSeries.public_id, EventSeries.slug, EventSeries.updated_at, newest_event)
        .where(_is_public())
        .order_by(EventSeries.id)
    )
    return [
        (public_id, slug, max(filter(None, (updated, _aware(newest)))))
        for public_id, slug, updated, newest in rows
    ]


def _aware(value):
    """A max() over a subquery comes back naive (or as text) on SQLite."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)

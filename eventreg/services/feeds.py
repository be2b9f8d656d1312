"""Which events a feed carries, and a cheap fingerprint of them for caching.

The filters themselves are the catalogue's (`public_events_stmt`); this module only adds the
feed's time window and the fingerprint that tells whether anything it shows changed.
"""

import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, func, literal_column, or_, select, union_all
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (
    Event,
    EventSeries,
    EventStatus,
    Organisation,
    Theme,
    event_co_organiser,
    event_theme,
)
from .catalogue import EventFilter, public_events_stmt, searchable

# Past events stay in feeds for about six months: long enough for someone looking back at
# what they attended, short enough that a feed stays small (Indico's unbounded feed timed
# out on a large instance). Everything upcoming is included.
PAST_WINDOW = timedelta(days=183)


def feed_events_stmt(event_filter: EventFilter, now: datetime) -> Select:
    """Published events that ended within the window or are upcoming, and cancelled events
    until they are past (so subscribed calendars learn of the cancellation), oldest first.
    Drafts never appear: `public_events_stmt` only returns published and cancelled events."""
    stmt = public_events_stmt(replace(event_filter, ended_after=now - PAST_WINDOW), now=now)
    # Every session of a course is a VEVENT (and listed in its Atom entry): loaded at once.
    stmt = stmt.options(selectinload(Event.sessions))
    return stmt.where(or_(Event.status == EventStatus.PUBLISHED, Event.end_dt > now))


@dataclass(frozen=True)
class DataVersion:
    """A fingerprint of a feed's events. Any edit bumps an event's `updated_at`; an event
    that leaves the feed (unpublished, deleted, aged out) lowers the count; one that enters
    changes the count or the id sum. `shown` covers what the feed shows from other rows
    (see `shown_rows_key`)."""

    count: int
    max_updated_at: datetime | None
    id_sum: int
    shown: str = ""

    @property
    def key(self) -> str:
        stamp = self.max_updated_at.isoformat() if self.max_updated_at else "-"
        return f"{self.count}:{stamp}:{self.id_sum}:{self.shown}"


def data_version(stmt: Select) -> DataVersion:
    """One aggregate query over the feed's events, and one over their themes and
    organisations; loads no event."""
    events = stmt.order_by(None).subquery()
    row = db.session.execute(
        select(
            func.count(events.c.id),
            func.max(events.c.updated_at),
            func.coalesce(func.sum(events.c.id), 0),
        )
    ).one()
    return DataVersion(
        count=row[0],
        max_updated_at=row[1],
        id_sum=int(row[2]),
        shown=shown_rows_key(select(events.c.id)),
    )


def shown_rows_key(event_ids: Select | list[int]) -> str:
    """A fingerprint of what a feed shows of its events' themes (names, in position order)
    and organisations (name, contact address). Those live in rows of their own with no
    timestamp, and renaming one changes no event row, so without this a feed would keep
    the old name under the same ETag. A few rows, hashed here because SQLite has no hash
    function."""
    organisations = select(
        literal_column("'organisation'"),
        Organisation.id,
        Organisation.name,
        Organisation.contact_email,
        literal_column("0"),
    ).where(or_(
        Organisation.id.in_(select(Event.organisation_id).where(Event.id.in_(event_ids))),
        # Co-organisers are named in the events' text too.
        Organisation.id.in_(select(event_co_organiser.c.organisation_id).where(
            event_co_organiser.c.event_id.in_(event_ids))),
    ))  # fmt: skip
    themes = select(
        literal_column("'theme'"), Theme.id, Theme.name_sv, Theme.name_en, Theme.position
    ).where(
        Theme.id.in_(select(event_theme.c.theme_id).where(event_theme.c.event_id.in_(event_ids)))
    )
    # The series named in each event's text ("Part of the series: …").
    series = select(
        literal_column("'series'"), EventSeries.id, EventSeries.title, literal_column("''"),
        literal_column("0"),
    ).where(EventSeries.id.in_(select(Event.series_id).where(Event.id.in_(event_ids))))
    rows = sorted(
        (tuple(row) for row in db.session.execute(union_all(organisations, themes, series))),
        key=lambda row: (row[0], row[1]),
    )
    return hashlib.sha256(repr(rows).encode()).hexdigest()[:16]


# Any status: an event unpublished (back to draft) or cancelled changed the feed too.
_ANY_STATUS = tuple(EventStatus)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def feed_last_modified(
    event_filter: EventFilter, now: datetime, names_changed_at: datetime | None
) -> datetime:
    """When what a feed shows last changed, from the data alone (the same on every worker
    and host): the newest change of an event matching the feed's filter in its window, in
    any status (an event unpublished or cancelled changed the feed though it may no longer
    be in it); the newest moment an event left the window by ageing (a cancelled event at
    its end, a published one PAST_WINDOW after it); and the newest change to themes,
    organisations or deleted events (`names_changed_at`, from models/data_version.py),
    which carry no timestamp of their own."""
    window = replace(event_filter, ended_after=now - PAST_WINDOW)
    changed = public_events_stmt(window, now=now, statuses=_ANY_STATUS).order_by(None)
    ever = replace(event_filter, ended_after=_EPOCH)
    aged_published = public_events_stmt(ever, now=now, statuses=(EventStatus.PUBLISHED,)).where(
        Event.end_dt <= now - PAST_WINDOW
    )
    ended_cancelled = public_events_stmt(ever, now=now, statuses=(EventStatus.CANCELLED,)).where(
        Event.end_dt <= now
    )

    def newest(stmt: Select, column):
        subquery = stmt.order_by(None).subquery()
        return select(func.max(subquery.c[column])).scalar_subquery()

    row = db.session.execute(
        select(
            newest(changed, "updated_at"),
            newest(aged_published, "end_dt"),
            newest(ended_cancelled, "end_dt"),
        )
    ).one()
    # Aggregates over a subquery come back as the column's type on PostgreSQL but as text
    # or naive values on SQLite: bring them to aware UTC.
    updated, published_end, cancelled_end = (_aware(value) for value in row)
    candidates = [updated, cancelled_end, names_changed_at]
    if published_end is not None:
        candidates.append(published_end + PAST_WINDOW)
    return max((c for c in candidates if c is not None), default=_EPOCH)


def _aware(value) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def get_organisation_by_slug(slug: str) -> Organisation | None:
    if not searchable(slug):
        return None
    return db.session.scalar(select(Organisation).where(Organisation.slug == slug))

"""Which events a feed carries, and a cheap fingerprint of them for caching.

The filters themselves are the catalogue's (`public_events_stmt`); this module only adds the
feed's time window and the aggregate that tells whether anything changed.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Select, func, or_, select

from ..extensions import db
from ..models import Event, Organisation
from ..services.catalogue import EventFilter, public_events_stmt, searchable

# Past events stay in feeds for about six months: long enough for someone looking back at
# what they attended, short enough that a feed stays small (Indico's unbounded feed timed
# out on a large instance). Everything upcoming is included.
PAST_WINDOW = timedelta(days=183)


def feed_events_stmt(event_filter: EventFilter, now: datetime) -> Select:
    """Published events that ended within the window or are upcoming, and cancelled events
    until they are past (so subscribed calendars learn of the cancellation), oldest first.
    Drafts never appear: `public_events_stmt` only returns published and cancelled events."""
    stmt = public_events_stmt(replace(event_filter, ended_after=now - PAST_WINDOW), now=now)
    return stmt.where(or_(Event.status == "published", Event.end_dt > now))


@dataclass(frozen=True)
class DataVersion:
    """A fingerprint of a feed's events. Any edit bumps an event's `updated_at`; an event
    that leaves the feed (unpublished, deleted, aged out) lowers the count; one that enters
    changes the count or the id sum."""

    count: int
    max_updated_at: datetime | None
    id_sum: int

    @property
    def key(self) -> str:
        stamp = self.max_updated_at.isoformat() if self.max_updated_at else "-"
        return f"{self.count}:{stamp}:{self.id_sum}"


def data_version(stmt: Select) -> DataVersion:
    """One aggregate query over the feed's events; loads no event."""
    events = stmt.order_by(None).subquery()
    row = db.session.execute(
        select(
            func.count(events.c.id),
            func.max(events.c.updated_at),
            func.coalesce(func.sum(events.c.id), 0),
        )
    ).one()
    return DataVersion(count=row[0], max_updated_at=row[1], id_sum=int(row[2]))


def get_organisation_by_slug(slug: str) -> Organisation | None:
    if not searchable(slug):
        return None
    return db.session.scalar(select(Organisation).where(Organisation.slug == slug))

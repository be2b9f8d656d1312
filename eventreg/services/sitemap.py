"""What a search engine may list: the public pages' rows, read for sitemap.xml."""

from datetime import datetime

from sqlalchemy import select

from ..extensions import db
from ..models import PUBLIC_EVENT_STATUSES, Event, Theme

# A sitemap file holds at most 50,000 addresses; the newest events fill what the fixed pages
# and themes leave (a registry of seminars stays far below it).
MAX_EVENTS = 45_000


def public_event_rows(limit: int = MAX_EVENTS) -> list[tuple[str, str, datetime]]:
    """(public_id, slug, updated_at) of published and cancelled events, newest first; drafts
    are not public."""
    stmt = (
        select(Event.public_id, Event.slug, Event.updated_at)
        .where(Event.status.in_(PUBLIC_EVENT_STATUSES))
        .order_by(Event.start_dt.desc(), Event.id.desc())
        .limit(limit)
    )
    return [tuple(row) for row in db.session.execute(stmt)]


def theme_slugs() -> list[str]:
    return list(db.session.scalars(select(Theme.slug).order_by(Theme.position, Theme.id)))

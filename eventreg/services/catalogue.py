"""Queries behind the public catalogue (and the calendar feeds, which share its filters)."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (
    Event,
    EventLanguage,
    EventSeries,
    EventStatus,
    EventTranslation,
    Organisation,
    TargetGroup,
    Theme,
    event_target_group,
    event_theme,
    utcnow,
)
from ..models.events import arranged_by
from ..models.statuses import PUBLIC_EVENT_STATUSES
from ..models.types import LOCAL_TZ


@dataclass(frozen=True)
class EventFilter:
    """What a visitor asked the event list for. Values within a field are alternatives;
    fields combine (theme AND municipality AND …)."""

    themes: tuple[str, ...] = ()
    municipalities: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    text: str = ""
    past: bool = False
    organisations: tuple[str, ...] = field(default=())
    # Instead of upcoming-or-past: every event ending after this moment, oldest first
    # (calendar feeds carry recent past events as well as upcoming ones).
    ended_after: datetime | None = None
    target_groups: tuple[str, ...] = ()  # slugs
    # Languages the event's text is written in besides Swedish (content language codes);
    # not the languages it is held in (`languages`).
    described_in: tuple[str, ...] = ()
    series: tuple[str, ...] = ()  # public ids (a series' page and feed)

    @property
    def is_empty(self) -> bool:
        return not (
            self.themes or self.municipalities or self.formats or self.languages
            or self.date_from or self.date_to or self.text or self.organisations
            or self.described_in
            or self.target_groups or self.series
        )  # fmt: skip


def local_midnight_utc(day: date) -> datetime:
    """The start of a Stockholm calendar day, in UTC (23:00 or 22:00 the day before).

    0001-01-01 starts in year 0 in UTC, which Python cannot represent: the earliest
    datetime stands in for it (a filter "from 0001-01-01" means "from the beginning").
    """
    try:
        return datetime.combine(day, time.min, tzinfo=LOCAL_TZ).astimezone(UTC)
    except OverflowError:
        return datetime.min.replace(tzinfo=UTC)


def searchable(value: str) -> bool:
    """Whether a text can be compared with stored text on every database: PostgreSQL
    refuses NUL characters in a query, and no stored slug, id or text holds one."""
    return "\x00" not in value


def _with_details(stmt: Select) -> Select:
    return stmt.options(
        selectinload(Event.themes),
        selectinload(Event.target_groups),
        selectinload(Event.languages),
        selectinload(Event.organisation),
        selectinload(Event.co_organisers),
        selectinload(Event.speakers),
        selectinload(Event.translations),
        selectinload(Event.series),
    )


def public_events_stmt(
    event_filter: EventFilter, now: datetime | None = None, statuses: tuple = PUBLIC_EVENT_STATUSES
) -> Select:
    """Published and cancelled events matching the filter, upcoming or past, in list order.

    Cancelled events stay listed (clearly marked) so people who planned to come find out.
    """
    now = now or utcnow()
    stmt = select(Event).where(Event.status.in_(statuses))
    if event_filter.ended_after is not None:
        stmt = stmt.where(Event.end_dt > event_filter.ended_after)
        stmt = stmt.order_by(Event.start_dt, Event.id)
    elif event_filter.past:
        stmt = stmt.where(Event.end_dt <= now).order_by(Event.start_dt.desc(), Event.id.desc())
    else:
        stmt = stmt.where(Event.end_dt > now).order_by(Event.start_dt, Event.id)
    if event_filter.themes:
        stmt = stmt.where(
            Event.id.in_(
                select(event_theme.c.event_id)
                .join(Theme, Theme.id == event_theme.c.theme_id)
                .where(Theme.slug.in_(event_filter.themes))
            )
        )
    if event_filter.target_groups:
        stmt = stmt.where(
            Event.id.in_(
                select(event_target_group.c.event_id)
                .join(TargetGroup, TargetGroup.id == event_target_group.c.target_group_id)
                .where(TargetGroup.slug.in_(event_filter.target_groups))
            )
        )
    if event_filter.series:
        stmt = stmt.where(
            Event.series_id.in_(
                select(EventSeries.id).where(EventSeries.public_id.in_(event_filter.series))
            )
        )
    if event_filter.municipalities:
        stmt = stmt.where(Event.municipality.in_(event_filter.municipalities))
    if event_filter.formats:
        stmt = stmt.where(Event.format.in_(event_filter.formats))
    if event_filter.languages:
        stmt = stmt.where(
            Event.id.in_(
                select(EventLanguage.event_id).where(EventLanguage.code.in_(event_filter.languages))
            )
        )
    if event_filter.described_in:
        stmt = stmt.where(
            Event.id.in_(
                select(EventTranslation.event_id).where(
                    EventTranslation.code.in_(event_filter.described_in)
                )
            )
        )
    if event_filter.organisations:
        # Also the events an organisation co-organises: they are its events too.
        stmt = stmt.where(arranged_by(
            select(Organisation.id).where(Organisation.slug.in_(event_filter.organisations))
        ))  # fmt: skip
    if event_filter.date_from:
        stmt = stmt.where(Event.end_dt > local_midnight_utc(event_filter.date_from))
    if event_filter.date_to and event_filter.date_to < date.max:  # 9999-12-31: no end
        stmt = stmt.where(
            Event.start_dt < local_midnight_utc(event_filter.date_to + timedelta(days=1))
        )
    for word in event_filter.text.casefold().split():
        stmt = stmt.where(Event.search_text.contains(word, autoescape=True))
    return _with_details(stmt)


def paginate_events(event_filter: EventFilter, page: int, per_page: int):
    return db.paginate(
        public_events_stmt(event_filter), page=page, per_page=per_page, error_out=False
    )


def upcoming_events(limit: int, **filter_fields) -> list[Event]:
    stmt = public_events_stmt(EventFilter(**filter_fields)).limit(limit)
    return list(db.session.scalars(stmt))


def past_events(limit: int, **filter_fields) -> list[Event]:
    stmt = public_events_stmt(EventFilter(past=True, **filter_fields)).limit(limit)
    return list(db.session.scalars(stmt))


def all_themes() -> list[Theme]:
    """Every theme in its display order."""
    return list(db.session.scalars(select(Theme).order_by(Theme.position, Theme.id)))


def all_target_groups() -> list[TargetGroup]:
    """Every target group in its display order."""
    return list(
        db.session.scalars(select(TargetGroup).order_by(TargetGroup.position, TargetGroup.id))
    )


def all_organisations() -> list[Organisation]:
    """Every organisation, by name."""
    return list(db.session.scalars(select(Organisation).order_by(Organisation.name)))


def upcoming_counts_by_theme(now: datetime | None = None) -> dict[int, int]:
    now = now or utcnow()
    rows = db.session.execute(
        select(event_theme.c.theme_id, func.count())
        .join(Event, Event.id == event_theme.c.event_id)
        .where(Event.status == EventStatus.PUBLISHED, Event.end_dt > now)
        .group_by(event_theme.c.theme_id)
    )
    return dict(rows.all())


def get_theme_by_slug(slug: str) -> Theme | None:
    if not searchable(slug):
        return None
    return db.session.scalar(select(Theme).where(Theme.slug == slug))


def event_with_details(event_id: int) -> Event | None:
    """An event in any status with what its pages show (organisation, themes, languages,
    speakers) loaded at once: a page that answers "busy, try again" after a failed change
    can then be shown without asking the database again."""
    return db.session.scalar(_with_details(select(Event).where(Event.id == event_id)))


def get_public_event(public_id: str) -> Event | None:
    """A published or cancelled event by its public id; drafts are not public."""
    if not searchable(public_id):
        return None
    stmt = _with_details(
        select(Event).where(Event.public_id == public_id, Event.status.in_(PUBLIC_EVENT_STATUSES))
    )
    return db.session.scalar(stmt)

"""Queries behind the open data API and the public follow-up figures.

The event filters are the catalogue's (`public_events_stmt`), so the API lists exactly what
the event list shows; the figures are the follow-up statistics' (`statistics.compute`),
restricted to what may be published: no registrant's own data, counts of people under
a threshold suppressed.
"""

import base64
import binascii
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import selectinload

from .. import vocab
from ..extensions import db
from ..models import Event, Organisation, Theme, utcnow
from ..models.types import MAX_ROW_ID
from . import statistics
from .catalogue import LOCAL_TZ, EventFilter, public_events_stmt

# Every event, past and upcoming: "ended after the beginning of time".
BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)


def events_stmt(event_filter: EventFilter, when: str, now: datetime | None = None) -> Select:
    """The catalogue's published and cancelled events matching the filter: upcoming (in
    list order), past (newest first) or all (oldest first)."""
    if when == "past":
        event_filter = replace(event_filter, past=True)
    elif when == "all":
        event_filter = replace(event_filter, ended_after=BEGINNING)
    return public_events_stmt(event_filter, now=now)


def paginate(stmt: Select, page: int, per_page: int):
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


@dataclass(frozen=True)
class SyncPosition:
    """Where a client reading changes in `updated_at` order has come to: the last event it
    received. Encoded as an opaque cursor for the next page."""

    updated_at: datetime
    event_id: int

    def encode(self) -> str:
        raw = f"{self.updated_at.astimezone(UTC).isoformat()}|{self.event_id}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str) -> "SyncPosition | None":
        """The position in a cursor, or None for one this API did not write."""
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            stamp, _, event_id = raw.partition("|")
            updated_at = datetime.fromisoformat(stamp)
            position = cls(updated_at, int(event_id))
        except (ValueError, binascii.Error, UnicodeDecodeError, OverflowError):
            return None
        if updated_at.tzinfo is None or not 0 < position.event_id <= MAX_ROW_ID:
            return None
        return position


def changed_events(
    stmt: Select, since: datetime | None, after: SyncPosition | None, limit: int
) -> tuple[list[Event], SyncPosition | None]:
    """Events of `stmt` changed at or after `since`, oldest change first, from just after
    `after`; and the position to continue from when there may be more (else None).

    Keyset paging on (updated_at, id): a change made while a client pages through moves
    the event to the end, where the client meets it again, instead of shifting pages."""
    stmt = stmt.order_by(None).order_by(Event.updated_at, Event.id)
    if since is not None:
        stmt = stmt.where(Event.updated_at >= since)
    if after is not None:
        stmt = stmt.where(
            or_(
                Event.updated_at > after.updated_at,
                and_(Event.updated_at == after.updated_at, Event.id > after.event_id),
            )
        )
    events = list(db.session.scalars(stmt.limit(limit + 1)))
    if len(events) <= limit:
        return events, None
    events = events[:limit]
    return events, SyncPosition(events[-1].updated_at, events[-1].id)


def themes_with_resources() -> list[Theme]:
    """Every theme in display order with its resources loaded."""
    stmt = select(Theme).options(selectinload(Theme.resources)).order_by(Theme.position, Theme.id)
    return list(db.session.scalars(stmt))


def organisations() -> list[Organisation]:
    """Every organisation, by name."""
    return list(db.session.scalars(select(Organisation).order_by(Organisation.name)))


# --- Open follow-up figures ---


@dataclass(frozen=True)
class OpenFigure:
    """One group's figures. A count of people is None where it is suppressed (too few to
    publish); events are public anyway, so their count is never suppressed."""

    key: str
    events: int
    registrations: int | None
    attended: int | None
    waiting_list_demand: int | None


PEOPLE_COUNTS = ("registrations", "attended", "waiting_list_demand")


@dataclass(frozen=True)
class OpenStatistics:
    total: OpenFigure
    by_theme: list[OpenFigure]
    by_municipality: list[OpenFigure]  # where the events were held
    by_format: list[OpenFigure]
    by_month: list[OpenFigure]
    until: date  # events that started before this (Swedish) day
    min_count: int

    def dimensions(self) -> list[tuple[str, list[OpenFigure]]]:
        return [
            ("theme", self.by_theme),
            ("municipality", self.by_municipality),
            ("format", self.by_format),
            ("month", self.by_month),
        ]


def _suppressed(value: int, min_count: int) -> int | None:
    return None if 0 < value < min_count else value


def suppress(
    total: statistics.Bucket, groups: list[tuple[str, statistics.Bucket]], min_count: int
) -> tuple[OpenFigure, list[OpenFigure]]:
    """Figures safe to publish: every count of people from 1 to min_count - 1 is withheld,
    and where a group's count is withheld alone, the next smallest count in that
    dimension is withheld with it (or the total, when there is none), so the withheld
    number cannot be worked out as the total minus the others."""
    counts = {
        "registrations": lambda b: b.registrations,
        "attended": lambda b: b.attended,
        "waiting_list_demand": lambda b: b.demand,
    }
    shown_total: dict[str, int | None] = {}
    shown: list[dict[str, int | None]] = [{} for _ in groups]
    for name, count in counts.items():
        values = [count(bucket) for _, bucket in groups]
        kept = [_suppressed(value, min_count) for value in values]
        total_value = _suppressed(count(total), min_count)
        if sum(value is None for value in kept) == 1:
            candidates = [i for i, value in enumerate(kept) if value]
            if candidates:
                kept[min(candidates, key=lambda i: (values[i], i))] = None
            else:
                total_value = None
        shown_total[name] = total_value
        for i, value in enumerate(kept):
            shown[i][name] = value
    figure_total = OpenFigure("total", total.events, **shown_total)
    figures = [
        OpenFigure(key, bucket.events, **values)
        for (key, bucket), values in zip(groups, shown, strict=True)
    ]
    return figure_total, figures


def _group(
    tallies: statistics.Tallies,
    keys_of: Callable[[statistics.EventFact], Iterable[str]],
    order: Iterable[str] = (),
) -> list[tuple[str, statistics.Bucket]]:
    """Totals per group of events, each computed by `statistics.compute_total` over that
    group's events and registrations, so every figure means what it means on the follow-up
    page (a total needs only the counts per event)."""
    members: dict[str, list[statistics.EventFact]] = {}
    for event in tallies.events:
        for key in keys_of(event):
            members.setdefault(key, []).append(event)
    counts: dict[int, list[statistics.EventTally]] = {}
    for tally in tallies.by_event:
        counts.setdefault(tally.event.event_id, []).append(tally)
    order = list(order)
    ordered = [key for key in order if key in members]
    ordered += sorted(key for key in members if key not in order)
    groups = []
    for key in ordered:
        events = members[key]
        by_event = [tally for event in events for tally in counts.get(event.event_id, ())]
        bucket = statistics.compute_total(statistics.Tallies(events, by_event, []))
        groups.append((key, bucket))
    return groups


def open_statistics(min_count: int, now: datetime | None = None) -> OpenStatistics:
    """The follow-up figures of every event that started before today (Swedish time), per
    theme, municipality where held, format and month. Only events that have taken place
    are counted: their figures are the follow-up, and upcoming events' registrations
    would otherwise let anyone watch a single sign-up appear from one day to the next."""
    now = now or utcnow()
    until = now.astimezone(LOCAL_TZ).date()
    last_day = until - timedelta(days=1)
    tallies = statistics.load_tallies(None, date_to=last_day, now=now)
    total = statistics.compute_total(tallies)
    theme_order = [theme.slug for theme in db.session.scalars(
        select(Theme).order_by(Theme.position, Theme.id))]  # fmt: skip
    dimensions = {
        "theme": _group(tallies, lambda e: e.themes, theme_order),
        "municipality": _group(tallies, lambda e: [e.municipality], vocab.MUNICIPALITIES),
        "format": _group(tallies, lambda e: [e.format], vocab.FORMATS),
        "month": _group(tallies, lambda e: [statistics.month_key(e.start)]),
    }
    figures = {}
    shown_total = None
    for name, groups in dimensions.items():
        dimension_total, figures[name] = suppress(total, groups, min_count)
        # A total withheld to protect any dimension stays withheld.
        if shown_total is None:
            shown_total = dimension_total
        else:
            shown_total = OpenFigure("total", total.events, **{
                count: None if getattr(dimension_total, count) is None
                else getattr(shown_total, count)
                for count in PEOPLE_COUNTS
            })  # fmt: skip
    if shown_total is None:
        shown_total, _ = suppress(total, [], min_count)
    return OpenStatistics(
        total=shown_total,
        by_theme=figures["theme"],
        by_municipality=figures["municipality"],
        by_format=figures["format"],
        by_month=figures["month"],
        until=until,
        min_count=min_count,
    )

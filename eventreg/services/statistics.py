"""Follow-up figures (uppföljning): who the seminars reach and who actually came.

`load_tallies` counts the registrations in the database, grouped by event and kind
(status, attended, never seated) for the events' groups and by the registrant's
municipality and sector for the people's, so a few queries return a few rows per event
however many people registered; `compute_tallies` adds those counts up. `compute` gives the
same figures from one `RegistrationFact` per registration (hand-built in tests, or from
`load_facts`) by tallying them first, so both paths share one definition of every figure.
Everything after loading is pure (`compute`, `compute_tallies`, `figures_csv`). The page
draws the figures with organiser/charts.py.

Definitions, shown on the page too:
- registrations: registrations that hold a seat (confirmed); waiting and cancelled ones
  are not counted;
- attended: confirmed registrations checked in at the door;
- no-show: confirmed registrations for an event that has ended and where attendance was
  taken (at least one check-in), who were not checked in. Events where nobody was checked
  in are left out of the no-show figures, as there attendance is unknown;
- events: every published event starting in the period, also those nobody registered
  for (cancelled events are counted apart); a theme with events but no registrations is
  listed with zeros;
- waiting-list demand: people who wanted a seat and never got one (still on the waiting
  list, or left it without a seat), at events that were not cancelled;
- an event with two themes counts under both themes (and one for two target groups under
  both target groups); months are the event's start month
  in Swedish time; municipality and sector are the registrant's own, and "where held" is
  the event's municipality.

Numbers and months are written for the reader's language by the callers' formatters
(`format_rate`, `month_label`), so the page and the CSV say "25,0" and "mars 2026" in
Swedish.
"""

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from .. import vocab
from ..extensions import db
from ..models import (
    Event,
    EventStatus,
    Registration,
    RegistrationStatus,
    TargetGroup,
    Theme,
    event_target_group,
    event_theme,
    utcnow,
)
from ..models.events import arranged_by
from ..models.statuses import PUBLIC_EVENT_STATUSES
from ..models.types import LOCAL_TZ
from ..text import spreadsheet_safe
from .catalogue import all_target_groups, all_themes, local_midnight_utc


@dataclass(frozen=True)
class RegistrationFact:
    """What the statistics need to know about one registration (nothing personal)."""

    event_id: int
    event_start: datetime
    event_ended: bool
    themes: tuple[str, ...]
    municipality: str
    sector: str
    status: str
    attended: bool
    # Where the event was held, and whether this person wanted a seat and never had one.
    event_municipality: str = ""
    never_seated: bool = False
    event_cancelled: bool = False
    target_groups: tuple[str, ...] = ()  # the event's, by slug


@dataclass(frozen=True)
class EventFact:
    """What the statistics need to know about one event in the period."""

    event_id: int
    start: datetime
    municipality: str
    themes: tuple[str, ...]
    cancelled: bool = False
    target_groups: tuple[str, ...] = ()
    ended: bool = False
    format: str = ""


@dataclass(frozen=True)
class EventTally:
    """How many registrations of one kind an event has: what the events' groups (theme,
    target group, where held, month) and the totals count."""

    event: EventFact
    status: str
    attended: bool
    never_seated: bool
    attendance_taken: bool  # someone at this event was checked in
    count: int = 1


@dataclass(frozen=True)
class PersonTally:
    """How many registrations of one kind come from one municipality and sector: what the
    people's groups count."""

    municipality: str
    sector: str
    status: str
    attended: bool
    never_seated: bool
    event_ended: bool
    attendance_taken: bool
    event_cancelled: bool
    count: int = 1


@dataclass(frozen=True)
class Tallies:
    """The period's events and its registrations counted both ways."""

    events: list[EventFact]
    by_event: list[EventTally]
    by_person: list[PersonTally]


@dataclass
class Bucket:
    label: str
    registrations: int = 0
    attended: int = 0
    no_show: int = 0
    counted_for_no_show: int = 0  # confirmed at ended events where attendance was taken
    events: int = 0  # published events in this group (where events are known)
    demand: int = 0  # people on the waiting list who never got a seat

    @property
    def no_show_rate(self) -> float | None:
        if not self.counted_for_no_show:
            return None
        return self.no_show / self.counted_for_no_show


@dataclass
class Statistics:
    total: Bucket
    events: int
    by_theme: list[Bucket] = field(default_factory=list)
    by_municipality: list[Bucket] = field(default_factory=list)
    by_sector: list[Bucket] = field(default_factory=list)
    by_month: list[Bucket] = field(default_factory=list)
    by_event_municipality: list[Bucket] = field(default_factory=list)
    cancelled_events: int = 0
    by_target_group: list[Bucket] = field(default_factory=list)

    def dimensions(self) -> list[tuple[str, list[Bucket]]]:
        return [
            ("theme", self.by_theme),
            ("target_group", self.by_target_group),
            ("municipality", self.by_municipality),
            ("event_municipality", self.by_event_municipality),
            ("sector", self.by_sector),
            ("month", self.by_month),
        ]


# Dimensions whose groups are events' (theme, where held, month): they count events.
EVENT_DIMENSIONS = frozenset({"theme", "target_group", "event_municipality", "month"})
# Dimensions that show waiting-list demand.
DEMAND_DIMENSIONS = frozenset({"theme", "target_group", "municipality", "event_municipality"})


def month_key(start: datetime) -> str:
    return start.astimezone(LOCAL_TZ).strftime("%Y-%m")


def iso_month(key: str) -> str:
    return key


def _add(bucket: Bucket, count: int, attended: bool, ended: bool, attendance_taken: bool) -> None:
    """Count `count` confirmed registrations in the bucket."""
    bucket.registrations += count
    if attended:
        bucket.attended += count
    if ended and attendance_taken:
        bucket.counted_for_no_show += count
        if not attended:
            bucket.no_show += count


def tally(facts: Iterable[RegistrationFact]) -> tuple[list[EventTally], list[PersonTally]]:
    """Registration facts counted as `compute_tallies` counts them; each fact's event is as
    the fact describes it."""
    facts = list(facts)
    taken = {f.event_id for f in facts if f.attended}
    by_event: Counter = Counter()
    by_person: Counter = Counter()
    for f in facts:
        event = EventFact(f.event_id, f.event_start, f.event_municipality, f.themes,
                          f.event_cancelled, f.target_groups, f.event_ended)  # fmt: skip
        attendance_taken = f.event_id in taken
        by_event[event, f.status, f.attended, f.never_seated, attendance_taken] += 1
        by_person[f.municipality, f.sector, f.status, f.attended, f.never_seated,
                  f.event_ended, attendance_taken, f.event_cancelled] += 1  # fmt: skip
    return (
        [EventTally(*key, count=count) for key, count in by_event.items()],
        [PersonTally(*key, count=count) for key, count in by_person.items()],
    )


def compute(
    facts: Iterable[RegistrationFact],
    theme_names: dict[str, str] | None = None,
    labels: dict[str, dict[str, str]] | None = None,
    events: Iterable[EventFact] | None = None,
    month_label: Callable[[str], str] = iso_month,
    target_group_names: dict[str, str] | None = None,
) -> Statistics:
    """The figures from registration facts (and, given them, the period's events): totals
    and per theme, municipality, where held, sector and month. `theme_names` and `labels`
    turn codes into names, `month_label` a "YYYY-MM" into a month's name; lists are in a
    stable order (themes and codes as the names map lists them, months in time order).

    Without `events`, only events with registrations are known (and counted).
    `target_group_names` turns target groups' slugs into names, like `theme_names`."""
    by_event, by_person = tally(facts)
    if events is None:
        known = {t.event.event_id: t.event for t in by_event}
        events = list(known.values())
    return compute_tallies(Tallies(list(events), by_event, by_person), theme_names, labels,
                           month_label, target_group_names)  # fmt: skip


def compute_total(tallies: Tallies) -> Bucket:
    """The totals alone: what `compute_tallies` gives as `total` (the open figures need
    them per group of events)."""
    total = Bucket("total", events=sum(not event.cancelled for event in tallies.events))
    for t in tallies.by_event:
        if t.never_seated and not t.event.cancelled:
            total.demand += t.count
        if t.status == RegistrationStatus.CONFIRMED:
            _add(total, t.count, t.attended, t.event.ended, t.attendance_taken)
    return total


def compute_tallies(
    tallies: Tallies,
    theme_names: dict[str, str] | None = None,
    labels: dict[str, dict[str, str]] | None = None,
    month_label: Callable[[str], str] = iso_month,
    target_group_names: dict[str, str] | None = None,
) -> Statistics:
    """The figures from counted registrations (`load_tallies`, `tally`); names and order as
    `compute` gives them."""
    theme_names = theme_names or {}
    target_group_names = target_group_names or {}
    labels = labels or {}
    total = compute_total(tallies)
    groups: dict[str, dict[str, Bucket]] = defaultdict(dict)

    def bucket(dimension: str, key: str) -> Bucket:
        if key not in groups[dimension]:
            if dimension == "theme":
                label = theme_names.get(key, key)
            elif dimension == "target_group":
                label = target_group_names.get(key, key)
            elif dimension == "month":
                label = month_label(key)
            else:
                vocabulary = "municipality" if dimension == "event_municipality" else dimension
                label = labels.get(vocabulary, {}).get(key, key)
            groups[dimension][key] = Bucket(label)
        return groups[dimension][key]

    found: dict[EventFact, list[Bucket]] = {}

    def event_buckets(event: EventFact) -> list[Bucket]:
        """The groups an event belongs to: its themes, target groups, where it was held,
        its month last (worked out once per event, which has a few tallies)."""
        if event not in found:
            where = [bucket("event_municipality", event.municipality)] if event.municipality else []
            found[event] = [*(bucket("theme", slug) for slug in event.themes),
                            *(bucket("target_group", slug) for slug in event.target_groups),
                            *where, bucket("month", month_key(event.start))]  # fmt: skip
        return found[event]

    cancelled_events = 0
    published = 0
    for event in tallies.events:
        if event.cancelled:
            cancelled_events += 1
            continue
        published += 1
        for group in event_buckets(event):
            group.events += 1

    # Each registration is counted once by its event (totals and the events' groups) and
    # once by its registrant (municipality and sector).
    for t in tallies.by_event:
        event = t.event
        is_demand = t.never_seated and not event.cancelled
        if t.status != RegistrationStatus.CONFIRMED and not is_demand:
            continue  # other waiting and cancelled registrations are not counted anywhere
        where = event_buckets(event)
        if is_demand:
            for group in where[:-1]:  # demand per month is not shown
                group.demand += t.count
        if t.status != RegistrationStatus.CONFIRMED:
            continue  # demand only: no seat to count
        for group in where:
            _add(group, t.count, t.attended, event.ended, t.attendance_taken)
    for p in tallies.by_person:
        is_demand = p.never_seated and not p.event_cancelled
        if is_demand:
            bucket("municipality", p.municipality).demand += p.count
        if p.status != RegistrationStatus.CONFIRMED:
            continue
        for dimension, key in (("municipality", p.municipality), ("sector", p.sector)):
            _add(bucket(dimension, key), p.count, p.attended, p.event_ended, p.attendance_taken)

    def ordered(dimension: str, order: list[str]) -> list[Bucket]:
        found = groups.get(dimension, {})
        known = [found[key] for key in order if key in found]
        rest = [found[key] for key in sorted(found) if key not in order]
        return known + rest

    municipalities = list(labels.get("municipality", {}))
    return Statistics(
        total=total,
        events=published,
        by_theme=ordered("theme", list(theme_names)),
        by_target_group=ordered("target_group", list(target_group_names)),
        by_municipality=ordered("municipality", municipalities),
        by_sector=ordered("sector", list(labels.get("sector", {}))),
        by_month=ordered("month", []),
        by_event_municipality=ordered("event_municipality", municipalities),
        cancelled_events=cancelled_events,
    )


def _period(stmt, organisation_ids: set[int] | None, date_from: date | None,
            date_to: date | None):  # fmt: skip
    """Only events of these organisations (None: all) starting within the dates (Swedish
    calendar days)."""
    if organisation_ids is not None:
        # Co-organised events count too, each once.
        stmt = stmt.where(arranged_by(organisation_ids))
    if date_from:
        stmt = stmt.where(Event.start_dt >= local_midnight_utc(date_from))
    if date_to:
        stmt = stmt.where(Event.start_dt < local_midnight_utc(date_to + timedelta(days=1)))
    return stmt


def _period_event_ids(organisation_ids: set[int] | None, date_from: date | None,
                      date_to: date | None):  # fmt: skip
    """The published and cancelled events of the period, as a subquery of ids: one query
    reads their themes however many they are (no list of ids sent to the database)."""
    stmt = select(Event.id).where(Event.status.in_(PUBLIC_EVENT_STATUSES))
    return _period(stmt, organisation_ids, date_from, date_to)


def _themes_of(event_ids) -> dict[int, list[str]]:
    """The themes' slugs of these events (a subquery of ids), in the themes' order."""
    themes: dict[int, list[str]] = defaultdict(list)
    theme_rows = db.session.execute(
        select(event_theme.c.event_id, Theme.slug)
        .join(Theme, Theme.id == event_theme.c.theme_id)
        .where(event_theme.c.event_id.in_(event_ids))
        .order_by(Theme.position, Theme.id)
    )
    for event_id, slug in theme_rows:
        themes[event_id].append(slug)
    return themes


def _target_groups_of(event_ids) -> dict[int, list[str]]:
    """The target groups' slugs of these events (a subquery of ids), in their order."""
    groups: dict[int, list[str]] = defaultdict(list)
    rows = db.session.execute(
        select(event_target_group.c.event_id, TargetGroup.slug)
        .join(TargetGroup, TargetGroup.id == event_target_group.c.target_group_id)
        .where(event_target_group.c.event_id.in_(event_ids))
        .order_by(TargetGroup.position, TargetGroup.id)
    )
    for event_id, slug in rows:
        groups[event_id].append(slug)
    return groups


def load_facts(
    organisation_ids: set[int] | None,
    date_from: date | None = None,
    date_to: date | None = None,
    now: datetime | None = None,
) -> list[RegistrationFact]:
    """One fact per registration at published or cancelled events of these organisations
    (None: all), for events starting within the dates (Swedish calendar days). The pages
    count with `load_tallies` instead; this row-by-row reading is what the tests hold the
    database's counts to, and it grows with the registrations."""
    now = now or utcnow()
    stmt = (
        select(Registration.event_id, Event.start_dt, Event.end_dt, Registration.municipality,
               Registration.sector, Registration.status, Registration.attended_at,
               Registration.confirmed_at, Event.municipality.label("event_municipality"),
               Event.status.label("event_status"))
        .join(Event, Event.id == Registration.event_id)
        .where(Event.status.in_(PUBLIC_EVENT_STATUSES))
        .order_by(Registration.id)
    )  # fmt: skip
    rows = db.session.execute(_period(stmt, organisation_ids, date_from, date_to)).all()
    event_ids = _period_event_ids(organisation_ids, date_from, date_to)
    themes = _themes_of(event_ids)
    target_groups = _target_groups_of(event_ids)
    return [
        RegistrationFact(
            event_id=row.event_id,
            event_start=row.start_dt,
            event_ended=row.end_dt <= now,
            themes=tuple(themes.get(row.event_id, ())),
            municipality=row.municipality,
            sector=row.sector,
            status=row.status,
            attended=row.attended_at is not None,
            event_municipality=row.event_municipality,
            # Waiting, or gone from the waiting list: a seat they wanted and never had.
            never_seated=row.status != RegistrationStatus.CONFIRMED and row.confirmed_at is None,
            event_cancelled=row.event_status == EventStatus.CANCELLED,
            target_groups=tuple(target_groups.get(row.event_id, ())),
        )
        for row in rows
    ]


def load_events(
    organisation_ids: set[int] | None,
    date_from: date | None = None,
    date_to: date | None = None,
    now: datetime | None = None,
) -> list[EventFact]:
    """Every published or cancelled event of these organisations (None: all) starting
    within the dates, whether or not anyone registered (three queries)."""
    now = now or utcnow()
    stmt = (
        select(Event.id, Event.start_dt, Event.end_dt, Event.municipality, Event.status,
               Event.format)
        .where(Event.status.in_(PUBLIC_EVENT_STATUSES))
        .order_by(Event.start_dt, Event.id)
    )  # fmt: skip
    rows = db.session.execute(_period(stmt, organisation_ids, date_from, date_to)).all()
    event_ids = _period_event_ids(organisation_ids, date_from, date_to)
    themes = _themes_of(event_ids) if rows else {}
    target_groups = _target_groups_of(event_ids) if rows else {}
    return [
        EventFact(
            event_id=row.id,
            start=row.start_dt,
            municipality=row.municipality,
            themes=tuple(themes.get(row.id, ())),
            cancelled=row.status == EventStatus.CANCELLED,
            target_groups=tuple(target_groups.get(row.id, ())),
            ended=row.end_dt <= now,
            format=row.format,
        )
        for row in rows
    ]


def load_tallies(
    organisation_ids: set[int] | None,
    date_from: date | None = None,
    date_to: date | None = None,
    now: datetime | None = None,
) -> Tallies:
    """The registrations at published or cancelled events of these organisations (None:
    all) starting within the dates, counted by the database (GROUP BY): per event and kind
    of registration, and per registrant's municipality, sector and kind. Five queries,
    whose rows grow with the events and the vocabularies, not with the registrations."""
    now = now or utcnow()
    events = load_events(organisation_ids, date_from, date_to, now)
    if not events:
        return Tallies([], [], [])
    attended = Registration.attended_at.is_not(None)
    # Waiting, or gone from the waiting list: a seat they wanted and never had.
    never_seated = and_(Registration.status != RegistrationStatus.CONFIRMED,
                        Registration.confirmed_at.is_(None))  # fmt: skip
    in_period = Registration.event_id.in_(_period_event_ids(organisation_ids, date_from, date_to))

    # Both queries group in an outer query over labelled columns: PostgreSQL would not take
    # an expression with a bound value (`status != :confirmed`, `end_dt <= :now`) in SELECT
    # and again in GROUP BY as the same expression.
    kinds = select(Registration.event_id, Registration.status, attended.label("attended"),
                   never_seated.label("never_seated")).where(in_period).subquery()  # fmt: skip
    per_event = db.session.execute(
        select(kinds.c.event_id, kinds.c.status, kinds.c.attended, kinds.c.never_seated,
               func.count().label("count"))
        .group_by(kinds.c.event_id, kinds.c.status, kinds.c.attended, kinds.c.never_seated)
    ).all()  # fmt: skip
    taken = {row.event_id for row in per_event if row.attended}
    by_id = {event.event_id: event for event in events}
    by_event = [
        EventTally(
            by_id[row.event_id],
            row.status,
            bool(row.attended),
            bool(row.never_seated),
            row.event_id in taken,
            row.count,
        )
        for row in per_event
        if row.event_id in by_id  # not an event published since the events were read
    ]

    checked_in = aliased(Registration)
    people = (
        select(Registration.municipality, Registration.sector, Registration.status,
               attended.label("attended"), never_seated.label("never_seated"),
               (Event.end_dt <= now).label("event_ended"),
               Registration.event_id.in_(
                   select(checked_in.event_id).where(checked_in.attended_at.is_not(None))
               ).label("attendance_taken"),
               (Event.status == EventStatus.CANCELLED).label("event_cancelled"))
        .join(Event, Event.id == Registration.event_id)
        .where(in_period)
        .subquery()
    )  # fmt: skip
    columns = [people.c.municipality, people.c.sector, people.c.status, people.c.attended,
               people.c.never_seated, people.c.event_ended, people.c.attendance_taken,
               people.c.event_cancelled]  # fmt: skip
    by_person = [
        PersonTally(row[0], row[1], row[2], *(bool(value) for value in row[3:8]), count=row[8])
        for row in db.session.execute(select(*columns, func.count()).group_by(*columns))
    ]
    return Tallies(events, by_event, by_person)


def theme_names() -> dict[str, str]:
    """slug → name in the current language, in the themes' order."""
    return {t.slug: t.name for t in all_themes()}


def target_group_names() -> dict[str, str]:
    """slug → name in the current language, in the target groups' order."""
    return {t.slug: t.name for t in all_target_groups()}


def vocabulary_labels() -> dict[str, dict[str, str]]:
    return {
        "municipality": {k: str(v) for k, v in vocab.MUNICIPALITIES.items()},
        "sector": {k: str(v) for k, v in vocab.SECTORS.items()},
    }


def percent(rate: float) -> str:
    """A share as a percentage with one decimal, written as the current language writes
    numbers ("25,0" in Swedish, "25.0" in English)."""
    return format_decimal(rate * 100, "0.0")


def month_name(key: str) -> str:
    """"2026-03" as the current language names the month: "mars 2026", "March 2026"."""
    year, month = (int(part) for part in key.split("-"))
    return format_date(date(year, month, 1), "LLLL y")


def figures_csv(
    statistics: Statistics,
    dimension_names: dict[str, str],
    format_rate: Callable[[float], str] = percent,
) -> bytes:
    """All figures as CSV (UTF-8 with BOM, semicolons, for Excel): a row per group, with
    headings in the current language and rates written by `format_rate`. Figures a group
    does not have (events per sector) are left empty. Names that a spreadsheet would run
    as formulas (a theme called "=…") are written as text."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([_("Dimension"), _("Group"), _("Events"), _("Registered"), _("Attended"),
                     _("No-shows"), _("Basis for the no-show rate"), _("No-show rate (%)"),
                     _("Waiting-list demand")])  # fmt: skip
    rows = [("total", [statistics.total])] + statistics.dimensions()
    for dimension, buckets in rows:
        for b in buckets:
            label = b.label if dimension != "total" else dimension_names.get("total", "total")
            dimension_name = dimension_names.get(dimension, dimension)
            has_events = dimension == "total" or dimension in EVENT_DIMENSIONS
            has_demand = dimension == "total" or dimension in DEMAND_DIMENSIONS
            writer.writerow([
                spreadsheet_safe(dimension_name), spreadsheet_safe(label),
                b.events if has_events else "", b.registrations, b.attended, b.no_show,
                b.counted_for_no_show,
                "" if b.no_show_rate is None else format_rate(b.no_show_rate),
                b.demand if has_demand else "",
            ])  # fmt: skip
    return ("\ufeff" + out.getvalue()).encode("utf-8")


"""Follow-up figures (uppföljning): who the seminars reach and who actually came.

`load_facts` reads one row per registration from the database; everything after that is
pure (`compute`, `figures_csv`, `bar_chart_svg`), so the figures are tested against
hand-computed data.

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
- an event with two themes counts under both themes; months are the event's start month
  in Swedish time; municipality and sector are the registrant's own, and "where held" is
  the event's municipality.

Numbers and months are written for the reader's language by the callers' formatters
(`format_rate`, `month_label`), so the page and the CSV say "25,0" and "mars 2026" in
Swedish.
"""

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from xml.sax.saxutils import escape

from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from sqlalchemy import select

from .. import vocab
from ..extensions import db
from ..models import Event, Registration, Theme, event_theme, utcnow
from ..text import spreadsheet_safe
from .catalogue import LOCAL_TZ, all_themes, local_midnight_utc


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


@dataclass(frozen=True)
class EventFact:
    """What the statistics need to know about one event in the period."""

    event_id: int
    start: datetime
    municipality: str
    themes: tuple[str, ...]
    cancelled: bool = False


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

    def dimensions(self) -> list[tuple[str, list[Bucket]]]:
        return [
            ("theme", self.by_theme),
            ("municipality", self.by_municipality),
            ("event_municipality", self.by_event_municipality),
            ("sector", self.by_sector),
            ("month", self.by_month),
        ]


# Dimensions whose groups are events' (theme, where held, month): they count events.
EVENT_DIMENSIONS = frozenset({"theme", "event_municipality", "month"})
# Dimensions that show waiting-list demand.
DEMAND_DIMENSIONS = frozenset({"theme", "municipality", "event_municipality"})


def month_key(start: datetime) -> str:
    return start.astimezone(LOCAL_TZ).strftime("%Y-%m")


def iso_month(key: str) -> str:
    return key


def _add(bucket: Bucket, fact: RegistrationFact, attendance_taken: bool) -> None:
    if fact.status != "confirmed":
        return
    bucket.registrations += 1
    if fact.attended:
        bucket.attended += 1
    if fact.event_ended and attendance_taken:
        bucket.counted_for_no_show += 1
        if not fact.attended:
            bucket.no_show += 1


def compute(
    facts: Iterable[RegistrationFact],
    theme_names: dict[str, str] | None = None,
    labels: dict[str, dict[str, str]] | None = None,
    events: Iterable[EventFact] | None = None,
    month_label: Callable[[str], str] = iso_month,
) -> Statistics:
    """The figures from registration facts (and, given them, the period's events): totals
    and per theme, municipality, where held, sector and month. `theme_names` and `labels`
    turn codes into names, `month_label` a "YYYY-MM" into a month's name; lists are in a
    stable order (themes and codes as the names map lists them, months in time order).

    Without `events`, only events with registrations are known (and counted)."""
    facts = list(facts)
    theme_names = theme_names or {}
    labels = labels or {}
    taken = {f.event_id for f in facts if f.attended}
    total = Bucket("total")
    groups: dict[str, dict[str, Bucket]] = defaultdict(dict)

    def bucket(dimension: str, key: str) -> Bucket:
        if key not in groups[dimension]:
            if dimension == "theme":
                label = theme_names.get(key, key)
            elif dimension == "month":
                label = month_label(key)
            else:
                vocabulary = "municipality" if dimension == "event_municipality" else dimension
                label = labels.get(vocabulary, {}).get(key, key)
            groups[dimension][key] = Bucket(label)
        return groups[dimension][key]

    def event_buckets(themes, municipality, start) -> list[Bucket]:
        """The groups an event belongs to: its themes, where it was held, its month last."""
        where = [bucket("event_municipality", municipality)] if municipality else []
        return [*(bucket("theme", slug) for slug in themes), *where,
                bucket("month", month_key(start))]  # fmt: skip

    cancelled_events = 0
    if events is None:
        known = {f.event_id: f for f in facts}
        event_list = [EventFact(f.event_id, f.event_start, f.event_municipality, f.themes,
                                f.event_cancelled) for f in known.values()]  # fmt: skip
    else:
        event_list = list(events)
    published = 0
    for event in event_list:
        if event.cancelled:
            cancelled_events += 1
            continue
        published += 1
        for group in event_buckets(event.themes, event.municipality, event.start):
            group.events += 1

    for fact in facts:
        is_demand = fact.never_seated and not fact.event_cancelled
        if fact.status != "confirmed" and not is_demand:
            continue  # other waiting and cancelled registrations are not counted anywhere
        where = event_buckets(fact.themes, fact.event_municipality, fact.event_start)
        if is_demand:
            total.demand += 1
            for group in [*where[:-1], bucket("municipality", fact.municipality)]:
                group.demand += 1
        if fact.status != "confirmed":
            continue  # demand only: no seat to count
        attendance_taken = fact.event_id in taken
        _add(total, fact, attendance_taken)
        for group in where:
            _add(group, fact, attendance_taken)
        for dimension, key in (("municipality", fact.municipality), ("sector", fact.sector)):
            _add(bucket(dimension, key), fact, attendance_taken)

    def ordered(dimension: str, order: list[str]) -> list[Bucket]:
        found = groups.get(dimension, {})
        known = [found[key] for key in order if key in found]
        rest = [found[key] for key in sorted(found) if key not in order]
        return known + rest

    municipalities = list(labels.get("municipality", {}))
    total.events = published
    return Statistics(
        total=total,
        events=published,
        by_theme=ordered("theme", list(theme_names)),
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
        stmt = stmt.where(Event.organisation_id.in_(organisation_ids or {-1}))
    if date_from:
        stmt = stmt.where(Event.start_dt >= local_midnight_utc(date_from))
    if date_to:
        stmt = stmt.where(Event.start_dt < local_midnight_utc(date_to + timedelta(days=1)))
    return stmt


def _themes_of(event_ids: set[int]) -> dict[int, list[str]]:
    themes: dict[int, list[str]] = defaultdict(list)
    if event_ids:
        theme_rows = db.session.execute(
            select(event_theme.c.event_id, Theme.slug)
            .join(Theme, Theme.id == event_theme.c.theme_id)
            .where(event_theme.c.event_id.in_(event_ids))
            .order_by(Theme.position, Theme.id)
        )
        for event_id, slug in theme_rows:
            themes[event_id].append(slug)
    return themes


def load_facts(
    organisation_ids: set[int] | None,
    date_from: date | None = None,
    date_to: date | None = None,
    now: datetime | None = None,
) -> list[RegistrationFact]:
    """One fact per registration at published or cancelled events of these organisations
    (None: all), for events starting within the dates (Swedish calendar days)."""
    now = now or utcnow()
    stmt = (
        select(Registration.event_id, Event.start_dt, Event.end_dt, Registration.municipality,
               Registration.sector, Registration.status, Registration.attended_at,
               Registration.confirmed_at, Event.municipality.label("event_municipality"),
               Event.status.label("event_status"))
        .join(Event, Event.id == Registration.event_id)
        .where(Event.status.in_(("published", "cancelled")))
        .order_by(Registration.id)
    )  # fmt: skip
    rows = db.session.execute(_period(stmt, organisation_ids, date_from, date_to)).all()
    themes = _themes_of({row.event_id for row in rows})
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
            never_seated=row.status != "confirmed" and row.confirmed_at is None,
            event_cancelled=row.event_status == "cancelled",
        )
        for row in rows
    ]


def load_events(
    organisation_ids: set[int] | None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> list[EventFact]:
    """Every published or cancelled event of these organisations (None: all) starting
    within the dates, whether or not anyone registered."""
    stmt = (
        select(Event.id, Event.start_dt, Event.municipality, Event.status)
        .where(Event.status.in_(("published", "cancelled")))
        .order_by(Event.start_dt, Event.id)
    )
    rows = db.session.execute(_period(stmt, organisation_ids, date_from, date_to)).all()
    themes = _themes_of({row.id for row in rows})
    return [
        EventFact(
            event_id=row.id,
            start=row.start_dt,
            municipality=row.municipality,
            themes=tuple(themes.get(row.id, ())),
            cancelled=row.status == "cancelled",
        )
        for row in rows
    ]


def theme_names() -> dict[str, str]:
    """slug → name in the current language, in the themes' order."""
    return {t.slug: t.name for t in all_themes()}


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


def bar_chart_svg(
    title: str, bars: list[tuple[str, int, int]], legend: tuple[str, str], chart_id: str
) -> str:
    """A horizontal bar chart as SVG: per group two bars (registered, attended) with their
    numbers written beside them, so it reads without colour; the attended bar is hatched
    (a pattern, not a hue). `bars` is [(label, registered, attended)]."""
    bar_h, gap, label_w, plot_w = 16, 14, 190, 300
    row_h = 2 * bar_h + gap
    legend_h = 28
    height = legend_h + max(len(bars), 1) * row_h + 8
    width = label_w + plot_w + 60
    top = max([r for _, r, _ in bars] + [1])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{chart_id}-title">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<defs><pattern id="{chart_id}-hatch" width="6" height="6" '
        'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect width="6" height="6" fill="#ffffff"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#1b1b1b" stroke-width="3"/></pattern></defs>',
        f'<rect x="{label_w}" y="6" width="14" height="14" fill="#1b1b1b"/>',
        f'<text x="{label_w + 20}" y="18" font-size="13" fill="#1b1b1b">{escape(legend[0])}</text>',
        f'<rect x="{label_w + 150}" y="6" width="14" height="14" fill="url(#{chart_id}-hatch)" '
        'stroke="#1b1b1b"/>',
        f'<text x="{label_w + 170}" y="18" font-size="13" fill="#1b1b1b">'
        f"{escape(legend[1])}</text>",
    ]  # fmt: skip
    for i, (label, registered, attended) in enumerate(bars):
        y = legend_h + i * row_h
        w_reg = round(plot_w * registered / top)
        w_att = round(plot_w * attended / top)
        parts += [
            f'<text x="{label_w - 8}" y="{y + bar_h + 4}" font-size="13" text-anchor="end" '
            f'fill="#1b1b1b">{escape(label[:28])}</text>',
            f'<rect x="{label_w}" y="{y}" width="{w_reg}" height="{bar_h}" fill="#1b1b1b"/>',
            f'<text x="{label_w + w_reg + 6}" y="{y + bar_h - 3}" font-size="13" '
            f'fill="#1b1b1b">{registered}</text>',
            f'<rect x="{label_w}" y="{y + bar_h}" width="{w_att}" height="{bar_h}" '
            f'fill="url(#{chart_id}-hatch)" stroke="#1b1b1b"/>',
            f'<text x="{label_w + w_att + 6}" y="{y + 2 * bar_h - 3}" font-size="13" '
            f'fill="#1b1b1b">{attended}</text>',
        ]  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)

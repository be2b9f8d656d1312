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
- an event with two themes counts under both themes; months are the event's start month
  in Swedish time; municipality and sector are the registrant's own.
"""

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from xml.sax.saxutils import escape

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


@dataclass
class Bucket:
    label: str
    registrations: int = 0
    attended: int = 0
    no_show: int = 0
    counted_for_no_show: int = 0  # confirmed at ended events where attendance was taken

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

    def dimensions(self) -> list[tuple[str, list[Bucket]]]:
        return [
            ("theme", self.by_theme),
            ("municipality", self.by_municipality),
            ("sector", self.by_sector),
            ("month", self.by_month),
        ]


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
) -> Statistics:
    """The figures from registration facts: totals and per theme, municipality, sector and
    month. `theme_names` and `labels` turn codes into names; lists are in a stable order
    (themes and codes as the names map lists them, months in time order)."""
    facts = list(facts)
    theme_names = theme_names or {}
    labels = labels or {}
    taken = {f.event_id for f in facts if f.attended}
    total = Bucket("total")
    groups: dict[str, dict[str, Bucket]] = defaultdict(dict)

    def bucket(dimension: str, key: str, label: str) -> Bucket:
        return groups[dimension].setdefault(key, Bucket(label))

    for fact in facts:
        if fact.status != "confirmed":
            continue  # waiting and cancelled registrations are not counted anywhere
        attendance_taken = fact.event_id in taken
        _add(total, fact, attendance_taken)
        for slug in fact.themes:
            _add(bucket("theme", slug, theme_names.get(slug, slug)), fact, attendance_taken)
        for dimension, key in (("municipality", fact.municipality), ("sector", fact.sector)):
            label = labels.get(dimension, {}).get(key, key)
            _add(bucket(dimension, key, label), fact, attendance_taken)
        month = fact.event_start.astimezone(LOCAL_TZ).strftime("%Y-%m")
        _add(bucket("month", month, month), fact, attendance_taken)

    def ordered(dimension: str, order: list[str]) -> list[Bucket]:
        found = groups.get(dimension, {})
        known = [found[key] for key in order if key in found]
        rest = [found[key] for key in sorted(found) if key not in order]
        return known + rest

    return Statistics(
        total=total,
        events=len({f.event_id for f in facts}),
        by_theme=ordered("theme", list(theme_names)),
        by_municipality=ordered("municipality", list(labels.get("municipality", {}))),
        by_sector=ordered("sector", list(labels.get("sector", {}))),
        by_month=ordered("month", []),
    )


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
               Registration.sector, Registration.status, Registration.attended_at)
        .join(Event, Event.id == Registration.event_id)
        .where(Event.status.in_(("published", "cancelled")))
        .order_by(Registration.id)
    )  # fmt: skip
    if organisation_ids is not None:
        stmt = stmt.where(Event.organisation_id.in_(organisation_ids or {-1}))
    if date_from:
        stmt = stmt.where(Event.start_dt >= local_midnight_utc(date_from))
    if date_to:
        stmt = stmt.where(Event.start_dt < local_midnight_utc(date_to + timedelta(days=1)))
    rows = db.session.execute(stmt).all()
    event_ids = {row.event_id for row in rows}
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


def _rate_text(rate: float | None) -> str:
    return "" if rate is None else f"{rate * 100:.1f}"


def figures_csv(statistics: Statistics, dimension_names: dict[str, str]) -> bytes:
    """All figures as CSV (UTF-8 with BOM, semicolons, for Excel): a row per group. Names
    that a spreadsheet would run as formulas (a theme called "=…") are written as text."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Dimension", "Grupp", "Anmälda", "Närvarande", "Uteblivna",
                     "Underlag för uteblivna", "Andel uteblivna (%)"])  # fmt: skip
    rows = [("total", [statistics.total])] + statistics.dimensions()
    for dimension, buckets in rows:
        for b in buckets:
            label = b.label if dimension != "total" else dimension_names.get("total", "total")
            dimension_name = dimension_names.get(dimension, dimension)
            writer.writerow([spreadsheet_safe(dimension_name), spreadsheet_safe(label),
                             b.registrations, b.attended, b.no_show, b.counted_for_no_show,
                             _rate_text(b.no_show_rate)])  # fmt: skip
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

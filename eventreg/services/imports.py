"""Importing events from a CSV file or an iCalendar (.ics) file.

Parsing and checking are separate from saving, so the web upload and the CLI both show
every row's problems before anything is written. Saving takes only the good rows and the
caller commits them together: nothing is half-imported. Imported events are drafts.

CSV columns (the first line names them; `;` or `,` between values, UTF-8 or Windows-1252;
in any letter case, and also by their Swedish names in COLUMN_ALIASES):
  title, start, end            required; times as YYYY-MM-DD HH:MM in Swedish time
  municipality                 a code from eventreg.vocab or a Halland municipality's name
  format                       a code from eventreg.vocab (e.g. seminar)
  summary, description, audience, venue_name, address, online_url, contact_email
  capacity                     a whole number, empty for no limit
  registration_closes          YYYY-MM-DD HH:MM, Swedish time
  themes, languages            codes separated by `,` or `|` (e.g. jamlik-halsa-och-vard)
  target_groups                the same, target groups' address names (e.g. skola|nyanlanda)
  registration                 eventreg (the default: registration here), none (no
                               registration needed) or external (with registration_url)
  registration_url             https:// address where people register, for external
  co_organisers                organisations arranging the event with the importing one,
                               by address name (e.g. lansstyrelsen-halland|halmstad)

A problem is reported with the column as the file names it ("Column “Start”: …"), or for
an .ics file with the property (DTSTART, LOCATION …), and said in words.
"""

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask_babel import gettext as _
from sqlalchemy import select

from .. import vocab
from ..extensions import db
from ..models import Event, Organisation, TargetGroup, Theme, User
from ..text import normalise_newlines
from . import events as event_service
from .errors import RuleError
from .events import EventData, EventRuleError, NonExistentLocalTime

MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_ROWS = 1000
REQUIRED_COLUMNS = ("title", "start", "end")
KNOWN_COLUMNS = REQUIRED_COLUMNS + (
    "municipality", "format", "summary", "description", "audience", "venue_name", "address",
    "online_url", "contact_email", "capacity", "registration_closes", "themes", "languages",
    "target_groups", "registration", "registration_url", "co_organisers",
)  # fmt: skip


# Swedish column names, read as the English ones.
COLUMN_ALIASES = {
    "titel": "title", "börjar": "start", "slut": "end", "slutar": "end",
    "kommun": "municipality", "sammanfattning": "summary", "beskrivning": "description",
    "målgrupp": "audience", "lokal": "venue_name", "adress": "address",
    "länk": "online_url", "kontakt": "contact_email", "e-post": "contact_email",
    "platser": "capacity", "anmälan stänger": "registration_closes", "teman": "themes",
    "språk": "languages", "målgrupper": "target_groups", "anmälan": "registration",
    "anmälningslänk": "registration_url", "medarrangörer": "co_organisers",
}  # fmt: skip

# The registration column's values: the codes, and the same in Swedish.
REGISTRATION_MODE_WORDS = {
    "eventreg": "eventreg", "here": "eventreg", "här": "eventreg",
    "none": "none", "ingen": "none", "external": "external", "extern": "external",
}  # fmt: skip

# Which column or .ics property holds each of the event's fields (for the messages).
CSV_COLUMN_OF = {
    "start_dt": "start", "end_dt": "end", "registration_closes_dt": "registration_closes",
    "registration_opens_dt": "registration_closes", "theme_ids": "themes",
    "language_codes": "languages", "target_group_ids": "target_groups",
    "registration_mode": "registration", "external_registration_url": "registration_url",
    "co_organiser_ids": "co_organisers",
}  # fmt: skip
ICS_PROPERTY_OF = {
    "title": "SUMMARY", "start": "DTSTART", "start_dt": "DTSTART", "end": "DTEND",
    "end_dt": "DTEND", "venue_name": "LOCATION", "municipality": "LOCATION",
    "online_url": "URL", "description": "DESCRIPTION", "theme_ids": "CATEGORIES",
}  # fmt: skip


class ImportFileError(RuleError):
    """The file as a whole cannot be read (wrong kind, encoding, missing columns): an error
    of the form's file field."""

    def __init__(self, message: str):
        super().__init__(message, field="file")


@dataclass
class ImportRow:
    """One event from the file: the data if it could be read, and what is wrong with it."""

    line: int  # line in a CSV file, or position of the VEVENT in an .ics file
    title: str
    data: EventData | None = None
    errors: list[str] = field(default_factory=list)
    # A CSV file's columns as it names them ({"start": "Start"}); None for an .ics file.
    columns: dict[str, str] | None = None
    # Where problems were found already, so a column is not reported twice.
    reported: set[str] = field(default_factory=set)

    @property
    def is_good(self) -> bool:
        return self.data is not None and not self.errors

    def column_name(self, name: str) -> str:
        """Where a column or field of the event is in the file, as the file names it."""
        if self.columns is None:
            return ICS_PROPERTY_OF.get(name, name)
        column = CSV_COLUMN_OF.get(name, name)
        return self.columns.get(column, column)

    def problem(self, name: str, message: str) -> None:
        """Note what is wrong with a column (or an event field) of this row, in words."""
        where = self.column_name(name)
        if where in self.reported:
            return
        self.reported.add(where)
        if self.columns is None:
            self.errors.append(_("%(property)s: %(problem)s", property=where, problem=message))
        else:
            self.errors.append(_("Column “%(column)s”: %(problem)s", column=where,
                                 problem=message))  # fmt: skip


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(_("The file is not text in UTF-8 or Windows-1252."))


def _parse_local(text: str) -> datetime:
    text = text.strip()
    for pattern in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"):
        try:
            naive = datetime.strptime(text, pattern)  # noqa: DTZ007 - Swedish time, below
        except ValueError:
            continue
        return event_service.local_to_utc(naive)
    raise ValueError(_("“%(value)s” is not a date and time like 2026-03-10 09:30.", value=text))


def _codes(text: str) -> list[str]:
    return [part.strip() for part in text.replace("|", ",").split(",") if part.strip()]


def parse_csv(content: bytes, organisation: Organisation) -> list[ImportRow]:
    """Rows of a CSV file, each with its data or the reasons it cannot be read."""
    text = _decode(content)
    if "\x00" in text:
        raise ImportFileError(_("The file is not a CSV text file."))
    # The separator is the one between the column names: guessing it from the whole sample
    # (csv.Sniffer) fails on a short file whose description has quoted line breaks.
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") >= header.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    try:
        written = {_column(name): (name or "").strip() for name in (reader.fieldnames or [])}
        columns = list(written)
        records = list(reader)
    except csv.Error as error:
        raise ImportFileError(_("The file is not a readable CSV file.")) from error
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise ImportFileError(
            _("The file has no column %(names)s. The first line must name the columns.",
              names=", ".join(missing))
        )  # fmt: skip
    theme_ids = {t.slug: t.id for t in db.session.scalars(select(Theme))}
    target_group_ids = {t.slug: t.id for t in db.session.scalars(select(TargetGroup))}
    organisation_ids = {o.slug: o.id for o in db.session.scalars(select(Organisation))}
    rows = []
    for number, raw in enumerate(records, start=2):
        if number - 1 > MAX_ROWS:
            raise ImportFileError(_("At most %(count)d events per file.", count=MAX_ROWS))
        values = {_column(k): (v or "").strip() for k, v in raw.items() if k}
        if not any(values.values()):
            continue  # blank line
        rows.append(_row_from_values(number, values, organisation, theme_ids, written,
                                     target_group_ids, organisation_ids))  # fmt: skip
    return rows


def _column(name: str | None) -> str:
    """A column's name as this module knows it: any letter case, Swedish or English."""
    folded = " ".join((name or "").split()).casefold()
    return COLUMN_ALIASES.get(folded, folded)


def _municipality_code(value: str) -> str | None:
    """A municipality's code from its code or name ("Varberg", "varberg"), or None."""
    folded = value.strip().casefold()
    for code, label in vocab.MUNICIPALITIES.items():
        if folded in (code, str(label).casefold()):
            return code
    return None


def _codes_list(vocabulary: dict) -> str:
    return ", ".join(vocabulary)


def _row_from_values(
    number: int,
    values: dict[str, str],
    organisation: Organisation,
    theme_ids: dict[str, int],
    written: dict[str, str] | None = None,
    target_group_ids: dict[str, int] | None = None,
    organisation_ids: dict[str, int] | None = None,
) -> ImportRow:
    row = ImportRow(line=number, title=values.get("title", ""), columns=written or {})
    times: dict[str, datetime | None] = {}
    for column in ("start", "end", "registration_closes"):
        if not values.get(column):
            times[column] = None
            continue
        try:
            times[column] = _parse_local(values[column])
        except (ValueError, NonExistentLocalTime) as error:
            row.problem(column, str(error))
    for column in ("start", "end"):
        if not values.get(column):
            row.problem(column, _("empty. Write the date and time, like 2026-03-10 09:30."))
    capacity = None
    if values.get("capacity"):
        try:
            capacity = int(values["capacity"])
        except ValueError:
            row.problem("capacity", _("“%(value)s” is not a whole number. Write the number of "
                                      "seats, or leave it empty for no limit.",
                                      value=values["capacity"]))  # fmt: skip
    municipality = _municipality_code(values.get("municipality", ""))
    if municipality is None:
        given = values.get("municipality", "")
        row.problem("municipality", _(
            "“%(value)s” is not a municipality we know. Write one of: %(codes)s.",
            value=given, codes=_codes_list(vocab.MUNICIPALITIES),
        ) if given else _("empty. Write where the event is held, one of: %(codes)s.",
                          codes=_codes_list(vocab.MUNICIPALITIES)))  # fmt: skip
    event_format = (values.get("format") or "seminar").strip().casefold()
    if event_format not in vocab.FORMATS:
        row.problem("format", _("“%(value)s” is not a format we know. Write one of: %(codes)s.",
                                value=values["format"],
                                codes=_codes_list(vocab.FORMATS)))  # fmt: skip
    languages = [code.casefold() for code in _codes(values.get("languages", ""))] or ["sv"]
    unknown_languages = [code for code in languages if code not in vocab.LANGUAGES]
    if unknown_languages:
        row.problem("languages", _("%(codes)s: not a language code we know. Use codes like "
                                   "%(examples)s.", codes=", ".join(unknown_languages),
                                   examples="sv, en, ar"))  # fmt: skip
    unknown_themes = [slug for slug in _codes(values.get("themes", "")) if slug not in theme_ids]
    if unknown_themes:
        row.problem("themes", _("no theme has the address name %(codes)s. Known themes: "
                                "%(known)s.", codes=", ".join(unknown_themes),
                                known=", ".join(theme_ids) or "–"))  # fmt: skip
    target_group_ids = target_group_ids or {}
    target_groups = _codes(values.get("target_groups", ""))
    unknown_groups = [slug for slug in target_groups if slug not in target_group_ids]
    if unknown_groups:
        row.problem("target_groups", _("no target group has the address name %(codes)s. Known "
                                       "target groups: %(known)s.",
                                       codes=", ".join(unknown_groups),
                                       known=", ".join(target_group_ids) or "–"))  # fmt: skip
    organisation_ids = organisation_ids or {}
    co_organisers = _codes(values.get("co_organisers", ""))
    unknown_organisations = [slug for slug in co_organisers if slug not in organisation_ids]
    if unknown_organisations:
        row.problem("co_organisers", _(
            "no organisation has the address name %(codes)s. Known organisations: %(known)s.",
            codes=", ".join(unknown_organisations), known=", ".join(organisation_ids) or "–",
        ))  # fmt: skip
    mode_word = (values.get("registration") or "eventreg").strip().casefold()
    registration_mode = REGISTRATION_MODE_WORDS.get(mode_word)
    if registration_mode is None:
        row.problem("registration", _("“%(value)s” is not a way to register we know. Write "
                                      "one of: %(codes)s.", value=values["registration"],
                                      codes=_codes_list(vocab.REGISTRATION_MODES)))  # fmt: skip
    if times.get("start") is None or times.get("end") is None:
        return row
    # Checked against the event rules too (check_rows), so the row lists all its problems;
    # it is imported only if it has none.
    row.data = EventData(
        title=values.get("title", ""),
        format=event_format,
        municipality=municipality or "",
        start_dt=times["start"],
        end_dt=times["end"],
        organisation_id=organisation.id,
        # Too long, or a line break in a one-line value: the event rules refuse it, row by row.
        summary=normalise_newlines(values.get("summary", "")),
        description=normalise_newlines(values.get("description", "")),
        audience=values.get("audience", ""),
        venue_name=values.get("venue_name", ""),
        address=values.get("address", ""),
        online_url=values.get("online_url") or None,
        contact_email=values.get("contact_email") or None,
        capacity=capacity,
        registration_closes_dt=times.get("registration_closes"),
        theme_ids=[theme_ids[slug] for slug in _codes(values.get("themes", ""))
                   if slug in theme_ids],  # fmt: skip
        language_codes=languages,
        target_group_ids=[target_group_ids[slug] for slug in target_groups
                          if slug in target_group_ids],  # fmt: skip
        registration_mode=registration_mode or "eventreg",
        external_registration_url=values.get("registration_url") or None,
        # The importing organisation named here too: the event rules say it cannot be both.
        co_organiser_ids=[organisation_ids[slug] for slug in co_organisers
                          if slug in organisation_ids],  # fmt: skip
    )
    return row


def _guess_municipality(location: str) -> str | None:
    return vocab.municipality_named_in(location)


def _ics_time(value) -> datetime:
    """An iCalendar DTSTART/DTEND value in UTC; floating times are read as Swedish time."""
    if not isinstance(value, datetime):
        raise ValueError(_("an all-day event has no start time; give it a time of day."))
    if value.tzinfo is None:
        return event_service.local_to_utc(value)
    return value.astimezone(UTC)


def parse_ics(
    content: bytes, organisation: Organisation, default_municipality: str | None = None
) -> list[ImportRow]:
    """The VEVENTs of an iCalendar file as rows. The municipality is read from LOCATION
    (a Halland municipality's name in it), else `default_municipality`."""
    import icalendar

    try:
        calendar = icalendar.Calendar.from_ical(content)
    except Exception as error:  # noqa: BLE001 - icalendar raises many kinds on bad input
        raise ImportFileError(_("The file is not a readable iCalendar file.")) from error
    theme_ids = {t.slug: t.id for t in db.session.scalars(select(Theme))}
    rows = []
    for number, component in enumerate(calendar.walk("VEVENT"), start=1):
        if number > MAX_ROWS:
            raise ImportFileError(_("At most %(count)d events per file.", count=MAX_ROWS))
        row = ImportRow(line=number, title=str(component.get("SUMMARY", "")).strip())
        try:
            start = _ics_time(component.decoded("DTSTART"))
            if component.get("DTEND") is not None:
                end = _ics_time(component.decoded("DTEND"))
            elif component.get("DURATION") is not None:
                end = start + component.decoded("DURATION")
            else:
                raise ValueError(_("the event has no end (DTEND or DURATION)."))
        except KeyError:
            row.errors.append(_("no start time."))
            rows.append(row)
            continue
        except Exception as error:  # noqa: BLE001 - any unreadable time is this row's problem
            message = str(error) if isinstance(error, ValueError) else _("unreadable time.")
            row.errors.append(message)
            rows.append(row)
            continue
        # A calendar writes a place on several lines; here it is one, like an address.
        location = ", ".join(
            line.strip() for line in str(component.get("LOCATION", "")).splitlines()
            if line.strip()
        )  # fmt: skip
        url = str(component.get("URL", "")).strip() or None
        municipality = _guess_municipality(location) or default_municipality
        if municipality is None:
            row.errors.append(_("the municipality cannot be read from LOCATION; choose one "
                                "for events without it."))  # fmt: skip
            rows.append(row)
            continue
        found = component.get("CATEGORIES")
        found = found if isinstance(found, list) else ([found] if found is not None else [])
        categories = [str(c).strip() for prop in found for c in prop.cats]
        row.data = EventData(
            title=row.title,
            format="seminar",
            municipality=municipality,
            start_dt=start,
            end_dt=end,
            organisation_id=organisation.id,
            description=normalise_newlines(str(component.get("DESCRIPTION", ""))).strip(),
            venue_name=location,
            online_url=url,
            theme_ids=[theme_ids[c] for c in categories if c in theme_ids],
        )
        rows.append(row)
    return rows


def parse_file(
    filename: str, content: bytes, organisation: Organisation,
    default_municipality: str | None = None,
) -> list[ImportRow]:  # fmt: skip
    """Rows of a .csv or .ics file (by name or content), checked against every rule."""
    if len(content) > MAX_IMPORT_BYTES:
        raise ImportFileError(_("The file is too large (at most 2 MB)."))
    if filename.lower().endswith(".ics") or content.lstrip().startswith(b"BEGIN:VCALENDAR"):
        rows = parse_ics(content, organisation, default_municipality)
    elif filename.lower().endswith((".csv", ".txt")):
        rows = parse_csv(content, organisation)
    else:
        raise ImportFileError(_("Choose a .csv or .ics file."))
    check_rows(rows, organisation)
    return rows


def _existing(organisation: Organisation) -> set[tuple[str, datetime]]:
    stmt = select(Event.title, Event.start_dt).where(Event.organisation_id == organisation.id)
    return {(title.casefold(), start) for title, start in db.session.execute(stmt)}


def check_rows(rows: Iterable[ImportRow], organisation: Organisation) -> None:
    """Add each rule the data breaks to its row; an event the organisation already has
    (same title and start) or that appears twice in the file is refused, so importing the
    same file again adds nothing."""
    seen = _existing(organisation)
    for row in rows:
        if row.data is None:
            continue
        for name, message in event_service.validate_event_data(row.data).items():
            row.problem(name, message)
        if row.errors:
            continue  # not imported, so no duplicate of a later row
        key = (row.data.title.casefold(), row.data.start_dt)
        if key in seen:
            row.errors.append(_("An event with this title and start already exists."))
        seen.add(key)


def import_rows(
    rows: list[ImportRow],
    user: User | None,
    progress: Callable[[ImportRow], None] | None = None,
) -> list[Event]:
    """Create the good rows as drafts (flushed; the caller commits them all together)."""
    created = []
    for row in rows:
        if row.is_good:
            try:
                created.append(event_service.create_event(row.data, user))
            except EventRuleError as error:  # checked before, so only a race gets here
                row.errors.append(error.message)
        if progress is not None:
            progress(row)
    return created


"""The rules for organisers' events: creating, editing, duplicating, publishing, cancelling.

Functions add and flush; the view or command commits once. Every change is written to the
audit log in the same transaction.
"""

from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from .. import vocab
from ..extensions import db
from ..models import (
    Event,
    EventStatus,
    Organisation,
    Speaker,
    TargetGroup,
    Theme,
    User,
    utcnow,
)
from ..models.events import MAX_CAPACITY, arranged_by
from ..models.types import LOCAL_TZ, MAX_ROW_ID, max_length
from ..models.types import utc_to_local as utc_to_local  # for the forms' datetime fields
from ..text import is_https_url, is_one_line, normalise_newlines, slugify
from . import attendees, audit, questions, reminders, translations
from . import registrations as registration_service
from . import series as series_service
from . import sessions as session_service
from .errors import RuleError

# A change to any of these in a published event is news for the people registered: they
# are emailed what changed (and calendars see a new revision). Time, place and the online
# link always; the rest of what they read about the event unless the organiser says the
# change is a correction nobody needs to hear about (a typo in the description).
ALWAYS_NOTIFY_FIELDS = frozenset(
    {"start_dt", "end_dt", "venue_name", "address", "municipality", "online_url"}
)
OPTIONAL_NOTIFY_FIELDS = frozenset(
    {"title", "summary", "description", "format", "speakers", "language_codes",
     "interpretation_available", "interpretation_note", "step_free_access", "hearing_loop",
     "sign_language_interpretation", "accessibility_notes", "contact_email", "organisation_id",
     "co_organiser_ids"}
)  # fmt: skip
NOTIFY_FIELDS = ALWAYS_NOTIFY_FIELDS | OPTIONAL_NOTIFY_FIELDS
# Stored as NULL when empty (a form sends "" for an empty input): "" and None are the same
# value, and must not look like a change.
NULL_WHEN_EMPTY = ("online_url", "contact_email", "external_registration_url")


class NonExistentLocalTime(ValueError):
    """A wall-clock time skipped when clocks go forward (e.g. 02:30 on the last Sunday of
    March in Stockholm)."""


class EventRuleError(RuleError):
    """A change to an event the rules do not allow; `field` names the form field to mark,
    if any."""


def local_to_utc(naive: datetime) -> datetime:
    """A Stockholm wall-clock time (as typed in a datetime-local input) in UTC.

    A time that does not exist (the hour skipped in spring) raises NonExistentLocalTime. A time
    that happens twice (the hour repeated in autumn) is read as the first, summer-time one:
    seminars rarely start at 02:30, and the first reading is what most people mean.
    """
    if not 1900 <= naive.year <= 2999:
        # Far-off years are typing mistakes, and near year 1 or 9999 UTC cannot be computed.
        raise ValueError(_("Choose a date between the years 1900 and 2999."))
    local = naive.replace(tzinfo=LOCAL_TZ, fold=0)
    as_utc = local.astimezone(UTC)
    if as_utc.astimezone(LOCAL_TZ).replace(tzinfo=None) != naive.replace(tzinfo=None):
        raise NonExistentLocalTime(
            _(
                "%(time)s does not exist in Swedish time: the clocks go forward that night. "
                "Choose a time at least an hour later or earlier.",
                time=naive.strftime("%Y-%m-%d %H:%M"),
            )
        )
    return as_utc


@dataclass
class EventData:
    """What an organiser can set on an event; datetimes are aware (UTC)."""

    title: str
    format: str
    municipality: str
    start_dt: datetime
    end_dt: datetime
    organisation_id: int
    summary: str = ""
    description: str = ""
    audience: str = ""
    interpretation_available: bool = False
    interpretation_note: str = ""
    venue_name: str = ""
    address: str = ""
    online_url: str | None = None
    # Whether everyone may see the link (an open webinar); else only those with a seat.
    online_url_public: bool = False
    # None: not stated (imports, and events from before the question had three answers).
    step_free_access: bool | None = None
    hearing_loop: bool | None = None
    sign_language_interpretation: bool | None = None
    accessibility_notes: str = ""
    capacity: int | None = None
    registration_opens_dt: datetime | None = None
    registration_closes_dt: datetime | None = None
    contact_email: str | None = None
    # Reminder emails, hours before the start; None switches one off. REMINDER_*_HOURS.
    first_reminder_hours: int | None = field(
        default_factory=lambda: reminders.default_reminder_hours()[0]
    )
    second_reminder_hours: int | None = field(
        default_factory=lambda: reminders.default_reminder_hours()[1]
    )
    theme_ids: list[int] = field(default_factory=list)
    language_codes: list[str] = field(default_factory=lambda: ["sv"])
    speakers: list[tuple[str, str]] = field(default_factory=list)
    # vocab.REGISTRATION_MODES; the link only for "external".
    registration_mode: str = "eventreg"
    external_registration_url: str | None = None
    target_group_ids: list[int] = field(default_factory=list)
    # Organisations arranging the event together with the responsible one (never it).
    co_organiser_ids: list[int] = field(default_factory=list)
    # The series the event is part of (one of its organisation's), or None.
    series_id: int | None = None

    def __post_init__(self) -> None:
        self.drop_unused_registration_fields()

    def drop_unused_registration_fields(self) -> None:
        """Seats and a registration window belong to registration here, and the link to
        registration elsewhere: what the other modes leave is not kept (an open lecture has
        no seat count, whatever the form still held)."""
        if self.registration_mode != "eventreg":
            self.capacity = None
            self.registration_opens_dt = self.registration_closes_dt = None
        if self.registration_mode != "external":
            self.external_registration_url = None

    @classmethod
    def from_event(cls, event: Event) -> "EventData":
        simple = {f.name: getattr(event, f.name) for f in fields(cls) if f.name not in LIST_FIELDS}
        return cls(
            **simple,
            theme_ids=[t.id for t in event.themes],
            language_codes=list(event.language_codes),
            speakers=[(s.name, s.affiliation) for s in event.speakers],
            target_group_ids=[t.id for t in event.target_groups],
            co_organiser_ids=[o.id for o in event.co_organisers],
        )


# The fields that are lists (relationships), set apart from the event's own columns.
LIST_FIELDS = frozenset(
    {"theme_ids", "language_codes", "speakers", "target_group_ids", "co_organiser_ids"}
)
SIMPLE_FIELDS = tuple(f.name for f in fields(EventData) if f.name not in LIST_FIELDS)

# Text on one line (a line break in any of these would end an email header or a calendar
# line early) and text in paragraphs, whose line ends are stored as LF.
ONE_LINE_FIELDS = (
    "title", "audience", "interpretation_note", "venue_name", "address", "online_url",
    "contact_email", "external_registration_url",
)  # fmt: skip
MULTI_LINE_FIELDS = ("summary", "description", "accessibility_notes")

# The longest texts, from the model's columns. The service checks them as well as the form,
# as imports do not pass through the form.
MAX_LENGTHS = {
    name: max_length(getattr(Event, name)) for name in ONE_LINE_FIELDS + MULTI_LINE_FIELDS
}


def validate_event_data(
    data: EventData, event: Event | None = None, *, allow_capacity_reduction: bool = False
) -> dict[str, str]:
    """Problems with the data, keyed by field name (empty when all is well)."""
    errors: dict[str, str] = {}
    if not data.title.strip():
        errors["title"] = _("Enter a title.")
    if data.format not in vocab.FORMATS:
        errors["format"] = _("Choose a format.")
    if data.municipality not in vocab.MUNICIPALITIES:
        errors["municipality"] = _("Choose a municipality.")
    if data.end_dt <= data.start_dt:
        errors["end_dt"] = _("The end must be after the start.")
    closes = data.registration_closes_dt
    if closes is not None and closes >= data.end_dt:
        errors["registration_closes_dt"] = _("Registration must close before the event ends.")
    opens = data.registration_opens_dt
    if opens is not None and opens >= (closes or data.end_dt):
        errors["registration_opens_dt"] = _("Registration must open before it closes.")
    if data.municipality == "online" and not data.online_url:
        errors["online_url"] = _("Give the link for an online event.")
    if data.capacity is not None and data.capacity < 0:
        errors["capacity"] = _("The number of seats cannot be negative.")
    elif data.capacity is not None and data.capacity > MAX_CAPACITY:
        errors["capacity"] = _("Enter a number of seats from 0 to %(max)d.", max=MAX_CAPACITY)
    elif event is not None and data.capacity is not None and data.capacity < event.seats_taken:
        if not allow_capacity_reduction:
            errors["capacity"] = _(
                "%(count)d people already have a confirmed seat. Choose at least %(count)d "
                "seats, or confirm that the people over the new limit move to the waiting "
                "list.",
                count=event.seats_taken,
            )
    unknown_themes = set(data.theme_ids) - set(
        db.session.scalars(select(Theme.id).where(Theme.id.in_(data.theme_ids)))
    )
    if unknown_themes:
        errors["theme_ids"] = _("Choose themes from the list.")
    unknown_target_groups = set(data.target_group_ids) - set(db.session.scalars(
        select(TargetGroup.id).where(TargetGroup.id.in_(data.target_group_ids))
    ))  # fmt: skip
    if unknown_target_groups:
        errors["target_group_ids"] = _("Choose target groups from the list.")
    errors.update(_registration_mode_problems(data, event))
    if not data.language_codes or set(data.language_codes) - set(vocab.LANGUAGES):
        errors["language_codes"] = _("Choose at least one language from the list.")
    if db.session.get(Organisation, data.organisation_id) is None:
        errors["organisation_id"] = _("Choose an organisation.")
    series_problem = series_service.series_problem(data.series_id, data.organisation_id)
    if series_problem:
        errors["series_id"] = series_problem
    co_organiser_problem = _co_organiser_problem(data)
    if co_organiser_problem:
        errors["co_organiser_ids"] = co_organiser_problem
    for name in ONE_LINE_FIELDS:
        if not is_one_line(getattr(data, name)):
            errors.setdefault(name, _one_line_error())
    for name, limit in MAX_LENGTHS.items():
        if len(getattr(data, name) or "") > limit:
            errors.setdefault(name, _("Write at most %(max)d characters.", max=limit))
    speaker_problem = _speaker_problem(data.speakers)
    if speaker_problem:
        errors.setdefault("speakers", speaker_problem)
    if data.online_url and not is_https_url(data.online_url):
        errors.setdefault("online_url", _("Enter a web address starting with https://."))
    for name in ("first_reminder_hours", "second_reminder_hours"):
        hours = getattr(data, name)
        if hours is not None and not 1 <= hours <= reminders.MAX_REMINDER_HOURS:
            errors.setdefault(name, _(
                "Enter a number of hours from 1 to %(max)d, or leave it empty for no reminder.",
                max=reminders.MAX_REMINDER_HOURS,
            ))  # fmt: skip
    if data.contact_email and not _is_email(data.contact_email):
        errors.setdefault("contact_email", _("Enter an email address like name@example.se."))
    return errors


def _registration_mode_problems(data: EventData, event: Event | None) -> dict[str, str]:
    if data.registration_mode not in vocab.REGISTRATION_MODES:
        return {"registration_mode": _("Choose how people register.")}
    if data.registration_mode == "external" and not data.external_registration_url:
        return {"external_registration_url": _("Give the address where people register.")}
    if data.registration_mode == "external" and not is_https_url(data.external_registration_url):
        return {"external_registration_url": _("Enter a web address starting with https://.")}
    # People registered here keep their seats: the event cannot stop registering them here.
    if (event is not None and event.registers_here and data.registration_mode != "eventreg"
            and attendees.count_active(event)):  # fmt: skip
        return {"registration_mode": _(
            "People have registered here. Registration can change only when nobody is "
            "registered (cancel their registrations first)."
        )}
    return {}


def _co_organiser_problem(data: EventData) -> str | None:
    """The responsible organisation is never also a co-organiser: it would be named twice,
    and which of the two roles it has would be unclear."""
    if data.organisation_id in data.co_organiser_ids:
        return _("The responsible organisation cannot also be a co-organiser.")
    if any(not 0 < i <= MAX_ROW_ID for i in data.co_organiser_ids):
        return _("Choose co-organisers from the list.")  # no row has it (nor could have)
    known = set(db.session.scalars(
        select(Organisation.id).where(Organisation.id.in_(data.co_organiser_ids))
    ))  # fmt: skip
    if set(data.co_organiser_ids) - known:
        return _("Choose co-organisers from the list.")
    return None


def _one_line_error() -> str:
    return _("Write this on one line, without line breaks or control characters.")


def _speaker_problem(speakers: list[tuple[str, str]]) -> str | None:
    name_limit, affiliation_limit = max_length(Speaker.name), max_length(Speaker.affiliation)
    for name, affiliation in speakers:
        if not (is_one_line(name) and is_one_line(affiliation)):
            return _one_line_error()
        if len(name) > name_limit or len(affiliation) > affiliation_limit:
            return _("Write a speaker's name in at most %(name)d characters and their "
                     "organisation in at most %(affiliation)d.",
                     name=name_limit, affiliation=affiliation_limit)  # fmt: skip
    return None


def _is_email(value: str) -> bool:
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def _stored(name: str, value):
    """A field's value as the event stores it."""
    if name in MULTI_LINE_FIELDS:
        return normalise_newlines(value or "")
    if name in NULL_WHEN_EMPTY:
        return value or None
    return value


def _apply(event: Event, data: EventData) -> None:
    data.drop_unused_registration_fields()  # the mode may have been set after construction
    for name in SIMPLE_FIELDS:
        setattr(event, name, _stored(name, getattr(data, name)))
    event.slug = slugify(data.title)
    event.themes = list(
        db.session.scalars(select(Theme).where(Theme.id.in_(data.theme_ids)))
    )  # fmt: skip
    event.language_codes = data.language_codes
    event.target_groups = list(
        db.session.scalars(select(TargetGroup).where(TargetGroup.id.in_(data.target_group_ids)))
    )  # fmt: skip
    co_organisers = set(data.co_organiser_ids) - {data.organisation_id}
    event.co_organisers = list(
        db.session.scalars(select(Organisation).where(Organisation.id.in_(co_organisers)))
    )  # fmt: skip
    existing = [(s.name, s.affiliation) for s in event.speakers]
    if existing != data.speakers:
        event.speakers = [
            Speaker(name=name, affiliation=affiliation, position=i)
            for i, (name, affiliation) in enumerate(data.speakers)
        ]


def _snapshot(event: Event) -> dict:
    return _snapshot_of_data(EventData.from_event(event))


def _snapshot_of_data(data: EventData) -> dict:
    """The values of an event with this data, as the audit log compares them (a row saved
    before empty links were stored as NULL compares equal to one saved after)."""
    data.drop_unused_registration_fields()
    snapshot = {name: _stored(name, getattr(data, name)) for name in SIMPLE_FIELDS}
    snapshot.update(
        theme_ids=sorted(set(data.theme_ids)),
        language_codes=sorted(dict.fromkeys(data.language_codes)),
        speakers=[list(s) for s in data.speakers],
        target_group_ids=sorted(set(data.target_group_ids)),
        co_organiser_ids=sorted(set(data.co_organiser_ids)),
    )
    return snapshot


def _check(data: EventData, event: Event | None = None, **kwargs) -> None:
    errors = validate_event_data(data, event, **kwargs)
    if errors:
        name, message = next(iter(errors.items()))
        raise EventRuleError(message, name)


def create_event(data: EventData, user: User | None) -> Event:
    """A new draft from the data; raises EventRuleError if a rule is broken."""
    _check(data)
    event = Event(status=EventStatus.DRAFT)
    _apply(event, data)
    db.session.add(event)
    db.session.flush()
    audit.record_event_change(event, "event.create", user, audit.diff({}, _snapshot(event)))
    return event


@dataclass
class EventUpdate:
    """What an edit changed: {field: [old, new]}, and whether attendees were told."""

    changes: dict
    notify_attendees: bool
    recipients: int = 0


@dataclass
class ChangeNotice:
    """What saving an edit would tell the people registered, before it is saved."""

    changes: dict  # {field: [old, new]}, as the audit log will have them
    recipients: int  # confirmed and waiting: who gets the notice
    must_notify: bool  # time, place or online link changed: always sent
    may_notify: bool  # other things registrants read changed: sent unless skipped

    @property
    def is_needed(self) -> bool:
        """Whether there is a notice the organiser should see before saving."""
        return self.recipients > 0 and (self.must_notify or self.may_notify)

    @property
    def notified_changes(self) -> dict:
        return {name: values for name, values in self.changes.items() if name in NOTIFY_FIELDS}


def change_notice(event: Event, data: EventData) -> ChangeNotice:
    """The notice an edit of `event` to `data` would send (nothing is changed here)."""
    data.start_dt, data.end_dt = session_service.keep_span(event, data.start_dt, data.end_dt)
    changes = audit.diff(_snapshot(event), _snapshot_of_data(data))
    return ChangeNotice(
        changes=changes,
        recipients=attendees.count_active(event) if event.is_published else 0,
        must_notify=bool(ALWAYS_NOTIFY_FIELDS & set(changes)),
        may_notify=bool(OPTIONAL_NOTIFY_FIELDS & set(changes)),
    )


def update_event(
    event: Event,
    data: EventData,
    user: User | None,
    *,
    allow_capacity_reduction: bool = False,
    skip_notice: bool = False,
) -> EventUpdate:
    """Apply an edit; raises EventRuleError if a rule is broken.

    Lowering the capacity below the confirmed seats needs allow_capacity_reduction, and then
    moves the latest confirmed registrations to the waiting list (registration service).

    The people registered for a published event are emailed what changed (NOTIFY_FIELDS).
    `skip_notice` leaves the email out for a correction, but never when the time, place or
    online link changed.

    A course's start and end stay the span of its sessions (services.sessions), whatever
    `data` says.
    """
    data.start_dt, data.end_dt = session_service.keep_span(event, data.start_dt, data.end_dt)
    _check(data, event, allow_capacity_reduction=allow_capacity_reduction)
    # An edit waits for the event's lock like a sign-up, at most REGISTRATION_LOCK_TIMEOUT_MS
    # (then OperationalError: the view answers "busy, try again"), before it writes the row.
    registration_service.lock_event(event.id)
    before = _snapshot(event)
    if data.capacity is not None and data.capacity < event.seats_taken:
        attendees.move_over_capacity_to_waiting_list(event, data.capacity, user)
    _apply(event, data)
    db.session.flush()
    changes = audit.diff(before, _snapshot(event))
    if changes:
        audit.record_event_change(event, "event.update", user, changes)
    old_capacity = before["capacity"]
    if "capacity" in changes and (event.capacity is None or (
            old_capacity is not None and event.capacity > old_capacity)):  # fmt: skip
        attendees.promote_after_capacity_change(event, user)
    changed = set(changes)
    must = bool(ALWAYS_NOTIFY_FIELDS & changed)
    may = bool(OPTIONAL_NOTIFY_FIELDS & changed)
    notify = event.is_published and (must or (may and not skip_notice))
    recipients = 0
    if notify:
        notified = {name: values for name, values in changes.items() if name in NOTIFY_FIELDS}
        recipients = attendees.notify_change(event, notified)
    return EventUpdate(changes=changes, notify_attendees=notify, recipients=recipients)


def duplicate_event(
    event: Event, start_dt: datetime, user: User | None, *, series_id: int | None = None
) -> Event:
    """A draft copy for a series: the same content at a new start, all times shifted alike.
    The copy is part of the series `series_id` (None: of none, whatever the original is in)."""
    shift = start_dt - event.start_dt
    data = EventData.from_event(event)
    data.series_id = series_id
    data.start_dt = event.start_dt + shift
    data.end_dt = event.end_dt + shift
    if data.registration_opens_dt is not None:
        data.registration_opens_dt += shift
    if data.registration_closes_dt is not None:
        data.registration_closes_dt += shift
    _check(data)
    copy = Event(status=EventStatus.DRAFT)
    _apply(copy, data)
    # A course's copy is a course at the new dates.
    session_service.copy_sessions(event, copy, shift)
    db.session.add(copy)
    db.session.flush()
    # The copy's registration form asks the same questions (it has no answers yet).
    questions.copy_questions(event, copy)
    # The copy is described in the same languages.
    translations.copy_translations(event, copy)
    audit.record_event_change(
        copy, "event.duplicate", user, {"copied_from": [None, event.id], **audit.diff(
            {}, {"start_dt": copy.start_dt, "end_dt": copy.end_dt,
                 **({"series_id": series_id} if series_id else {})})}
    )  # fmt: skip
    return copy


def publish_problem(event: Event, now: datetime | None = None) -> str | None:
    """Why the event cannot be published now, or None if it can."""
    if event.status != EventStatus.DRAFT:
        return _("Only a draft can be published.")
    if event.end_dt <= (now or utcnow()):
        return _("An event that has already ended cannot be published.")
    return None


def publish_event(event: Event, user: User | None, now: datetime | None = None) -> None:
    """Make a draft public. A past event cannot be published."""
    problem = publish_problem(event, now)
    if problem:
        raise EventRuleError(problem)
    _set_status(event, EventStatus.PUBLISHED, user, "event.publish")


def unpublish_event(event: Event, user: User | None) -> None:
    """Take a published event back to draft, while nobody has a seat yet; after that the
    event must be cancelled so the people registered are told."""
    if event.status != EventStatus.PUBLISHED:
        raise EventRuleError(_("Only a published event can be unpublished."))
    if event.seats_taken > 0 or _has_registrations(event):
        raise EventRuleError(
            _("People have registered. Cancel the event instead, so they are told.")
        )
    _set_status(event, EventStatus.DRAFT, user, "event.unpublish")


def cancel_event(event: Event, reason: str, user: User | None) -> EventUpdate:
    """Cancel a published event with a reason shown publicly and sent to registrants."""
    if event.status != EventStatus.PUBLISHED:
        raise EventRuleError(_("Only a published event can be cancelled."))
    reason = normalise_newlines(reason).strip()
    if not reason:
        raise EventRuleError(_("Tell people why the event is cancelled."), "reason")
    limit = max_length(Event.cancellation_reason)
    if len(reason) > limit:
        raise EventRuleError(_("Write at most %(max)d characters.", max=limit), "reason")
    registration_service.lock_event(event.id)  # before the first change: see _set_status
    old_reason = event.cancellation_reason
    event.cancellation_reason = reason
    _set_status(
        event, EventStatus.CANCELLED, user, "event.cancel",
        extra={"cancellation_reason": [old_reason, event.cancellation_reason]},
    )  # fmt: skip
    registration_service.notify_event_cancelled(event)
    return EventUpdate(
        changes={"status": [EventStatus.PUBLISHED, EventStatus.CANCELLED]}, notify_attendees=True
    )


def delete_draft(event: Event, user: User | None) -> None:
    """Delete a draft that nobody has seen. Published events are cancelled, never deleted."""
    if event.status != EventStatus.DRAFT or event.seats_taken > 0 or _has_registrations(event):
        raise EventRuleError(_("Only a draft without registrations can be deleted."))
    audit.record_event_change(event, "event.delete", user, {"status": [EventStatus.DRAFT, None]})
    questions.remove_questions_of(event)
    db.session.delete(event)
    db.session.flush()


def _set_status(
    event: Event, status: str, user: User | None, action: str, extra: dict | None = None
) -> None:
    # The event's lock first, as for an edit, so a busy event gives up in time; taken before
    # anything is changed, because a pending change would be flushed ahead of the lock.
    registration_service.lock_event(event.id)
    old = event.status
    event.status = status
    db.session.flush()
    audit.record_event_change(event, action, user, {"status": [old, status], **(extra or {})})


def _has_registrations(event: Event) -> bool:
    """Whether anyone ever registered (cancelled registrations count: they were told)."""
    return registration_service.has_registrations(event)


def events_for(
    user: User, *, status: str | None = None, past: bool = False, now: datetime | None = None
) -> list[Event]:
    """The events this user manages or co-organises (see them read only), upcoming first
    (or past, newest first)."""
    now = now or utcnow()
    stmt = select(Event)
    if not user.is_admin:
        stmt = stmt.where(arranged_by(user.organisation_ids))
    if status:
        stmt = stmt.where(Event.status == status)
    if past:
        stmt = stmt.where(Event.end_dt <= now).order_by(Event.start_dt.desc())
    else:
        stmt = stmt.where(Event.end_dt > now).order_by(Event.start_dt)
    return list(db.session.scalars(stmt.order_by(Event.id)))


@dataclass
class BulkPublish:
    """What publishing several drafts together did: those published, and the ones the
    publish rules refused, each with the reason."""

    published: list[Event]
    refused: list[tuple[Event, str]]


def publish_events(
    events: list[Event], user: User | None, now: datetime | None = None
) -> BulkPublish:
    """Publish several drafts (imported ones, after review), each through the same rules
    as one (publish_event); a draft the rules refuse stays a draft and the others go on."""
    result = BulkPublish([], [])
    for event in events:
        try:
            publish_event(event, user, now)
        except EventRuleError as error:
            result.refused.append((event, error.message))
        else:
            result.published.append(event)
    return result


# A series copied at once: more is a typing mistake (a year of weekly meetings is 52).
MAX_SERIES_COPIES = 60


def duplicate_series(
    event: Event, starts: list[datetime], user: User | None, *, series_id: int | None = None
) -> list[Event]:
    """Draft copies of an event for a series, one per start (duplicate_event), each part of
    the series `series_id` if given; raises EventRuleError for the first start the rules
    refuse, and the caller rolls back."""
    if len(starts) > MAX_SERIES_COPIES:
        raise EventRuleError(
            _("At most %(count)d copies at a time.", count=MAX_SERIES_COPIES), "start_dt"
        )
    return [duplicate_event(event, start, user, series_id=series_id) for start in starts]


# How "copy for a series" links the copies: to no series, to the original's series, or to
# a new series (named in the form) that the original joins too when it is in none.
SERIES_LINKS = ("none", "same", "new")


def copy_for_series(
    event: Event, starts: list[datetime], user: User | None, *, link: str, new_title: str = ""
) -> list[Event]:
    """Draft copies of an event (duplicate_series), linked to a series as `link` says
    (SERIES_LINKS). A new series belongs to the event's organisation. Raises a RuleError
    (EventRuleError or SeriesRuleError) and the caller rolls back."""
    if link not in SERIES_LINKS:
        raise EventRuleError(_("Choose how the copies are linked to a series."), "series_link")
    series_id = None
    if link == "same":
        if event.series_id is None:
            raise EventRuleError(_("The event is not part of a series."), "series_link")
        series_id = event.series_id
    elif link == "new":
        data = series_service.SeriesData(title=new_title, organisation_id=event.organisation_id)
        problems = series_service.validate_series_data(data)
        if problems:  # the new series' title is the copy form's field "series_title"
            raise EventRuleError(next(iter(problems.values())), "series_title")
        series = series_service.create_series(data, user)
        if event.series_id is None:
            series_service.add_event(event, series, user)
        series_id = series.id
    return duplicate_series(event, starts, user, series_id=series_id)


def default_municipality(organisations: list[Organisation]) -> str | None:
    """Where a new event probably is: the municipality an organiser's own organisation is
    named after ("Varbergs kommun" → varberg), if one of them is; else None."""
    for organisation in organisations:
        code = vocab.municipality_named_in(organisation.name)
        if code is not None:
            return code
    return None


def default_duplicate_start(event: Event) -> datetime:
    """A week after the original: the most common rhythm of a series."""
    return event.start_dt + timedelta(weeks=1)


"""Recording and reading the audit log of events and registrations."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import g, has_app_context
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import event as sa_event
from sqlalchemy import insert, inspect, select
from sqlalchemy.orm import Session, selectinload

from .. import vocab
from ..extensions import db
from ..models import (
    Event,
    EventSeries,
    Organisation,
    Registration,
    RegistrationStatus,
    TargetGroup,
    Theme,
    User,
    utcnow,
)
from ..models.audit import AuditEntry
from ..models.types import max_length
from .catalogue import local_midnight_utc

# What each action is called on the audit pages.
ACTION_LABELS = {
    "event.create": _l("Event created"),
    "event.update": _l("Event edited"),
    "event.duplicate": _l("Event created as a copy"),
    "event.publish": _l("Event published"),
    "event.unpublish": _l("Event unpublished"),
    "event.cancel": _l("Event cancelled"),
    "event.delete": _l("Draft deleted"),
    "event.message": _l("Message sent to registrants"),
    "event.material.add": _l("Material added"),
    "event.material.update": _l("Material changed"),
    "event.material.delete": _l("Material removed"),
    "event.translation.add": _l("Translation added"),
    "event.translation.update": _l("Translation changed"),
    "event.translation.delete": _l("Translation removed"),
    "event.question.add": _l("Registration question added"),
    "event.question.update": _l("Registration question changed"),
    "event.question.move": _l("Registration question moved"),
    "event.question.delete": _l("Registration question removed"),
    "registration.create": _l("Registered"),
    "registration.cancel": _l("Registration cancelled"),
    "registration.promote": _l("Moved from the waiting list to a seat"),
    "registration.demote": _l("Moved to the waiting list"),
    "registration.status": _l("Registration status changed"),
    "registration.restore": _l("Cancelled registration restored"),
    "registration.check_in": _l("Checked in"),
    "registration.undo_check_in": _l("Check-in undone"),
    "registration.anonymise": _l("Personal data removed"),
    "registration.update": _l("Registration details changed"),
    "admin.theme.create": _l("Theme added"),
    "admin.theme.update": _l("Theme changed"),
    "admin.theme.delete": _l("Theme removed"),
    "admin.target_group.create": _l("Target group added"),
    "admin.target_group.update": _l("Target group changed"),
    "admin.target_group.delete": _l("Target group removed"),
    "admin.content_language.create": _l("Language of event texts added"),
    "admin.content_language.update": _l("Language of event texts changed"),
    "admin.content_language.delete": _l("Language of event texts removed"),
    "admin.resource.create": _l("Resource added"),
    "admin.resource.update": _l("Resource changed"),
    "admin.resource.delete": _l("Resource removed"),
    "admin.organisation.create": _l("Organisation added"),
    "admin.organisation.update": _l("Organisation changed"),
    "admin.organisation.delete": _l("Organisation removed"),
    "series.create": _l("Series created"),
    "series.update": _l("Series changed"),
    "series.delete": _l("Series removed"),
    "admin.user.create": _l("Account added"),
    "admin.user.update": _l("Account changed"),
}

# Personal details of a registration: a change is logged by field name only.
REDACTED_FIELDS = (
    "name", "email", "organisation", "sector", "municipality", "dietary_needs",
    "accessibility_needs", "interpretation_language", "message",
)  # fmt: skip

# Where services.questions leaves the ids of registrations whose answers to the event's
# questions changed: the flush listener below logs that they did (never what they said).
ANSWERS_CHANGED_KEY = "registration_answers_changed"

_actor: ContextVar[User | None] = ContextVar("audit_actor", default=None)

# The longest label the log keeps; longer ones are cut.
MAX_LABEL_LENGTH = max_length(AuditEntry.label)


def json_value(value: Any) -> Any:
    """A value as the log stores it: datetimes as ISO strings, collections as lists."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple | list):
        return [json_value(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields whose value differs."""
    return {
        key: [json_value(old.get(key)), json_value(new[key])]
        for key in new
        if json_value(old.get(key)) != json_value(new[key])
    }


def record_event_change(
    event: Event, action: str, user: User | None, changes: Mapping[str, Any] | None = None
) -> AuditEntry:
    """Log a change to an event (flushes; the caller commits with the change itself)."""
    if event.id is None:
        db.session.flush()
    entry = AuditEntry(
        action=action,
        user_id=user.id if user is not None else None,
        event_id=event.id,
        label=event.title[:MAX_LABEL_LENGTH],
        changes=dict(changes or {}),
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def log_change(
    action: str,
    label: str,
    user: User | None,
    changes: dict[str, Any],
    *,
    flush: bool = True,
) -> AuditEntry:
    """Log a change to something other than an event or a registration (a theme, a series,
    an organisation…): `label` names it, cut to what the log keeps; `user` is None for the
    system. Flushes unless told not to; the caller commits with the change itself."""
    entry = AuditEntry(
        action=action,
        label=label[:MAX_LABEL_LENGTH],
        user_id=user.id if user is not None else None,
        changes=changes,
    )
    db.session.add(entry)
    if flush:
        db.session.flush()
    return entry


def audit_entries(
    *, event_id: int | None = None, action_prefix: str | None = None, limit: int = 200
) -> list[AuditEntry]:
    """The newest entries first, optionally for one event or one kind of action."""
    stmt = _filtered(AuditFilter(event_id=event_id, action_prefix=action_prefix))
    stmt = stmt.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(limit)
    return list(db.session.scalars(stmt))


@dataclass
class AuditFilter:
    """Which entries to show; dates are Swedish calendar days, both included."""

    event_id: int | None = None
    user_id: int | None = None
    action_prefix: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def _filtered(filters: AuditFilter):
    stmt = select(AuditEntry).options(selectinload(AuditEntry.user))
    if filters.event_id is not None:
        stmt = stmt.where(AuditEntry.event_id == filters.event_id)
    if filters.user_id is not None:
        stmt = stmt.where(AuditEntry.user_id == filters.user_id)
    if filters.action_prefix:
        stmt = stmt.where(AuditEntry.action.startswith(filters.action_prefix, autoescape=True))
    if filters.date_from is not None:
        stmt = stmt.where(AuditEntry.created_at >= local_midnight_utc(filters.date_from))
    if filters.date_to is not None:
        next_day = local_midnight_utc(filters.date_to + timedelta(days=1))
        stmt = stmt.where(AuditEntry.created_at < next_day)
    return stmt


def audit_page(filters: AuditFilter, page: int = 1, per_page: int = 50):
    """One page (Flask-SQLAlchemy's Pagination) of the entries that match, newest first,
    with how many match in all. A page past the last is empty, not an error."""
    stmt = _filtered(filters).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def users_in_log() -> list[User]:
    """The accounts that have made changes, by name (for the log's filter)."""
    ids = select(AuditEntry.user_id).where(AuditEntry.user_id.is_not(None)).distinct()
    return list(db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.name)))


# --- reading the log: names, labels and words instead of ids, columns and codes ----------

# What the columns and keys in `changes` are called on the page.
FIELD_LABELS = {
    "title": _l("Title"), "summary": _l("Summary"), "description": _l("Description"),
    "format": _l("Format"), "audience": _l("For whom"),
    "interpretation_available": _l("Interpretation available"),
    "interpretation_note": _l("About interpretation"), "speakers": _l("Speakers"),
    "start_dt": _l("Starts"), "end_dt": _l("Ends"), "municipality": _l("Municipality"),
    "venue_name": _l("Venue"), "address": _l("Address"),
    "online_url": _l("Link for online participation"),
    "online_url_public": _l("Link shown to everyone"),
    "first_reminder_hours": _l("First reminder, hours before the start"),
    "second_reminder_hours": _l("Second reminder, hours before the start"),
    "step_free_access": _l("Step-free access"), "hearing_loop": _l("Hearing loop"),
    "sign_language_interpretation": _l("Sign language interpretation"),
    "accessibility_notes": _l("More about accessibility"), "capacity": _l("Seats"),
    "registration_opens_dt": _l("Registration opens"),
    "registration_closes_dt": _l("Registration closes"),
    "contact_email": _l("Contact email"), "theme_ids": _l("Themes"),
    "language_codes": _l("Languages"), "organisation_id": _l("Organisation"),
    "status": _l("Status"), "cancellation_reason": _l("Reason for cancelling"),
    "copied_from": _l("Copied from"), "recipients": _l("Recipients"),
    "attended_at": _l("Checked in"), "name": _l("Name"), "email": _l("Email address"),
    "organisation": _l("Organisation"), "sector": _l("Sector"),
    "dietary_needs": _l("Dietary needs"), "accessibility_needs": _l("Accessibility needs"),
    "interpretation_language": _l("Interpretation"), "message": _l("Message"),
    "slug": _l("Address name (slug)"), "name_sv": _l("Name in Swedish"),
    "name_en": _l("Name in English"), "description_sv": _l("Description in Swedish"),
    "description_en": _l("Description in English"), "position": _l("Position in lists"),
    "kind": _l("Kind"), "url": _l("Web address"), "language": _l("Language"),
    "website": _l("Website"), "is_admin": _l("Administrator"), "active": _l("Active"),
    "organisation_ids": _l("Member of"), "password": _l("Password"),
    "registration_mode": _l("Registration"),
    "external_registration_url": _l("Address for registration elsewhere"),
    "target_group_ids": _l("Target groups"),
    "series_id": _l("Series"),
    "co_organiser_ids": _l("Co-organisers"),
    "material": _l("Material"), "in_theme_library": _l("In the theme library"),
    "question": _l("Question"), "question_kind": _l("Kind of question"),
    "help_text": _l("Help text"), "choices": _l("Choices"), "is_required": _l("Required"),
    "answers": _l("Answers to the event's questions"),
}  # fmt: skip

# Codes written as words, per key.
VALUE_WORDS = {
    "format": vocab.FORMATS, "municipality": vocab.MUNICIPALITIES, "sector": vocab.SECTORS,
    "kind": vocab.RESOURCE_KINDS, "language": vocab.LANGUAGES,
    "interpretation_language": vocab.LANGUAGES, "language_codes": vocab.LANGUAGES,
    "registration_mode": vocab.REGISTRATION_MODES,
    "question_kind": vocab.QUESTION_KINDS,
}  # fmt: skip

# Long texts are cut on the page (the log keeps them whole).
SHOWN_TEXT_LENGTH = 160


@dataclass
class ChangeLine:
    label: str
    old: str
    new: str


@dataclass
class AuditLine:
    """One entry as an administrator reads it."""

    entry: AuditEntry
    when: datetime
    who: str
    what: str
    subject: str  # the event's title, the theme's name …
    registration: str  # "" or who the registration is of
    changes: list[ChangeLine]


def present(entries: list[AuditEntry]) -> list[AuditLine]:
    """The entries with names instead of ids, field labels instead of column names and
    values in words, in the current language (times stay UTC; the page shows them in
    Swedish time)."""
    names = _names_for(entries)
    return [
        AuditLine(
            entry=entry,
            when=entry.created_at,
            who=entry.user.name if entry.user else _("System or the person registered"),
            what=str(ACTION_LABELS.get(entry.action, entry.action)),
            subject=entry.label,
            registration=_registration_text(entry, names),
            changes=[
                ChangeLine(str(FIELD_LABELS.get(key, key)),
                           _value_text(entry.action, key, values[0], names),
                           _value_text(entry.action, key, values[1], names))  # fmt: skip
                for key, values in (entry.changes or {}).items()
                if isinstance(values, list) and len(values) == 2
            ],
        )
        for entry in entries
    ]


def _ids(entries, key: str) -> set[int]:
    found = set()
    for entry in entries:
        for value in (entry.changes or {}).get(key, []) or []:
            values = value if isinstance(value, list) else [value]
            found.update(v for v in values if isinstance(v, int) and not isinstance(v, bool))
    return found


def _names_for(entries: list[AuditEntry]) -> dict[str, dict[int, str]]:
    """Names of the themes, organisations, events and registrations the entries name by id,
    read in one query each."""
    def lookup(model, label, ids):
        if not ids:
            return {}
        return dict(db.session.execute(select(model.id, label).where(model.id.in_(ids))).all())

    registration_ids = {e.registration_id for e in entries if e.registration_id}
    registrations = {}
    if registration_ids:
        rows = db.session.execute(
            select(Registration.id, Registration.name, Registration.anonymised_at)
            .where(Registration.id.in_(registration_ids))
        )  # fmt: skip
        registrations = {
            row.id: row.name if row.anonymised_at is None and row.name else _("(anonymised)")
            for row in rows
        }
    return {
        "theme_ids": lookup(Theme, Theme.name_sv, _ids(entries, "theme_ids")),
        "target_group_ids": lookup(TargetGroup, TargetGroup.name_sv,
                                   _ids(entries, "target_group_ids")),
        "organisation_ids": lookup(Organisation, Organisation.name,
                                   _ids(entries, "organisation_ids")
                                   | _ids(entries, "organisation_id")
                                   | _ids(entries, "co_organiser_ids")),
        "copied_from": lookup(Event, Event.title, _ids(entries, "copied_from")),
        "series_id": lookup(EventSeries, EventSeries.title, _ids(entries, "series_id")),
        "registrations": registrations,
    }  # fmt: skip


def _registration_text(entry: AuditEntry, names: dict[str, dict[int, str]]) -> str:
    if not entry.registration_id:
        return ""
    name = names["registrations"].get(entry.registration_id)
    if name is None:
        return _("registration #%(id)d (removed)", id=entry.registration_id)
    return _("%(name)s (registration #%(id)d)", name=name, id=entry.registration_id)


def _value_text(action: str, key: str, value: Any, names: dict[str, dict[int, str]]) -> str:
    """One old or new value in words."""
    if value is None or value == "" or value == []:
        return "–"
    if value == "…":
        return _("(not logged)")
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if key == "status":
        statuses = (vocab.REGISTRATION_STATUSES if action.startswith("registration.")
                    else vocab.EVENT_STATUSES)  # fmt: skip
        return str(statuses.get(value, value))
    if key in ("theme_ids", "organisation_ids", "organisation_id", "copied_from",
               "target_group_ids", "co_organiser_ids", "series_id"):  # fmt: skip
        lookup = names[key if key in ("theme_ids", "target_group_ids", "copied_from",
                                      "series_id") else "organisation_ids"]  # fmt: skip
        values = value if isinstance(value, list) else [value]
        return ", ".join(lookup.get(v, f"#{v}") for v in values)
    if key in VALUE_WORDS:
        words = VALUE_WORDS[key]
        values = value if isinstance(value, list) else [value]
        return ", ".join(str(words.get(v, v)) for v in values)
    if key == "speakers" and isinstance(value, list):
        return "; ".join(
            f"{s[0]} ({s[1]})" if isinstance(s, list) and len(s) == 2 and s[1] else
            str(s[0] if isinstance(s, list) and s else s) for s in value
        )  # fmt: skip
    if isinstance(value, str) and (key.endswith(("_dt", "_at"))):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            return format_datetime(moment, "yyyy-MM-dd HH:mm")
        return value
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    text = str(value)
    if len(text) > SHOWN_TEXT_LENGTH:
        return text[: SHOWN_TEXT_LENGTH - 1] + "…"
    return text


# --- registrations: every change, whoever makes it -----------------------------------------
#
# Registrations change in many places (sign-up, the attendee's manage link, promotion from
# the waiting list, the organiser area, anonymisation). Rather than trust each of them to
# remember the log, a flush listener records every change to a registration's status,
# attendance or anonymisation, with the person acting: the user given to `acting_as`, else
# the logged-in organiser of the request, else nobody (the attendee or the system).


@contextmanager
def acting_as(user: User | None) -> Iterator[None]:
    """Changes flushed inside are logged as made by `user`."""
    token = _actor.set(user)
    try:
        yield
    finally:
        _actor.reset(token)


# Where the request's logged-in user is kept once the session loader has found it (see
# auth.sessions): read here instead of Flask-Login's `current_user`, whose first use may load
# the user with a database query, which must not happen inside a flush.
REQUEST_USER_KEY = "request_user"


def remember_request_user(user: User) -> None:
    """Record the logged-in user of this request as the one acting on what it changes."""
    setattr(g, REQUEST_USER_KEY, user)


def _acting_user_id() -> int | None:
    user = _actor.get()
    if user is None and has_app_context():
        user = g.get(REQUEST_USER_KEY)
    return getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None


def _transition(old: str | None, new: str) -> str:
    if old is None:
        return "registration.create"
    if new == RegistrationStatus.CANCELLED:
        return "registration.cancel"
    if old == RegistrationStatus.WAITING and new == RegistrationStatus.CONFIRMED:
        return "registration.promote"
    if old == RegistrationStatus.CONFIRMED and new == RegistrationStatus.WAITING:
        return "registration.demote"
    if old == RegistrationStatus.CANCELLED:
        return "registration.restore"
    return "registration.status"


def _registration_entries(session: Session) -> list[dict[str, Any]]:
    entries = []
    for registration in [*session.new, *session.dirty]:
        if not isinstance(registration, Registration):
            continue
        state = inspect(registration)
        found: list[tuple[str, dict]] = []
        if registration in session.new:
            found.append((_transition(None, registration.status),
                          {"status": [None, registration.status]}))  # fmt: skip
        else:
            status = state.attrs.status.history
            if status.has_changes() and status.deleted:
                old = status.deleted[0]
                found.append((_transition(old, registration.status),
                              {"status": [old, registration.status]}))  # fmt: skip
            attended = state.attrs.attended_at.history
            if attended.has_changes():
                old = attended.deleted[0] if attended.deleted else None
                action = "registration.check_in" if registration.attended_at else (
                    "registration.undo_check_in")  # fmt: skip
                found.append((action, {"attended_at": [json_value(old),
                                                       json_value(registration.attended_at)]}))
            anonymised = state.attrs.anonymised_at.history
            if anonymised.has_changes() and registration.anonymised_at is not None:
                found.append(("registration.anonymise", {}))
            else:
                # Which details changed, never what they were or became: "…" stands in.
                changed = sorted(
                    name for name in REDACTED_FIELDS if state.attrs[name].history.has_changes()
                )
                answered = session.info.get(ANSWERS_CHANGED_KEY, set())
                if registration.id in answered:
                    answered.discard(registration.id)
                    changed.append("answers")
                if changed:
                    found.append(("registration.update", {name: ["…", "…"] for name in changed}))
        for action, changes in found:
            entries.append({"action": action, "event_id": registration.event_id,
                            "registration_id": registration.id, "changes": changes})  # fmt: skip
    return entries


def _titles_in_session(session: Session, event_ids: set[int]) -> dict[int, str]:
    """The titles of those events the session has loaded already (a sign-up has its event
    in hand): no query for them."""
    titles = {}
    for event_id in event_ids:
        event = session.identity_map.get(session.identity_key(Event, event_id))
        title = inspect(event).dict.get("title") if event is not None else None
        if title is not None:
            titles[event_id] = title
    return titles


@sa_event.listens_for(Session, "after_flush")
def _log_registration_changes(session: Session, flush_context) -> None:
    """Write the registration changes of this flush to the log, in the same transaction."""
    entries = _registration_entries(session)
    if not entries:
        return
    connection = session.connection()
    titles = _titles_in_session(session, {e["event_id"] for e in entries})
    missing = {e["event_id"] for e in entries} - titles.keys()
    if missing:
        titles |= dict(
            connection.execute(select(Event.id, Event.title).where(Event.id.in_(missing))).all()
        )
    _insert_entries(connection, entries, titles)


def new_registration_entry(
    *, event_id: int, event_title: str, registration_id: int, status: str
) -> dict[str, Any]:
    """The audit_entry row `_log_registration_changes` writes for a new registration, for
    one a sign-up inserts as a row (services.registrations.register), which no flush sees:
    the sign-up writes it with its other rows."""
    entry = {"action": _transition(None, status), "event_id": event_id,
             "registration_id": registration_id, "changes": {"status": [None, status]}}  # fmt: skip
    return _entry_rows([entry], {event_id: event_title})[0]


def _insert_entries(connection, entries: list[dict[str, Any]], titles: dict[int, str]) -> None:
    connection.execute(insert(AuditEntry.__table__), _entry_rows(entries, titles))


def _entry_rows(entries: list[dict[str, Any]], titles: dict[int, str]) -> list[dict[str, Any]]:
    """Registration entries as rows: by whoever is acting, labelled with their event's
    title."""
    user_id = _acting_user_id()
    now = utcnow()
    return [{**e, "user_id": user_id, "created_at": now,
             "label": (titles.get(e["event_id"]) or "")[:300]} for e in entries]  # fmt: skip

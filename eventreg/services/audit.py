"""Recording and reading the audit log of events and registrations."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from typing import Any

from flask import g, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import event as sa_event
from sqlalchemy import insert, inspect, select
from sqlalchemy.orm import Session, selectinload

from ..extensions import db
from ..models import Event, Registration, User, utcnow
from ..models.audit import AuditEntry

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
    "registration.create": _l("Registered"),
    "registration.cancel": _l("Registration cancelled"),
    "registration.promote": _l("Moved from the waiting list to a seat"),
    "registration.demote": _l("Moved to the waiting list"),
    "registration.status": _l("Registration status changed"),
    "registration.check_in": _l("Checked in"),
    "registration.undo_check_in": _l("Check-in undone"),
    "registration.anonymise": _l("Personal data removed"),
    "registration.update": _l("Registration details changed"),
    "admin.theme.create": _l("Theme added"),
    "admin.theme.update": _l("Theme changed"),
    "admin.theme.delete": _l("Theme removed"),
    "admin.resource.create": _l("Resource added"),
    "admin.resource.update": _l("Resource changed"),
    "admin.resource.delete": _l("Resource removed"),
    "admin.organisation.create": _l("Organisation added"),
    "admin.organisation.update": _l("Organisation changed"),
    "admin.organisation.delete": _l("Organisation removed"),
    "admin.user.create": _l("Account added"),
    "admin.user.update": _l("Account changed"),
}

# Personal details of a registration: a change is logged by field name only.
REDACTED_FIELDS = (
    "name", "email", "organisation", "sector", "municipality", "dietary_needs",
    "accessibility_needs", "interpretation_language", "message",
)  # fmt: skip

_actor: ContextVar[User | None] = ContextVar("audit_actor", default=None)


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
        label=event.title[:300],
        changes=dict(changes or {}),
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def audit_entries(
    *, event_id: int | None = None, action_prefix: str | None = None, limit: int = 200
) -> list[AuditEntry]:
    """The newest entries first, optionally for one event or one kind of action."""
    stmt = select(AuditEntry).options(selectinload(AuditEntry.user))
    if event_id is not None:
        stmt = stmt.where(AuditEntry.event_id == event_id)
    if action_prefix:
        stmt = stmt.where(AuditEntry.action.startswith(action_prefix, autoescape=True))
    stmt = stmt.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(limit)
    return list(db.session.scalars(stmt))


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


def _acting_user_id() -> int | None:
    user = _actor.get()
    if user is None and has_app_context():
        # Flask-Login keeps the request's user in g once loaded (every organiser view loads
        # it); reading g avoids a database query inside the flush.
        user = g.get("_login_user")
    return getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None


def _transition(old: str | None, new: str) -> str:
    if old is None:
        return "registration.create"
    if new == "cancelled":
        return "registration.cancel"
    if old == "waiting" and new == "confirmed":
        return "registration.promote"
    if old == "confirmed" and new == "waiting":
        return "registration.demote"
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
                if changed:
                    found.append(("registration.update", {name: ["…", "…"] for name in changed}))
        for action, changes in found:
            entries.append({"action": action, "event_id": registration.event_id,
                            "registration_id": registration.id, "changes": changes})  # fmt: skip
    return entries


@sa_event.listens_for(Session, "after_flush")
def _log_registration_changes(session: Session, flush_context) -> None:
    """Write the registration changes of this flush to the log, in the same transaction."""
    entries = _registration_entries(session)
    if not entries:
        return
    connection = session.connection()
    titles = dict(
        connection.execute(
            select(Event.id, Event.title).where(Event.id.in_({e["event_id"] for e in entries}))
        ).all()
    )
    user_id = _acting_user_id()
    now = utcnow()
    connection.execute(
        insert(AuditEntry.__table__),
        [{**e, "user_id": user_id, "created_at": now,
          "label": (titles.get(e["event_id"]) or "")[:300]} for e in entries],  # fmt: skip
    )

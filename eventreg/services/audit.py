"""Recording and reading the audit log of events and registrations."""

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Event, User
from ..models.audit import AuditEntry

# A registration's audit entries may name only these fields: status and times, never who.
REGISTRATION_AUDIT_FIELDS = frozenset(
    {"status", "checked_in_at", "checked_in", "cancelled_at", "confirmed_at", "position"}
)


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


def record_registration_change(
    registration_id: int,
    event: Event,
    action: str,
    user: User | None,
    changes: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Log a change to a registration by id. Fields outside REGISTRATION_AUDIT_FIELDS are
    refused, so no personal data (name, email, needs) can reach the log."""
    personal = set(changes or {}) - REGISTRATION_AUDIT_FIELDS
    if personal:
        raise ValueError(f"fields not allowed in the audit log: {sorted(personal)}")
    entry = AuditEntry(
        action=action,
        user_id=user.id if user is not None else None,
        event_id=event.id,
        registration_id=registration_id,
        label=event.title[:300],
        changes={k: json_value(v) for k, v in (changes or {}).items()},
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

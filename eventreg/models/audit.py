"""The audit log: who changed which event or registration, when, and what changed."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow
from .users import User


class AuditEntry(db.Model):
    """One change. Registrations are referred to by id only: names and emails are never
    copied here, so anonymising a registration leaves nothing personal behind in the log.

    event_id and registration_id are plain integers, not foreign keys, so the history of a
    deleted draft survives the draft.
    """

    __table_args__ = (Index("ix_audit_entry_event_created", "event_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # None for changes made by the system or a command without an account.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(50))  # e.g. "event.publish"
    event_id: Mapped[int | None] = mapped_column()
    registration_id: Mapped[int | None] = mapped_column(index=True)
    # What the change was about, readable after the event is gone (e.g. the event's title).
    label: Mapped[str] = mapped_column(String(300), default="")
    # {field: [old, new]} with JSON-friendly values (datetimes as ISO 8601 UTC strings).
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    user: Mapped[User | None] = relationship()

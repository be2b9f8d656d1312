"""Courses: the sessions of an event that meets more than once, and who came to each.

An event without session rows is a single session (itself). An event with sessions is a
course: one registration, one seat, for all its sessions. The event's start_dt and end_dt
stay the span of its sessions (first start, last end), kept so by services.sessions, so
lists, filters, reminders and registration windows work on courses unchanged.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class EventSession(db.Model):
    """One meeting of a course: its time and, when it differs from the event's, its place."""

    __tablename__ = "event_session"
    __table_args__ = (
        CheckConstraint("end_dt > start_dt", name="ends_after_start"),
        # The sessions of these events, in order. Positions are the chronological order
        # (1, 2, 3 …), renumbered by services.sessions; not unique in the database, as a
        # renumbering flush passes through duplicates row by row.
        Index("ix_event_session_event_id", "event_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column()
    start_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    end_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    # Empty: the event's venue and address; None: the event's municipality.
    venue_name: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    municipality: Mapped[str | None] = mapped_column(String(20))  # vocab.MUNICIPALITIES
    note: Mapped[str] = mapped_column(Text, default="", info={"max_length": 500})

    @property
    def has_own_place(self) -> bool:
        return bool(self.venue_name or self.address or self.municipality)

    def __repr__(self) -> str:
        return f"<EventSession {self.event_id}#{self.position} {self.start_dt:%Y-%m-%d %H:%M}>"


class SessionAttendance(db.Model):
    """A registered person checked in at one session of a course."""

    __tablename__ = "session_attendance"
    __table_args__ = (
        UniqueConstraint("registration_id", "session_id"),
        # Attendance per session (the check-in page, the sheet and the statistics).
        Index("ix_session_attendance_session_id", "session_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(ForeignKey("event_session.id", ondelete="CASCADE"))
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""Series of events (a lecture series over a term, a monthly network meeting): a named set
of events with its own public page and feed. An event belongs to at most one series; the
series belongs to one organisation, whose organisers keep it and link their events to it."""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .events import new_public_id
from .organisations import Organisation
from .types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .events import Event


class EventSeries(db.Model):
    __tablename__ = "event_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    # In the public address, like an event's: never changes, whatever the title becomes.
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    slug: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200))
    # Markdown, sanitised on render (as an event's description).
    description: Mapped[str] = mapped_column(Text, default="", info={"max_length": 5_000})
    # The organisation responsible for the series. An organisation is removed only when it
    # has no events, and then its (empty) series go with it.
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship()
    # Deleting a series unlinks its events (the service does, and the foreign key's
    # ON DELETE SET NULL on databases that enforce it); the events stay.
    events: Mapped[list["Event"]] = relationship(
        back_populates="series", order_by="(Event.start_dt, Event.id)", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<EventSeries {self.public_id} {self.title!r}>"

"""Feedback after an event, stored so that no answer can be traced to a person.

Three tables, deliberately unconnected where a connection would name someone:
- FeedbackRound: the event's feedback requests were queued (once per event);
- FeedbackGiven: this registration has answered (what makes answering once-only);
- FeedbackAnswer: an answer, linked to its event only: no registration, no time. Neither
  FeedbackGiven nor FeedbackAnswer has a timestamp, so the two cannot be lined up by when
  they were written either.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow

USEFULNESS = ("yes", "partly", "no")
IMPROVEMENT_AREAS = ("content", "speakers", "practical", "length", "information", "accessibility")


class FeedbackRound(db.Model):
    """One row per event whose feedback requests were queued. Its primary key is the claim:
    of two workers queuing the same event, only one inserts it."""

    __tablename__ = "feedback_round"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recipients: Mapped[int] = mapped_column(default=0)


class FeedbackGiven(db.Model):
    """The registration has answered its event's feedback form. Written in the same
    transaction as the answer; a second answer breaks the primary key."""

    __tablename__ = "feedback_given"

    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), primary_key=True
    )


class FeedbackAnswer(db.Model):
    __tablename__ = "feedback_answer"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        CheckConstraint("usefulness IN ('yes', 'partly', 'no')", name="usefulness_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    rating: Mapped[int] = mapped_column()
    usefulness: Mapped[str] = mapped_column(String(10))  # USEFULNESS
    # What could be better: IMPROVEMENT_AREAS codes, comma-separated ("" for none).
    improvements: Mapped[str] = mapped_column(String(200), default="")
    # Free text, cleared after the retention period (services.feedback.anonymise_feedback).
    comment: Mapped[str] = mapped_column(Text, default="", info={"max_length": 2_000})

    @property
    def improvement_codes(self) -> list[str]:
        return [code for code in self.improvements.split(",") if code]

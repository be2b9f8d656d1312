"""Registrations for events, and the outbox of emails about them."""

import secrets
from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .events import Event
from .statuses import OutboxStatus, RegistrationStatus
from .types import UTCDateTime, utcnow

ACTIVE_STATUSES = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITING)
# Check-in codes are read aloud and typed on a phone: no 0/O, 1/I/L.
CHECK_IN_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CHECK_IN_CODE_LENGTH = 8


def new_nonce() -> str:
    """The per-registration secret inside a signed manage or feed token."""
    return secrets.token_urlsafe(16)


def new_check_in_code() -> str:
    return "".join(secrets.choice(CHECK_IN_ALPHABET) for _ in range(CHECK_IN_CODE_LENGTH))


class Registration(db.Model):
    """One person's place (or waiting-list place) at one event.

    Personal fields are blanked by the anonymisation command after the retention period;
    status, sector, municipality and attendance stay for statistics.
    """

    __table_args__ = (
        CheckConstraint(
            "status IN ('confirmed', 'waiting', 'cancelled')", name="status_known"
        ),
        # One active registration per address and event, guaranteed by the database.
        # Anonymised rows have no address (NULL), and NULLs never collide.
        Index(
            "uq_registration_active_email",
            "event_id",
            "email_normalised",
            unique=True,
            sqlite_where=text("status != 'cancelled'"),
            postgresql_where=text("status != 'cancelled'"),
        ),
        # The waiting list is read in arrival (id) order per event.
        Index("ix_registration_event_status", "event_id", "status", "id"),
        # The follow-up statistics count registrations per event, status, attendance and
        # the registrant's municipality and sector: with every column they read in one index
        # the database counts from the index alone, in order (under a second on 200,000
        # registrations on SQLite, several seconds without; bench/BENCHMARKS.md).
        Index(
            "ix_registration_statistics",
            "event_id", "status", "attended_at", "confirmed_at", "municipality", "sector",
        ),  # fmt: skip
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))  # RegistrationStatus

    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    # Case-folded address: what "the same email" means for duplicates and personal feeds.
    email_normalised: Mapped[str | None] = mapped_column(String(254), index=True)
    organisation: Mapped[str] = mapped_column(String(200), default="")
    sector: Mapped[str] = mapped_column(String(30))  # vocab.SECTORS
    municipality: Mapped[str] = mapped_column(String(20))  # vocab.MUNICIPALITIES
    dietary_needs: Mapped[str] = mapped_column(String(500), default="")
    accessibility_needs: Mapped[str] = mapped_column(String(500), default="")
    interpretation_language: Mapped[str | None] = mapped_column(String(10))  # vocab.LANGUAGES
    message: Mapped[str] = mapped_column(Text, default="")
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locale: Mapped[str] = mapped_column(String(10), default="sv")

    # Secrets inside the signed manage and feed tokens; replacing one revokes its links.
    manage_nonce: Mapped[str | None] = mapped_column(String(64), default=new_nonce)
    feed_nonce: Mapped[str | None] = mapped_column(String(64), default=new_nonce)
    check_in_code: Mapped[str] = mapped_column(
        String(CHECK_IN_CODE_LENGTH), unique=True, default=new_check_in_code
    )

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The alarm the attendee asked for in their calendar files (VALARM), in minutes before
    # the start; None for none.
    calendar_alarm_minutes: Mapped[int | None] = mapped_column()
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship()

    @property
    def is_confirmed(self) -> bool:
        return self.status == RegistrationStatus.CONFIRMED

    @property
    def is_waiting(self) -> bool:
        return self.status == RegistrationStatus.WAITING

    @property
    def is_cancelled(self) -> bool:
        return self.status == RegistrationStatus.CANCELLED

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def __repr__(self) -> str:
        return f"<Registration {self.id} {self.status} event={self.event_id}>"


class OutboxEmail(db.Model):
    """An email written in the same transaction as the change it reports, sent later.

    pending → sending (claimed by one sender) → sent, or back to pending with a later
    next_attempt_at after a temporary failure, or failed after a permanent one. A row left in
    `sending` by a crash becomes `uncertain` and is not sent again on its own: it may have
    reached the person already.

    What to send is recorded when the email is queued (kind, registration, locale, params);
    subject, bodies, calendar file and QR content are filled in when it is first sent (see
    mail.notifications.render), unless it was queued with them.
    """

    __tablename__ = "outbox_email"
    __table_args__ = (Index("ix_outbox_email_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(30))  # confirmation, waiting, promotion, …
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    # Formatted by format_recipient: the address alone to attendees, "Name <address>" else.
    recipient: Mapped[str] = mapped_column(String(500))
    # The attendee's language when queued; the text is rendered in it.
    locale: Mapped[str | None] = mapped_column(String(10))
    # What the text needs beyond the registration and its event (JSON): the waiting-list
    # position when queued, an organiser's message.
    params: Mapped[dict | None] = mapped_column(JSON)
    # NULL until rendered.
    subject: Mapped[str | None] = mapped_column(String(300))
    body_text: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    ics: Mapped[bytes | None] = mapped_column(LargeBinary)
    ics_method: Mapped[str | None] = mapped_column(String(20))
    # What the QR code in the HTML holds (the check-in URL), drawn as PNG when sent.
    qr_content: Mapped[str | None] = mapped_column(String(1000))
    # An email alert's subscription (models.alerts), so unsubscribing can purge its emails.
    alert_subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("alert_subscription.id", ondelete="SET NULL"), index=True
    )
    # Extra headers of the message ({name: value}), e.g. an alert's List-Unsubscribe.
    headers: Mapped[dict | None] = mapped_column(JSON)

    status: Mapped[str] = mapped_column(String(20), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    registration: Mapped[Registration | None] = relationship()

    @property
    def is_rendered(self) -> bool:
        """Whether subject and bodies are filled in (see mail.notifications.render)."""
        return self.body_text is not None

    def __repr__(self) -> str:
        return f"<OutboxEmail {self.id} {self.kind} {self.status}>"


class ScheduledEmail(db.Model):
    """A scheduled email (a reminder, "you did not get a seat", …) that was queued for one
    registration: at most one row per registration and kind, so the unique constraint, not
    Python, guarantees each is queued once however many workers run. The row is written in
    the same transaction as the outbox email it queued.

    `event_start_dt` is the start the email was about: when an event is postponed after a
    reminder went out, the reminder is due again before the new start (see
    services.reminders)."""

    __tablename__ = "scheduled_email"
    __table_args__ = (
        UniqueConstraint("registration_id", "kind", name="uq_scheduled_email_registration_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Looked up through the unique constraint, whose first column it is.
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(30))
    event_start_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outbox_email_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_email.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    registration: Mapped[Registration] = relationship()

    def __repr__(self) -> str:
        return f"<ScheduledEmail {self.kind} registration={self.registration_id}>"

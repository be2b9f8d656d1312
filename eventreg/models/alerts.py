"""Email alerts ("Bevaka"): subscriptions to new events in a theme, a municipality or an
organiser, and the rows that make each alert go once however many workers run."""

import secrets
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .organisations import Organisation
from .themes import Theme
from .types import UTCDateTime, utcnow


class AlertFrequency(StrEnum):
    IMMEDIATE = "immediate"  # one email per new event
    WEEKLY = "weekly"  # one digest per week


def new_alert_nonce() -> str:
    return secrets.token_urlsafe(16)


class AlertSubscription(db.Model):
    """One address following one theme, municipality or organisation.

    Double opt-in: a row is written unconfirmed and sends nothing until the link in its
    confirmation email is used (`confirmed_at`); unconfirmed rows are deleted after
    ALERT_CONFIRM_DAYS. Unsubscribing blanks the address and the nonce (the links stop
    working) and keeps the row, so its unique delivery rows still say what was sent.

    `target_key` ("theme:3", "municipality:halmstad", "organisation:5") names the one target
    in one column, so the unique constraint keeps one live row per address and target; an
    unsubscribed row has no address and never collides."""

    __tablename__ = "alert_subscription"
    __table_args__ = (
        UniqueConstraint("email_normalised", "target_key", name="uq_alert_subscription_target"),
        CheckConstraint(
            "(CASE WHEN theme_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN organisation_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN municipality IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_target",
        ),
        CheckConstraint("frequency IN ('immediate', 'weekly')", name="known_frequency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL once unsubscribed.
    email: Mapped[str | None] = mapped_column(String(254))
    email_normalised: Mapped[str | None] = mapped_column(String(254))
    locale: Mapped[str] = mapped_column(String(10))
    frequency: Mapped[str] = mapped_column(String(10))
    theme_id: Mapped[int | None] = mapped_column(
        ForeignKey("theme.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    municipality: Mapped[str | None] = mapped_column(String(20))  # vocab.MUNICIPALITIES
    target_key: Mapped[str] = mapped_column(String(60))
    # In the signed links; NULL once unsubscribed, which revokes them.
    nonce: Mapped[str | None] = mapped_column(String(32), default=new_alert_nonce)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    theme: Mapped[Theme | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()

    @property
    def is_active(self) -> bool:
        """Confirmed and not unsubscribed: alerts go to it."""
        return self.confirmed_at is not None and self.unsubscribed_at is None

    def __repr__(self) -> str:
        return f"<AlertSubscription {self.id} {self.target_key} {self.frequency}>"


class AlertDelivery(db.Model):
    """An event a subscription has been told about (or that was already public when it was
    confirmed: `outbox_email_id` NULL). Unique per (subscription, event): the constraint,
    not Python, makes each event go once to each subscriber."""

    __tablename__ = "alert_delivery"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id", name="uq_alert_delivery_event"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("alert_subscription.id", ondelete="CASCADE")
    )
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    outbox_email_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_email.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AlertDigest(db.Model):
    """The weekly digest of one ISO week ("2026-W48") for one subscription: unique, so it
    is written once; a week without news has a row and no email."""

    __tablename__ = "alert_digest"
    __table_args__ = (UniqueConstraint("subscription_id", "week", name="uq_alert_digest_week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("alert_subscription.id", ondelete="CASCADE")
    )
    week: Mapped[str] = mapped_column(String(8))
    outbox_email_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_email.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

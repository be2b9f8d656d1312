"""Email alerts ("Bevaka"): anyone follows new events in a theme, a municipality or an
organisation, without an account.

- Double opt-in: `subscribe` writes an unconfirmed subscription and emails a signed link;
  nothing else is sent until `confirm`. Unconfirmed ones are deleted after
  ALERT_CONFIRM_DAYS (`delete_expired`). The answer to the form is the same whether the
  address is new, waiting for confirmation or already subscribed: the emails say the rest.
- What is "new": an event published (and still ahead) that the subscription has not been
  told about. Confirming records the events already public then as known, so a new
  subscriber is not sent the whole list; drafts and cancelled events are never sent.
- Sending (the worker): `queue_immediate` writes one email per new event, `queue_weekly`
  one digest per ISO week. Each takes a subscription's row (`FOR UPDATE SKIP LOCKED` on
  PostgreSQL, so two workers take different ones) and writes a unique row per (subscription,
  event) or (subscription, week) with the email, so nothing goes twice even when the
  locks are absent (SQLite): the constraint refuses the second.
- `unsubscribe` blanks the address, revokes the links and purges the subscription's emails
  from the outbox, sent or not.

Functions add and flush; the caller (view, worker) commits, except the queueing jobs,
which commit per subscription.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from .. import vocab
from ..extensions import db
from ..mail import alerts as alert_emails
from ..models import (
    AlertDelivery,
    AlertDigest,
    AlertFrequency,
    AlertSubscription,
    Event,
    EventStatus,
    Organisation,
    OutboxEmail,
    OutboxStatus,
    Theme,
    event_co_organiser,
    event_theme,
    utcnow,
)
from ..models.users import normalise_email
from ..text import contains_line_break
from ..tokens import ALERT_UNSUBSCRIBE_SALT, read_alert_confirm_token, read_token
from .errors import RuleError

LOCAL_TIME = ZoneInfo(vocab.TIMEZONE)
# The weekly digest of a week goes out from this hour on the Monday after (Stockholm time).
DIGEST_HOUR = 8
ALERT_EMAIL_WINDOW = timedelta(hours=1)
FREQUENCIES = frozenset(frequency.value for frequency in AlertFrequency)


@dataclass(frozen=True)
class AlertTarget:
    """What a subscription follows: exactly one of a theme, an organisation, a municipality
    (a code of vocab.MUNICIPALITIES)."""

    theme: Theme | None = None
    organisation: Organisation | None = None
    municipality: str | None = None

    @property
    def key(self) -> str:
        if self.theme is not None:
            return f"theme:{self.theme.id}"
        if self.organisation is not None:
            return f"organisation:{self.organisation.id}"
        return f"municipality:{self.municipality}"

    @property
    def name(self) -> str:
        if self.theme is not None:
            return self.theme.name
        if self.organisation is not None:
            return self.organisation.name
        return str(vocab.MUNICIPALITIES[self.municipality])

    @property
    def query_args(self) -> dict[str, str]:
        """The arguments of the subscribe page's address, like the event list's filters."""
        if self.theme is not None:
            return {"tema": self.theme.slug}
        if self.organisation is not None:
            return {"arrangor": self.organisation.slug}
        return {"kommun": self.municipality or ""}


def find_target(
    tema: str | None = None, kommun: str | None = None, arrangor: str | None = None
) -> AlertTarget | None:
    """The target the subscribe page's arguments name, or None when they name none, an
    unknown one or more than one."""
    given = [value for value in (tema, kommun, arrangor) if value]
    if len(given) != 1:
        return None
    if tema:
        theme = db.session.scalar(select(Theme).where(Theme.slug == tema))
        return AlertTarget(theme=theme) if theme else None
    if arrangor:
        organisation = db.session.scalar(select(Organisation).where(Organisation.slug == arrangor))
        return AlertTarget(organisation=organisation) if organisation else None
    return AlertTarget(municipality=kommun) if kommun in vocab.MUNICIPALITIES else None


class UnsafeAddress(RuleError):
    """An address with a line break, which could add headers to an email."""


def _alert_emails_sent(normalised: str, now: datetime) -> int:
    """Confirmation emails the form made us send to this address in the last hour."""
    return db.session.scalar(
        select(func.count(OutboxEmail.id))
        .join(AlertSubscription, AlertSubscription.id == OutboxEmail.alert_subscription_id)
        .where(
            AlertSubscription.email_normalised == normalised,
            OutboxEmail.kind == alert_emails.CONFIRM_KIND,
            OutboxEmail.created_at > now - ALERT_EMAIL_WINDOW,
        )
    )


def subscribe(
    email: str, target: AlertTarget, frequency: str, locale: str, now: datetime | None = None
) -> None:
    """Ask for alerts: write (or find) the address's subscription to `target` and email it
    a link that confirms `frequency`. Returns nothing: what happened is for the mailbox to
    know. An address that has had VISITOR_EMAILS_PER_ADDRESS_PER_HOUR confirmation emails
    in the last hour gets no more (the answer stays the same). A concurrent request for the
    same address and target raises IntegrityError at the flush: the caller answers the same.
    """
    now = now or utcnow()
    if contains_line_break(email):
        raise UnsafeAddress("line break in an address", field="email")
    frequency = AlertFrequency(frequency)
    normalised = normalise_email(email)
    subscription = db.session.scalar(
        select(AlertSubscription)
        .where(
            AlertSubscription.email_normalised == normalised,
            AlertSubscription.target_key == target.key,
        )
        .with_for_update()
    )
    if subscription is None:
        subscription = AlertSubscription(
            email=email.strip(),
            email_normalised=normalised,
            locale=locale,
            frequency=frequency,
            theme=target.theme,
            organisation=target.organisation,
            municipality=target.municipality,
            target_key=target.key,
            created_at=now,
        )
        db.session.add(subscription)
        db.session.flush()
    elif subscription.confirmed_at is None:
        # Asked again before confirming: the latest choice and language count.
        subscription.frequency = frequency
        subscription.locale = locale
    limit = current_app.config["VISITOR_EMAILS_PER_ADDRESS_PER_HOUR"]
    if _alert_emails_sent(normalised, now) >= limit:
        return
    alert_emails.queue_confirmation(subscription, frequency)


def _is_expired(subscription: AlertSubscription, now: datetime) -> bool:
    cutoff = now - timedelta(days=current_app.config["ALERT_CONFIRM_DAYS"])
    return subscription.confirmed_at is None and subscription.created_at < cutoff


def subscription_from_confirm_token(
    token: str, now: datetime | None = None
) -> tuple[AlertSubscription, str] | None:
    """(subscription, frequency asked for) from a confirmation link, or None when the link
    is tampered with, revoked (unsubscribed) or expired (not confirmed in time)."""
    now = now or utcnow()
    parsed = read_alert_confirm_token(token)
    if parsed is None:
        return None
    subscription_id, nonce, frequency = parsed
    subscription = db.session.get(AlertSubscription, subscription_id)
    if (
        subscription is None
        or subscription.nonce is None
        or subscription.nonce != nonce
        or frequency not in FREQUENCIES
        or _is_expired(subscription, now)
    ):
        return None
    return subscription, frequency


def confirm(subscription: AlertSubscription, frequency: str, now: datetime | None = None) -> None:
    """Confirm the subscription (again: harmless) with `frequency`. The first time, the
    events already public become known, so only events published after this are sent."""
    now = now or utcnow()
    subscription.frequency = AlertFrequency(frequency)
    if subscription.frequency == AlertFrequency.WEEKLY:
        _skip_digest_due(subscription, now)
    if subscription.confirmed_at is None:
        subscription.confirmed_at = now
        known = _new_events(subscription, now).with_only_columns(Event.id)
        for event_id in db.session.scalars(known):
            db.session.add(AlertDelivery(subscription_id=subscription.id, event_id=event_id,
                                         created_at=now))  # fmt: skip
    db.session.flush()


def _skip_digest_due(subscription: AlertSubscription, now: datetime) -> None:
    """The first digest is the one after the week now under way: the digest due now would
    be about the week before the subscriber asked."""
    week = digest_week(now)
    done = exists().where(AlertDigest.subscription_id == subscription.id, AlertDigest.week == week)
    if db.session.scalar(select(done)):
        return
    try:
        with db.session.begin_nested():
            db.session.add(AlertDigest(subscription_id=subscription.id, week=week, created_at=now))
    except IntegrityError:
        pass  # a worker wrote that week's digest row meanwhile: the same effect


def subscription_from_unsubscribe_token(token: str) -> AlertSubscription | None:
    """The subscription an unsubscribe link names, or None for a tampered or unknown one.
    One already unsubscribed is returned too (its page says so; a second POST is fine)."""
    parsed = read_token(token, ALERT_UNSUBSCRIBE_SALT)
    if parsed is None:
        return None
    subscription_id, nonce = parsed
    subscription = db.session.scalar(
        select(AlertSubscription).where(AlertSubscription.id == subscription_id).with_for_update()
    )
    if subscription is None or subscription.confirmed_at is None:
        return None
    if subscription.unsubscribed_at is None and subscription.nonce != nonce:
        return None
    return subscription


def unsubscribe(subscription: AlertSubscription, now: datetime | None = None) -> list[int]:
    """Stop the alerts: the address is blanked, the links revoked and the subscription's
    emails purged from the outbox (queued ones are then never sent). Returns the ids of the
    emails purged, so the caller can remove copies written to the outbox folder."""
    now = now or utcnow()
    if subscription.unsubscribed_at is None:
        subscription.unsubscribed_at = now
    subscription.email = None
    subscription.email_normalised = None
    subscription.nonce = None
    db.session.flush()
    return _purge_emails(subscription)


def _purge_emails(subscription: AlertSubscription) -> list[int]:
    purged = []
    for email in db.session.scalars(
        select(OutboxEmail).where(
            OutboxEmail.alert_subscription_id == subscription.id,
            OutboxEmail.status != OutboxStatus.PURGED,
        )
    ):
        email.recipient = ""
        email.subject = ""
        email.body_text = ""
        email.body_html = ""
        email.headers = None
        email.last_error = ""
        email.status = OutboxStatus.PURGED
        purged.append(email.id)
    db.session.flush()
    return purged


def delete_expired(now: datetime | None = None) -> tuple[int, list[int]]:
    """Delete subscriptions never confirmed within ALERT_CONFIRM_DAYS and purge their
    confirmation emails. Returns how many, and the ids of the emails purged."""
    now = now or utcnow()
    cutoff = now - timedelta(days=current_app.config["ALERT_CONFIRM_DAYS"])
    expired = list(
        db.session.scalars(
            select(AlertSubscription)
            .where(AlertSubscription.confirmed_at.is_(None), AlertSubscription.created_at < cutoff)
            .with_for_update(skip_locked=True)
        )
    )
    purged: list[int] = []
    for subscription in expired:
        purged += _purge_emails(subscription)
        db.session.delete(subscription)
    db.session.flush()
    return len(expired), purged


def _matches(subscription_table) -> object:
    """SQL: the event in the query matches the subscription's target."""
    sub = subscription_table
    return or_(
        and_(
            sub.theme_id.is_not(None),
            exists().where(
                event_theme.c.event_id == Event.id, event_theme.c.theme_id == sub.theme_id
            ),
        ),
        and_(sub.organisation_id.is_not(None), or_(
            Event.organisation_id == sub.organisation_id,
            # An organisation's events include those it co-organises (as its list does).
            exists().where(event_co_organiser.c.event_id == Event.id,
                           event_co_organiser.c.organisation_id == sub.organisation_id),
        )),  # fmt: skip
        and_(sub.municipality.is_not(None), Event.municipality == sub.municipality),
    )


def _unsent(subscription_id) -> object:
    return ~exists().where(
        AlertDelivery.subscription_id == subscription_id, AlertDelivery.event_id == Event.id
    )


def _new_events(subscription: AlertSubscription, now: datetime):
    """Published events ahead that match the subscription and it has not been told of."""
    return (
        select(Event)
        .where(
            Event.status == EventStatus.PUBLISHED,
            Event.start_dt > now,
            _unsent(subscription.id),
            _matches(AlertSubscription),
            AlertSubscription.id == subscription.id,
        )
        .order_by(Event.start_dt, Event.id)
    )


def _active(frequency: AlertFrequency):
    return and_(
        AlertSubscription.frequency == frequency,
        AlertSubscription.confirmed_at.is_not(None),
        AlertSubscription.unsubscribed_at.is_(None),
    )


def _take(subscription_id: int, frequency: AlertFrequency) -> AlertSubscription | None:
    """The subscription's row, locked for this transaction if still active with this
    frequency; None when another worker holds it (PostgreSQL) or it changed meanwhile."""
    return db.session.scalar(
        select(AlertSubscription)
        .where(AlertSubscription.id == subscription_id, _active(frequency))
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )


def queue_immediate(now: datetime | None = None) -> int:
    """One email per new event to each confirmed "immediate" subscription; commits per
    subscription. Returns how many emails were queued."""
    now = now or utcnow()
    due = select(AlertSubscription.id).where(
        _active(AlertFrequency.IMMEDIATE),
        exists().where(
            Event.status == EventStatus.PUBLISHED,
            Event.start_dt > now,
            _unsent(AlertSubscription.id),
            _matches(AlertSubscription),
        ),
    )
    queued = 0
    for subscription_id in list(db.session.scalars(due.order_by(AlertSubscription.id))):
        db.session.commit()  # ends the read: each subscription in a transaction of its own
        try:
            count = queue_immediate_for(subscription_id, now)
            db.session.commit()
            queued += count
        except IntegrityError:
            # Another worker wrote these alerts first (SQLite, where rows are not locked).
            db.session.rollback()
    db.session.commit()
    return queued


def queue_immediate_for(subscription_id: int, now: datetime) -> int:
    """Take one "immediate" subscription and queue an email per new event, each with its
    unique delivery row (flushed, not committed). Returns how many; 0 when another worker
    holds the subscription."""
    subscription = _take(subscription_id, AlertFrequency.IMMEDIATE)
    if subscription is None:
        return 0
    count = 0
    for event in db.session.scalars(_new_events(subscription, now)).all():
        email = alert_emails.queue_event_alert(subscription, event)
        db.session.add(AlertDelivery(subscription_id=subscription.id, event_id=event.id,
                                     outbox_email_id=email.id, created_at=now))  # fmt: skip
        db.session.flush()
        count += 1
    return count


def digest_week(now: datetime) -> str:
    """The ISO week ("2026-W48") whose digest is due at `now`: the week before the current
    one in Stockholm, from DIGEST_HOUR on its Monday."""
    local = now.astimezone(LOCAL_TIME) - timedelta(hours=DIGEST_HOUR)
    year, week, _day = (local.date() - timedelta(days=7)).isocalendar()
    return f"{year}-W{week:02d}"


def queue_weekly(now: datetime | None = None) -> int:
    """The digest of the week just ended to each confirmed "weekly" subscription that has
    not had it (a week without news is recorded and sends nothing); commits per
    subscription. Returns how many digests were queued."""
    now = now or utcnow()
    week = digest_week(now)
    due = select(AlertSubscription.id).where(
        _active(AlertFrequency.WEEKLY),
        ~exists().where(
            AlertDigest.subscription_id == AlertSubscription.id, AlertDigest.week == week
        ),
    )
    queued = 0
    for subscription_id in list(db.session.scalars(due.order_by(AlertSubscription.id))):
        db.session.commit()
        try:
            subscription = _take(subscription_id, AlertFrequency.WEEKLY)
            if subscription is None:
                continue
            digest = AlertDigest(subscription_id=subscription.id, week=week, created_at=now)
            db.session.add(digest)
            db.session.flush()  # the unique row first: a second worker stops here
            events = db.session.scalars(_new_events(subscription, now)).all()
            if events:
                email = alert_emails.queue_digest(subscription, events)
                digest.outbox_email_id = email.id
                for event in events:
                    db.session.add(AlertDelivery(subscription_id=subscription.id,
                                                 event_id=event.id, outbox_email_id=email.id,
                                                 created_at=now))  # fmt: skip
                db.session.flush()
            db.session.commit()
            queued += bool(events)
        except IntegrityError:
            db.session.rollback()
    db.session.commit()
    return queued

"""The status values of events, registrations and outbox emails, one enum each.

StrEnums: each member is the very string stored in the database and compared in templates
(`RegistrationStatus.WAITING == "waiting"`), so columns, CHECK constraints and templates keep
their plain strings while the code names a status it cannot misspell."""

from enum import StrEnum


class EventStatus(StrEnum):
    """Event.status (words for people: vocab.EVENT_STATUSES)."""

    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class RegistrationStatus(StrEnum):
    """Registration.status (words for people: vocab.REGISTRATION_STATUSES)."""

    CONFIRMED = "confirmed"
    WAITING = "waiting"
    CANCELLED = "cancelled"


class OutboxStatus(StrEnum):
    """OutboxEmail.status: where an email is on its way out (see mail/sender.py)."""

    PENDING = "pending"
    SENDING = "sending"  # claimed by a sender
    SENT = "sent"
    FAILED = "failed"
    UNCERTAIN = "uncertain"  # the sender stopped mid-send: it may have arrived
    PURGED = "purged"  # the personal data was removed before it was sent
    # A scheduled email (a reminder) that was no longer true when its turn came (the
    # registration or the event cancelled meanwhile): never sent.
    WITHDRAWN = "withdrawn"


class RegistrationState(StrEnum):
    """Whether an event takes registrations at a given moment (Event.registration_state)."""

    UNAVAILABLE = "unavailable"  # not published (a draft, or cancelled)
    NOT_OPEN = "not_open"  # registration opens later
    OPEN = "open"
    CLOSED = "closed"
    NONE = "none"  # no registration: just come
    EXTERNAL = "external"  # registration on another website


# Events the public has seen: a cancelled event stays listed (and counted) so people who
# planned to come find out.
PUBLIC_EVENT_STATUSES = (EventStatus.PUBLISHED, EventStatus.CANCELLED)

"""The data model. Import models from here."""

from .audit import AuditEntry
from .events import ATTENDEE_VISIBLE_FIELDS, Event, EventLanguage, Speaker, event_theme
from .organisations import Organisation
from .registrations import OutboxEmail, Registration
from .themes import Resource, Theme
from .types import UTCDateTime, utcnow
from .users import Membership, User

__all__ = [
    "ATTENDEE_VISIBLE_FIELDS",
    "AuditEntry",
    "Event",
    "EventLanguage",
    "Membership",
    "Organisation",
    "OutboxEmail",
    "Registration",
    "Resource",
    "Speaker",
    "Theme",
    "UTCDateTime",
    "User",
    "event_theme",
    "utcnow",
]

"""The data model. Import models from here."""

from .events import ATTENDEE_VISIBLE_FIELDS, Event, EventLanguage, Speaker, event_theme
from .organisations import Organisation
from .themes import Resource, Theme
from .types import UTCDateTime, utcnow

__all__ = [
    "ATTENDEE_VISIBLE_FIELDS",
    "Event",
    "EventLanguage",
    "Organisation",
    "Resource",
    "Speaker",
    "Theme",
    "UTCDateTime",
    "event_theme",
    "utcnow",
]

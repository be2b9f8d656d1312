"""The data model. Import models from here."""

from .alerts import AlertDelivery, AlertDigest, AlertFrequency, AlertSubscription
from .audit import AuditEntry
from .co_organisers import event_co_organiser
from .data_version import DataVersion
from .embedding import EmbedOrigin
from .events import ATTENDEE_VISIBLE_FIELDS, Event, EventLanguage, Speaker, event_theme
from .feedback import FeedbackAnswer, FeedbackGiven, FeedbackRound
from .materials import EventMaterial
from .organisations import Organisation
from .questions import RegistrationAnswer, RegistrationQuestion
from .registrations import OutboxEmail, Registration, ScheduledEmail
from .series import EventSeries
from .sessions import EventSession, SessionAttendance
from .statuses import (
    PUBLIC_EVENT_STATUSES,
    EventStatus,
    OutboxStatus,
    RegistrationState,
    RegistrationStatus,
)
from .target_groups import TargetGroup, event_target_group
from .themes import Resource, Theme
from .translations import ContentLanguage, EventTranslation
from .types import UTCDateTime, utcnow
from .users import Membership, User

__all__ = [
    "ATTENDEE_VISIBLE_FIELDS",
    "AlertDelivery",
    "AlertDigest",
    "AlertFrequency",
    "AlertSubscription",
    "AuditEntry",
    "ContentLanguage",
    "DataVersion",
    "EmbedOrigin",
    "Event",
    "EventLanguage",
    "EventMaterial",
    "EventSeries",
    "EventSession",
    "EventStatus",
    "EventTranslation",
    "FeedbackAnswer",
    "FeedbackGiven",
    "FeedbackRound",
    "Membership",
    "Organisation",
    "OutboxEmail",
    "OutboxStatus",
    "Registration",
    "RegistrationAnswer",
    "RegistrationQuestion",
    "RegistrationState",
    "RegistrationStatus",
    "PUBLIC_EVENT_STATUSES",
    "Resource",
    "ScheduledEmail",
    "SessionAttendance",
    "Speaker",
    "TargetGroup",
    "Theme",
    "UTCDateTime",
    "User",
    "event_co_organiser",
    "event_target_group",
    "event_theme",
    "utcnow",
]

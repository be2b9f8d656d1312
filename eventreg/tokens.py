"""Signed tokens in the links attendees get: the manage link and the personal calendar feed.

Signing and reading only; which registration a token names is looked up by the registration
service. Kept apart so that the emails (which write the links) and the service (which reads
them) share it without importing each other.
"""

from typing import TYPE_CHECKING

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

if TYPE_CHECKING:
    from .models import AlertSubscription, Registration

MANAGE_SALT = "eventreg.registration.manage"
FEED_SALT = "eventreg.registration.feed"
FEEDBACK_SALT = "eventreg.registration.feedback"
ALERT_CONFIRM_SALT = "eventreg.alert.confirm"
ALERT_UNSUBSCRIBE_SALT = "eventreg.alert.unsubscribe"


def _serializer(salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=salt)


def manage_token(registration: "Registration") -> str:
    """The secret in the manage link: signed, and tied to the registration's own nonce."""
    return _serializer(MANAGE_SALT).dumps([registration.id, registration.manage_nonce])


def feed_token(registration: "Registration") -> str:
    """The secret in the personal calendar feed link. It lets someone read the calendar,
    never change the registration: a different salt and nonce than the manage token."""
    return _serializer(FEED_SALT).dumps([registration.id, registration.feed_nonce])


def feedback_token(registration: "Registration") -> str:
    """The secret in the feedback link: names the registration (so it answers once) and its
    event. A salt of its own, so it opens the feedback form and nothing else."""
    return _serializer(FEEDBACK_SALT).dumps([registration.id, registration.event.public_id])


def read_token(token: str, salt: str) -> tuple[int, str] | None:
    """(registration id, nonce) from a token signed with `salt`, or None for a wrong or
    tampered one. Whether the nonce is still the registration's is for the caller to check."""
    try:
        registration_id, nonce = _serializer(salt).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(registration_id, int) or not isinstance(nonce, str):
        return None
    return registration_id, nonce


def alert_confirm_token(subscription: "AlertSubscription", frequency: str) -> str:
    """The secret in an email alert's confirmation link: the subscription, its nonce and
    the frequency asked for (a second sign-up may change it, once confirmed)."""
    return _serializer(ALERT_CONFIRM_SALT).dumps([subscription.id, subscription.nonce, frequency])


def read_alert_confirm_token(token: str) -> tuple[int, str, str] | None:
    """(subscription id, nonce, frequency) from a confirmation token, or None."""
    try:
        subscription_id, nonce, frequency = _serializer(ALERT_CONFIRM_SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not (isinstance(subscription_id, int) and isinstance(nonce, str)
            and isinstance(frequency, str)):  # fmt: skip
        return None
    return subscription_id, nonce, frequency


def alert_unsubscribe_token(subscription: "AlertSubscription") -> str:
    """The secret in an alert's unsubscribe link (read with `read_token`)."""
    return _serializer(ALERT_UNSUBSCRIBE_SALT).dumps([subscription.id, subscription.nonce])

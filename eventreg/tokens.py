"""Signed tokens in the links attendees get: the manage link and the personal calendar feed.

Signing and reading only; which registration a token names is looked up by the registration
service. Kept apart so that the emails (which write the links) and the service (which reads
them) share it without importing each other.
"""

from typing import TYPE_CHECKING

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

if TYPE_CHECKING:
    from .models import Registration

MANAGE_SALT = "eventreg.registration.manage"
FEED_SALT = "eventreg.registration.feed"


def _serializer(salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=salt)


def manage_token(registration: "Registration") -> str:
    """The secret in the manage link: signed, and tied to the registration's own nonce."""
    return _serializer(MANAGE_SALT).dumps([registration.id, registration.manage_nonce])


def feed_token(registration: "Registration") -> str:
    """The secret in the personal calendar feed link. It lets someone read the calendar,
    never change the registration: a different salt and nonce than the manage token."""
    return _serializer(FEED_SALT).dumps([registration.id, registration.feed_nonce])


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

"""Logging in: Flask-Login and the login rate limit, bound to the app."""

import hashlib
import hmac
import os
from urllib.parse import urlsplit

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from ..extensions import db, limiter, login_manager
from ..models import User, utcnow
from ..models.users import _DUMMY_HASH, check_dummy_password, normalise_email


def init_app(app: Flask) -> None:
    # Memory storage suits one process; several workers share limits through e.g.
    # RATELIMIT_STORAGE_URI=redis://localhost:6379.
    app.config.setdefault(
        "RATELIMIT_STORAGE_URI", os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    )
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # Tests log in many times from one address, so they get a generous limit; the test of
    # the limit itself sets a small one.
    app.config.setdefault(
        "LOGIN_RATE_LIMIT", "1000 per minute" if app.testing else "10 per minute; 50 per hour"
    )
    app.config.setdefault("PASSWORD_RESET_MAX_AGE", 3600)  # seconds a reset link is valid
    limiter.init_app(app)

    login_manager.init_app(app)
    login_manager.login_view = "organiser.login"
    login_manager.login_message = _l("Log in to see this page.")
    login_manager.login_message_category = "info"
    # A session cookie used from another browser or address is dropped, not trusted.
    login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


def is_safe_next_url(target: str | None) -> bool:
    """Only a path on this site may follow a login: never another host (open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(c) < 32 for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None.

    An unknown email costs the same password-hash work as a wrong password, and the caller
    shows one message for both, so a login attempt does not reveal who has an account.
    """
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        check_dummy_password(password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    user.last_login_at = utcnow()
    return user


def create_user(
    email: str, name: str, password: str, *, is_admin: bool = False, active: bool = True
) -> User:
    """A new account (caller commits); the email must not be taken."""
    user = User(email=normalise_email(email), name=name.strip(), is_admin=is_admin, active=active)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


RESET_SALT = "eventreg.organiser.password-reset"


def _password_fingerprint(user: User) -> str:
    """Changes whenever the password does, so a reset link works once; the token shows only
    this digest, never the hash itself (the token is signed, not encrypted)."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def password_reset_token(user: User) -> str:
    serializer = URLSafeTimedSerializer(current_app.secret_key, salt=RESET_SALT)
    return serializer.dumps([user.id, _password_fingerprint(user)])


def user_from_reset_token(token: str) -> User | None:
    """The active user a valid, unexpired, unused reset token is for; else None."""
    serializer = URLSafeTimedSerializer(current_app.secret_key, salt=RESET_SALT)
    try:
        user_id, fingerprint = serializer.loads(
            token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"]
        )
    except (BadSignature, ValueError, TypeError):
        return None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.active or not isinstance(fingerprint, str):
        return None
    if not hmac.compare_digest(_password_fingerprint(user), fingerprint):
        return None
    return user


def request_password_reset(email: str) -> None:
    """Queue a reset link if an active account has this email. The caller answers the same
    whatever happened, and an unknown email costs about the same work (a token is made and
    an email rendered either way), so the form does not reveal who has an account."""
    from .notifications import queue_password_reset, render_password_reset

    user = get_user_by_email(email)
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    if user is None or not user.active:
        stand_in = User(id=0, email="nobody@example.invalid", name="", password_hash=_DUMMY_HASH)
        render_password_reset(stand_in, password_reset_token(stand_in), minutes)
        return
    queue_password_reset(user, password_reset_token(user), minutes)


def reset_password(user: User, new_password: str) -> None:
    user.set_password(new_password)
    db.session.flush()

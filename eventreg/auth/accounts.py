"""Organiser and administrator accounts: checking a login, creating an account, password
strength, and the signed links to choose a new password (a reset or a new account's
invitation). Functions flush; the view or command commits."""

import hashlib
import hmac
from urllib.parse import urlsplit

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from zxcvbn import zxcvbn

from ..extensions import db
from ..models import User, utcnow
from ..models.users import DUMMY_PASSWORD_HASH, check_dummy_password, normalise_email
from . import notifications


def account_limit_key() -> str:
    """Rate-limit key of the account a login form names: the normalised email, hashed so
    the limiter's storage holds no addresses."""
    email = normalise_email(request.form.get("email", ""))
    return hashlib.sha256(email.encode()).hexdigest()


# zxcvbn's score from 0 (guessable in a few tries) to 4; 3 resists an offline attack on a
# stolen hash for a long time. Only the first 100 characters are scored (zxcvbn slows down
# on long input, and such a password is long enough).
MIN_PASSWORD_SCORE = 3


def is_strong_password(password: str, user_inputs: list[str] | tuple[str, ...] = ()) -> bool:
    """Whether an organiser's or administrator's password is hard to guess: not a common
    password, word, name, date or keyboard pattern, nor built from the user's own name or
    email (user_inputs)."""
    inputs = [part for value in user_inputs if value for part in _words(value)]
    return zxcvbn(password[:100], user_inputs=inputs)["score"] >= MIN_PASSWORD_SCORE


def _words(value: str) -> list[str]:
    parts = value.lower().replace("@", " ").replace(".", " ").split()
    return [value.lower(), *parts]


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


# A new account's invitation is a reset link (the same page, used once) that lives longer;
# its own salt keeps a reset link from being read with the invitation's longer lifetime.
INVITATION_SALT = "eventreg.organiser.invitation"
TOKEN_LIFETIMES = {RESET_SALT: "PASSWORD_RESET_MAX_AGE", INVITATION_SALT: "INVITATION_MAX_AGE"}


def password_reset_token(user: User, salt: str = RESET_SALT) -> str:
    serializer = URLSafeTimedSerializer(current_app.secret_key, salt=salt)
    return serializer.dumps([user.id, _password_fingerprint(user)])


def invitation_token(user: User) -> str:
    """The link in a new account's invitation to choose its own password."""
    return password_reset_token(user, INVITATION_SALT)


def _signed_user(token: str):
    for salt, lifetime in TOKEN_LIFETIMES.items():
        serializer = URLSafeTimedSerializer(current_app.secret_key, salt=salt)
        try:
            return serializer.loads(token, max_age=current_app.config[lifetime])
        except (BadSignature, ValueError, TypeError):
            continue
    raise BadSignature("no valid reset or invitation token")


def user_from_reset_token(token: str) -> User | None:
    """The active user a valid, unexpired, unused reset (or invitation) token is for; else
    None."""
    try:
        user_id, fingerprint = _signed_user(token)
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
    whatever happened, and an unknown email costs the same work, so neither the page nor
    its timing reveals who has an account: a token is made and an email rendered, written
    to the outbox and flushed either way; for an unknown email that write is then taken
    back (a rolled-back savepoint), so nothing is sent."""
    user = get_user_by_email(email)
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    known = user is not None and user.active
    if not known:
        user = User(
            id=0, email="nobody@example.invalid", name="", password_hash=DUMMY_PASSWORD_HASH
        )
    savepoint = db.session.begin_nested()
    notifications.queue_password_reset(user, password_reset_token(user), minutes)
    if known:
        savepoint.commit()
    else:
        savepoint.rollback()


def invite(user: User) -> None:
    """Queue a new account's invitation: a link to choose its own password."""
    days = current_app.config["INVITATION_MAX_AGE"] // (24 * 3600)
    notifications.queue_invitation(user, invitation_token(user), days)


def reset_password(user: User, new_password: str) -> None:
    user.set_password(new_password)
    db.session.flush()

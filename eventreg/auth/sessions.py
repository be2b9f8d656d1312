"""Who is logged in: Flask-Login and the login rate limiter bound to the app, the session's
idle and absolute timeouts, and logging out."""

import time

from flask import Flask, current_app, g, session
from flask_babel import lazy_gettext as _l
from flask_login import logout_user, user_logged_in

from ..extensions import db, limiter, login_manager
from ..models import User
from ..services import audit


def init_app(app: Flask) -> None:
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Log in to see this page.")
    login_manager.login_message_category = "info"
    # A session cookie used from another browser or address is dropped, not trusted.
    login_manager.session_protection = "strong"
    user_logged_in.connect(_stamp_new_session, app)
    app.before_request(_end_expired_session)


# Set on g by serve_as_visitor: the request's user, if not looked up yet, is not looked up.
AS_VISITOR_KEY = "eventreg_as_visitor"


def serve_as_visitor() -> None:
    """The rest of this request shows nothing of the login (an error page), so the logged-in
    user is not loaded from the database for it: otherwise Flask-Login's template context
    would ask the database for the user on the page that says the database is not answering.
    A user the request has loaded already stays loaded."""
    g.setdefault(AS_VISITOR_KEY, True)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The user of a session that is still valid: the account is active and its session
    version is the one the session began with (User.get_id), so logging out, a new password
    or deactivation ends every older session on the server, whoever kept a copy."""
    if g.get(AS_VISITOR_KEY):
        return None  # this response is an anonymous one (and the session stays as it is)
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None  # also a session from before session versions
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    audit.remember_request_user(user)
    return user


# When the session began and when it was last used (seconds since the epoch), kept in the
# signed session cookie beside Flask-Login's user id.
SESSION_STARTED_KEY = "_login_started"
SESSION_SEEN_KEY = "_login_seen"


def _stamp_new_session(app: Flask, user: User, **extra) -> None:
    session[SESSION_STARTED_KEY] = session[SESSION_SEEN_KEY] = int(time.time())
    audit.remember_request_user(user)  # logging in loads no user: this request acts as them


def _end_expired_session() -> None:
    """Log out a session idle for longer than SESSION_IDLE_TIMEOUT or older than
    SESSION_ABSOLUTE_TIMEOUT, before any view sees the user."""
    if "_user_id" not in session:
        return
    now = int(time.time())
    started, seen = session.get(SESSION_STARTED_KEY), session.get(SESSION_SEEN_KEY)
    config = current_app.config
    if (
        not isinstance(started, int)
        or not isinstance(seen, int)
        or now - seen > config["SESSION_IDLE_TIMEOUT"]
        or now - started > config["SESSION_ABSOLUTE_TIMEOUT"]
    ):
        logout_user()
        session.pop(SESSION_STARTED_KEY, None)
        session.pop(SESSION_SEEN_KEY, None)
    elif now - seen >= 60:  # to the minute: not a new cookie on every request
        session[SESSION_SEEN_KEY] = now


def log_out(user: User) -> None:
    """End every session of this user (the caller commits), then this one."""
    user.end_sessions()
    db.session.flush()
    logout_user()

"""The organiser area's answer when an event is busy (another change holds its lock longer
than REGISTRATION_LOCK_TIMEOUT_MS): nothing was changed, try again; never a 500."""

from flask import flash
from flask_babel import gettext as _
from sqlalchemy.exc import OperationalError

from ..database import is_lock_timeout, rollback_keeping_loaded
from ..extensions import db


def nothing_changed(error: OperationalError) -> None:
    """After a change failed on a lock: roll back (keeping what was loaded, so the page that
    follows needs no query) and say so in a message. Any other database failure goes on to
    the 503 page of errors.py."""
    if not is_lock_timeout(error):
        raise error
    rollback_keeping_loaded(db.session)
    flash(_("Someone else is changing this event right now, so nothing was changed. "
            "Try again in a moment."), "error")  # fmt: skip

"""The organiser area: events, registrations, check-in and follow-up, for people logged in.
(Logging in itself is the auth blueprint's.)"""

from flask import Blueprint
from flask_login import login_required

from .. import security

bp = Blueprint("organiser", __name__, url_prefix="/arrangor")
# Organiser pages show attendees' personal data: no cache may keep any of them.
bp.after_request(security.keep_out_of_caches)


@bp.before_request
@login_required
def _only_logged_in():
    """All of this blueprint needs a login: anonymous visitors are sent to the login page
    (with `next`) before any view runs, so no view can forget to ask."""


# The view modules add their routes to bp, so they are imported once it exists (Flask's
# pattern for a blueprint in a package): each URL stays written beside its view, and a new
# page module is one more name here.
from . import (  # noqa: E402, F401
    attendees,
    embedding,
    feedback,
    imports,
    materials,
    publishing,
    questions,
    series,
    sessions,
    statistics,
    translations,
    views,
)

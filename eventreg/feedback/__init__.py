"""The feedback form attendees reach through the link emailed the day after an event."""

from flask import Blueprint

bp = Blueprint("feedback", __name__)

from . import views as _views  # noqa: E402, F401  (registers the routes on bp)

"""Email alerts ("Bevaka"): the subscribe page and the confirm and unsubscribe links."""

from flask import Blueprint

bp = Blueprint("alerts", __name__)

from . import views as _views  # noqa: E402, F401  (registers the routes on bp)

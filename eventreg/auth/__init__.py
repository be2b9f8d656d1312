"""Logging in and out and choosing a new password: the pages anyone may open to get into
the organiser and administration areas, under the organiser area's address (/arrangor).
The accounts and sessions behind them live here too (accounts.py, sessions.py)."""

from flask import Blueprint, request

from .. import security
from .forms import LogoutForm

bp = Blueprint("auth", __name__, url_prefix="/arrangor")

# Pages whose address holds a secret (a reset token): not sent as Referer to anything.
SECRET_URL_ENDPOINTS = {"auth.reset_password", "auth.forgot_password"}


@bp.after_request
def _keep_private(response):
    """A login page may show an email address; a reset page has a token in its address."""
    security.keep_out_of_caches(response)
    if request.endpoint in SECRET_URL_ENDPOINTS:
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.app_context_processor
def _logout_form():
    """The logout button appears in the navigation of every logged-in page."""
    return {"logout_form": LogoutForm}


# The views register their routes on bp, so they are imported once it exists (Flask's
# pattern for a blueprint in a package).
from . import views  # noqa: E402, F401

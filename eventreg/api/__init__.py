"""The open data API (`/api/v1/`, JSON, documented by an OpenAPI document generated from
its code) and the human pages beside it: how to use the API, and the public follow-up
figures."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
pages_bp = Blueprint("open_data", __name__)

from . import pages, views  # noqa: E402, F401  (their routes register on the blueprints)

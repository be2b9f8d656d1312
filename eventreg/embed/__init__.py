"""The embeddable event list: a compact page for other web sites' iframes, framed only by
the origins administrators allow (see services/embedding.py) and by eventreg itself."""

from flask import Blueprint

bp = Blueprint("embed", __name__, url_prefix="/inbaddning")

from . import views  # noqa: E402, F401  (registers the routes on bp)

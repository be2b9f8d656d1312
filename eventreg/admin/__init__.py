"""Administration: themes, resources, organisations, users, target groups, embedding and the
audit log, for administrators only."""

from flask import Blueprint

from ..auth.access import admin_required
from ..security import keep_out_of_caches

bp = Blueprint("admin", __name__, url_prefix="/admin")
# Administration pages show accounts and the audit log: no cache may keep any of them.
bp.after_request(keep_out_of_caches)


@bp.before_request
@admin_required
def _only_admins():
    """All of this blueprint is for administrators; the check runs before any view
    (anonymous visitors are sent to the login page, organisers get 403)."""


# The view modules add their routes to bp, so they are imported once it exists (Flask's
# pattern for a blueprint in a package), as in organiser/__init__.py.
from . import content_languages, embedding, target_groups, views  # noqa: E402, F401

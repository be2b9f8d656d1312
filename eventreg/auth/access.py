"""Who may enter which area: the guards the logged-in areas put on their blueprints."""

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def admin_required(view: Callable) -> Callable:
    """Logged in (else redirect to login) and an administrator (else 403)."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped

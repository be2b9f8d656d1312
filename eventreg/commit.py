"""The one way a view ends a change: commit it, or roll back and tell the person why.

Services flush and raise a RuleError (services/errors.py) when a rule stops the change; the
view hands its service call to `commit_change`, which commits once, or rolls back and puts
the rule's message beside the form field it names (else in a flash message). A change that
waited too long for a busy event's lock changed nothing and says so (`busy`), instead of a
500. Used by the organiser and administration areas alike."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import flash
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError, OperationalError

from .database import is_lock_timeout, rollback_keeping_loaded
from .extensions import db
from .services.errors import RuleError


@dataclass(frozen=True)
class Outcome:
    """What became of a change: `done` (committed), with what the change returned (read
    before the commit expired the objects, so the answer needs no query after it); `busy`
    when another change held the event's lock and nothing was changed."""

    done: bool
    value: Any = None
    busy: bool = False


def commit_change(
    change: Callable[[], Any],
    *,
    form=None,
    field: str | None = None,
    unique_field: str | None = None,
) -> Outcome:
    """Run `change` (service calls that flush), then commit. On a RuleError roll back and
    show its message: beside `form`'s field named by the error, else beside `field`, else as
    a flash message. When a unique constraint refuses the change (a race lost at the
    database) and `unique_field` is given, roll back and say the value is taken, beside that
    field. A lock timeout at the commit is "busy" too; other database failures go on to the
    error pages."""
    try:
        value = change()
        db.session.commit()
    except RuleError as error:
        db.session.rollback()
        show_rule_error(error, form, field)
        return Outcome(done=False)
    except OperationalError as error:
        nothing_changed(error)
        return Outcome(done=False, busy=True)
    except IntegrityError:
        if form is None or unique_field is None:
            raise
        db.session.rollback()
        _add_error(form, unique_field, _("This is already in use."))
        return Outcome(done=False)
    return Outcome(done=True, value=value)


def show_rule_error(error: RuleError, form=None, field: str | None = None) -> None:
    """The rule's message beside the field it names (or `field`), else as a flash message."""
    names = [name for name in (error.field, field) if name and form is not None and name in form]
    if names:
        _add_error(form, names[0], error.message)
    else:
        flash(error.message, "error")


def _add_error(form, name: str, message: str) -> None:
    # A list: a field's errors are an empty tuple until the form has been validated.
    form[name].errors = [*form[name].errors, message]


def nothing_changed(error: OperationalError) -> None:
    """After a change failed on a lock (another change held the event's lock longer than
    REGISTRATION_LOCK_TIMEOUT_MS): roll back, keeping what was loaded so the page that
    follows needs no query, and say so in a message. Any other database failure goes on to
    the 503 page of errors.py."""
    if not is_lock_timeout(error):
        raise error
    rollback_keeping_loaded(db.session)
    flash(_("Someone else is changing this event right now, so nothing was changed. "
            "Try again in a moment."), "error")  # fmt: skip

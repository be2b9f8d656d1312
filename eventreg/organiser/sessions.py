"""Organiser pages for a course's sessions: listing, adding, changing and removing them.
Routes live on the organiser blueprint; the rules are services.sessions'."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..commit import commit_change
from ..errors import retry_after
from ..forms import ConfirmForm
from ..services import sessions as session_service
from ..services.sessions import SessionChange
from . import bp
from .access import event_or_403
from .forms import SessionForm


def _session_or_404(event, session_id: int):
    return session_service.session_of_event(event, session_id) or abort(404)


def _done(change: SessionChange) -> str:
    """The message for a change made, worded before the commit (so the page after it asks
    the database nothing more)."""
    if change.recipients:
        return _("Saved. The people registered are told about the change.")
    return _("Saved.")


@bp.route("/evenemang/<id:event_id>/tillfallen", methods=["GET", "POST"])
def list_sessions(event_id: int):
    event = event_or_403(event_id)
    form = SessionForm()
    status = 200
    if not event.is_cancelled and form.validate_on_submit():
        outcome = commit_change(
            lambda: _done(session_service.add_session(event, form.to_data(), current_user)),
            form=form,
        )
        if outcome.busy:
            status = 503
        elif outcome.done:
            flash(outcome.value, "success")
            return redirect(url_for(".list_sessions", event_id=event_id))
    if form.errors:
        status = 400
    return (
        render_template(
            "organiser/sessions.html",
            event=event,
            form=form,
            max_sessions=session_service.MAX_SESSIONS,
            can_add=not event.is_cancelled and len(event.sessions) < session_service.MAX_SESSIONS,
        ),
        status,
        (retry_after() if status == 503 else {}),
    )


@bp.route("/evenemang/<id:event_id>/tillfallen/<id:session_id>", methods=["GET", "POST"])
def edit_session(event_id: int, session_id: int):
    event = event_or_403(event_id)
    session = _session_or_404(event, session_id)
    form = SessionForm(obj=session)
    status = 200
    if not event.is_cancelled and form.validate_on_submit():
        outcome = commit_change(
            lambda: _done(
                session_service.update_session(event, session, form.to_data(), current_user)
            ),
            form=form,
        )
        if outcome.busy:
            status = 503
        elif outcome.done:
            flash(outcome.value, "success")
            return redirect(url_for(".list_sessions", event_id=event_id))
    if form.errors:
        status = 400
    return (
        render_template("organiser/session_form.html", event=event, session=session, form=form),
        status,
        (retry_after() if status == 503 else {}),
    )


@bp.route("/evenemang/<id:event_id>/tillfallen/<id:session_id>/ta-bort", methods=["GET", "POST"])
def remove_session(event_id: int, session_id: int):
    event = event_or_403(event_id)
    session = _session_or_404(event, session_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        outcome = commit_change(
            lambda: _done(session_service.remove_session(event, session, current_user))
        )
        if outcome.done:
            flash(outcome.value, "success")
            return redirect(url_for(".list_sessions", event_id=event_id))
        if outcome.busy:
            return redirect(url_for(".list_sessions", event_id=event_id))
    return render_template(
        "organiser/session_remove.html",
        event=event,
        session=session,
        form=form,
        last_but_one=len(event.sessions) == 2,
    )

"""The feedback form behind the emailed link: no account, one answer per person.

A wrong, tampered or revoked link is a plain 404, like every other signed link."""

from flask import abort, redirect, render_template, request, url_for
from sqlalchemy.exc import IntegrityError

from .. import security
from ..database import rollback_keeping_loaded
from ..extensions import db
from ..services import feedback
from ..services.feedback import FeedbackError
from . import bp
from .forms import FeedbackForm


@bp.after_request
def _keep_private(response):
    """The address holds a secret: not cached, and not sent on as Referer."""
    security.keep_out_of_caches(response)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.route("/omdome/<token>", methods=["GET", "POST"])
def answer(token: str):
    registration = feedback.registration_from_feedback_token(token) or abort(404)
    event = registration.event
    state = feedback.form_state(registration)
    if state != "open":
        return _not_open(event, state)
    form = FeedbackForm()
    if form.validate_on_submit():
        try:
            feedback.submit_feedback(registration, form.to_data())
            db.session.commit()
        except FeedbackError as error:
            rollback_keeping_loaded(db.session)
            return _not_open(event, error.state)
        except IntegrityError:
            # The same link submitted twice at once: the other one was stored.
            rollback_keeping_loaded(db.session)
            return _not_open(event, "answered")
        return redirect(url_for(".thanks", token=token))
    status = 400 if form.errors else 200
    return render_template("feedback/form.html", form=form, event=event, token=token), status


@bp.get("/omdome/<token>/tack")
def thanks(token: str):
    registration = feedback.registration_from_feedback_token(token) or abort(404)
    return render_template("feedback/thanks.html", event=registration.event)


def _not_open(event, state: str):
    """Already answered (409 to a second answer), not yet or no longer open."""
    status = 409 if state == "answered" and request.method == "POST" else 200
    return render_template("feedback/closed.html", event=event, state=state), status

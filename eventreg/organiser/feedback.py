"""Organiser page with an event's feedback: figures only, never who answered what, and free
text only from FEEDBACK_MIN_ANSWERS_FOR_TEXT answers on. Routes live on the organiser
blueprint."""

from flask import render_template

from ..services import feedback
from . import bp
from .access import event_to_see_or_403


@bp.get("/evenemang/<id:event_id>/omdomen")
def show_feedback(event_id: int):
    # Figures only (and free text from a minimum of answers): co-organisers see them too.
    event = event_to_see_or_403(event_id)
    return render_template(
        "organiser/feedback.html",
        event=event,
        results=feedback.event_feedback(event),
        format_mean=feedback.format_mean,
    )

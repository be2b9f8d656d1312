"""Publishing several drafts together (imported events or a series, after review): the
chosen drafts are shown with what will be public, then published one by one through the
same rules as a single event. Routes live on the organiser blueprint."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..forms import ConfirmForm
from ..services import events as event_service
from . import bp
from .access import event_or_403, parse_row_id

# The dashboard's draft checkboxes.
CHOSEN = "valda"


def _chosen_drafts():
    """The events chosen, each one the user may manage (403 for a guessed one)."""
    ids = sorted({i for i in map(parse_row_id, request.values.getlist(CHOSEN)) if i})
    return [event_or_403(event_id) for event_id in ids]


@bp.route("/evenemang/publicera-flera", methods=["GET", "POST"])
def publish_drafts():
    """GET: the chosen drafts, what each will show publicly and whether it can be
    published; POST: publish them."""
    events = _chosen_drafts()
    if not events:
        flash(_("Choose at least one draft in the list first."), "error")
        return redirect(url_for(".dashboard"))
    form = ConfirmForm()
    if request.method == "GET":
        problems = {event.id: event_service.publish_problem(event) for event in events}
        return render_template(
            "organiser/publish_drafts.html", events=events, problems=problems, form=form,
            chosen_field=CHOSEN, ready=sum(1 for problem in problems.values() if not problem),
        )  # fmt: skip
    if not form.validate_on_submit():
        abort(400)
    result = event_service.publish_events(events, current_user)
    published = len(result.published)
    refused = [(event.title, message) for event, message in result.refused]
    db.session.commit()
    if published:
        flash(_("%(count)d events are published.", count=published), "success")
    for title, message in refused:
        flash(_("Not published: %(title)s. %(reason)s", title=title, reason=message), "error")
    return redirect(url_for(".dashboard"))

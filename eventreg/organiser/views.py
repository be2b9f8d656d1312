"""The organiser area's pages. Views parse, call a service, commit once, and redirect."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..commit import commit_change
from ..errors import retry_after
from ..extensions import db
from ..forms import ConfirmForm
from ..models import Organisation
from ..services import audit
from ..services import events as event_service
from ..services import sessions as session_service
from ..services.events import EventData
from . import bp
from .access import (
    CO_ORGANISER_ENDPOINTS,
    can_manage_event,
    can_manage_organisation,
    event_or_403,
    event_to_see_or_403,
    managed_organisations,
    parse_row_id,
)
from .forms import CancelEventForm, DuplicateEventForm, EventForm
from .notifications import describe_event_changes

# The change notice says what changed in words of the language it is rendered in: on the
# organiser's preview, and in the email (rendered in the attendee's language when sent).
bp.add_app_template_global(describe_event_changes, "describe_event_changes")


def may_manage_event(event) -> bool:
    """For templates: whether to offer the current user the event's managing pages and
    buttons (a co-organiser sees the event read only). The views check again."""
    return can_manage_event(current_user, event)


bp.add_app_template_global(may_manage_event, "may_manage_event")
bp.add_app_template_global(CO_ORGANISER_ENDPOINTS, "co_organiser_endpoints")


@bp.get("/")
def dashboard():
    past = request.args.get("visa") == "tidigare"
    events = event_service.events_for(current_user, past=past)
    return render_template(
        "organiser/dashboard.html",
        organisations=managed_organisations(current_user),
        events=events,
        # Shown, marked, but not to be published from here.
        co_organised_ids={e.id for e in events if not can_manage_event(current_user, e)},
        past=past,
    )


def _check_posted_organisation() -> None:
    """An organisation id in the form that exists but is not the user's is a forbidden
    request, not a typo: answer 403 before anything else."""
    organisation_id = parse_row_id(request.form.get("organisation_id"))
    if organisation_id is None or db.session.get(Organisation, organisation_id) is None:
        return
    if not can_manage_organisation(current_user, organisation_id):
        abort(403)


@bp.route("/evenemang/nytt", methods=["GET", "POST"])
def new_event():
    organisations = managed_organisations(current_user)
    if not organisations:
        abort(403)
    if request.method == "POST":
        _check_posted_organisation()
    form = EventForm(organisations)
    if request.method == "GET":
        form.language_codes.data = ["sv"]
        # Most events are held where the organiser's own organisation is.
        form.municipality.data = event_service.default_municipality(
            current_user.organisations
        ) or form.municipality.data
    if form.validate_on_submit():
        data = form.to_data()
        errors = event_service.validate_event_data(data)
        if not errors:
            event_id = event_service.create_event(data, current_user).id  # before the commit
            db.session.commit()
            flash(_("The draft is saved. Preview it, then publish it."), "success")
            return redirect(url_for(".show_event", event_id=event_id))
        form.add_errors(errors)
    status = 400 if form.errors else 200
    return render_template("organiser/event_form.html", form=form, event=None), status


@bp.get("/evenemang/<id:event_id>")
def show_event(event_id: int):
    event = event_to_see_or_403(event_id)  # read only for a co-organiser
    history = []
    if current_user.is_admin:
        history = audit.present(audit.audit_entries(event_id=event.id))
    return render_template(
        "organiser/event.html",
        event=event,
        confirm_form=ConfirmForm(),
        history=history,
        labels=audit.ACTION_LABELS,
        # A course: how many came to each session (a figure, for co-organisers too).
        session_attendance=session_service.attendance_per_session(event),
    )


@bp.route("/evenemang/<id:event_id>/redigera", methods=["GET", "POST"])
def edit_event(event_id: int):
    event = event_or_403(event_id)
    if event.is_cancelled:
        flash(_("A cancelled event cannot be edited."), "error")
        return redirect(url_for(".show_event", event_id=event.id))
    if request.method == "POST":
        _check_posted_organisation()
    form = EventForm(managed_organisations(current_user), obj=EventData.from_event(event))
    needs_confirmation = False
    if form.validate_on_submit():
        data = form.to_data()
        allow = form.confirm_capacity_reduction.data
        errors = event_service.validate_event_data(data, event, allow_capacity_reduction=allow)
        notice = None if errors else event_service.change_notice(event, data)
        step = request.form.get(NOTICE_STEP)
        if notice is not None and notice.is_needed and step != "save":
            if step != "edit":  # "edit" goes back to the form, with what was typed
                return _change_notice_page(event, data, notice)
        elif not errors:
            outcome = commit_change(lambda: event_service.update_event(
                event, data, current_user, allow_capacity_reduction=allow,
                skip_notice=request.form.get("skip_notice") == "y",
            ), form=form)  # fmt: skip
            if outcome.busy:  # the form again, as typed
                return render_template(
                    "organiser/event_form.html", form=form, event=event,
                    needs_confirmation=bool(allow),
                ), 503, retry_after()  # fmt: skip
            if outcome.done:
                if outcome.value.notify_attendees:
                    flash(_("Saved. The people registered are told about the change."),
                          "success")  # fmt: skip
                elif notice is not None and notice.is_needed:
                    flash(_("Saved. Nobody was emailed about the change."), "success")
                else:
                    flash(_("Saved."), "success")
                return redirect(url_for(".show_event", event_id=event_id))
        form.add_errors(errors)
        needs_confirmation = "capacity" in errors
    status = 400 if form.errors else 200
    return render_template(
        "organiser/event_form.html", form=form, event=event, needs_confirmation=needs_confirmation
    ), status


# The edit form's step, sent by the buttons of the change notice page: "save" (the notice
# is seen), "edit" (back to the form with what was typed). Without it, a change the people
# registered would be told about shows the notice first.
NOTICE_STEP = "notice_step"
# Posted by the form, carried by the notice page in hidden inputs: everything else.
NOTICE_CONTROLS = frozenset({"csrf_token", NOTICE_STEP, "skip_notice"})


def _change_notice_page(event, data: EventData, notice):
    """The email the people registered will get, before the change is saved: who, what
    changed from what to what, and (unless time, place or link changed) a way to skip it.
    The form's values travel in hidden inputs, so no script and no stored draft is needed."""
    carried = [
        (name, value)
        for name, values in request.form.lists()
        if name not in NOTICE_CONTROLS
        for value in values
    ]
    return render_template(
        "organiser/change_notice.html",
        event=event,
        notice=notice,
        lines=describe_event_changes(notice.notified_changes),
        new_title=data.title,
        carried=carried,
        step=NOTICE_STEP,
        confirm_form=ConfirmForm(),
    )


@bp.get("/evenemang/<id:event_id>/forhandsvisning")
def preview_event(event_id: int):
    """The public page as it will look, drafts included, for the event's organisers and
    co-organisers only."""
    event = event_to_see_or_403(event_id)
    return render_template("organiser/preview.html", event=event)


@bp.route("/evenemang/<id:event_id>/kopiera", methods=["GET", "POST"])
def duplicate_event(event_id: int):
    event = event_or_403(event_id)
    form = DuplicateEventForm(series=event.series)
    if request.method == "GET":
        form.start_dt.data = event_service.default_duplicate_start(event)
        # A part of a series is most often copied for the next part of the same series.
        form.series_link.data = "same" if event.series_id else "none"
    starts = _series_starts(form) if form.validate_on_submit() else None
    if starts:

        def duplicate():
            copies = event_service.copy_for_series(
                event, starts, current_user,
                link=form.series_link.data, new_title=form.series_title.data or "",
            )  # fmt: skip
            return copies[0].id, len(copies)  # before the commit expires them

        outcome = commit_change(duplicate, form=form, field="start_dt")
        if outcome.done:
            copy_id, count = outcome.value
            if count == 1:
                flash(_("A draft copy is made. Check it and publish it."), "success")
                return redirect(url_for(".edit_event", event_id=copy_id))
            flash(_("%(count)d draft copies are made. Check them, then choose them in the "
                    "list to publish them together.", count=count), "success")  # fmt: skip
            return redirect(url_for(".dashboard"))
    status = 400 if form.errors else 200
    return render_template("organiser/duplicate.html", form=form, event=event), status


def _series_starts(form: DuplicateEventForm) -> list | None:
    """The copies' starts, or None with the error on the form (a date in "more copies"
    at a time that does not exist in Swedish time, or in a far-off year)."""
    try:
        return form.starts()
    except ValueError as error:
        form.more_dates.errors.append(str(error))
        return None


def _status_change(event_id: int, change, done_message: str):
    event = event_or_403(event_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    if commit_change(lambda: change(event, current_user)).done:
        flash(done_message, "success")
    return redirect(url_for(".show_event", event_id=event_id))


@bp.route("/evenemang/<id:event_id>/publicera", methods=["GET", "POST"])
def publish_event(event_id: int):
    """GET asks once, showing what will be public; POST publishes."""
    if request.method == "POST":
        return _status_change(
            event_id, event_service.publish_event, _("The event is published.")
        )
    event = event_or_403(event_id)
    problem = event_service.publish_problem(event)
    if problem:
        flash(problem, "error")
        return redirect(url_for(".show_event", event_id=event.id))
    return render_template("organiser/publish.html", event=event, form=ConfirmForm())


@bp.post("/evenemang/<id:event_id>/avpublicera")
def unpublish_event(event_id: int):
    return _status_change(
        event_id, event_service.unpublish_event, _("The event is a draft again.")
    )


@bp.route("/evenemang/<id:event_id>/stall-in", methods=["GET", "POST"])
def cancel_event(event_id: int):
    event = event_or_403(event_id)
    form = CancelEventForm()
    if form.validate_on_submit():
        if commit_change(lambda: event_service.cancel_event(event, form.reason.data,
                                                            current_user)).done:  # fmt: skip
            flash(_("The event is cancelled and the people registered are told."), "success")
        return redirect(url_for(".show_event", event_id=event_id))
    status = 400 if form.errors else 200
    return render_template("organiser/cancel.html", form=form, event=event), status


@bp.route("/evenemang/<id:event_id>/ta-bort", methods=["GET", "POST"])
def delete_event(event_id: int):
    event = event_or_403(event_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        if not commit_change(lambda: event_service.delete_draft(event, current_user)).done:
            return redirect(url_for(".show_event", event_id=event_id))
        flash(_("The draft is deleted."), "success")
        return redirect(url_for(".dashboard"))
    return render_template("organiser/delete.html", form=form, event=event)


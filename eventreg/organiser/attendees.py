"""Organiser pages about the people registered: list, add, cancel, waiting list, message,
export, attendance sheet and check-in. Routes live on the organiser blueprint."""

import base64

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db
from ..i18n import current_language
from ..services import attendees
from ..services.attendees import AttendeeRuleError
from ..services.registrations import UnsafeHeaderValue
from ..text import slugify
from .access import event_or_403
from .forms import CheckInSearchForm, ConfirmForm, MessageForm, add_registration_form_class
from .views import bp


def _registration_or_404(event, registration_id: int):
    """A registration of this event; another event's id (guessed) is not found here."""
    return attendees.registration_by_id(event, registration_id) or abort(404)


def _back_to_list(event_id: int):
    return redirect(url_for(".list_registrations", event_id=event_id))


@bp.get("/evenemang/<id:event_id>/anmalningar")
@login_required
def list_registrations(event_id: int):
    event = event_or_403(event_id)
    groups = attendees.registrations_by_status(event)
    needs = attendees.needs_summary(groups["confirmed"] + groups["waiting"])
    return render_template(
        "organiser/registrations.html",
        event=event,
        groups=groups,
        needs=needs,
        confirm_form=ConfirmForm(),
    )


@bp.route("/evenemang/<id:event_id>/anmalningar/ny", methods=["GET", "POST"])
@login_required
def add_registration(event_id: int):
    event = event_or_403(event_id)
    form = add_registration_form_class()()
    if form.validate_on_submit():
        try:
            registration = attendees.add_registration(
                event, form.attendee_details(), current_user, locale=current_language()
            )
        except (AttendeeRuleError, UnsafeHeaderValue) as error:
            db.session.rollback()
            form.email.errors.append(getattr(error, "message", str(error)))
        else:
            db.session.commit()
            if registration.is_confirmed:
                flash(_("%(name)s is registered with a seat.", name=registration.name), "success")
            else:
                flash(_("%(name)s is on the waiting list.", name=registration.name), "success")
            return _back_to_list(event.id)
    status = 400 if form.errors else 200
    return render_template("organiser/add_registration.html", form=form, event=event), status


@bp.post("/evenemang/<id:event_id>/anmalningar/<id:registration_id>/avboka")
@login_required
def cancel_registration(event_id: int, registration_id: int):
    event = event_or_403(event_id)
    registration = _registration_or_404(event, registration_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        promoted = attendees.cancel_registration(registration, current_user)
    except AttendeeRuleError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("The registration is cancelled."), "success")
        if promoted:
            flash(_("%(count)d from the waiting list got a seat.", count=len(promoted)), "success")
    return _back_to_list(event.id)


@bp.post("/evenemang/<id:event_id>/anmalningar/<id:registration_id>/flytta-upp")
@login_required
def promote_registration(event_id: int, registration_id: int):
    event = event_or_403(event_id)
    registration = _registration_or_404(event, registration_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        attendees.move_from_waiting_list(registration, current_user)
    except AttendeeRuleError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("%(name)s has a seat now and is told by email.", name=registration.name),
              "success")  # fmt: skip
    return _back_to_list(event.id)


@bp.route("/evenemang/<id:event_id>/meddelande", methods=["GET", "POST"])
@login_required
def message_registrants(event_id: int):
    event = event_or_403(event_id)
    form = MessageForm()
    if form.validate_on_submit():
        try:
            count = attendees.message_registrants(
                event, form.subject.data, form.body.data, current_user
            )
        except AttendeeRuleError as error:
            db.session.rollback()
            form.subject.errors.append(error.message)
        else:
            db.session.commit()
            flash(_("The message is on its way to %(count)d people.", count=count), "success")
            return _back_to_list(event.id)
    status = 400 if form.errors else 200
    return render_template("organiser/message.html", form=form, event=event), status


@bp.get("/evenemang/<id:event_id>/anmalningar.csv")
@login_required
def export_registrations(event_id: int):
    event = event_or_403(event_id)
    groups = attendees.registrations_by_status(event)
    rows = groups["confirmed"] + groups["waiting"] + groups["cancelled"]
    filename = f"anmalningar-{slugify(event.title, 60)}-{event.id}.csv"
    return Response(
        attendees.registrations_csv(rows),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",  # personal data: not kept in caches
        },
    )


@bp.get("/evenemang/<id:event_id>/narvarolista")
@login_required
def attendance_sheet(event_id: int):
    event = event_or_403(event_id)
    confirmed = attendees.registrations_by_status(event)["confirmed"]
    confirmed.sort(key=lambda r: (r.name or "").casefold())
    return render_template("organiser/attendance_sheet.html", event=event, attendees=confirmed)


@bp.get("/evenemang/<id:event_id>/incheckning")
@login_required
def check_in(event_id: int):
    event = event_or_403(event_id)
    form = CheckInSearchForm(request.args)
    results = attendees.find_for_check_in(event, form.q.data or "") if form.validate() else []
    qr_codes = {
        r.id: base64.b64encode(
            attendees.qr_svg(attendees.check_in_url(event, r.check_in_code)).encode()
        ).decode()
        for r in results
    }
    groups = attendees.registrations_by_status(event)
    checked_in = sum(1 for r in groups["confirmed"] if r.attended_at)
    return render_template(
        "organiser/check_in.html",
        event=event,
        form=form,
        results=results,
        qr_codes=qr_codes,
        searched=bool(form.q.data),
        confirmed_count=len(groups["confirmed"]),
        checked_in_count=checked_in,
        confirm_form=ConfirmForm(),
    ), (200 if not form.errors else 400)


@bp.post("/evenemang/<id:event_id>/incheckning/<id:registration_id>")
@login_required
def check_in_registration(event_id: int, registration_id: int):
    event = event_or_403(event_id)
    registration = _registration_or_404(event, registration_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    undo = request.form.get("undo") == "1"
    try:
        if undo:
            attendees.undo_check_in(registration, current_user)
        else:
            newly = attendees.check_in(registration, current_user)
    except AttendeeRuleError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        if undo:
            flash(_("%(name)s is no longer checked in.", name=registration.name), "success")
        elif newly:
            flash(_("%(name)s is checked in.", name=registration.name), "success")
        else:
            flash(_("%(name)s was already checked in.", name=registration.name), "info")
    return redirect(url_for(".check_in", event_id=event.id, q=request.form.get("q") or None))

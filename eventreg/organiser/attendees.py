"""Organiser pages about the people registered: list, add, cancel, waiting list, message,
export, attendance sheet and check-in. Routes live on the organiser blueprint."""

import base64

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import qr
from ..commit import commit_change
from ..errors import retry_after
from ..extensions import db
from ..forms import ConfirmForm
from ..i18n import current_language
from ..mail.links import check_in_url
from ..registration.forms import with_questions
from ..services import attendees, questions
from ..services import sessions as session_service
from ..text import slugify
from . import bp
from .access import event_or_403, parse_row_id
from .forms import (
    CheckInSearchForm,
    MessageForm,
    RegistrationListForm,
    add_registration_form_class,
)
from .notifications import queue_organiser_message_test, render_organiser_message_sample

# Empty lines at the end of the printed attendance sheet, for people who come unregistered.
WALK_IN_ROWS = 8


def _registration_or_404(event, registration_id: int):
    """A registration of this event; another event's id (guessed) is not found here."""
    return attendees.registration_by_id(event, registration_id) or abort(404)


def _chosen_session(event, raw: str | None):
    """The session of a course a page is about: the one named (`tillfalle`), else today's
    (session_service.session_today); None for an event that meets once. A name that is no
    session of this event is 404."""
    if not event.sessions:
        return None
    if raw is None or raw == "":
        return session_service.session_today(event)
    session_id = parse_row_id(raw)
    return (session_id and session_service.session_of_event(event, session_id)) or abort(404)


def _back_to_list(event_id: int):
    return redirect(url_for(".list_registrations", event_id=event_id))


@bp.get("/evenemang/<id:event_id>/anmalningar")
def list_registrations(event_id: int):
    event = event_or_403(event_id)
    form = RegistrationListForm(request.args)
    groups = attendees.registrations_by_status(event)
    needs = attendees.needs_summary(groups["confirmed"] + groups["waiting"])
    asked = questions.questions_of(event)
    everyone = [r for rows in groups.values() for r in rows]
    answers = questions.answers_by_registration(everyone) if asked else {}
    valid = form.validate()
    shown = attendees.search_registrations(
        groups, form.sok.data if valid else "", form.ordning.data if valid else ""
    )
    return render_template(
        "organiser/registrations.html",
        event=event,
        groups=groups,
        shown=shown,
        # The waiting list's order is the order seats are given in, whatever the sorting.
        places={r.id: n for n, r in enumerate(groups["waiting"], start=1)},
        form=form,
        searching=valid and bool(form.sok.data),
        needs=needs,
        questions=asked,
        answers=answers,
        answer_summary=questions.answer_summary(asked, everyone, answers),
        answer_text=questions.answer_text,
        confirm_form=ConfirmForm(),
    ), (200 if valid else 400)


# The registrations list's selection: checkboxes named CHOSEN, and CHOICE_MADE=1 to tell
# "nobody chosen" apart from a link that means everyone.
CHOSEN = "valda"
CHOICE_MADE = "urval"


def _chosen_ids() -> list[int] | None:
    """The registration ids chosen on the list, or None when no choice was made."""
    if request.values.get(CHOICE_MADE) != "1":
        return None
    ids = (parse_row_id(raw) for raw in request.values.getlist(CHOSEN))
    return sorted({i for i in ids if i is not None})


def _nobody_chosen(event_id: int):
    flash(_("Choose at least one person in the list first."), "error")
    return _back_to_list(event_id)


@bp.route("/evenemang/<id:event_id>/anmalningar/ny", methods=["GET", "POST"])
def add_registration(event_id: int):
    event = event_or_403(event_id)
    # The event's questions too, none of them required: the person may not be at hand.
    form = with_questions(
        add_registration_form_class(), questions.questions_of(event), require=False
    )()
    if form.validate_on_submit():

        def add():
            registration = attendees.add_registration(
                event, form.attendee_details(), current_user, locale=current_language()
            )
            # Read before the commit expires them: the answer needs no query after it.
            return registration.name, registration.is_confirmed

        outcome = commit_change(add, form=form, field="email")
        if outcome.busy:  # the form again, as typed
            page = render_template("organiser/add_registration.html", form=form, event=event)
            return page, 503, retry_after()
        if outcome.done:
            name, has_seat = outcome.value
            if has_seat:
                flash(_("%(name)s is registered with a seat.", name=name), "success")
            else:
                flash(_("%(name)s is on the waiting list.", name=name), "success")
            return _back_to_list(event_id)
    status = 400 if form.errors else 200
    return render_template("organiser/add_registration.html", form=form, event=event), status


@bp.route(
    "/evenemang/<id:event_id>/anmalningar/<id:registration_id>/avboka", methods=["GET", "POST"]
)
def cancel_registration(event_id: int, registration_id: int):
    """GET asks first (what happens to the seat, who is emailed); POST cancels."""
    event = event_or_403(event_id)
    registration = _registration_or_404(event, registration_id)
    if request.method == "GET":
        if not registration.is_active:
            flash(_("The registration is already cancelled."), "info")
            return _back_to_list(event.id)
        return render_template(
            "organiser/cancel_registration.html", event=event, registration=registration,
            next_in_line=attendees.seat_goes_to(registration), form=ConfirmForm(),
        )  # fmt: skip
    if not ConfirmForm().validate_on_submit():
        abort(400)
    outcome = commit_change(lambda: len(attendees.cancel_registration(registration, current_user)))
    if outcome.done:
        flash(_("The registration is cancelled."), "success")
        if outcome.value:
            flash(_("%(count)d from the waiting list got a seat.", count=outcome.value), "success")
    return _back_to_list(event_id)


@bp.route(
    "/evenemang/<id:event_id>/anmalningar/<id:registration_id>/aterstall",
    methods=["GET", "POST"],
)
def restore_registration(event_id: int, registration_id: int):
    """GET says what restoring a cancelled registration does now (a seat, or which place on
    the waiting list); POST restores it and emails the person."""
    event = event_or_403(event_id)
    registration = _registration_or_404(event, registration_id)
    if request.method == "GET":
        outlook = attendees.restore_outlook(registration)
        if outlook.problem:
            flash(outlook.problem, "error")
            return _back_to_list(event.id)
        return render_template(
            "organiser/restore_registration.html", event=event, registration=registration,
            outlook=outlook, form=ConfirmForm(),
        )  # fmt: skip
    if not ConfirmForm().validate_on_submit():
        abort(400)

    def restore():
        attendees.restore_registration(registration, current_user)
        # Read before the commit expires them: nothing is read after it.
        return registration.name, registration.is_confirmed

    outcome = commit_change(restore)
    if outcome.done:
        name, has_seat = outcome.value
        if has_seat:
            flash(_("%(name)s is registered again, with a seat, and is told by email.",
                    name=name), "success")  # fmt: skip
        else:
            flash(_("%(name)s is on the waiting list again, and is told by email.",
                    name=name), "success")  # fmt: skip
    return _back_to_list(event.id)


@bp.post("/evenemang/<id:event_id>/anmalningar/<id:registration_id>/flytta-upp")
def promote_registration(event_id: int, registration_id: int):
    event = event_or_403(event_id)
    registration = _registration_or_404(event, registration_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)

    def promote():
        attendees.move_from_waiting_list(registration, current_user)
        return registration.name  # before the commit expires it

    outcome = commit_change(promote)
    if outcome.done:
        flash(_("%(name)s has a seat now and is told by email.", name=outcome.value), "success")
    return _back_to_list(event_id)


@bp.route("/evenemang/<id:event_id>/meddelande", methods=["GET", "POST"])
def message_registrants(event_id: int):
    event = event_or_403(event_id)
    chosen_ids = _chosen_ids()
    if chosen_ids == []:
        return _nobody_chosen(event.id)
    chosen = attendees.chosen_registrations(event, chosen_ids) if chosen_ids else None
    form = MessageForm()
    step = request.form.get(MESSAGE_STEP)
    if form.validate_on_submit() and step == "send":
        outcome = commit_change(lambda: attendees.message_registrants(
            event, form.subject.data, form.body.data, current_user,
            registration_ids=chosen_ids,
        ), form=form, field="subject")  # fmt: skip
        if outcome.done:
            flash(_("The message is on its way to %(count)d people.", count=outcome.value),
                  "success")  # fmt: skip
            return _back_to_list(event.id)
    elif form.validate_on_submit() and step != "edit":
        return _message_preview(event, form, chosen, send_test=step == "test")
    status = 400 if form.errors else 200
    return render_template(
        "organiser/message.html", form=form, event=event, chosen=chosen,
        chosen_field=CHOSEN, choice_field=CHOICE_MADE,
    ), status  # fmt: skip


# The message page's steps, named by its buttons: "preview" (the form's own button, and
# what a post without a step gets), "test" (a test to the organiser, then the preview
# again), "send", and "edit" (back to the form with what was typed).
MESSAGE_STEP = "message_step"


def _message_preview(event, form, chosen, *, send_test: bool):
    """The message as the people registered will get it, how many they are, and the
    buttons to send it, send a test to oneself, or change it. The text travels in hidden
    inputs (no script, nothing stored)."""
    subject, body = form.subject.data, form.body.data
    if send_test:
        queue_organiser_message_test(event, current_user, subject, body)
        db.session.commit()
        flash(_("A test is on its way to %(email)s.", email=current_user.email), "success")
    if chosen is None:
        recipients = attendees.count_active(event)
    else:
        recipients = sum(1 for registration in chosen if registration.is_active)
    full_subject, text, _html = render_organiser_message_sample(event, subject, body)
    return render_template(
        "organiser/message_preview.html", event=event, form=form, chosen=chosen,
        chosen_field=CHOSEN, choice_field=CHOICE_MADE, step=MESSAGE_STEP,
        recipients=recipients, preview_subject=full_subject, preview_text=text,
    )  # fmt: skip


@bp.get("/evenemang/<id:event_id>/anmalningar.csv")
def export_registrations(event_id: int):
    event = event_or_403(event_id)
    chosen_ids = _chosen_ids()
    if chosen_ids == []:
        return _nobody_chosen(event.id)
    if chosen_ids is None:
        groups = attendees.registrations_by_status(event)
        rows = groups["confirmed"] + groups["waiting"] + groups["cancelled"]
    else:
        rows = attendees.chosen_registrations(event, chosen_ids)
    filename = f"anmalningar-{slugify(event.title, 60)}-{event.id}.csv"
    asked = questions.questions_of(event)
    answers = questions.answers_by_registration(rows) if asked else {}
    return Response(
        attendees.registrations_csv(rows, asked, answers, event.sessions),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",  # personal data: not kept in caches
        },
    )


@bp.get("/evenemang/<id:event_id>/narvarolista")
def attendance_sheet(event_id: int):
    event = event_or_403(event_id)
    session = _chosen_session(event, request.args.get("tillfalle"))
    confirmed = attendees.registrations_by_status(event)["confirmed"]
    confirmed.sort(key=lambda r: (r.name or "").casefold())
    return render_template(
        "organiser/attendance_sheet.html",
        event=event,
        attendees=confirmed,
        walk_in_rows=WALK_IN_ROWS,
        # A course's sheet is per session: who was checked in at this one.
        session=session,
        here_at_session=session_service.checked_in_at(session) if session else None,
    )


@bp.get("/evenemang/<id:event_id>/incheckning")
def check_in(event_id: int):
    event = event_or_403(event_id)
    form = CheckInSearchForm(request.args)
    query = (form.q.data or "").strip() if form.validate() else ""
    door = attendees.door_list(event, query)
    session = _chosen_session(event, request.args.get("tillfalle"))
    here_at_session = None
    if session is not None:
        # A course checks in per session: who is here is who came to this one.
        here_at_session = session_service.checked_in_at(session)
        confirmed = attendees.registrations_by_status(event)["confirmed"]
        door.here = sum(1 for r in confirmed if r.id in here_at_session)
    # A QR code per person found (to show someone their code), not for the whole list.
    qr_codes = {
        r.id: base64.b64encode(
            qr.qr_svg(check_in_url(event, r.check_in_code)).encode()
        ).decode()
        for r in (door.shown if query else [])
    }
    return render_template(
        "organiser/check_in.html",
        event=event,
        form=form,
        door=door,
        qr_codes=qr_codes,
        searched=bool(query),
        confirm_form=ConfirmForm(),
        # Outside the event's day each check-in says "anyway" (see check_in_registration).
        check_in_closed=attendees.check_in_closed_message(session or event),
        session=session,
        here_at_session=here_at_session,
    ), (200 if not form.errors else 400)


@bp.post("/evenemang/<id:event_id>/incheckning/<id:registration_id>")
def check_in_registration(event_id: int, registration_id: int):
    event = event_or_403(event_id)
    registration = _registration_or_404(event, registration_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    undo = request.form.get("undo") == "1"
    anyway = request.form.get("anyway") == "1"
    # A course's check-in is at one session (posted by the check-in page).
    session = _chosen_session(event, request.form.get("tillfalle")) if event.sessions else None

    def check_in_or_undo():
        if session is not None and undo:
            session_service.undo_session_check_in(registration, session, current_user)
            newly = False
        elif session is not None:
            newly = session_service.check_in_at_session(
                registration, session, current_user, anyway=anyway
            )
        elif undo:
            attendees.undo_check_in(registration, current_user)
            newly = False
        else:
            newly = attendees.check_in(registration, current_user, anyway=anyway)
        return registration.name, newly  # before the commit expires it

    outcome = commit_change(check_in_or_undo)
    if outcome.done:
        name, newly = outcome.value
        if undo:
            flash(_("%(name)s is no longer checked in.", name=name), "success")
        elif newly:
            flash(_("%(name)s is checked in.", name=name), "success")
        else:
            flash(_("%(name)s was already checked in.", name=name), "info")
    # Back to an empty search with focus (autofocus; a #fragment would cancel it), the name
    # confirmed right above it: the next person is searched for without scrolling back.
    session_arg = {"tillfalle": session.id} if session is not None else {}
    return redirect(url_for(".check_in", event_id=event_id, **session_arg))

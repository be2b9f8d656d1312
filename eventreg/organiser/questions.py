"""Organiser pages for an event's own registration questions: list, add, change, move and
remove. Routes live on the organiser blueprint."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..commit import commit_change
from ..errors import retry_after
from ..forms import ConfirmForm
from ..services import questions as question_service
from ..services.questions import QuestionData
from . import bp
from .access import event_or_403
from .forms import QuestionForm

# Posted with "save" on the warning step of a change to an answered question.
CONFIRMED = "bekraftad"
# The move buttons' field and values.
DIRECTION = "riktning"
DIRECTIONS = {"upp": -1, "ner": 1}


def _question_or_404(event, question_id: int):
    return question_service.question_of_event(event, question_id) or abort(404)


def _data(form: QuestionForm) -> QuestionData:
    kind = form.kind.data
    return QuestionData(
        kind=kind,
        label=form.label.data or "",
        help_text=form.help_text.data or "",
        choices=question_service.split_choices(form.choices.data) if kind == "choice" else [],
        is_required=bool(form.is_required.data),
    )


def _back_to_list(event_id: int):
    return redirect(url_for(".list_questions", event_id=event_id))


@bp.route("/evenemang/<id:event_id>/fragor", methods=["GET", "POST"])
def list_questions(event_id: int):
    event = event_or_403(event_id)
    form = QuestionForm()
    if form.validate_on_submit():
        outcome = commit_change(
            lambda: question_service.add_question(event, _data(form), current_user), form=form
        )
        if outcome.done:
            flash(_("The question is added."), "success")
            return _back_to_list(event_id)
        if outcome.busy:
            return _list_page(event, form), 503, retry_after()
    return _list_page(event, form), (400 if form.errors else 200)


def _list_page(event, form):
    asked = question_service.questions_of(event)
    return render_template(
        "organiser/questions.html",
        event=event,
        form=form,
        questions=asked,
        answer_counts=question_service.answer_counts(event),
        can_add=question_service.can_have_questions(event)
        and len(asked) < question_service.max_questions(),
        can_have=question_service.can_have_questions(event),
        max_questions=question_service.max_questions(),
        confirm_form=ConfirmForm(),
        direction=DIRECTION,
    )


@bp.route("/evenemang/<id:event_id>/fragor/<id:question_id>", methods=["GET", "POST"])
def edit_question(event_id: int, question_id: int):
    """A change to a question people have answered is shown with what it does to their
    answers first, and saved only when the organiser confirms."""
    event = event_or_403(event_id)
    question = _question_or_404(event, question_id)
    form = QuestionForm(obj=question)
    answers = question_service.answer_count(question)
    outlook = None
    if form.validate_on_submit():
        data = _data(form)
        if answers and request.form.get(CONFIRMED) != "1":
            outlook = question_service.change_outlook(question, data)
        else:
            outcome = commit_change(
                lambda: question_service.update_question(question, data, current_user),
                form=form,
            )
            if outcome.done:
                flash(_("The question is saved."), "success")
                return _back_to_list(event_id)
    return render_template(
        "organiser/question_form.html",
        event=event,
        question=question,
        form=form,
        answers=answers,
        outlook=outlook,
        confirmed_field=CONFIRMED,
    ), (400 if form.errors else 200)


@bp.route("/evenemang/<id:event_id>/fragor/<id:question_id>/ta-bort", methods=["GET", "POST"])
def delete_question(event_id: int, question_id: int):
    """GET says how many answers go with the question; POST removes both."""
    event = event_or_403(event_id)
    question = _question_or_404(event, question_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        outcome = commit_change(lambda: question_service.delete_question(question, current_user))
        if outcome.done:
            flash(_("The question is removed."), "success")
        return _back_to_list(event_id)
    if request.method == "POST":
        abort(400)
    return render_template(
        "organiser/question_delete.html",
        event=event,
        question=question,
        form=form,
        answers=question_service.answer_count(question),
    )


@bp.post("/evenemang/<id:event_id>/fragor/<id:question_id>/flytta")
def move_question(event_id: int, question_id: int):
    event = event_or_403(event_id)
    question = _question_or_404(event, question_id)
    step = DIRECTIONS.get(request.form.get(DIRECTION, ""))
    if not ConfirmForm().validate_on_submit() or step is None:
        abort(400)
    commit_change(lambda: question_service.move_question(question, step, current_user))
    return _back_to_list(event_id)

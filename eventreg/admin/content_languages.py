"""Administration of the languages event text can be written in (besides Swedish): add,
rename, reorder, deactivate, and remove one nobody has written in. Its routes are on the
admin blueprint, so the blueprint's own guard lets only administrators in."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..commit import commit_change
from ..extensions import db
from ..forms import ConfirmForm
from ..models import ContentLanguage
from ..services import translations
from . import bp
from .forms import ContentLanguageForm


def _get(language_id: int) -> ContentLanguage:
    return db.session.get(ContentLanguage, language_id) or abort(404)


@bp.get("/sprak")
def list_content_languages():
    return render_template(
        "admin/content_languages.html",
        languages=translations.content_languages(),
        counts=translations.translation_counts(),
        form=ConfirmForm(),
    )


@bp.route("/sprak/nytt", methods=["GET", "POST"])
@bp.route("/sprak/<id:language_id>", methods=["GET", "POST"])
def edit_content_language(language_id: int | None = None):
    language = _get(language_id) if language_id else None
    form = ContentLanguageForm(obj=language)
    if language is not None:
        # The code is not on the edit page: it is the language's identity.
        form.code.data = language.code
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in translations.LANGUAGE_FIELDS}
        saved = commit_change(
            lambda: translations.save_content_language(language, values, current_user),
            form=form, field="code", unique_field="code",
        )  # fmt: skip
        if saved.done:
            flash(_("The language is saved."), "success")
            return redirect(url_for(".list_content_languages"))
    status = 400 if form.errors else 200
    return render_template("admin/content_language_form.html", form=form, language=language), status


def _change(language: ContentLanguage, change) -> None:
    form = ConfirmForm()
    if form.validate_on_submit() and commit_change(lambda: change(language)).done:
        flash(_("The list of languages is saved."), "success")


@bp.post("/sprak/<id:language_id>/aktiv")
def activate_content_language(language_id: int):
    active = request.form.get("active") == "1"
    _change(
        _get(language_id),
        lambda language: translations.set_language_active(language, active, current_user),
    )
    return redirect(url_for(".list_content_languages"))


@bp.post("/sprak/<id:language_id>/flytta")
def move_content_language(language_id: int):
    step = -1 if request.form.get("step") == "up" else 1
    _change(
        _get(language_id), lambda language: translations.move_language(language, step, current_user)
    )
    return redirect(url_for(".list_content_languages"))


@bp.route("/sprak/<id:language_id>/ta-bort", methods=["GET", "POST"])
def delete_content_language(language_id: int):
    language = _get(language_id)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        if commit_change(lambda: translations.delete_content_language(language, current_user)).done:
            flash(_("The language is removed."), "success")
        return redirect(url_for(".list_content_languages"))
    return render_template(
        "admin/content_language_delete.html",
        language=language,
        events=translations.translation_counts().get(language.code, 0),
        form=form,
    )

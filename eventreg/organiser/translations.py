"""Organiser pages for an event's text in other languages than Swedish: the translations it
has, and a form per language for its title, summary and description. Routes live on the
organiser blueprint; only those who manage the event may open them."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired

from ..commit import commit_change
from ..extensions import db
from ..forms import ConfirmForm, TextForm, longest
from ..models import ContentLanguage, EventTranslation
from ..models.translations import translation_in
from ..services import translations
from ..services.translations import LANGUAGE_TAG, TranslationData
from . import bp
from .access import event_or_403


class TranslationForm(TextForm):
    """An event's text in one language; the same limits as the Swedish text's."""

    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Enter a title.")), longest(EventTranslation.title)],
    )
    summary = TextAreaField(_l("Summary"), validators=[longest(EventTranslation.summary)])
    description = TextAreaField(
        _l("Description"), validators=[longest(EventTranslation.description)]
    )


def _language_or_404(code: str) -> ContentLanguage:
    """The language named in the address; a code that cannot be one (a NUL, an endless
    string) names none, without asking the database."""
    if not LANGUAGE_TAG.match(code) or len(code) > 35:
        abort(404)
    language = db.session.scalar(select(ContentLanguage).where(ContentLanguage.code == code))
    return language or abort(404)


@bp.get("/evenemang/<id:event_id>/oversattningar")
def list_translations(event_id: int):
    event = event_or_403(event_id)
    return render_template(
        "organiser/translations.html",
        event=event,
        translations=sorted(event.translations, key=lambda t: (t.language.position, t.code)),
        languages=translations.languages_to_translate(event),
    )


@bp.route("/evenemang/<id:event_id>/oversattningar/<code>", methods=["GET", "POST"])
def edit_translation(event_id: int, code: str):
    event = event_or_403(event_id)
    language = _language_or_404(code)
    translation = translation_in(event, language.code)
    if translation is None and not language.is_active:
        abort(404)  # no new translations into a language taken out of use
    form = TranslationForm(obj=translation)
    if form.validate_on_submit():
        data = TranslationData(language.code, form.title.data, form.summary.data or "",
                               form.description.data or "")  # fmt: skip
        if commit_change(lambda: translations.save_translation(event, data, current_user),
                         form=form, field="title").done:  # fmt: skip
            flash(_("The translation is saved."), "success")
            return redirect(url_for(".list_translations", event_id=event_id))
    status = 400 if form.errors else 200
    return render_template(
        "organiser/translation_form.html",
        event=event,
        language=language,
        translation=translation,
        form=form,
    ), status


@bp.route("/evenemang/<id:event_id>/oversattningar/<code>/ta-bort", methods=["GET", "POST"])
def delete_translation(event_id: int, code: str):
    event = event_or_403(event_id)
    language = _language_or_404(code)
    translation = translation_in(event, language.code) or abort(404)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        if commit_change(
            lambda: translations.delete_translation(event, language.code, current_user)
        ).done:
            flash(_("The translation is removed."), "success")
        return redirect(url_for(".list_translations", event_id=event_id))
    return render_template(
        "organiser/translation_delete.html",
        event=event,
        language=language,
        translation=translation,
        form=form,
    )

"""Organiser pages for what comes after an event: attaching, changing and removing slides,
documents and recording links. Routes live on the organiser blueprint."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..forms import ConfirmForm
from ..services import materials as material_service
from ..services.materials import MaterialData, MaterialError, Upload
from . import bp
from .access import event_or_403
from .forms import MaterialEditForm, MaterialForm

# Room for the rest of the upload form around the file (title, link, token, boundaries).
FORM_ALLOWANCE = 64 * 1024


UPLOAD_ENDPOINT = "organiser.list_materials"


def _allow_large_upload() -> None:
    """The upload page takes a request up to MATERIAL_MAX_BYTES (plus its form); every other
    page keeps MAX_CONTENT_LENGTH."""
    if request.endpoint == UPLOAD_ENDPOINT:
        request.max_content_length = current_app.config["MATERIAL_MAX_BYTES"] + FORM_ALLOWANCE


@bp.record_once
def _install_upload_limit(state) -> None:
    # First of the app's before-request functions: the CSRF check and the NUL-character
    # check read the form before any view runs, and the limit must be set before that.
    state.app.before_request_funcs.setdefault(None, []).insert(0, _allow_large_upload)


def _material_or_404(event, material_id: int):
    return material_service.material_of_event(event, material_id) or abort(404)


def _data(form, kind: str) -> MaterialData:
    return MaterialData(
        kind=kind,
        title=form.title.data,
        language=form.language.data,
        url=form.url.data or "",
        has_captions=form.has_captions.data,
        in_theme_library=form.in_theme_library.data,
    )


def _upload(storage) -> Upload | None:
    """The chosen file, read up to one byte past the limit (enough to say it is too big)."""
    if not storage or not getattr(storage, "filename", ""):
        return None
    limit = current_app.config["MATERIAL_MAX_BYTES"]
    return Upload(storage.filename, storage.stream.read(limit + 1))


def _show_error(form, error: MaterialError) -> None:
    """Next to its field when it has one (the error summary links to it), else on top."""
    target = getattr(form, error.field or "", None)
    if target is not None:
        target.errors = [*target.errors, error.message]
    else:
        flash(error.message, "error")


def _commit_or_discard(stored_name: str | None) -> None:
    """Commit; a file written for a change that could not be committed is removed again."""
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        material_service.discard_file(stored_name)
        raise


@bp.route("/evenemang/<id:event_id>/material", methods=["GET", "POST"])
def list_materials(event_id: int):
    event = event_or_403(event_id)
    form = MaterialForm()
    refused = False
    if form.validate_on_submit():
        try:
            material = material_service.add_material(
                event, _data(form, form.kind.data), _upload(form.file.data), current_user
            )
        except MaterialError as error:
            db.session.rollback()
            _show_error(form, error)
            refused = True
        else:
            in_library = material.in_theme_library
            without_themes = in_library and not event.themes
            _commit_or_discard(material.stored_name)
            flash(_("The material is added."), "success")
            if without_themes:
                flash(_("The event has no theme, so the material is in no theme's library."),
                      "info")  # fmt: skip
            return redirect(url_for(".list_materials", event_id=event_id))
    return render_template(
        "organiser/materials.html",
        event=event,
        form=form,
        materials=material_service.materials_of(event),
        can_add=material_service.can_have_materials(event),
        max_mb=current_app.config["MATERIAL_MAX_BYTES"] // (1024 * 1024),
        file_types=", ".join(t.upper() for t in material_service.MATERIAL_FILE_TYPES),
    ), (400 if form.errors or refused else 200)


@bp.route("/evenemang/<id:event_id>/material/<id:material_id>", methods=["GET", "POST"])
def edit_material(event_id: int, material_id: int):
    event = event_or_403(event_id)
    material = _material_or_404(event, material_id)
    form = MaterialEditForm(obj=material)
    refused = False
    if form.validate_on_submit():
        try:
            material_service.update_material(material, _data(form, material.kind), current_user)
        except MaterialError as error:
            db.session.rollback()
            _show_error(form, error)
            refused = True
        else:
            db.session.commit()
            flash(_("The material is saved."), "success")
            return redirect(url_for(".list_materials", event_id=event_id))
    return render_template(
        "organiser/material_form.html", event=event, material=material, form=form
    ), (400 if form.errors or refused else 200)


@bp.route("/evenemang/<id:event_id>/material/<id:material_id>/ta-bort", methods=["GET", "POST"])
def delete_material(event_id: int, material_id: int):
    event = event_or_403(event_id)
    material = _material_or_404(event, material_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        stored_name = material_service.delete_material(material, current_user)
        db.session.commit()
        material_service.discard_file(stored_name)
        flash(_("The material is removed."), "success")
        return redirect(url_for(".list_materials", event_id=event_id))
    return render_template(
        "organiser/material_delete.html", event=event, material=material, form=form
    )

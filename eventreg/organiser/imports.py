"""Importing events from a CSV or .ics file: upload, preview with per-row errors, confirm."""

import base64
import binascii

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..models import Organisation
from ..services import imports
from ..services.catalogue import all_organisations
from . import bp
from .access import can_manage_organisation, managed_organisations, parse_row_id
from .forms import ImportConfirmForm, ImportUploadForm


def _organisation_from_form() -> Organisation:
    """The organisation posted, if the user may import for it (403 for a guessed id)."""
    organisation_id = parse_row_id(request.form.get("organisation_id"))
    organisation = db.session.get(Organisation, organisation_id) if organisation_id else None
    if organisation is not None and not can_manage_organisation(current_user, organisation.id):
        abort(403)
    return organisation


def _preview(form, filename: str, content: bytes, organisation: Organisation, municipality):
    try:
        rows = imports.parse_file(filename, content, organisation, municipality or None)
    except imports.ImportFileError as error:
        form.file.errors.append(str(error))
        return None
    return rows


@bp.route("/import", methods=["GET", "POST"])
def import_events():
    organisations = managed_organisations(current_user)
    if not organisations:
        abort(403)
    if request.method == "POST":
        _organisation_from_form()
    form = ImportUploadForm(organisations)
    rows = None
    if form.validate_on_submit():
        organisation = db.session.get(Organisation, form.organisation_id.data)
        upload = form.file.data
        content = upload.read(imports.MAX_IMPORT_BYTES + 1)
        rows = _preview(form, upload.filename or "", content, organisation,
                        form.default_municipality.data)  # fmt: skip
        if rows is not None:
            confirm = ImportConfirmForm(
                formdata=None,
                content=base64.b64encode(content).decode(),
                filename=upload.filename,
                organisation_id=organisation.id,
                default_municipality=form.default_municipality.data,
            )
            return render_template(
                "organiser/import_preview.html", rows=rows, confirm=confirm,
                organisation=organisation,
                good=sum(1 for r in rows if r.is_good),
            )  # fmt: skip
    status = 400 if form.errors else 200
    return render_template(
        "organiser/import.html", form=form,
        organisation_slugs=[o.slug for o in all_organisations()],  # co-organisers' column
    ), status  # fmt: skip


@bp.post("/import/bekrafta")
def confirm_import():
    organisation = _organisation_from_form()
    form = ImportConfirmForm()
    if not form.validate_on_submit() or organisation is None:
        abort(400)
    try:
        content = base64.b64decode(form.content.data or "", validate=True)
        rows = imports.parse_file(form.filename.data or "", content, organisation,
                                  form.default_municipality.data or None)  # fmt: skip
    except (binascii.Error, imports.ImportFileError):
        abort(400)
    created = imports.import_rows(rows, current_user)
    db.session.commit()
    flash(_("%(count)d events imported as drafts; %(bad)d rows were left out.",
            count=len(created), bad=len(rows) - len(created)), "success")  # fmt: skip
    if created:
        flash(_("Check the drafts, then tick them in the list to publish them together."),
              "info")  # fmt: skip
    return redirect(url_for(".dashboard"))

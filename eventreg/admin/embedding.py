"""Administration of embedding: per organisation, the web sites (origins) that may show the
embeddable event list in an iframe. Its routes are on the admin blueprint, so the
blueprint's own guard lets only administrators in."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..commit import commit_change
from ..extensions import db
from ..forms import ConfirmForm
from ..models import EmbedOrigin, Organisation
from ..services import embedding
from ..services.catalogue import all_organisations
from . import bp
from .forms import OriginForm


@bp.get("/inbaddning")
def list_embed_origins():
    return render_template(
        "admin/embed_origins.html", organisations=all_organisations(), confirm_form=ConfirmForm()
    )


@bp.route("/organisationer/<id:organisation_id>/inbaddning", methods=["GET", "POST"])
def edit_embed_origins(organisation_id: int):
    organisation = db.session.get(Organisation, organisation_id) or abort(404)
    form = OriginForm()
    if form.validate_on_submit():
        text = form.origin.data
        outcome = commit_change(
            lambda: embedding.add_origin(organisation, text, current_user).origin,
            form=form,
            field="origin",
            unique_field="origin",
        )
        if outcome.done:
            flash(_("%(origin)s may now show the event list.", origin=outcome.value), "success")
            return redirect(url_for(".edit_embed_origins", organisation_id=organisation_id))
    status = 400 if form.errors else 200
    return render_template(
        "admin/embed_origin_form.html",
        organisation=organisation,
        form=form,
        confirm_form=ConfirmForm(),
    ), status


@bp.post("/inbaddning/<id:origin_id>/ta-bort")
def remove_embed_origin(origin_id: int):
    allowed = db.session.get(EmbedOrigin, origin_id) or abort(404)
    organisation_id, origin = allowed.organisation_id, allowed.origin
    if ConfirmForm().validate_on_submit():
        if commit_change(lambda: embedding.remove_origin(allowed, current_user)).done:
            flash(_("%(origin)s may no longer show the event list.", origin=origin), "success")
    return redirect(url_for(".edit_embed_origins", organisation_id=organisation_id))

"""Administration of the target groups (målgrupper): the controlled list organisers choose
from on the event form and visitors filter on. Its routes are on the admin blueprint, so
the blueprint's own guard lets only administrators in."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..commit import commit_change
from ..extensions import db
from ..forms import ConfirmForm
from ..models import TargetGroup
from ..services import target_groups
from ..services.catalogue import all_target_groups
from . import bp
from .forms import TargetGroupForm


def _get(group_id: int) -> TargetGroup:
    return db.session.get(TargetGroup, group_id) or abort(404)


@bp.get("/malgrupper")
def list_target_groups():
    return render_template(
        "admin/target_groups.html",
        target_groups=all_target_groups(),
        event_counts=target_groups.event_counts(),
    )


@bp.route("/malgrupper/ny", methods=["GET", "POST"])
@bp.route("/malgrupper/<id:target_group_id>", methods=["GET", "POST"])
def edit_target_group(target_group_id: int | None = None):
    group = _get(target_group_id) if target_group_id else None
    form = TargetGroupForm(obj=group)
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in target_groups.FIELDS}
        # An address name taken by a race lost at the database is a field error too.
        if commit_change(lambda: target_groups.save_target_group(group, values, current_user),
                         form=form, field="slug", unique_field="slug").done:  # fmt: skip
            flash(_("The target group is saved."), "success")
            return redirect(url_for(".list_target_groups"))
    status = 400 if form.errors else 200
    return render_template("admin/target_group_form.html", form=form, group=group), status


@bp.route("/malgrupper/<id:target_group_id>/ta-bort", methods=["GET", "POST"])
def delete_target_group(target_group_id: int):
    group = _get(target_group_id)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        target_groups.delete_target_group(group, current_user)
        db.session.commit()
        flash(_("The target group is removed."), "success")
        return redirect(url_for(".list_target_groups"))
    return render_template(
        "admin/target_group_delete.html",
        group=group,
        events=target_groups.event_counts().get(group.id, 0),
        form=form,
    )

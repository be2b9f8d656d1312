"""Administration pages. Every route needs an administrator (organisers get 403)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from sqlalchemy import select

from ..auth import accounts
from ..commit import commit_change
from ..extensions import db
from ..forms import ConfirmForm
from ..models import Organisation, Resource, Theme, User
from ..services import audit
from ..services.catalogue import all_organisations, all_themes
from . import bp, operations
from .forms import AuditFilterForm, OrganisationForm, ResourceForm, ThemeForm, UserForm


def _get(model, object_id: int):
    return db.session.get(model, object_id) or abort(404)


def _values(form, names) -> dict:
    return {name: getattr(form, name).data for name in names}


@bp.get("/")
def index():
    return render_template("admin/index.html")


AUDIT_ENTRIES_PER_PAGE = 50


@bp.get("/logg")
def audit_log():
    form = AuditFilterForm(audit.users_in_log(), request.args)
    if not form.validate():
        return render_template("admin/audit_log.html", form=form, history=[], page=None), 400
    filters = audit.AuditFilter(
        event_id=form.event_id.data,
        user_id=int(form.user_id.data) if form.user_id.data else None,
        action_prefix=form.action.data or None,
        date_from=form.fran.data,
        date_to=form.till.data,
    )
    page = audit.audit_page(filters, form.sida.data or 1, AUDIT_ENTRIES_PER_PAGE)
    return render_template(
        "admin/audit_log.html", form=form, history=audit.present(page.items), page=page
    )


# --- themes and resources ------------------------------------------------------------------


@bp.get("/teman")
def list_themes():
    themes = all_themes()
    return render_template(
        "admin/themes.html", themes=themes, confirm_form=ConfirmForm(),
        event_counts=operations.theme_event_counts(),
    )  # fmt: skip


@bp.route("/teman/nytt", methods=["GET", "POST"])
@bp.route("/teman/<id:theme_id>", methods=["GET", "POST"])
def edit_theme(theme_id: int | None = None):
    theme = _get(Theme, theme_id) if theme_id else None
    form = ThemeForm(obj=theme)
    if form.validate_on_submit():
        values = _values(form, operations.THEME_FIELDS)
        # A slug taken by a race lost at the database is a field error too.
        if commit_change(lambda: operations.save_theme(theme, values, current_user),
                         form=form, unique_field="slug").done:  # fmt: skip
            flash(_("The theme is saved."), "success")
            return redirect(url_for(".list_themes"))
    status = 400 if form.errors else 200
    return render_template("admin/theme_form.html", form=form, theme=theme), status


def _confirm_delete(what: str, consequence: str):
    """The confirmation step before a removal (a page, so it works without JavaScript)."""
    return render_template(
        "admin/confirm_delete.html", what=what, consequence=consequence, form=ConfirmForm()
    )


@bp.route("/teman/<id:theme_id>/ta-bort", methods=["GET", "POST"])
def delete_theme(theme_id: int):
    theme = _get(Theme, theme_id)
    if request.method == "GET":
        return _confirm_delete(theme.name_sv, _("Its resources are removed too, and events "
                                                "keep their other themes."))  # fmt: skip
    operations.delete_theme(theme, current_user)
    db.session.commit()
    flash(_("The theme is removed."), "success")
    return redirect(url_for(".list_themes"))


@bp.route("/teman/<id:theme_id>/resurser/ny", methods=["GET", "POST"])
@bp.route("/resurser/<id:resource_id>", methods=["GET", "POST"])
def edit_resource(theme_id: int | None = None, resource_id: int | None = None):
    resource = _get(Resource, resource_id) if resource_id else None
    theme = resource.theme if resource else _get(Theme, theme_id)
    form = ResourceForm(obj=resource)
    if form.validate_on_submit():
        values = _values(form, operations.RESOURCE_FIELDS)
        if commit_change(lambda: operations.save_resource(resource, theme, values, current_user),
                         form=form).done:  # fmt: skip
            flash(_("The resource is saved."), "success")
            return redirect(url_for(".list_themes"))
    status = 400 if form.errors else 200
    return render_template(
        "admin/resource_form.html", form=form, resource=resource, theme=theme
    ), status


@bp.route("/resurser/<id:resource_id>/ta-bort", methods=["GET", "POST"])
def delete_resource(resource_id: int):
    resource = _get(Resource, resource_id)
    if request.method == "GET":
        return _confirm_delete(resource.title, "")
    operations.delete_resource(resource, current_user)
    db.session.commit()
    flash(_("The resource is removed."), "success")
    return redirect(url_for(".list_themes"))


# --- organisations -------------------------------------------------------------------------


@bp.get("/organisationer")
def list_organisations():
    organisations = all_organisations()
    return render_template(
        "admin/organisations.html", organisations=organisations, confirm_form=ConfirmForm(),
        event_counts=operations.event_counts(),
    )  # fmt: skip


@bp.route("/organisationer/ny", methods=["GET", "POST"])
@bp.route("/organisationer/<id:organisation_id>", methods=["GET", "POST"])
def edit_organisation(organisation_id: int | None = None):
    organisation = _get(Organisation, organisation_id) if organisation_id else None
    form = OrganisationForm(obj=organisation)
    if form.validate_on_submit():
        values = _values(form, operations.ORGANISATION_FIELDS)
        if commit_change(lambda: operations.save_organisation(organisation, values, current_user),
                         form=form, unique_field="slug").done:  # fmt: skip
            flash(_("The organisation is saved."), "success")
            return redirect(url_for(".list_organisations"))
    status = 400 if form.errors else 200
    return render_template(
        "admin/organisation_form.html", form=form, organisation=organisation
    ), status


@bp.route("/organisationer/<id:organisation_id>/ta-bort", methods=["GET", "POST"])
def delete_organisation(organisation_id: int):
    organisation = _get(Organisation, organisation_id)
    events = operations.event_counts().get(organisation.id, 0)
    if request.method == "GET" and events:
        # Nothing to confirm: say why it cannot be removed instead of offering a button.
        flash(_("%(name)s has %(count)d events, so it cannot be removed. Events are kept as "
                "history.", name=organisation.name, count=events), "error")  # fmt: skip
        return redirect(url_for(".list_organisations"))
    if request.method == "GET":
        consequence = _("Its members lose access to it.")
        return _confirm_delete(organisation.name, consequence)
    if commit_change(lambda: operations.delete_organisation(organisation, current_user)).done:
        flash(_("The organisation is removed."), "success")
    return redirect(url_for(".list_organisations"))


# --- accounts ------------------------------------------------------------------------------


@bp.get("/anvandare")
def list_users():
    users = db.session.scalars(select(User).order_by(User.name)).all()
    return render_template("admin/users.html", users=users)


@bp.route("/anvandare/ny", methods=["GET", "POST"])
@bp.route("/anvandare/<id:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int | None = None):
    account = _get(User, user_id) if user_id else None
    organisations = all_organisations()
    form = UserForm(organisations, obj=account)
    if account is None:
        # A new account chooses its own password through the invitation it is sent.
        del form.password
        del form.password_again
    if request.method == "GET" and account is not None:
        form.organisation_ids.data = sorted(account.organisation_ids)
    if form.validate_on_submit():
        values = _values(form, ("email", "name", "is_admin", "active"))
        values["password"] = form.password.data if account is not None else None

        def save():
            saved = operations.save_user(
                account, values, form.organisation_ids.data or [], current_user
            )
            if account is None:
                accounts.invite(saved)  # the new user chooses their own password
            return saved

        outcome = commit_change(save, form=form, unique_field="email")
        if outcome.done:
            if values["password"] and account is not None and account.id == current_user.id:
                login_user(account)  # a new password ended every session but this one
            if account is None:
                flash(_("The account is saved. An invitation to choose a password is on "
                        "its way to %(email)s.", email=outcome.value.email), "success")  # fmt: skip
            else:
                flash(_("The account is saved."), "success")
            return redirect(url_for(".list_users"))
    status = 400 if form.errors else 200
    return render_template("admin/user_form.html", form=form, account=account), status

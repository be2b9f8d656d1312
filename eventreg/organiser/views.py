"""The organiser area's pages. Views parse, call a service, commit once, and redirect."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db, limiter
from . import accounts
from .access import managed_organisations
from .forms import LoginForm, LogoutForm

bp = Blueprint("organiser", __name__, url_prefix="/arrangor")


@bp.app_context_processor
def _organiser_forms():
    """The logout button appears in the organiser navigation on every organiser page."""
    return {"logout_form": LogoutForm}


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/logga-in", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user)
            db.session.commit()
            target = form.next.data
            if not accounts.is_safe_next_url(target):
                target = url_for(".dashboard")
            return redirect(target)
        # One message whether the email is unknown or the password wrong: no enumeration.
        form.password.errors.append(_("The email address or password is not correct."))
    status = 200 if request.method == "GET" or not form.errors else 400
    return render_template("organiser/login.html", form=form), status


@bp.post("/logga-ut")
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        logout_user()
        flash(_("You have logged out."), "info")
    return redirect(url_for("catalogue.home"))


@bp.get("/")
@login_required
def dashboard():
    return render_template(
        "organiser/dashboard.html", organisations=managed_organisations(current_user)
    )

"""Logging in, logging out and choosing a new password. Open to everyone: these pages are
how one gets past the organiser and administration areas' login guard."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from ..extensions import db, limiter
from . import accounts, bp
from .forms import LoginForm, LogoutForm, NewPasswordForm, PasswordResetRequestForm
from .sessions import log_out


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _refused(response) -> bool:
    return response.status_code >= 400


@bp.route("/logga-in", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(
    _account_limit, key_func=accounts.account_limit_key, methods=["POST"], deduct_when=_refused
)
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
                target = url_for("organiser.dashboard")
            return redirect(target)
        # One message whether the email is unknown or the password wrong: no enumeration.
        form.password.errors.append(_("The email address or password is not correct."))
    status = 200 if request.method == "GET" or not form.errors else 400
    return render_template("auth/login.html", form=form), status


@bp.route("/glomt-losenord", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_account_limit, key_func=accounts.account_limit_key, methods=["POST"])
def forgot_password():
    form = PasswordResetRequestForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        db.session.commit()
        # The same answer for every address: the page never tells who has an account.
        flash(
            _("If %(email)s belongs to an account, a link to choose a new password is on its "
              "way. Check your inbox.", email=form.email.data),
            "info",
        )  # fmt: skip
        return redirect(url_for(".login"))
    status = 400 if form.errors else 200
    return render_template("auth/forgot_password.html", form=form), status


@bp.route("/nytt-losenord/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    user = accounts.user_from_reset_token(token)
    if user is None:
        return render_template("auth/reset_invalid.html"), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        accounts.reset_password(user, form.password.data)
        db.session.commit()
        flash(_("Your password is changed. Log in with the new one."), "success")
        return redirect(url_for(".login"))
    status = 400 if form.errors else 200
    return render_template("auth/reset_password.html", form=form, token=token), status


@bp.post("/logga-ut")
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            log_out(current_user)
            db.session.commit()
        flash(_("You have logged out."), "info")
    return redirect(url_for("catalogue.home"))

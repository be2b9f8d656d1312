"""/bevaka: subscribe to new events in a theme, a municipality or an organisation, confirm
through the emailed link, unsubscribe in one click.

The answer to the subscribe form is always "check your email", whoever the address belongs
to and whatever it follows already. A wrong, tampered, revoked or expired link is a 404
page, like every other signed link. The unsubscribe URL takes RFC 8058's one-click POST
from mail clients, which carries no CSRF token: it only ever stops emails, and its secret
is the token in the address.
"""

from flask import abort, current_app, redirect, render_template, request, url_for
from sqlalchemy.exc import IntegrityError

from .. import security
from ..extensions import csrf, db, limiter
from ..forms import ConfirmForm
from ..i18n import current_language
from ..mail import sender
from ..services import alerts
from . import bp
from .forms import AlertForm


def _alert_limit() -> str:
    return current_app.config["ALERT_RATE_LIMIT"]


@bp.after_request
def _keep_private(response):
    """Pages with a secret in the address, or answering about an address: not cached,
    not indexed, and the address not sent on as Referer."""
    security.keep_out_of_caches(response)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _target_or_404() -> alerts.AlertTarget:
    args = request.args
    target = alerts.find_target(args.get("tema"), args.get("kommun"), args.get("arrangor"))
    return target or abort(404)


@bp.route("/bevaka", methods=["GET", "POST"])
@limiter.limit(_alert_limit, methods=["POST"])
def subscribe():
    target = _target_or_404()
    form = AlertForm()
    if form.validate_on_submit():
        try:
            alerts.subscribe(form.email.data, target, form.frequency.data, current_language())
            db.session.commit()
        except alerts.UnsafeAddress as error:
            db.session.rollback()
            form.email.errors.append(error.message)
            return render_template("alerts/subscribe.html", form=form, target=target), 400
        except IntegrityError:
            # The same address and target at the same moment: the other request wrote it
            # and emailed the address, so the answer is the same.
            db.session.rollback()
        return redirect(url_for(".check_email", **target.query_args))
    status = 400 if form.errors else 200
    return render_template("alerts/subscribe.html", form=form, target=target), status


@bp.get("/bevaka/skickad")
def check_email():
    """The same page for every address: nothing on it depends on what it follows."""
    return render_template("alerts/check_email.html", target=_target_or_404())


@bp.route("/bevaka/bekrafta/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """A page with a button, not a change on GET: link scanners in mail systems open
    links, and must not subscribe anyone."""
    found = alerts.subscription_from_confirm_token(token) or abort(404)
    subscription, frequency = found
    form = ConfirmForm()
    if form.validate_on_submit():
        alerts.confirm(subscription, frequency)
        db.session.commit()
        return render_template("alerts/confirmed.html", weekly=frequency == "weekly")
    return render_template(
        "alerts/confirm.html", form=form, weekly=frequency == "weekly", token=token
    )


@bp.route("/bevaka/avsluta/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str):
    """GET: a page with a button. POST (that button, or a mail client's RFC 8058 one-click
    POST with `List-Unsubscribe=One-Click`): unsubscribed, and saying so again is fine."""
    subscription = alerts.subscription_from_unsubscribe_token(token) or abort(404)
    if request.method == "POST":
        purged = alerts.unsubscribe(subscription)
        db.session.commit()
        sender.remove_eml_files(purged)
        return render_template("alerts/unsubscribed.html")
    if subscription.unsubscribed_at is not None:
        return render_template("alerts/unsubscribed.html")
    return render_template("alerts/unsubscribe.html", form=ConfirmForm(), token=token)

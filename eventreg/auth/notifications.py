"""The accounts' own emails: the link to choose a new password, and a new account's
invitation. Written to the outbox like every email (mail.outbox.enqueue).

Rendered when queued, unlike the attendee emails: the reset request does the same work
whether or not the account exists (see accounts.request_password_reset), so the work is
done here, in the request."""

from flask import current_app, render_template
from flask_babel import gettext as _

from ..mail.links import absolute_url
from ..mail.messages import format_recipient
from ..mail.outbox import enqueue
from ..models import OutboxEmail, User


def render_password_reset(user: User, token: str, max_age_minutes: int) -> tuple[str, str, str]:
    """(subject, text, html) of the reset email."""
    url = absolute_url("auth.reset_password", token=token)
    subject = _("Choose a new password for %(site)s", site=current_app.config["SITE_NAME"])
    context = {"user": user, "reset_url": url, "minutes": max_age_minutes, "subject": subject}
    return (
        subject,
        render_template("auth/emails/password_reset.txt", **context),
        render_template("auth/emails/password_reset.html", **context),
    )


def queue_password_reset(user: User, token: str, max_age_minutes: int) -> OutboxEmail:
    """A reset link for an organiser account (no registration behind it)."""
    subject, text, html = render_password_reset(user, token, max_age_minutes)
    return enqueue(
        "password_reset",
        recipient=format_recipient(user.name, user.email),
        subject=subject,
        text=text,
        html=html,
    )


def render_invitation(user: User, token: str, max_age_days: int) -> tuple[str, str, str]:
    """(subject, text, html) of a new account's invitation to choose its password."""
    url = absolute_url("auth.reset_password", token=token)
    subject = _("Your organiser account: choose a password")
    context = {"user": user, "reset_url": url, "days": max_age_days, "subject": subject,
               "login_url": absolute_url("auth.login")}  # fmt: skip
    return (
        subject,
        render_template("auth/emails/invitation.txt", **context),
        render_template("auth/emails/invitation.html", **context),
    )


def queue_invitation(user: User, token: str, max_age_days: int) -> OutboxEmail:
    """A new account's invitation, written to the outbox like the reset link."""
    subject, text, html = render_invitation(user, token, max_age_days)
    return enqueue(
        "invitation",
        recipient=format_recipient(user.name, user.email),
        subject=subject,
        text=text,
        html=html,
    )

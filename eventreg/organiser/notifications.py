"""Emails the organiser area writes to the outbox: event changes, organisers' messages
to registrants, and password-reset links. Queued in the same transaction as the change and
sent later by `flask send-mail`, like every email of the registry."""

from flask import current_app, render_template
from flask_babel import gettext as _

from ..extensions import db
from ..mail.links import absolute_url
from ..mail.messages import format_recipient, new_message_id
from ..mail.outbox import queue_attendee_email
from ..models import OutboxEmail, Registration, User


def queue_event_changed(registration: Registration) -> OutboxEmail:
    """The new time and place, with an updated calendar file (higher SEQUENCE)."""
    return queue_attendee_email(
        registration,
        "event_changed",
        subject_of=lambda title: _("Changed: %(title)s", title=title),
        template="organiser/emails/event_changed",
        ics_method="PUBLISH" if registration.is_confirmed else None,
    )


def queue_organiser_message(registration: Registration, subject: str, body: str) -> OutboxEmail:
    return queue_attendee_email(
        registration,
        "organiser_message",
        subject_of=lambda title: f"{subject} ({title})",
        template="organiser/emails/organiser_message",
        message_subject=subject,
        message_body=body,
    )


def render_password_reset(user: User, token: str, max_age_minutes: int) -> tuple[str, str, str]:
    """(subject, text, html) of the reset email."""
    url = absolute_url("organiser.reset_password", token=token)
    subject = _("Choose a new password for eventreg")
    context = {"user": user, "reset_url": url, "minutes": max_age_minutes, "subject": subject}
    return (
        subject,
        render_template("organiser/emails/password_reset.txt", **context),
        render_template("organiser/emails/password_reset.html", **context),
    )


def queue_password_reset(user: User, token: str, max_age_minutes: int) -> OutboxEmail:
    """A reset link for an organiser account (no registration behind it)."""
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    subject, text, html = render_password_reset(user, token, max_age_minutes)
    email = OutboxEmail(
        registration=None,
        kind="password_reset",
        message_id=new_message_id(sender),
        recipient=format_recipient(user.name, user.email),
        subject=subject,
        body_text=text,
        body_html=html,
    )
    db.session.add(email)
    db.session.flush()
    return email

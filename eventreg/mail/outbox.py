"""The outbox: emails written in the same transaction as the change they report.

Nothing is sent here. The sender (`flask send-mail`) delivers what the committed outbox
holds, so an email exists only if its change was committed, and a failed delivery can never
undo a registration.

A row records what to send: the kind, the registration or address, the language and the
parameters the text needs. Most emails are rendered only when sent (see
`notifications.render`), so writing one costs an INSERT and no template, calendar file or
QR code: the registration service writes them while it holds an event's lock.
"""

from flask import current_app

from ..extensions import db
from ..models import OutboxEmail, Registration
from ..models.types import with_defaults
from .messages import new_message_id


def enqueue(
    kind: str,
    *,
    recipient: str,
    registration: Registration | None = None,
    locale: str | None = None,
    params: dict | None = None,
    ics_method: str | None = None,
    subject: str | None = None,
    text: str | None = None,
    html: str | None = None,
    headers: dict[str, str] | None = None,
    alert_subscription_id: int | None = None,
) -> OutboxEmail:
    """Add an email to the outbox and flush (the caller commits). `recipient` is formatted
    already (messages.format_recipient). Without `subject`, `text` and `html`, the sender
    renders the email from `kind`, the registration and `params` when it sends it; with
    them (an email that is not about a registration), it is sent as given. `headers` are
    added to the message (an alert's List-Unsubscribe); `alert_subscription_id` ties an
    alert's email to its subscription, so unsubscribing purges it."""
    email = OutboxEmail(
        registration=registration,
        **_columns(kind, recipient, locale, params, ics_method),
        subject=subject,
        body_text=text,
        body_html=html,
        headers=headers or None,
        alert_subscription_id=alert_subscription_id,
    )
    db.session.add(email)
    db.session.flush()
    return email


def registration_email_row(
    kind: str,
    *,
    registration_id: int,
    recipient: str,
    locale: str | None,
    params: dict | None,
    ics_method: str | None,
) -> dict:
    """What `enqueue` stores for an email about a registration, as the values of an
    outbox_email row, for a registration that is inserted as a row rather than added as an
    object (a sign-up: see services.registrations.register, which writes it with its other
    rows). The sender renders it like any other: every column is given, with the table's
    defaults (pending, due now) where the email sets nothing."""
    return with_defaults(
        OutboxEmail.__table__,
        {"registration_id": registration_id,
         **_columns(kind, recipient, locale, params, ics_method)},  # fmt: skip
    )


def _columns(kind, recipient, locale, params, ics_method) -> dict:
    return {
        "kind": kind,
        "message_id": new_message_id(current_app.config["MAIL_DEFAULT_SENDER"]),
        "recipient": recipient,
        "locale": locale,
        "params": params or None,
        "ics_method": ics_method,
    }

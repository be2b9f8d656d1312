"""The outbox: emails written in the same transaction as the change they report.

Nothing is sent here. The sender (`flask send-mail`) delivers what the committed outbox
holds, so an email exists only if its change was committed, and a failed delivery can never
undo a registration.
"""

from collections.abc import Callable

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from ..extensions import db
from ..feeds import ical
from ..models import OutboxEmail, Registration
from ..templating import event_when
from .links import absolute_url, base_url
from .messages import format_recipient, new_message_id, qr_content_id, qr_pixel_size

# kind → (subject, iTIP method of the attached calendar file or None)
KINDS = {
    "confirmation": (lambda title: _("Registration confirmed: %(title)s", title=title), "PUBLISH"),
    "waiting": (lambda title: _("You are on the waiting list: %(title)s", title=title), None),
    "promotion": (lambda title: _("You have a seat: %(title)s", title=title), "PUBLISH"),
    "cancellation": (lambda title: _("Registration cancelled: %(title)s", title=title), None),
    "manage_link": (lambda title: _("Your registration for %(title)s", title=title), None),
    "event_cancelled": (lambda title: _("Event cancelled: %(title)s", title=title), "CANCEL"),
}
# The emails that give someone a seat carry the check-in code, also as a QR code.
WITH_CHECK_IN_QR = frozenset({"confirmation", "promotion"})


def registration_links(registration: Registration) -> dict[str, str]:
    """The attendee's own links: manage page, its .ics, and the personal calendar feed."""
    from ..services.registrations import feed_token, manage_token

    token = manage_token(registration)
    event = registration.event
    return {
        "manage_url": absolute_url("registration.manage", token=token),
        "ics_url": absolute_url("registration.download_ics", token=token),
        "feed_url": absolute_url("registration.personal_feed", token=feed_token(registration)),
        "event_url": absolute_url(
            "catalogue.show_event", public_id=event.public_id, slug=event.slug
        ),
    }


def event_calendar_bytes(registration: Registration, method: str = "PUBLISH") -> bytes:
    """The event as a calendar file, in the attendee's language, with the feeds' UID."""
    event = registration.event
    calendar = ical.build_calendar(
        [event], base_url=base_url(), name=event.title, method=method, locale=registration.locale
    )
    return ical.serialize(calendar)


def queue_registration_email(registration: Registration, kind: str) -> OutboxEmail:
    """Write the `kind` email about a registration (one of KINDS) to the outbox."""
    subject_of, ics_method = KINDS[kind]
    return queue_attendee_email(
        registration,
        kind,
        subject_of=subject_of,
        template=f"emails/{kind}",
        ics_method=ics_method,
        with_check_in_qr=kind in WITH_CHECK_IN_QR,
    )


def queue_attendee_email(
    registration: Registration,
    kind: str,
    *,
    subject_of: Callable[[str], str],
    template: str,
    ics_method: str | None = None,
    with_check_in_qr: bool = False,
    **extra,
) -> OutboxEmail:
    """Render `<template>.txt` and `.html` in the attendee's language and write the email
    to the outbox (added and flushed, not committed). Every email to an attendee, from the
    registration service or the organiser area, goes through here."""
    from ..services.attendees import check_in_url
    from ..services.registrations import waiting_position

    event = registration.event
    message_id = new_message_id(current_app.config["MAIL_DEFAULT_SENDER"])
    qr_content = None
    check_in_qr = None
    if with_check_in_qr:
        qr_content = check_in_url(event, registration.check_in_code)
        check_in_qr = {"cid": qr_content_id(message_id), "size": qr_pixel_size(qr_content)}
    with force_locale(registration.locale):
        context = {
            "kind": kind,
            "registration": registration,
            "event": event,
            "when": event_when(event.start_dt, event.end_dt),
            "where": ical.event_location(event),
            "organiser": event.organisation.name,
            "contact_email": event.contact_email or event.organisation.contact_email,
            "position": waiting_position(registration),
            "check_in_qr": check_in_qr,
            **registration_links(registration),
            **extra,
        }
        subject = subject_of(event.title)[:300]
        text = render_template(f"{template}.txt", **context)
        html = render_template(f"{template}.html", subject=subject, **context)
    email = OutboxEmail(
        registration=registration,
        kind=kind,
        message_id=message_id,
        # The address alone: the name was typed by whoever filled in the form.
        recipient=format_recipient("", registration.email or ""),
        subject=subject,
        body_text=text,
        body_html=html,
        ics=event_calendar_bytes(registration, ics_method) if ics_method else None,
        ics_method=ics_method,
        qr_content=qr_content,
    )
    db.session.add(email)
    db.session.flush()
    return email

"""What each email to an attendee says, and when it is written.

Queueing records only what to send: the kind, the registration, its language and the few
facts of the moment the text needs (a waiting-list position, an organiser's message). It is
cheap, so the registration service can do it while it holds the event's lock, in the same
transaction as the change. The text, the calendar file and the QR code are rendered by
`render`, which the sender calls when it sends (tests call it to read a queued email).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm.attributes import set_committed_value

from ..feeds import ical
from ..models import OutboxEmail, Registration
from ..models.questions import RegistrationQuestion, answered_questions
from ..templating import answer_text, event_organisers, event_title, event_when
from .links import base_url, check_in_url, registration_links
from .messages import format_recipient, qr_content_id, qr_pixel_size
from .outbox import enqueue, registration_email_row


@dataclass(frozen=True)
class AttendeeEmail:
    """One kind of email to an attendee: its subject (from the event's title and the
    email's parameters), its `<template>.txt` and `.html`, the iTIP method of the calendar
    file it carries (None for no file), whether it shows the check-in QR code and whether
    it repeats the person's answers to the event's questions (see `own_answers`)."""

    subject: Callable[[str, dict], str]
    template: str
    ics_method: str | None = None
    with_check_in_qr: bool = False
    with_answers: bool = False


REMINDER = AttendeeEmail(
    lambda title, _params: _("Reminder: %(title)s", title=title),
    "emails/reminder",
    ics_method="PUBLISH",
    with_check_in_qr=True,
)

KINDS = {
    "confirmation": AttendeeEmail(
        lambda title, _params: _("Registration confirmed: %(title)s", title=title),
        "emails/confirmation",
        ics_method="PUBLISH",
        with_check_in_qr=True,
        with_answers=True,
    ),
    "waiting": AttendeeEmail(
        lambda title, _params: _("You are on the waiting list: %(title)s", title=title),
        "emails/waiting",
        with_answers=True,
    ),
    "promotion": AttendeeEmail(
        lambda title, _params: _("You have a seat: %(title)s", title=title),
        "emails/promotion",
        ics_method="PUBLISH",
        with_check_in_qr=True,
        with_answers=True,
    ),
    # The calendar update takes the event out of the calendar the confirmation put it in.
    "cancellation": AttendeeEmail(
        lambda title, _params: _("Registration cancelled: %(title)s", title=title),
        "emails/cancellation",
        ics_method="CANCEL",
    ),
    # When the address is signed up again (by whoever typed it): a notice with the link,
    # which leads to the registration and its answers; it does not summarise it here.
    "manage_link": AttendeeEmail(
        lambda title, _params: _("Your registration for %(title)s", title=title),
        "emails/manage_link",
    ),
    "event_cancelled": AttendeeEmail(
        lambda title, _params: _("Event cancelled: %(title)s", title=title),
        "emails/event_cancelled",
        ics_method="CANCEL",
    ),
    # The calendar update goes only to those with a seat: see queue_event_changed.
    "event_changed": AttendeeEmail(
        lambda title, _params: _("Changed: %(title)s", title=title),
        "organiser/emails/event_changed",
    ),
    "organiser_message": AttendeeEmail(
        lambda title, params: f"{params['message_subject']} ({title})",
        "organiser/emails/organiser_message",
    ),
    # Scheduled (services.reminders): queued by the worker when due, to people with a seat.
    # Both reminders are the same email; the kinds differ so each goes once.
    "reminder_first": REMINDER,
    "reminder_second": REMINDER,
    # To those still on the waiting list when the event starts.
    "no_seat": AttendeeEmail(
        lambda title, _params: _("No seat became free: %(title)s", title=title),
        "emails/no_seat",
    ),
    # The day after: a link to the feedback form (`feedback_url` in its params).
    "feedback_request": AttendeeEmail(
        lambda title, _params: _("What did you think of %(title)s?", title=title),
        "emails/feedback_request",
    ),
}


# Scheduled emails that are only true while the person has a seat and the event is ahead, or
# (no_seat) while they are still waiting: see still_true.
SCHEDULED_SEAT_KINDS = ("reminder_first", "reminder_second")
SCHEDULED_KINDS = (*SCHEDULED_SEAT_KINDS, "no_seat")


def still_true(email: OutboxEmail, now: datetime) -> bool:
    """Whether a scheduled email still says something true as it is about to be sent
    (it may have waited in the outbox for a mail server that was down): a reminder is not
    sent once the registration or the event is cancelled, the event has started or the
    person's data is erased; "no seat" not if they got one after all. Other emails report
    something that happened, and always go. A reminder queued before the event was
    postponed is withdrawn too: it would come too early."""
    if email.kind not in SCHEDULED_KINDS:
        return True
    registration = email.registration
    if registration is None or registration.anonymised_at is not None:
        return False
    event = registration.event
    if not event.is_published:
        return False
    if email.kind == "no_seat":
        return registration.is_waiting
    # Queued for a start the event has since been moved away from, to later: too early now,
    # and the worker queues it again when it is due before the new start.
    queued_for = (email.params or {}).get("event_start")
    if queued_for and event.start_dt > datetime.fromisoformat(queued_for):
        return False
    return registration.is_confirmed and event.start_dt > now


def queue_registration_email(registration: Registration, kind: str, **params) -> OutboxEmail:
    """Write the `kind` email (one of KINDS) to a registration's address in the outbox:
    added and flushed, not committed. `params` are what the text needs beyond the
    registration and its event as they are when it is sent (JSON values: `position` for
    "waiting")."""
    return _queue(registration, kind, KINDS[kind].ics_method, params)


def new_registration_email_row(
    registration_id: int, email: str, locale: str, kind: str, **params
) -> dict:
    """What `queue_registration_email` queues, as an outbox_email row, for a registration
    a sign-up inserts as a row (its id, address and language): the sign-up writes it with
    its other rows (outbox.registration_email_row)."""
    return registration_email_row(
        kind,
        registration_id=registration_id,
        recipient=_recipient(email),
        locale=locale,
        params=params,
        ics_method=KINDS[kind].ics_method,
    )


def queue_event_changed(registration: Registration, changes: dict | None = None) -> OutboxEmail:
    """What changed, from what to what (`changes`: {field: [old, new]} as the audit log
    has them, said in words when rendered); with an updated calendar file (higher SEQUENCE)
    for those with a seat."""
    ics_method = "PUBLISH" if registration.is_confirmed else None
    return _queue(registration, "event_changed", ics_method, {"changes": changes or {}})


def queue_organiser_message(registration: Registration, subject: str, body: str) -> OutboxEmail:
    """An organiser's message to someone registered."""
    params = {"message_subject": subject, "message_body": body}
    return _queue(registration, "organiser_message", None, params)


def _queue(
    registration: Registration, kind: str, ics_method: str | None, params: dict
) -> OutboxEmail:
    return enqueue(
        kind,
        registration=registration,
        recipient=_recipient(registration.email),
        locale=registration.locale,
        params=params,
        ics_method=ics_method,
    )


def _recipient(email: str | None) -> str:
    # The address alone: the name was typed by whoever filled in the form.
    return format_recipient("", email or "")


def own_answers(registration: Registration) -> list[tuple[RegistrationQuestion, str | None]]:
    """The person's answers to the event's questions as the confirmation, waiting-list and
    promotion emails repeat them, read when the email is rendered (one query), in the
    language of the moment: each question with its answer in words, a choice as the
    choice's words, yes/no as Ja/Nej or Yes/No.

    A typed answer (a text question) is None: the email says it is on the registration page
    instead of repeating it. Whoever fills in the form chooses the address, so text typed
    there would go, under the site's name, to a stranger's inbox (the rule of
    templates/emails/_base.html); a choice or yes/no is the organiser's words.

    Questions left unanswered are left out, as on the manage page and the organiser's list:
    the email confirms what the organiser was told, and "No answer" lines would lengthen
    every email to say nothing (the link in it leads to the form to add one). After the
    registration is anonymised there are no answers, and the list is empty."""
    return [
        (question, None if question.kind == "text" else answer_text(question, value))
        for question, value in answered_questions(registration.id)
    ]


def event_calendar_bytes(registration: Registration, method: str = "PUBLISH") -> bytes:
    """The event as a calendar file, in the attendee's language, with the feeds' UID; with
    the meeting link for someone with a seat and the alarm the attendee chose."""
    event = registration.event
    # Named by the title the event in it has (ical.shown_text: in the attendee's language).
    name = event_title(event, registration.locale).text
    calendar = ical.build_calendar(
        [event], base_url=base_url(), name=name, method=method, locale=registration.locale,
        for_registrant=registration.is_confirmed,
        alarms={event.id: registration.calendar_alarm_minutes},
    )
    return ical.serialize(calendar)


def render(email: OutboxEmail, *, store: bool = False) -> OutboxEmail:
    """Fill in a queued email's subject, text, HTML, calendar file and QR code content from
    what its row records, in the attendee's language, and return it.

    With `store` (the sender) they are changes to the row, written with it: the sender
    commits them with the outcome, so a retry sends the same message and the outbox keeps
    what was sent. Without, they are only filled in to be read (a test): the session is
    left with nothing to write, as if they had been loaded.

    An email that says something already (rendered before, or queued with its text like the
    password reset) is left as it is."""
    if email.is_rendered:
        return email
    spec = KINDS[email.kind]
    registration = email.registration
    if registration is None:
        raise LookupError(f"outbox email {email.id} ({email.kind}) has no registration")
    event = registration.event
    params = email.params or {}
    qr_content = None
    check_in_qr = None
    # Nobody checks in at the door of an online event.
    if spec.with_check_in_qr and not event.is_online:
        qr_content = check_in_url(event, registration.check_in_code)
        check_in_qr = {"cid": qr_content_id(email.message_id), "size": qr_pixel_size(qr_content)}
    with force_locale(email.locale or registration.locale):
        # In the attendee's language when the event is translated into it, else Swedish.
        title = event_title(event)
        context = {
            "kind": email.kind,
            "registration": registration,
            "event": event,
            "title": title,
            "when": event_when(event.start_dt, event.end_dt),
            # The meeting link of an online or hybrid event: only to those with a seat,
            # unless the organiser made it public.
            "where": ical.event_location(event, for_registrant=registration.is_confirmed),
            "meeting_link": ical.meeting_link(event, for_registrant=registration.is_confirmed),
            "organiser": event_organisers(event),  # with any co-organisers
            "contact_email": event.contact_email or event.organisation.contact_email,
            "position": params.get("position"),
            "check_in_qr": check_in_qr,
            "calendar_attached": email.ics_method is not None,
            "answers": own_answers(registration) if spec.with_answers else [],
            **registration_links(registration),
            **params,
        }
        subject = spec.subject(title.text, params)[:300]
        text = render_template(f"{spec.template}.txt", **context)
        html = render_template(f"{spec.template}.html", subject=subject, **context)
    ics = event_calendar_bytes(registration, email.ics_method) if email.ics_method else None
    fill_in = setattr if store else set_committed_value
    for name, value in (
        ("subject", subject), ("body_text", text), ("body_html", html), ("ics", ics),
        ("qr_content", qr_content),
    ):  # fmt: skip
        fill_in(email, name, value)
    return email

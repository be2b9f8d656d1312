"""The organiser area's own email: an organiser's message as a preview and as a test to
themselves; and what changed in an event, in words, for the change notice and its preview.
(Emails to attendees, including the organisers' change notices and messages, are in
mail/notifications.py; the password-reset link and the invitation in auth/notifications.py.)"""

from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from flask import render_template
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import vocab
from ..extensions import db
from ..feeds import ical
from ..i18n import current_language
from ..mail.links import absolute_url
from ..mail.messages import format_recipient
from ..mail.outbox import enqueue
from ..models import Event, Organisation, OutboxEmail, User
from ..models.translations import event_text
from ..templating import event_organisers, event_when


def render_organiser_message_sample(event: Event, subject: str, body: str) -> tuple[str, str, str]:
    """(subject, text, html) of an organiser's message as the people registered get it, in
    the current language, with the personal links left out: the preview before sending and
    the test the organiser sends to themselves show nobody's secret link."""
    full_subject = f"{subject} ({event.title})"[:300]
    context = {
        "kind": "organiser_message",
        # The templates take the email's language from the registration.
        "registration": SimpleNamespace(locale=current_language()),
        "event": event,
        # The title the organiser wrote, as before: each person registered gets it in their
        # own language where the event is translated into it (mail.notifications.render).
        "title": event_text(event).title,
        "when": event_when(event.start_dt, event.end_dt),
        "where": ical.event_location(event, for_registrant=True),
        # The organiser sees the message as someone with a seat gets it.
        "meeting_link": event.online_url,
        "organiser": event_organisers(event),  # with any co-organisers
        "contact_email": event.contact_email or event.organisation.contact_email,
        "event_url": absolute_url(
            "catalogue.show_event", public_id=event.public_id, slug=event.slug
        ),
        "message_subject": subject,
        "message_body": body,
    }
    return (
        full_subject,
        render_template("organiser/emails/organiser_message_sample.txt", **context),
        render_template(
            "organiser/emails/organiser_message_sample.html", subject=full_subject, **context
        ),
    )


def queue_organiser_message_test(event: Event, user: User, subject: str, body: str) -> OutboxEmail:
    """The message as a test to the organiser's own address, sent like every email."""
    full_subject, text, html = render_organiser_message_sample(event, subject, body)
    return enqueue(
        "organiser_message_test",
        recipient=format_recipient(user.name, user.email),
        subject=_("Test: %(subject)s", subject=full_subject)[:300],
        text=text,
        html=html,
    )


# --- what changed, in words ------------------------------------------------------------------

# The fields a change notice names (services.events.NOTIFY_FIELDS), in the order it names
# them, with the event form's labels.
CHANGE_LABELS = {
    "title": _l("Title"),
    "start_dt": _l("Starts"),
    "end_dt": _l("Ends"),
    # A course's sessions (services.sessions.snapshot: local time and place, one per line).
    "sessions": _l("Sessions"),
    "municipality": _l("Municipality"),
    "venue_name": _l("Venue"),
    "address": _l("Address"),
    "online_url": _l("Link for online participation"),
    "format": _l("Format"),
    "summary": _l("Summary"),
    "description": _l("Description"),
    "speakers": _l("Speakers"),
    "language_codes": _l("Languages"),
    "interpretation_available": _l("Interpretation available"),
    "interpretation_note": _l("About interpretation"),
    "step_free_access": _l("Step-free access"),
    "hearing_loop": _l("Hearing loop"),
    "sign_language_interpretation": _l("Sign language interpretation"),
    "accessibility_notes": _l("More about accessibility"),
    "contact_email": _l("Contact email"),
    "organisation_id": _l("Organiser"),
    "co_organiser_ids": _l("Co-organisers"),
}
# Texts too long to quote in an email: the notice says they changed; the page has them.
LONG_TEXTS = frozenset({"description", "accessibility_notes"})
EMPTY = "–"


@dataclass(frozen=True)
class ChangeLine:
    """One changed field in words; `old` and `new` are None for a long text."""

    label: str
    old: str | None
    new: str | None


# Yes, no or not stated (None): the venue's accessibility.
THREE_STATE = frozenset({"step_free_access", "hearing_loop", "sign_language_interpretation"})


def _in_words(name: str, value) -> str:
    if value is None and name in THREE_STATE:
        return _("Not stated")
    if value is None or value in ("", []):
        return EMPTY
    if name in ("start_dt", "end_dt"):
        return format_datetime(datetime.fromisoformat(value), "EEEE d MMMM y HH:mm")
    if name == "municipality":
        return str(vocab.MUNICIPALITIES.get(value, value))
    if name == "format":
        return str(vocab.FORMATS.get(value, value))
    if name == "language_codes":
        return ", ".join(str(vocab.LANGUAGES.get(code, code)) for code in value)
    if name == "speakers":
        return "; ".join(f"{n} ({a})" if a else n for n, a in value)
    if name == "sessions":
        return "; ".join(value)
    if name == "organisation_id":
        organisation = db.session.get(Organisation, value)
        return organisation.name if organisation is not None else EMPTY
    if name == "co_organiser_ids":
        organisations = (db.session.get(Organisation, i) for i in value)
        return ", ".join(sorted(o.name for o in organisations if o is not None)) or EMPTY
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return str(value)


def describe_event_changes(changes: dict | None) -> list[ChangeLine]:
    """The changes a notice names, in words of the current language: on the organiser's
    preview, and in the email (rendered in the attendee's language). `changes` are as the
    audit log has them, {field: [old, new]}; what registrants are not told about (seats,
    registration window, themes) is left out."""
    lines = []
    for name, label in CHANGE_LABELS.items():
        if name not in (changes or {}):
            continue
        old, new = changes[name]
        if name in LONG_TEXTS:
            lines.append(ChangeLine(str(label), None, None))
        else:
            lines.append(ChangeLine(str(label), _in_words(name, old), _in_words(name, new)))
    return lines

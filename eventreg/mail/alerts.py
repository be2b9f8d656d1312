"""What the email alerts ("Bevaka") say: the confirmation, one new event, the weekly digest.

Rendered when queued (in the worker, or in the request that asks for the confirmation), in
the subscriber's language, and queued with their text: the outbox sends them as given. The
alerts carry `List-Unsubscribe` and `List-Unsubscribe-Post` (RFC 8058), so a mail client
can offer one-click unsubscribe; the confirmation does not, as nothing is subscribed yet.
"""

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from .. import vocab
from ..feeds import ical
from ..models import AlertSubscription, Event, OutboxEmail
from ..templating import event_organisers, event_title, event_when
from ..tokens import alert_confirm_token, alert_unsubscribe_token
from .links import absolute_url
from .messages import format_recipient
from .outbox import enqueue

CONFIRM_KIND = "alert_confirm"
EVENT_KIND = "alert_event"
DIGEST_KIND = "alert_digest"
ALERT_KINDS = (CONFIRM_KIND, EVENT_KIND, DIGEST_KIND)


def target_name(subscription: AlertSubscription) -> str:
    """What the subscription follows, in words of the current language."""
    if subscription.theme is not None:
        return subscription.theme.name
    if subscription.organisation is not None:
        return subscription.organisation.name
    return str(vocab.MUNICIPALITIES.get(subscription.municipality or "", ""))


def unsubscribe_url(subscription: AlertSubscription) -> str:
    return absolute_url("alerts.unsubscribe", token=alert_unsubscribe_token(subscription))


def unsubscribe_headers(url: str) -> dict[str, str]:
    """RFC 2369 List-Unsubscribe with the https URL only (no mailto), and RFC 8058's
    List-Unsubscribe-Post, which tells the mail client a POST to that URL unsubscribes."""
    return {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _event_context(event: Event) -> dict:
    """What an alert says of an event, in the current (the subscriber's) language."""
    return {
        "event": event,
        # In the subscriber's language when the event is translated into it, else Swedish.
        "title": event_title(event),
        "when": event_when(event.start_dt, event.end_dt),
        "where": ical.event_location(event, for_registrant=False),
        "meeting_link": ical.meeting_link(event, for_registrant=False),
        "organiser": event_organisers(event),  # with any co-organisers
        "contact_email": event.contact_email or event.organisation.contact_email,
        "event_url": absolute_url(
            "catalogue.show_event", public_id=event.public_id, slug=event.slug
        ),
    }


def _queue(subscription: AlertSubscription, kind: str, subject: str, template: str,
           headers: dict[str, str] | None = None, **context) -> OutboxEmail:  # fmt: skip
    """Render `template`.txt/.html in the subscriber's language and add it to the outbox."""
    subject = subject[:300]
    context = {"locale": subscription.locale, "target": target_name(subscription), **context}
    text = render_template(f"{template}.txt", **context)
    html = render_template(f"{template}.html", subject=subject, **context)
    return enqueue(
        kind,
        recipient=format_recipient("", subscription.email or ""),
        locale=subscription.locale,
        subject=subject,
        text=text,
        html=html,
        headers=headers,
        alert_subscription_id=subscription.id,
    )


def queue_confirmation(subscription: AlertSubscription, frequency: str) -> OutboxEmail:
    """The double opt-in email: a link that confirms `frequency` for the subscription."""
    with force_locale(subscription.locale):
        confirm_url = absolute_url(
            "alerts.confirm", token=alert_confirm_token(subscription, frequency)
        )
        target = target_name(subscription)
        return _queue(
            subscription,
            CONFIRM_KIND,
            _("Confirm your email alert: %(target)s", target=target),
            "emails/alert_confirm",
            confirm_url=confirm_url,
            weekly=frequency == "weekly",
        )


def queue_event_alert(subscription: AlertSubscription, event: Event) -> OutboxEmail:
    """One new event, to a subscriber who wants to know at once."""
    with force_locale(subscription.locale):
        url = unsubscribe_url(subscription)
        context = _event_context(event)
        return _queue(
            subscription,
            EVENT_KIND,
            _("New event: %(title)s", title=context["title"].text),
            "emails/alert_event",
            headers=unsubscribe_headers(url),
            unsubscribe_url=url,
            **context,
        )


def queue_digest(subscription: AlertSubscription, events: list[Event]) -> OutboxEmail:
    """The week's new events in one email."""
    with force_locale(subscription.locale):
        url = unsubscribe_url(subscription)
        target = target_name(subscription)
        return _queue(
            subscription,
            DIGEST_KIND,
            _("New events this week: %(target)s", target=target),
            "emails/alert_digest",
            headers=unsubscribe_headers(url),
            unsubscribe_url=url,
            events=[_event_context(event) for event in events],
        )

"""Absolute links for emails, calendar files, feeds and pages, with or without a request:
the one place that knows where the site lives."""

from flask import current_app, has_request_context, request

from ..models import Event, Registration
from ..tokens import feed_token, manage_token

# Used only when BASE_URL is not set, which the app allows only outside production (see
# config.check_production_settings): the development server's address.
DEVELOPMENT_BASE_URL = "http://localhost:5000"


def base_url(*, from_request: bool = False) -> str:
    """Where the site lives: BASE_URL (EVENTREG_BASE_URL). Without it (only outside
    production) the development server's address, or with `from_request` the address the
    current request came to: feeds and subscribe links answer the request that asks for
    them. Never the request's Host header for an email, which whoever sends the request
    chooses: a forged one would put the sender's domain in a password-reset link."""
    configured = current_app.config["BASE_URL"]
    if configured:
        return configured.rstrip("/")
    if from_request and has_request_context():
        return request.url_root.rstrip("/")
    return DEVELOPMENT_BASE_URL


def absolute_url(endpoint: str, *, from_request: bool = False, **values) -> str:
    """An absolute URL for an endpoint, built from the URL map so it also works in the CLI
    (`from_request`: see base_url)."""
    adapter = current_app.url_map.bind("localhost")
    return base_url(from_request=from_request) + adapter.build(endpoint, values)


def registration_links(registration: Registration) -> dict[str, str]:
    """The attendee's own links: manage page, its .ics, and the personal calendar feed."""
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


def check_in_url(event: Event, code: str) -> str:
    """The check-in page with the code filled in: what the QR code holds, so scanning it
    with a logged-in organiser's phone camera opens the right person at once."""
    return absolute_url("organiser.check_in", event_id=event.id, q=code)

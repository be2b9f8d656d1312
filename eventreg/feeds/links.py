"""Links that put one event into a web calendar, and the webcal:// form of a feed URL.

These links are public (they sit on the event page and travel to Google and Microsoft), so
they carry the meeting link only when the organiser made it public (see ical.meeting_link).
"""

from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit, urlunsplit

from ..models import Event
from ..vocab import TIMEZONE
from .ical import event_location

# Calendar services cut long links; the details only need a pointer back to the event page.
MAX_DETAILS = 500


def webcal_url(https_url: str) -> str:
    """The same address with the webcal scheme, which opens the subscribe dialog of the
    calendar app registered for it (Apple Calendar, Outlook; Google via the https link)."""
    parts = urlsplit(https_url)
    return urlunsplit(("webcal", *parts[1:]))


def _details(event: Event, url: str) -> str:
    summary = event.summary.strip()
    if len(summary) > MAX_DETAILS:
        summary = summary[: MAX_DETAILS - 1].rstrip() + "…"
    return f"{summary}\n\n{url}" if summary else url


def _utc(value: datetime, fmt: str) -> str:
    return value.astimezone(UTC).strftime(fmt)


def google_calendar_url(event: Event, url: str) -> str:
    """'Add to Google Calendar': a prefilled event form, times in UTC."""
    params = {
        "action": "TEMPLATE",
        "text": event.title,
        "dates": f"{_utc(event.start_dt, '%Y%m%dT%H%M%SZ')}/{_utc(event.end_dt, '%Y%m%dT%H%M%SZ')}",
        "details": _details(event, url),
        "location": event_location(event),
        "ctz": TIMEZONE,
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(params)


def outlook_calendar_url(event: Event, url: str) -> str:
    """'Add to Outlook': Outlook on the web's compose deep link, times in UTC."""
    params = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": event.title,
        "startdt": _utc(event.start_dt, "%Y-%m-%dT%H:%M:%SZ"),
        "enddt": _utc(event.end_dt, "%Y-%m-%dT%H:%M:%SZ"),
        "body": _details(event, url),
        "location": event_location(event),
    }
    return "https://outlook.live.com/calendar/0/deeplink/compose?" + urlencode(params)

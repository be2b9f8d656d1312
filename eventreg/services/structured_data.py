"""schema.org Event data for search engines (JSON-LD)."""

from ..feeds.ical import meeting_link
from ..models import Event
from ..text import markdown_to_text
from ..vocab import MUNICIPALITIES


def event_json_ld(event: Event, url: str) -> dict:
    """A schema.org Event describing the event; `url` is its page's absolute address (from
    the configured base URL, like every absolute link: never the request's Host)."""
    place = {
        "@type": "Place",
        "name": event.venue_name or str(MUNICIPALITIES.get(event.municipality, "")),
        "address": {
            "@type": "PostalAddress",
            "streetAddress": event.address,
            "addressLocality": str(MUNICIPALITIES.get(event.municipality, "")),
            "addressRegion": "Hallands län",
            "addressCountry": "SE",
        },
    }
    # The meeting link only when it is public; else the event page, where people register.
    link = meeting_link(event)
    if event.is_online:
        location = {"@type": "VirtualLocation", "url": link or url}
        mode = "https://schema.org/OnlineEventAttendanceMode"
    elif event.online_url:
        location = [place, {"@type": "VirtualLocation", "url": link or url}]
        mode = "https://schema.org/MixedEventAttendanceMode"
    else:
        location = place
        mode = "https://schema.org/OfflineEventAttendanceMode"
    data = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": event.title,
        "description": event.summary or markdown_to_text(event.description)[:500],
        "startDate": event.start_dt.isoformat(),
        "endDate": event.end_dt.isoformat(),
        "eventStatus": "https://schema.org/EventCancelled"
        if event.is_cancelled
        else "https://schema.org/EventScheduled",
        "eventAttendanceMode": mode,
        "location": location,
        "url": url,
        "inLanguage": event.language_codes,
        "isAccessibleForFree": True,
        "organizer": {"@type": "Organization", "name": event.organisation.name,
                      **({"url": event.organisation.website} if event.organisation.website
                         else {})},
    }  # fmt: skip
    if event.speakers:
        data["performer"] = [{"@type": "Person", "name": s.name} for s in event.speakers]
    if event.target_groups:
        data["audience"] = [
            {"@type": "Audience", "audienceType": group.name_sv} for group in event.target_groups
        ]
    offer = _offer(event, url)
    if offer:
        data["offers"] = offer
    if event.registers_here and event.capacity is not None:
        data["maximumAttendeeCapacity"] = event.capacity
        data["remainingAttendeeCapacity"] = event.seats_left
    return data


def _offer(event: Event, url: str) -> dict | None:
    """The free seat as a schema.org Offer: registered here, from the event's page (sold out
    when only the waiting list is left), or on another website; none for an event without
    registration."""
    if event.registration_mode == "none":
        return None
    offer = {"@type": "Offer", "price": 0, "priceCurrency": "SEK"}
    if event.registration_mode == "external":
        return {**offer, "url": event.external_registration_url}
    offer["url"] = url
    offer["availability"] = (
        "https://schema.org/SoldOut" if event.is_full else "https://schema.org/InStock"
    )
    if event.registration_opens_dt is not None:
        offer["validFrom"] = event.registration_opens_dt.isoformat()
    return offer

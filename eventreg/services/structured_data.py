"""schema.org Event data for search engines (JSON-LD)."""

from ..feeds.ical import meeting_link, session_location, session_title
from ..mail.links import absolute_url
from ..models import Event, EventSeries
from ..models.translations import ORIGINAL_LANGUAGE
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
        # Language-tagged values (JSON-LD value objects) when the event is written in other
        # languages too; a plain Swedish string otherwise.
        "name": _in_languages(event.title, [(t.code, t.title) for t in event.translations]),
        "description": _in_languages(
            short_description(event.summary, event.description),
            [(t.code, short_description(t.summary, t.description)) for t in event.translations],
        ),
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
        "organizer": _organization(event.organisation),
    }  # fmt: skip
    if event.co_organisers:
        # A joint event: every organiser, the responsible one first.
        data["organizer"] = [data["organizer"], *(_organization(o) for o in event.co_organisers)]
    if event.series is not None:
        data["superEvent"] = series_reference(event.series)
    if event.speakers:
        data["performer"] = [{"@type": "Person", "name": s.name} for s in event.speakers]
    if event.target_groups:
        data["audience"] = [
            {"@type": "Audience", "audienceType": group.name_sv} for group in event.target_groups
        ]
    if event.is_course:
        # A course: each session a sub-event, in its own place when it has one.
        data["subEvent"] = [
            {
                "@type": "Event",
                "name": session_title(event, session),
                "startDate": session.start_dt.isoformat(),
                "endDate": session.end_dt.isoformat(),
                "eventStatus": data["eventStatus"],
                "eventAttendanceMode": mode,
                "location": {"@type": "Place", "name": session_location(event, session)}
                if session.has_own_place else location,
                "url": url,
            }
            for session in event.sessions
        ]  # fmt: skip
    offer = _offer(event, url)
    if offer:
        data["offers"] = offer
    if event.registers_here and event.capacity is not None:
        data["maximumAttendeeCapacity"] = event.capacity
        data["remainingAttendeeCapacity"] = event.seats_left
    return data


def _organization(organisation) -> dict:
    """An organisation as a schema.org Organization (its website when it has one)."""
    data = {"@type": "Organization", "name": organisation.name}
    if organisation.website:
        data["url"] = organisation.website
    return data


def short_description(summary: str, description: str) -> str:
    """An event's description in a line or two: its summary, else the start of its text."""
    return summary or markdown_to_text(description)[:500]


def _in_languages(swedish: str, translated: list[tuple[str, str]]) -> str | list[dict]:
    """The Swedish text, or with translations every version as {"@value", "@language"}."""
    values = [(ORIGINAL_LANGUAGE, swedish), *translated]
    tagged = [{"@value": text, "@language": code} for code, text in values if text]
    return tagged if len(tagged) > 1 else swedish


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


def series_url(series: EventSeries) -> str:
    """The absolute address of a series' public page (from the configured base URL)."""
    return absolute_url("catalogue.show_series", public_id=series.public_id, slug=series.slug)


def series_reference(series: EventSeries) -> dict:
    """The series an event is part of, as its schema.org superEvent."""
    return {"@type": "EventSeries", "name": series.title, "url": series_url(series)}


def series_json_ld(series: EventSeries, url: str, events: list[Event]) -> dict:
    """A schema.org EventSeries for a series' page, its public parts as subEvents (each
    pointing to its own page, which carries the full Event)."""
    data = {
        "@context": "https://schema.org",
        "@type": "EventSeries",
        "name": series.title,
        "url": url,
        "organizer": _organization(series.organisation),
    }
    description = markdown_to_text(series.description)[:500]
    if description:
        data["description"] = description
    if events:
        data["subEvent"] = [
            {
                "@type": "Event",
                "name": event.title,
                "startDate": event.start_dt.isoformat(),
                "endDate": event.end_dt.isoformat(),
                "eventStatus": "https://schema.org/EventCancelled"
                if event.is_cancelled
                else "https://schema.org/EventScheduled",
                "url": absolute_url(
                    "catalogue.show_event", public_id=event.public_id, slug=event.slug
                ),
            }
            for event in sorted(events, key=lambda e: (e.start_dt, e.id))
        ]
    return data

"""Builders from models to the API's objects (schemas.py): data in, models out, no request.

The schema.org part starts from `structured_data.event_json_ld`, the JSON-LD on the event
pages, so search engines and API clients read the same description of an event."""

from datetime import datetime

from flask_babel import gettext as _

from .. import vocab
from ..feeds.ical import session_location
from ..mail.links import absolute_url
from ..models import (
    Event,
    EventSeries,
    EventTranslation,
    Organisation,
    RegistrationState,
    Theme,
    utcnow,
)
from ..services.catalogue import all_themes
from ..services.structured_data import event_json_ld, short_description
from ..text import markdown_to_text
from . import schemas

SCHEMA = "https://schema.org/"


def event_url(event: Event) -> str:
    return absolute_url("catalogue.show_event", public_id=event.public_id, slug=event.slug)


def _locations(event: Event, page_url: str, json_ld: dict) -> list:
    """The JSON-LD locations with every meeting link replaced by the event page unless
    the link is public."""
    found = json_ld["location"]
    locations = []
    for place in found if isinstance(found, list) else [found]:
        if place["@type"] == "VirtualLocation":
            url = event.online_url if event.online_url and event.online_url_is_public else page_url
            locations.append(schemas.VirtualLocation(url=url))
        else:
            address = {k: v or "" for k, v in place["address"].items() if k != "@type"}
            locations.append(
                schemas.Place(name=place["name"], address=schemas.PostalAddress(**address))
            )
    return locations


def registration_link(event: Event, page_url: str) -> str | None:
    """Where to register: the event page (its form), the other website, or nowhere."""
    if event.registration_mode == "none":
        return None
    if event.registration_mode == "external":
        return event.external_registration_url
    return page_url


def availability(event: Event, now: datetime) -> str | None:
    """schema.org ItemAvailability of a seat: in stock while registration is open and
    seats remain, sold out when full (a waiting list may take names), pre-order before
    registration opens, discontinued once it has closed or the event is cancelled; unknown
    (None) when another website takes the registrations."""
    state = event.registration_state(now)
    if state == RegistrationState.EXTERNAL:
        return None
    if state == "open":
        return SCHEMA + ("SoldOut" if event.is_full else "InStock")
    if state == "not_open":
        return SCHEMA + "PreOrder"
    return SCHEMA + "Discontinued"


def organizer(organisation: Organisation) -> schemas.Organizer:
    """An organisation arranging an event (without its contact address)."""
    return schemas.Organizer(
        identifier=organisation.slug, name=organisation.name, url=organisation.website
    )


def event_object(event: Event, now: datetime | None = None) -> schemas.ApiEvent:
    """An event as the API shows it. Never the contact address, registrants or, unless
    the organiser made it public, the meeting link."""
    now = now or utcnow()
    page_url = event_url(event)
    json_ld = event_json_ld(event, page_url)
    organisation = event.organisation
    registration_closes = event.registration_closes_dt or event.start_dt
    registration_url = registration_link(event, page_url)
    return schemas.ApiEvent(
        identifier=event.public_id,
        url=page_url,
        name=event.title,
        description=short_description(event.summary, event.description),
        startDate=event.start_dt,
        endDate=event.end_dt,
        dateModified=event.updated_at,
        eventStatus=json_ld["eventStatus"],
        eventAttendanceMode=json_ld["eventAttendanceMode"],
        location=_locations(event, page_url, json_ld),
        organizer=organizer(organisation),
        coOrganizers=[organizer(o) for o in event.co_organisers],
        inLanguage=json_ld["inLanguage"],
        offers=schemas.Offer(
            availability=availability(event, now),
            url=registration_url,
            validFrom=event.registration_opens_dt if event.registers_here else None,
            validThrough=registration_closes if event.registers_here else None,
        )
        if registration_url
        else None,
        performer=[schemas.Performer(name=p["name"]) for p in json_ld.get("performer", [])],
        maximumAttendeeCapacity=json_ld.get("maximumAttendeeCapacity"),
        remainingAttendeeCapacity=json_ld.get("remainingAttendeeCapacity"),
        format=schemas.Code(code=event.format, name=str(vocab.FORMATS.get(event.format, ""))),
        municipality=schemas.Code(
            code=event.municipality, name=str(vocab.MUNICIPALITIES.get(event.municipality, ""))
        ),
        audience=[
            schemas.Audience(identifier=group.slug, audienceType=group.name)
            for group in event.target_groups
        ],
        audienceDescription=event.audience,
        themes=[theme_ref(theme) for theme in event.themes],
        accessibility=schemas.Accessibility(
            stepFreeAccess=event.step_free_access,
            hearingLoop=event.hearing_loop,
            signLanguageInterpretation=event.sign_language_interpretation,
            interpretationAvailable=event.interpretation_available,
            interpretationNote=event.interpretation_note,
            notes=event.accessibility_notes,
        ),
        registration=schemas.Registration(
            mode=event.registration_mode,
            state=event.registration_state(now),
            url=registration_url,
            opens=event.registration_opens_dt,
            closes=registration_closes,
            maximumAttendeeCapacity=json_ld.get("maximumAttendeeCapacity"),
            remainingAttendeeCapacity=json_ld.get("remainingAttendeeCapacity"),
        ),
        cancellationReason=event.cancellation_reason or None if event.is_cancelled else None,
        ical=absolute_url("feeds.event_feed", public_id=event.public_id),
        translations=[translation_object(t) for t in event.translations],
        series=series_ref(event.series) if event.series is not None else None,
        sessions=[
            schemas.Session(
                position=session.position, startDate=session.start_dt, endDate=session.end_dt,
                location=session_location(event, session), note=session.note,
            )
            for session in (event.sessions if event.is_course else [])
        ],  # fmt: skip
    )


def translation_object(translation: EventTranslation) -> schemas.ApiTranslation:
    return schemas.ApiTranslation(
        inLanguage=translation.code,
        direction=translation.direction,
        name=translation.title,
        summary=translation.summary,
        description=markdown_to_text(translation.description),
    )


def theme_ref(theme: Theme) -> schemas.ThemeRef:
    return schemas.ThemeRef(
        slug=theme.slug, name=theme.name, url=absolute_url("catalogue.show_theme", slug=theme.slug)
    )


def theme_object(theme: Theme) -> schemas.ApiTheme:
    return schemas.ApiTheme(
        slug=theme.slug,
        name=theme.name,
        description=markdown_to_text(theme.description),
        url=absolute_url("catalogue.show_theme", slug=theme.slug),
        events=absolute_url("api.list_events", tema=theme.slug),
        resources=[
            schemas.Resource(
                kind=schemas.Code(
                    code=resource.kind, name=str(vocab.RESOURCE_KINDS.get(resource.kind, ""))
                ),
                title=resource.title,
                url=resource.url,
                description=markdown_to_text(resource.description),
                inLanguage=resource.language,
            )
            for resource in theme.resources
        ],
    )


def organisation_object(organisation: Organisation) -> schemas.ApiOrganisation:
    """An organisation without its contact address (a person's, often)."""
    return schemas.ApiOrganisation(
        slug=organisation.slug,
        name=organisation.name,
        url=organisation.website,
        events=absolute_url("api.list_events", arrangor=organisation.slug),
    )


def municipality_objects() -> list[schemas.ApiMunicipality]:
    return [
        schemas.ApiMunicipality(
            code=code,
            name=str(name),
            inHalland=code in vocab.HALLAND_MUNICIPALITIES,
            events=absolute_url("api.list_events", kommun=code),
        )
        for code, name in vocab.MUNICIPALITIES.items()
    ]


def figure_names() -> dict[str, dict[str, str]]:
    """Names of the follow-up figures' groups per dimension, in the current language."""
    return {
        "total": {"total": _("All")},
        "theme": {theme.slug: theme.name for theme in all_themes()},
        "municipality": {code: str(name) for code, name in vocab.MUNICIPALITIES.items()},
        "format": {code: str(name) for code, name in vocab.FORMATS.items()},
    }


def series_ref(series: EventSeries) -> schemas.SeriesRef:
    return schemas.SeriesRef(
        identifier=series.public_id,
        name=series.title,
        url=absolute_url("catalogue.show_series", public_id=series.public_id, slug=series.slug),
        api=absolute_url("api.show_series", public_id=series.public_id),
    )


def series_object(series: EventSeries) -> schemas.ApiSeries:
    """A public series: what its page says, and where its events and feeds are."""
    organisation = series.organisation
    return schemas.ApiSeries(
        identifier=series.public_id,
        name=series.title,
        description=markdown_to_text(series.description),
        url=absolute_url("catalogue.show_series", public_id=series.public_id, slug=series.slug),
        organizer=schemas.Organizer(
            identifier=organisation.slug, name=organisation.name, url=organisation.website
        ),
        events=absolute_url("api.list_events", serie=series.public_id, when="all"),
        ical=absolute_url("feeds.series_feed", public_id=series.public_id),
        atom=absolute_url("feeds.series_atom", public_id=series.public_id),
    )

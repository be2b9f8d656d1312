"""iCalendar builders: events in, an `icalendar.Calendar` out.

Pure functions (no `request` inside), shared by the public feeds, the single-event download
and the `.ics` attached to confirmation and cancellation emails. Everything is built with the
icalendar library; no iCalendar text is written by hand.

Translated strings (the "INSTÄLLT: " prefix, labels in the description, theme names) are in
the `locale` given, else the current request's, else the default (Swedish). An app context is
needed (for translations, and because event URLs are built from the app's URL map); a request
context is not.
"""

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from flask import current_app, has_request_context
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from icalendar import (
    Alarm,
    Calendar,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vCalAddress,
    vDuration,
    vRecur,
    vText,
)
from icalendar import Event as VEvent

from ..models import Event, EventSession
from ..models.translations import ORIGINAL_LANGUAGE, EventText, event_text
from ..models.types import LOCAL_TZ
from ..templating import event_organisers
from ..text import markdown_to_text, normalise_newlines
from ..vocab import MUNICIPALITIES, TIMEZONE

PRODID = "-//Region Halland//eventreg//SV"
UID_DOMAIN = "eventreg.halland"
# How often subscribed calendars should look again. Google ignores it (it polls every
# 8–24 hours); Apple Calendar, Outlook and Thunderbird honour it.
DEFAULT_REFRESH = timedelta(hours=6)
METHODS = ("PUBLISH", "CANCEL", "REQUEST")


def event_uid(event: Event) -> str:
    """The UID of an event: built from its public id, so it never changes for its life."""
    return f"{event.public_id}@{UID_DOMAIN}"


def event_path(event: Event) -> str:
    """The path of the public event page, from the app's URL map (works without a request)."""
    adapter = current_app.url_map.bind("localhost")
    return adapter.build("catalogue.show_event", {"public_id": event.public_id, "slug": event.slug})


def event_url(event: Event, base_url: str) -> str:
    return base_url.rstrip("/") + event_path(event)


def stockholm_vtimezone() -> Timezone:
    """VTIMEZONE for Europe/Stockholm: the EU rule (last Sunday of March and October, at
    01:00 UTC) as two yearly RRULEs, as tzurl.org and Outlook publish it.

    Why not `Timezone.from_tzid`: in icalendar 6.3.2 it lists every transition as RDATEs for
    a fixed span of years and writes the spring onset at 03:00 where RFC 5545 wants the local
    time before the change (02:00). The rule here is unbounded and exact; a test compares it
    hour by hour with zoneinfo across the transitions, so a change in tzdata is noticed.
    """
    daylight = TimezoneDaylight()
    daylight.add("tzname", "CEST")
    daylight.add("tzoffsetfrom", timedelta(hours=1))
    daylight.add("tzoffsetto", timedelta(hours=2))
    # A VTIMEZONE's DTSTART is local time without a zone (RFC 5545 3.6.5): naive on purpose.
    daylight.add("dtstart", datetime(1970, 3, 29, 2, 0))  # noqa: DTZ001
    daylight.add("rrule", vRecur(freq="YEARLY", bymonth=3, byday="-1SU"))

    standard = TimezoneStandard()
    standard.add("tzname", "CET")
    standard.add("tzoffsetfrom", timedelta(hours=2))
    standard.add("tzoffsetto", timedelta(hours=1))
    standard.add("dtstart", datetime(1970, 10, 25, 3, 0))  # noqa: DTZ001
    standard.add("rrule", vRecur(freq="YEARLY", bymonth=10, byday="-1SU"))

    timezone = Timezone()
    timezone.add("tzid", TIMEZONE)
    timezone.add("x-lic-location", TIMEZONE)
    timezone.add_component(daylight)
    timezone.add_component(standard)
    return timezone


def meeting_link(event: Event, *, for_registrant: bool = False) -> str | None:
    """The online meeting link, if whoever reads this may see it: someone with a seat
    (`for_registrant`), or anyone when the organiser made the link public. A public link
    lets anyone join without registering, past the seat limit and the statistics."""
    if event.online_url and (for_registrant or event.online_url_is_public):
        return event.online_url
    return None


def event_location(event: Event, *, for_registrant: bool = False) -> str:
    """Venue, address and municipality; for an online event the meeting link if the reader
    may see it (see `meeting_link`), else "Online"."""
    if event.is_online:
        return meeting_link(event, for_registrant=for_registrant) or str(
            MUNICIPALITIES["online"]
        )
    return _place_text(event.venue_name, event.address, event.municipality)


def _place_text(venue_name: str, address: str, municipality_code: str) -> str:
    """A place one goes to as "venue, address, municipality": empty parts are left out, and
    so is the municipality when the address names it already or it is "elsewhere"."""
    parts = [venue_name, address]
    municipality = str(MUNICIPALITIES.get(municipality_code, ""))
    if municipality_code != "elsewhere" and municipality not in address:
        parts.append(municipality)
    return ", ".join(part.strip() for part in parts if part and part.strip())


@lru_cache(maxsize=16384)
def plain_text(markdown_source: str) -> str:
    """`markdown_to_text`, remembered: rendering Markdown is most of the cost of a feed, and
    when one event changes the rebuilt feed's other descriptions are the same as before."""
    return markdown_to_text(markdown_source)


def shown_text(event: Event) -> EventText:
    """The event's text in the calendar's language (the locale the calendar is built in)
    when the event is written in it, else the Swedish text."""
    locale = get_locale()
    return event_text(event, locale.language if locale is not None else None)


def language_parameters(language: str) -> dict:
    """LANGUAGE (RFC 5545 3.2.10) for a text in another language than Swedish or in a
    calendar that is not Swedish; Swedish text in a Swedish calendar (PRODID …//SV) has
    none, as before there were translations."""
    locale = get_locale()
    calendar_language = locale.language if locale is not None else ORIGINAL_LANGUAGE
    if language == ORIGINAL_LANGUAGE and calendar_language == ORIGINAL_LANGUAGE:
        return {}
    return {"LANGUAGE": language}


def event_summary(event: Event) -> str:
    title = shown_text(event).title.text
    if event.is_cancelled:
        # Shown by calendar apps that ignore STATUS:CANCELLED.
        return _("CANCELLED: %(title)s", title=title)
    return title


def event_description(event: Event, url: str, *, for_registrant: bool = False) -> str:
    """Plain text: what the event is, who arranges it, where to read more and register.

    The organiser is named here rather than in ORGANIZER (see `build_calendar`)."""
    blocks = []
    if event.is_cancelled:
        blocks.append(_("This event has been cancelled."))
        if event.cancellation_reason.strip():
            blocks.append(event.cancellation_reason.strip())
    text = shown_text(event)
    if text.summary:
        blocks.append(text.summary.text.strip())
    body = plain_text(text.description.text or "")
    if body:
        blocks.append(body)
    if event.speakers:
        names = ", ".join(
            f"{s.name} ({s.affiliation})" if s.affiliation else s.name for s in event.speakers
        )
        blocks.append(_("Speakers: %(names)s", names=names))
    if event.series is not None:
        blocks.append(_("Part of the series: %(title)s", title=event.series.title))
    # "Region Halland in cooperation with Länsstyrelsen i Hallands län": co-organisers too.
    organiser = event_organisers(event)
    contact = event.contact_email or event.organisation.contact_email
    if contact:
        blocks.append(_("Organiser: %(name)s (%(email)s)", name=organiser, email=contact))
    else:
        blocks.append(_("Organiser: %(name)s", name=organiser))
    link = meeting_link(event, for_registrant=for_registrant)
    if link and not event.is_online:
        blocks.append(_("Join online: %(url)s", url=link))
    if event.registration_mode == "none":
        blocks.append(_("No registration needed."))
        blocks.append(_("More information: %(url)s", url=url))
    elif event.registration_mode == "external":
        blocks.append(_("Registration: %(url)s", url=event.external_registration_url))
        blocks.append(_("More information: %(url)s", url=url))
    else:
        blocks.append(_("More information and registration: %(url)s", url=url))
    return "\n\n".join(blocks)


def build_event(
    event: Event,
    *,
    base_url: str,
    now: datetime,
    include_organizer: bool = False,
    attendee: str | None = None,
    for_registrant: bool = False,
    alarm_minutes: int | None = None,
    stamp_with_last_change: bool = False,
) -> VEvent:
    """One VEVENT. SEQUENCE is `event.revision`, which the model bumps on every change an
    attendee would notice, so calendars replace their copy. `for_registrant`: the reader has
    a seat and may see the meeting link. `alarm_minutes`: a VALARM that many minutes before
    the start (the attendee asked for one)."""
    url = event_url(event, base_url)
    vevent = VEvent()
    vevent.add("uid", event_uid(event))
    # A published feed is stamped with each event's last change, not the build time, so
    # every worker and host builds the same bytes for the same data.
    vevent.add("dtstamp", (event.updated_at if stamp_with_last_change else now).astimezone(UTC))
    vevent.add("created", event.created_at.astimezone(UTC))
    vevent.add("last-modified", event.updated_at.astimezone(UTC))
    vevent.add("sequence", event.revision or 0)
    # Local wall-clock time with TZID, so a 10:00 seminar stays at 10:00 across summer time.
    vevent.add("dtstart", event.start_dt.astimezone(LOCAL_TZ))
    vevent.add("dtend", event.end_dt.astimezone(LOCAL_TZ))
    # icalendar escapes LF but writes a lone CR as it is, which ends the line early: rows
    # saved before control characters were refused on the way in are cleaned here.
    # The event's text in the calendar's language where it is written in it; LANGUAGE says
    # which (the description's is its summary's and description's, the main text).
    text = shown_text(event)
    main = text.description if text.description else text.summary
    vevent.add("summary", normalise_newlines(event_summary(event)),
               parameters=language_parameters(text.title.lang))
    vevent.add(
        "description",
        normalise_newlines(event_description(event, url, for_registrant=for_registrant)),
        parameters=language_parameters(main.lang),
    )
    location = normalise_newlines(event_location(event, for_registrant=for_registrant))
    if location:
        vevent.add("location", location)
    vevent.add("url", url)
    if event.themes:
        vevent.add("categories", [theme.name for theme in event.themes])
    vevent.add("status", "CANCELLED" if event.is_cancelled else "CONFIRMED")
    vevent.add("class", "PUBLIC")
    vevent.add("transp", "OPAQUE")
    if include_organizer:
        address = event.contact_email or event.organisation.contact_email
        if address:
            organizer = vCalAddress(f"mailto:{address}")
            organizer.params["cn"] = vText(event.organisation.name)
            vevent.add("organizer", organizer)
    if attendee:
        vevent.add("attendee", vCalAddress(f"mailto:{attendee}"))
    if alarm_minutes and not event.is_cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", normalise_newlines(event.title))
        alarm.add("trigger", timedelta(minutes=-alarm_minutes))
        vevent.add_component(alarm)
    return vevent


def session_uid(event: Event, position: int) -> str:
    """The UID of a course's session: the first keeps the event's own UID (so the entry a
    calendar got before the event had sessions becomes the first session, not a stray
    copy), the others add their number to it."""
    if position <= 1:
        return event_uid(event)
    return f"{event.public_id}-{position}@{UID_DOMAIN}"


def session_location(event: Event, session: EventSession, *, for_registrant: bool = False) -> str:
    """A session's own place, or the event's when the session has none."""
    municipality_code = session.municipality or event.municipality
    if not session.has_own_place or municipality_code == "online":
        return event_location(event, for_registrant=for_registrant)
    return _place_text(
        session.venue_name or event.venue_name, session.address or event.address, municipality_code
    )


def session_title(event: Event, session: EventSession) -> str:
    return _(
        "%(title)s (session %(number)d of %(count)d)",
        title=event.title, number=session.position, count=len(event.sessions),
    )  # fmt: skip


def build_events(event: Event, **options) -> list[VEvent]:
    """The VEVENTs of an event: itself (`build_event`), or for a course one per session,
    sharing its SEQUENCE, STATUS, description and URL, each related to the course's UID
    and titled "Title (session 2 of 3)"."""
    if not event.is_course:
        return [build_event(event, **options)]
    vevents = []
    course_uid = event_uid(event)
    for session in event.sessions:
        vevent = build_event(event, **options)
        for name in ("uid", "dtstart", "dtend", "summary", "location"):
            vevent.pop(name, None)
        vevent.add("uid", session_uid(event, session.position))
        vevent.add("dtstart", session.start_dt.astimezone(LOCAL_TZ))
        vevent.add("dtend", session.end_dt.astimezone(LOCAL_TZ))
        title = session_title(event, session)
        if event.is_cancelled:
            title = _("CANCELLED: %(title)s", title=title)
        vevent.add("summary", normalise_newlines(title))
        location = normalise_newlines(
            session_location(event, session, for_registrant=options.get("for_registrant", False))
        )
        if location:
            vevent.add("location", location)
        if session.position > 1:
            # RFC 9253's SIBLING: the first session carries the course's own UID.
            vevent.add("related-to", course_uid, parameters={"RELTYPE": "SIBLING"})
        if session.note.strip():
            description = f"{session.note.strip()}\n\n{vevent.pop('description')}"
            vevent.add("description", normalise_newlines(description))
        vevents.append(vevent)
    return vevents


def build_calendar(
    events: Iterable[Event],
    *,
    base_url: str,
    name: str,
    description: str = "",
    method: str = "PUBLISH",
    now: datetime | None = None,
    refresh: timedelta = DEFAULT_REFRESH,
    include_organizer: bool | None = None,
    attendee: str | None = None,
    locale: str | None = None,
    for_registrant: bool = False,
    alarms: Mapping[int, int | None] | None = None,
    stamp_with_last_change: bool = False,
) -> Calendar:
    """A calendar of `events`, for a feed, a download or an email attachment.

    `method="CANCEL"` gives the iTIP cancellation an email needs: the same UID, STATUS:
    CANCELLED and SEQUENCE from the (already bumped) revision, or one above the revision for
    an event that is not cancelled (an attendee who cancels). Send it with `method=CANCEL`
    in the MIME content type too.

    ORGANIZER: left out of published feeds, because calendar apps then send "accepted"
    replies to that address (pretix removed it for this reason); the organiser and contact
    address are in DESCRIPTION instead. iTIP messages (REQUEST, CANCEL) require ORGANIZER,
    so for those it is included by default, with the event's or organisation's contact
    address. `include_organizer` overrides either default. `attendee` (an email address)
    adds the recipient as ATTENDEE, which iTIP messages sent to a registrant should carry.

    The meeting link of an online or hybrid event is left out unless the organiser made it
    public or `for_registrant` says the calendar is for someone with a seat (their own .ics,
    email attachment or personal feed). `alarms` maps event ids to the minutes before the
    start of the VALARM the attendee chose (never in a CANCEL).

    `stamp_with_last_change`: DTSTAMP is each event's updated_at instead of `now`, so the
    same data always gives the same bytes (published feeds).
    """
    method = method.upper()
    if method not in METHODS:
        raise ValueError(f"Unsupported iTIP method: {method}")
    with force_locale(locale or _current_locale()):
        return _build_calendar(
            events, base_url=base_url, name=name, description=description, method=method,
            now=now, refresh=refresh, include_organizer=include_organizer, attendee=attendee,
            for_registrant=for_registrant, alarms=alarms or {},
            stamp_with_last_change=stamp_with_last_change,
        )  # fmt: skip


def _current_locale() -> str:
    if has_request_context():
        current = get_locale()
        if current is not None:
            return str(current)
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _build_calendar(
    events: Iterable[Event],
    *,
    base_url: str,
    name: str,
    description: str,
    method: str,
    now: datetime | None,
    refresh: timedelta,
    include_organizer: bool | None,
    attendee: str | None,
    for_registrant: bool,
    alarms: Mapping[int, int | None],
    stamp_with_last_change: bool,
) -> Calendar:
    now = now or datetime.now(UTC)
    if include_organizer is None:
        include_organizer = method != "PUBLISH"
    # The name and description come from an event's or a theme's text (see build_event).
    name, description = normalise_newlines(name), normalise_newlines(description)

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    if description:
        calendar.add("description", description)
        calendar.add("x-wr-caldesc", description)
    calendar.add("x-wr-timezone", TIMEZONE)
    calendar.add("refresh-interval", vDuration(refresh), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(refresh))
    calendar.add_component(stockholm_vtimezone())
    for event in events:
        vevents = build_events(
            event,
            base_url=base_url,
            now=now,
            include_organizer=include_organizer,
            attendee=attendee,
            for_registrant=for_registrant,
            alarm_minutes=None if method == "CANCEL" else alarms.get(event.id),
            stamp_with_last_change=stamp_with_last_change,
        )
        for vevent in vevents:
            if method == "CANCEL":
                # A cancellation message cancels the event whatever its stored status.
                vevent["status"] = vText("CANCELLED")
                if not event.is_cancelled:
                    vevent["summary"] = vText(_("CANCELLED: %(title)s", title=vevent["summary"]))
                    # An attendee's own cancellation: the event's revision has not moved, so
                    # one above it, or calendars take the CANCEL for an old copy and keep the
                    # event. (A cancelled event's revision already rose with its status.)
                    vevent.pop("sequence")
                    vevent.add("sequence", (event.revision or 0) + 1)
            calendar.add_component(vevent)
    return calendar


def serialize(calendar: Calendar) -> bytes:
    """The calendar as UTF-8 bytes, folded at 75 octets, CRLF line endings."""
    return calendar.to_ical()

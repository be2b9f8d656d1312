"""The API's request and response shapes as pydantic models: spectree turns them into the
OpenAPI document (JSON Schema 2020-12, which OpenAPI 3.1 uses as it is), and the views build
every response through them, so the document cannot drift from what is sent.

Event objects use schema.org `Event` property names; eventreg's own additions are plain
names (`themes`, `accessibility`, `registration`)."""

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, create_model
from wtforms import DateField, SelectMultipleField
from wtforms.validators import Length

from .. import vocab
from ..catalogue.forms import FILTER_PARAMS, EventFilterForm
from ..models import RegistrationState

Locale = Literal["sv", "en"]

# Far beyond any real list, and small enough that the row offset fits every database's
# integer (as the event list's ?sida=).
MAX_PAGE = 100_000
MAX_PER_PAGE = 100


def _not_a_number(value):
    """Refuses a number where a date-time is expected: pydantic would read "0.5" as
    seconds since 1970, which the document (format: date-time) does not promise."""
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return value
        raise ValueError("expected an RFC 3339 date-time such as 2026-03-01T00:00:00Z")
    return value


Rfc3339 = Annotated[AwareDatetime, BeforeValidator(_not_a_number)]


class Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")


# --- Requests ---


class LanguageQuery(Model):
    model_config = ConfigDict(extra="ignore")

    lang: Locale | None = Field(
        None, description="Language of names and texts: sv (default) or en."
    )


def _filter_fields() -> dict:
    """The event list's filters as query fields, read from its form (catalogue/forms.py):
    same names, same choices where they are fixed, same length limits, so a filter added
    to the list appears here and in the OpenAPI document without an edit. Choices read
    from the database (themes, organisations) are strings; the form still checks them."""
    fields = {}
    for name in FILTER_PARAMS:
        unbound = getattr(EventFilterForm, name)
        label = unbound.args[0] if unbound.args else unbound.kwargs.get("label", name)
        description = str(label)
        if issubclass(unbound.field_class, SelectMultipleField):
            choices = unbound.kwargs.get("choices")
            item = Literal[tuple(choice.value for choice in choices)] if choices else str
            fields[name] = (list[item], Field([], description=f"{description} (any of them)."))
        elif issubclass(unbound.field_class, DateField):
            fields[name] = (date | None, Field(None, description=description))
        else:
            lengths = [v.max for v in unbound.kwargs.get("validators", []) if isinstance(v, Length)]
            fields[name] = (
                str | None,
                Field(None, max_length=min(lengths) if lengths else None, description=description),
            )
    return fields


class EventListParameters(LanguageQuery):
    """The API's own parameters; EventListQuery adds the event list's filters."""

    when: Literal["upcoming", "past", "all"] = Field(
        "upcoming",
        description="Upcoming events (soonest first), past events (latest first) or all "
        "(oldest first).",
    )
    page: int = Field(1, ge=1, le=MAX_PAGE, description="Page number (page paging).")
    per_page: int = Field(20, ge=1, le=MAX_PER_PAGE, description="Events per page.")
    updated_since: Rfc3339 | None = Field(
        None,
        description="Only events changed at or after this moment (RFC 3339 with offset), "
        "in order of change, paged with `cursor`: for incremental sync.",
    )
    cursor: str | None = Field(
        None,
        max_length=200,
        description="`next_cursor` of the previous page: continues a list in order of change.",
    )
    serie: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9_-]{1,32}$",
        description="Only the events of this series (its `identifier`, see /series); an "
        "identifier that is not a public series' is refused with 400, as on the site.",
    )


EventListQuery = create_model(
    "EventListQuery",
    __base__=EventListParameters,
    __doc__="The event list's filters under the same names as on the site (a list page's "
    "query can be copied as it is: fran/till are dates, the others may be repeated), then "
    "the API's paging and sync parameters.",
    # `serie` is declared above, with the API's stricter pattern; the form checks it too.
    **{
        name: spec
        for name, spec in _filter_fields().items()
        if name not in EventListParameters.model_fields
    },
)


# --- Responses ---


class ApiError(Model):
    error: str = Field(description="A short code, e.g. invalid_parameters.")
    message: str
    details: dict[str, list[str]] = Field({}, description="Messages per parameter.")


class Code(Model):
    code: str
    name: str


class ThemeRef(Model):
    slug: str
    name: str
    url: str


class PostalAddress(Model):
    type_: Literal["PostalAddress"] = Field("PostalAddress", alias="@type")
    streetAddress: str
    addressLocality: str
    addressRegion: str
    addressCountry: str


class Place(Model):
    type_: Literal["Place"] = Field("Place", alias="@type")
    name: str
    address: PostalAddress


class VirtualLocation(Model):
    type_: Literal["VirtualLocation"] = Field("VirtualLocation", alias="@type")
    url: str = Field(
        description="The meeting link when the organiser made it public, else the event "
        "page (registered participants receive the link)."
    )


class Organizer(Model):
    type_: Literal["Organization"] = Field("Organization", alias="@type")
    identifier: str = Field(description="The organisation's slug (filter `arrangor`).")
    name: str
    url: str | None = None


class Offer(Model):
    type_: Literal["Offer"] = Field("Offer", alias="@type")
    price: Literal[0] = 0
    priceCurrency: Literal["SEK"] = "SEK"
    availability: str | None = Field(
        description="A schema.org ItemAvailability URL (None: registration on another website)."
    )
    url: str = Field(description="Where to register.")
    validFrom: datetime | None = None
    validThrough: datetime | None = None


class Performer(Model):
    type_: Literal["Person"] = Field("Person", alias="@type")
    name: str


class Accessibility(Model):
    stepFreeAccess: bool | None = Field(description="None: not stated.")
    hearingLoop: bool | None
    signLanguageInterpretation: bool | None
    interpretationAvailable: bool
    interpretationNote: str
    notes: str


class Audience(Model):
    type_: Literal["Audience"] = Field("Audience", alias="@type")
    identifier: str = Field(description="The target group's slug (filter `malgrupp`).")
    audienceType: str


class Registration(Model):
    mode: Literal[tuple(vocab.REGISTRATION_MODES)] = Field(  # type: ignore[valid-type]
        description="eventreg (here), none (just come) or external (another website)."
    )
    state: Literal[tuple(state.value for state in RegistrationState)]  # type: ignore[valid-type]
    url: str | None = Field(description="Where to register (None: no registration).")
    opens: datetime | None
    closes: datetime = Field(description="When registration closes (at the latest the start).")
    maximumAttendeeCapacity: int | None = Field(description="None: no seat limit.")
    remainingAttendeeCapacity: int | None


class Session(Model):
    """One meeting of a course (several sessions under one registration)."""

    position: int = Field(description="1, 2, 3 … in time order.")
    startDate: datetime
    endDate: datetime
    location: str = Field(description="Where this session is held, in words.")
    note: str


class SeriesRef(Model):
    """The series an event is part of (schema.org superEvent)."""

    type_: Literal["EventSeries"] = Field("EventSeries", alias="@type")
    identifier: str = Field(description="The series' permanent public id.")
    name: str
    url: str = Field(description="The series' public page.")
    api: str = Field(description="The series in this API.")


class ApiTranslation(Model):
    """The event's text in another language than Swedish, written by the organiser."""

    inLanguage: str = Field(description="A BCP 47 language tag, e.g. ar or sv-x-lattlast.")
    direction: Literal["ltr", "rtl"] = Field(description="The direction of the writing.")
    name: str
    summary: str = Field(description="Empty: the Swedish summary stands.")
    description: str = Field(description="Plain text; empty: the Swedish description stands.")


class ApiEvent(Model):
    context: Literal["https://schema.org"] = Field("https://schema.org", alias="@context")
    type_: Literal["Event"] = Field("Event", alias="@type")
    identifier: str = Field(description="The event's permanent public id.")
    url: str
    name: str
    description: str
    startDate: datetime
    endDate: datetime
    dateModified: datetime = Field(description="The last change (see updated_since).")
    eventStatus: str = Field(description="A schema.org EventStatusType URL.")
    eventAttendanceMode: str = Field(description="A schema.org EventAttendanceModeEnumeration URL.")
    location: list[Place | VirtualLocation]
    organizer: Organizer = Field(description="The responsible organisation.")
    coOrganizers: list[Organizer] = Field(
        description="Organisations arranging the event together with the responsible one, by "
        "name (the filter `arrangor` finds an event by any of them)."
    )
    inLanguage: list[str]
    isAccessibleForFree: Literal[True] = True
    offers: Offer | None = Field(description="None: no registration, just come.")
    performer: list[Performer]
    maximumAttendeeCapacity: int | None
    remainingAttendeeCapacity: int | None
    # eventreg's own fields
    format: Code
    municipality: Code
    audience: list[Audience] = Field(description="The target groups.")
    audienceDescription: str = Field(description="Who the event is for, in the organiser's words.")
    themes: list[ThemeRef]
    accessibility: Accessibility
    registration: Registration
    cancellationReason: str | None = None
    ical: str = Field(description="The event's iCalendar file.")
    translations: list[ApiTranslation] = Field(
        [], description="The title, summary and description in other languages (filter "
        "`beskriven_pa`); `name` and `description` above are the Swedish ones."
    )
    series: SeriesRef | None = Field(None, description="The series the event is part of.")
    sessions: list[Session] = Field(
        description="A course's sessions, one registration for all (empty: the event meets "
        "once, from startDate to endDate; a course's startDate and endDate are its span)."
    )


class EventPage(Model):
    items: list[ApiEvent]
    page: int | None = Field(description="Page paging: this page's number (None in sync order).")
    per_page: int
    total: int | None = Field(description="Page paging: events matching (None in sync order).")
    next: str | None = Field(description="The next page's URL, None on the last page.")
    next_cursor: str | None = Field(None, description="Sync order: the `cursor` of the next page.")


class Resource(Model):
    kind: Code
    title: str
    url: str
    description: str
    inLanguage: str


class ApiTheme(Model):
    slug: str
    name: str
    description: str
    url: str
    events: str = Field(description="The API URL of the theme's upcoming events.")
    resources: list[Resource]


class ThemeList(Model):
    items: list[ApiTheme]


class ApiOrganisation(Model):
    slug: str
    name: str
    url: str | None
    events: str


class OrganisationList(Model):
    items: list[ApiOrganisation]


class ApiMunicipality(Model):
    code: str
    name: str
    inHalland: bool
    events: str


class MunicipalityList(Model):
    items: list[ApiMunicipality]


class Figure(Model):
    key: str = Field(description="Theme slug, municipality or format code, or YYYY-MM.")
    name: str
    events: int
    registrations: int | None = Field(description="None: fewer than min_count (withheld).")
    attended: int | None
    waiting_list_demand: int | None


class StatisticsResponse(Model):
    until: date = Field(description="Events that started before this day are counted.")
    min_count: int = Field(description="Counts of people below this are withheld (None).")
    total: Figure
    by_theme: list[Figure]
    by_municipality: list[Figure]
    by_format: list[Figure]
    by_month: list[Figure]


class ApiSeries(Model):
    context: Literal["https://schema.org"] = Field("https://schema.org", alias="@context")
    type_: Literal["EventSeries"] = Field("EventSeries", alias="@type")
    identifier: str = Field(description="The series' permanent public id (filter `serie`).")
    name: str
    description: str = Field(description="Plain text.")
    url: str = Field(description="The series' public page, with its past and coming parts.")
    organizer: Organizer
    events: str = Field(description="The API URL of the series' public events, all of them.")
    ical: str = Field(description="The series' calendar feed (iCalendar).")
    atom: str = Field(description="The series' Atom feed.")


class SeriesList(Model):
    items: list[ApiSeries]

"""Events and what hangs off them (themes, languages, speakers)."""

import secrets
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Select,
    String,
    Table,
    Text,
    event,
    false,
    func,
    inspect,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement

from ..extensions import db
from .co_organisers import event_co_organiser
from .organisations import Organisation
from .sessions import EventSession
from .statuses import EventStatus, RegistrationState
from .target_groups import TargetGroup, event_target_group
from .themes import Theme
from .types import UTCDateTime, utcnow

event_theme = Table(
    "event_theme",
    db.metadata,
    Column("event_id", ForeignKey("event.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("theme.id", ondelete="CASCADE"), primary_key=True),
    # The primary key serves "themes of these events"; this serves "events of this theme"
    # (the theme filter of lists and feeds, and the counts per theme on the home page).
    Index("ix_event_theme_theme_id", "theme_id", "event_id"),
)

# Changing any of these changes what a calendar shows, so they bump Event.revision,
# which feeds publish as SEQUENCE.
ATTENDEE_VISIBLE_FIELDS = (
    "title",
    "summary",
    "description",
    "format",
    "start_dt",
    "end_dt",
    "venue_name",
    "address",
    "municipality",
    "online_url",
    # Public calendars show the meeting link or not (LOCATION, DESCRIPTION).
    "online_url_public",
    "status",
    "cancellation_reason",
    # The description names the organiser, the contact address and the speakers; CATEGORIES
    # are the themes. The two relationships count too: replacing either collection makes
    # the event dirty, so the flush below sees their history.
    "contact_email",
    "organisation_id",
    "themes",
    "speakers",
    # A course's sessions: one added or removed here; one changed is seen by the hook below.
    "sessions",
    # The description names the co-organisers too.
    "co_organisers",
    # Feeds say how to register (here, elsewhere, or not at all).
    "registration_mode",
    "external_registration_url",
    # Feeds and the event page name the series the event is part of.
    "series_id",
)


# Seats of one event: more is a typing mistake (and a number that overflows the column).
MAX_CAPACITY = 100_000


def new_public_id() -> str:
    """A short, random, URL-safe id that never changes (also the base of the calendar UID)."""
    return secrets.token_hex(6)


class Event(db.Model):
    __table_args__ = (
        CheckConstraint("end_dt > start_dt", name="ends_after_start"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
        CheckConstraint(
            "capacity IS NULL OR seats_taken <= capacity", name="seats_within_capacity"
        ),
        Index("ix_event_status_end", "status", "end_dt"),
        CheckConstraint(
            "registration_mode IN ('eventreg', 'none', 'external')", name="registration_mode_known"
        ),
        CheckConstraint(
            "registration_mode != 'external' OR external_registration_url IS NOT NULL",
            name="external_registration_has_url",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    slug: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    # Markdown, sanitised on render.
    description: Mapped[str] = mapped_column(Text, default="", info={"max_length": 20_000})
    format: Mapped[str] = mapped_column(String(20))  # vocab.FORMATS
    audience: Mapped[str] = mapped_column(String(500), default="")
    interpretation_available: Mapped[bool] = mapped_column(default=False)
    interpretation_note: Mapped[str] = mapped_column(String(300), default="")

    start_dt: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    end_dt: Mapped[datetime] = mapped_column(UTCDateTime)

    venue_name: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    municipality: Mapped[str] = mapped_column(String(20), index=True)  # vocab.MUNICIPALITIES
    online_url: Mapped[str | None] = mapped_column(String(1000))
    # Whether the meeting link is public (an open webinar anyone may join). By default only
    # people with a seat see it (emails, manage page, their own calendar): a public link
    # lets anyone join without registering, past the seat limit and the statistics.
    online_url_public: Mapped[bool] = mapped_column(default=False, server_default=false())

    # Yes (True), no (False) or not stated (None): "no" only when an organiser says so.
    step_free_access: Mapped[bool | None] = mapped_column()
    hearing_loop: Mapped[bool | None] = mapped_column()
    sign_language_interpretation: Mapped[bool | None] = mapped_column()
    accessibility_notes: Mapped[str] = mapped_column(
        Text, default="", info={"max_length": 2_000}
    )

    capacity: Mapped[int | None] = mapped_column()  # None = unlimited
    # Confirmed seats, kept by the registration service with a conditional UPDATE so the
    # database itself guarantees seats_taken <= capacity.
    seats_taken: Mapped[int] = mapped_column(default=0)
    registration_opens_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registration_closes_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # vocab.REGISTRATION_MODES: "eventreg" (the form here), "none" (just come: no form, no
    # seat count) or "external" (register at external_registration_url).
    registration_mode: Mapped[str] = mapped_column(
        String(20), default="eventreg", server_default="eventreg"
    )
    external_registration_url: Mapped[str | None] = mapped_column(String(1000))
    # Reminder emails, in hours before the start (None: no such reminder). New events get
    # REMINDER_FIRST_HOURS and REMINDER_SECOND_HOURS (see services.reminders).
    first_reminder_hours: Mapped[int | None] = mapped_column()
    second_reminder_hours: Mapped[int | None] = mapped_column()

    status: Mapped[str] = mapped_column(String(20), default=EventStatus.DRAFT)
    cancellation_reason: Mapped[str] = mapped_column(
        Text, default="", info={"max_length": 2_000}
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    contact_email: Mapped[str | None] = mapped_column(String(254))
    # The series the event is part of, if any (models/series.py); deleting the series
    # leaves the event where it is, outside any series.
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("event_series.id", ondelete="SET NULL"), index=True
    )

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revision: Mapped[int] = mapped_column(default=0)
    # Case-folded copy of the searchable text: SQLite's lower() does not fold å, ä, ö.
    search_text: Mapped[str] = mapped_column(Text, default="")

    organisation: Mapped[Organisation] = relationship()
    series: Mapped["EventSeries | None"] = relationship(back_populates="events")  # noqa: F821
    # The responsible organisation is never also a co-organiser (services.events keeps it so).
    co_organisers: Mapped[list[Organisation]] = relationship(
        secondary=event_co_organiser, order_by=(Organisation.name, Organisation.id)
    )
    themes: Mapped[list[Theme]] = relationship(secondary=event_theme, order_by=Theme.position)
    target_groups: Mapped[list[TargetGroup]] = relationship(
        secondary=event_target_group, order_by=(TargetGroup.position, TargetGroup.id)
    )
    languages: Mapped[list["EventLanguage"]] = relationship(
        cascade="all, delete-orphan", order_by="EventLanguage.code"
    )
    speakers: Mapped[list["Speaker"]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Speaker.position"
    )
    # Title, summary and description in other languages (models/translations.py).
    translations: Mapped[list["EventTranslation"]] = relationship(  # noqa: F821
        back_populates="event", cascade="all, delete-orphan", order_by="EventTranslation.code"
    )
    # A course's sessions (models.sessions); none for an event that meets once.
    sessions: Mapped[list[EventSession]] = relationship(
        cascade="all, delete-orphan", order_by=EventSession.position
    )
    # How many, read with the event's row (a subquery on the event_session index): lists and
    # cards say "3 sessions" without loading any session, and only a course loads its list.
    session_count: Mapped[int] = column_property(
        select(func.count(EventSession.id))
        .where(EventSession.event_id == id)
        .correlate_except(EventSession)
        .scalar_subquery()
    )

    @property
    def is_course(self) -> bool:
        """Whether the event meets several times (models.sessions): from its loaded
        sessions when it has them (they may have just changed), else from session_count."""
        if "sessions" in self.__dict__:
            return bool(self.sessions)
        return bool(self.session_count)

    @property
    def number_of_sessions(self) -> int:
        """1 for an event that meets once."""
        if "sessions" in self.__dict__:
            return len(self.sessions) or 1
        return self.session_count or 1

    @property
    def language_codes(self) -> list[str]:
        return [language.code for language in self.languages]

    @language_codes.setter
    def language_codes(self, codes: list[str]) -> None:
        self.languages = [EventLanguage(code=code) for code in dict.fromkeys(codes)]

    @property
    def is_published(self) -> bool:
        return self.status == EventStatus.PUBLISHED

    @property
    def is_cancelled(self) -> bool:
        return self.status == EventStatus.CANCELLED

    @property
    def online_url_is_public(self) -> bool:
        """Whether everyone may see the meeting link: the organiser made it public (an open
        webinar), or the event needs no registration and so has nobody to send it to."""
        return self.online_url_public or self.registration_mode == "none"

    @property
    def is_online(self) -> bool:
        return self.municipality == "online"

    def has_ended(self, now: datetime | None = None) -> bool:
        return self.end_dt <= (now or utcnow())

    @property
    def seats_left(self) -> int | None:
        if self.capacity is None:
            return None
        return max(self.capacity - self.seats_taken, 0)

    @property
    def is_full(self) -> bool:
        return self.capacity is not None and self.seats_taken >= self.capacity

    @property
    def registers_here(self) -> bool:
        """Whether people sign up through this site (a form, seats, a waiting list)."""
        return self.registration_mode == "eventreg"

    def registration_state(self, now: datetime | None = None) -> RegistrationState:
        """UNAVAILABLE, NOT_OPEN, OPEN or CLOSED for this moment; NONE for an event
        without registration and EXTERNAL for one registered on another website."""
        now = now or utcnow()
        if not self.is_published:
            return RegistrationState.UNAVAILABLE
        if not self.registers_here:
            return RegistrationState(self.registration_mode)
        if self.registration_opens_dt and now < self.registration_opens_dt:
            return RegistrationState.NOT_OPEN
        closes = self.registration_closes_dt or self.start_dt
        if now >= closes:
            return RegistrationState.CLOSED
        return RegistrationState.OPEN

    def __repr__(self) -> str:
        return f"<Event {self.public_id} {self.title!r}>"


def arranged_by(organisation_ids) -> ColumnElement[bool]:
    """A condition for events these organisations (ids, or a query of ids) arrange: as the
    responsible organisation or as a co-organiser. Each event matches once, however many of
    them arrange it."""
    ids = organisation_ids if isinstance(organisation_ids, Select) else (
        sorted(organisation_ids) or [-1])  # fmt: skip
    co_organised = select(event_co_organiser.c.event_id).where(
        event_co_organiser.c.organisation_id.in_(ids)
    )
    return or_(Event.organisation_id.in_(ids), Event.id.in_(co_organised))


class EventLanguage(db.Model):
    """A language an event is held in (a row per language, so lists can filter on it)."""

    event_id: Mapped[int] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(10), primary_key=True, index=True)


class Speaker(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(200))
    affiliation: Mapped[str] = mapped_column(String(300), default="")

    event: Mapped[Event] = relationship(back_populates="speakers")


def _search_text(target: Event) -> str:
    parts = [
        target.title,
        target.summary,
        target.description,
        target.audience,
        target.venue_name,
        target.address,
        *(f"{s.name} {s.affiliation}" for s in target.speakers),
        *(f"{t.title}\n{t.summary}\n{t.description}" for t in target.translations),
    ]
    return "\n".join(p for p in parts if p).casefold()


@event.listens_for(Event, "before_insert")
def _before_insert(mapper, connection, target: Event) -> None:
    target.search_text = _search_text(target)


def _a_session_changed(target: Event) -> bool:
    """Whether one of the event's loaded sessions has an unflushed change (its rows are
    written after the event's; services.sessions touches the event so this hook runs)."""
    return any(inspect(session).modified for session in target.__dict__.get("sessions", ()))


@event.listens_for(Event, "before_update")
def _before_update(mapper, connection, target: Event) -> None:
    state = inspect(target)
    if any(state.attrs[name].history.has_changes() for name in ATTENDEE_VISIBLE_FIELDS) or (
        _a_session_changed(target)
    ):
        target.revision = (target.revision or 0) + 1
    target.updated_at = utcnow()
    target.search_text = _search_text(target)

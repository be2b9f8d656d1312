"""Event text in several languages: the languages administrators allow event text to be
written in (ContentLanguage), and an event's title, summary and description in one of them
(EventTranslation).

Swedish is not among them: it stays in the event's own columns and is always there. A
translation's language is named by its BCP 47 tag ("ar", "sv-x-lattlast"), which never
changes once the language exists (the translations refer to it).
"""

from dataclasses import dataclass

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
    true,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from ..extensions import db
from .events import Event
from .themes import _language

DIRECTIONS = ("ltr", "rtl")

# The list a new installation starts with (the migration inserts the same rows; the demo
# data adds any that are missing): (code, name in the language itself, Swedish name,
# English name, direction).
SEED_CONTENT_LANGUAGES = (
    ("en", "English", "Engelska", "English", "ltr"),
    ("sv-x-lattlast", "Lättläst svenska", "Lättläst svenska", "Easy-to-read Swedish", "ltr"),
    ("ar", "العربية", "Arabiska", "Arabic", "rtl"),
    ("so", "Soomaali", "Somaliska", "Somali", "ltr"),
    ("ti", "ትግርኛ", "Tigrinja", "Tigrinya", "ltr"),
    ("prs", "دری", "Dari", "Dari", "rtl"),
    ("fa", "فارسی", "Persiska", "Persian", "rtl"),
    ("uk", "Українська", "Ukrainska", "Ukrainian", "ltr"),
)


class ContentLanguage(db.Model):
    """A language event text may be written in. Inactive languages are not offered for new
    translations; translations already written in them stay and are still shown."""

    __tablename__ = "content_language"
    __table_args__ = (CheckConstraint("direction IN ('ltr', 'rtl')", name="direction_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # A BCP 47 language tag: "ar", "prs", "sv-x-lattlast" (35 characters hold any real one).
    code: Mapped[str] = mapped_column(String(35), unique=True)
    # The language's name in the language itself ("العربية", "Soomaali"): what a reader of
    # it recognises on a "read in" link.
    native_name: Mapped[str] = mapped_column(String(100))
    name_sv: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    direction: Mapped[str] = mapped_column(String(3), default="ltr", server_default="ltr")
    position: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())

    @property
    def name(self) -> str:
        """The name in the page's language (English pages: the English name)."""
        return self.name_en if _language(self.name_en) == "en" else self.name_sv

    @property
    def is_rtl(self) -> bool:
        return self.direction == "rtl"

    def __repr__(self) -> str:
        return f"<ContentLanguage {self.code}>"


class EventTranslation(db.Model):
    """An event's title, summary and description in another language than Swedish. The
    limits are the event's own columns' limits."""

    __tablename__ = "event_translation"
    __table_args__ = (
        UniqueConstraint("event_id", "code", name="uq_event_translation_event_id_code"),
        # "Events described in this language" (the list and feed filter).
        Index("ix_event_translation_code_event_id", "code", "event_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    # RESTRICT: a language in use cannot be deleted under its translations.
    code: Mapped[str] = mapped_column(ForeignKey("content_language.code", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    # Markdown, sanitised on render (as Event.description).
    description: Mapped[str] = mapped_column(Text, default="", info={"max_length": 20_000})

    language: Mapped[ContentLanguage] = relationship(lazy="joined", innerjoin=True)
    event: Mapped[Event] = relationship(back_populates="translations")

    @property
    def direction(self) -> str:
        return self.language.direction

    def __repr__(self) -> str:
        return f"<EventTranslation {self.event_id} {self.code}>"


@event.listens_for(Session, "before_flush")
def _translated_events_change(session: Session, flush_context, instances) -> None:
    """A translation added, changed or removed changes what calendars and feeds show of its
    event: the event's revision (SEQUENCE), updated_at (Last-Modified, the Atom entry's
    `updated`) and search text follow, as for a change to the event's own text."""
    touched = {}
    for instance in (*session.new, *session.dirty, *session.deleted):
        if isinstance(instance, EventTranslation):
            if instance in session.dirty and not session.is_modified(instance):
                continue
            target = instance.event
        elif (
            isinstance(instance, Event)
            and instance in session.dirty
            and (inspect(instance).attrs.translations.history.has_changes())
        ):
            target = instance  # a translation added to or taken from event.translations
        else:
            continue
        if target is not None and target not in session.deleted and inspect(target).persistent:
            touched[id(target)] = target
    for target in touched.values():
        target.revision = (target.revision or 0) + 1


# --- Which version of an event's text to show ----------------------------------------------

# The language of the event's own columns.
ORIGINAL_LANGUAGE = "sv"
# The query parameter that asks an event page for another language's text (?las=ar).
READ_PARAM = "las"


@dataclass(frozen=True)
class TextPart:
    """One block of an event's text with the language it is in: a translation's, or
    Swedish where the translation leaves the block empty."""

    text: str
    lang: str
    dir: str = "ltr"

    def __bool__(self) -> bool:
        return bool(self.text.strip())


@dataclass(frozen=True)
class EventText:
    code: str  # the version shown: "sv" or a translation's language
    title: TextPart
    summary: TextPart
    description: TextPart

    @property
    def is_translation(self) -> bool:
        return self.code != ORIGINAL_LANGUAGE


@dataclass(frozen=True)
class TextVersion:
    """A language an event can be read in, for "read in" links."""

    code: str
    native_name: str
    dir: str


def translation_in(event: Event, code: str | None) -> EventTranslation | None:
    return next((t for t in event.translations if t.code == code), None) if code else None


def event_text(event: Event, *preferred: str | None) -> EventText:
    """The event's text in the first of the `preferred` languages it is written in, else in
    Swedish. A block the translation leaves empty is the Swedish one, marked as Swedish."""
    original = ORIGINAL_LANGUAGE

    def swedish(text: str) -> TextPart:
        return TextPart(text or "", original)

    for code in preferred:
        if code == original:  # Swedish asked for (?las=sv on an English page)
            break
        translation = translation_in(event, code)
        if translation is None:
            continue
        direction = translation.language.direction

        def own(text: str, fallback: str, code=translation.code, direction=direction):
            return TextPart(text, code, direction) if text.strip() else swedish(fallback)

        return EventText(
            code=translation.code,
            title=TextPart(translation.title, translation.code, direction),
            summary=own(translation.summary, event.summary),
            description=own(translation.description, event.description),
        )
    return EventText(original, swedish(event.title), swedish(event.summary),
                     swedish(event.description))  # fmt: skip


def text_versions(event: Event) -> list[TextVersion]:
    """Swedish, then the event's translations in the administrators' order of languages."""
    translations = sorted(event.translations, key=lambda t: (t.language.position, t.language.id))
    return [TextVersion(ORIGINAL_LANGUAGE, "Svenska", "ltr")] + [
        TextVersion(t.code, t.language.native_name, t.language.direction) for t in translations
    ]

"""Themes (temaområden) and the resources collected under each."""

from flask_babel import get_locale
from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


def _language(en: str) -> str:
    """The language a themed text is shown in: English on English pages when there is an
    English text, else Swedish."""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" and en else "sv"


def _localised(sv: str, en: str) -> str:
    return en if _language(en) == "en" else sv


class Theme(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name_sv: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description_sv: Mapped[str] = mapped_column(Text, default="", info={"max_length": 5_000})
    description_en: Mapped[str] = mapped_column(Text, default="", info={"max_length": 5_000})
    position: Mapped[int] = mapped_column(default=0)

    resources: Mapped[list["Resource"]] = relationship(
        back_populates="theme", order_by="Resource.position", cascade="all, delete-orphan"
    )

    @property
    def name(self) -> str:
        return _localised(self.name_sv, self.name_en)

    @property
    def description(self) -> str:
        return _localised(self.description_sv, self.description_en)

    @property
    def name_language(self) -> str:
        """The language `name` is in, "sv" or "en" (Swedish when no translation exists)."""
        return _language(self.name_en)

    @property
    def description_language(self) -> str:
        return _language(self.description_en)

    def __repr__(self) -> str:
        return f"<Theme {self.slug}>"


class Resource(db.Model):
    """A recorded lecture, short course or further reading under a theme."""

    id: Mapped[int] = mapped_column(primary_key=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("theme.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # vocab.RESOURCE_KINDS
    title: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(1000))
    description: Mapped[str] = mapped_column(Text, default="", info={"max_length": 5_000})
    language: Mapped[str] = mapped_column(String(10), default="sv")  # vocab.LANGUAGES
    position: Mapped[int] = mapped_column(default=0)
    # Set when an organiser added an event's material to the theme's library: the material
    # the resource was made from (removed and updated with it).
    material_id: Mapped[int | None] = mapped_column(
        ForeignKey("event_material.id", ondelete="CASCADE"), index=True
    )

    theme: Mapped[Theme] = relationship(back_populates="resources")

"""What organisers attach to an event after it: slides, documents and recordings."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .events import Event
from .types import UTCDateTime, utcnow

MATERIAL_KINDS = ("slides", "document", "recording")


class EventMaterial(db.Model):
    """A link, or an uploaded file kept under MATERIALS_DIR with a random name (never the
    name it was uploaded with, so nothing typed by anyone becomes a path).

    `in_theme_library` copies it into the resources of each of the event's themes (see
    services.materials.sync_theme_library); those Resource rows point back here."""

    __tablename__ = "event_material"
    __table_args__ = (
        CheckConstraint("kind IN ('slides', 'document', 'recording')", name="kind_known"),
        # Exactly one of a link and a stored file.
        CheckConstraint("(url IS NULL) <> (stored_name IS NULL)", name="link_or_file"),
        # Recordings are links to where the video lives; the site stores no video.
        CheckConstraint("kind != 'recording' OR url IS NOT NULL", name="recording_is_link"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # MATERIAL_KINDS
    title: Mapped[str] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(10), default="sv")  # vocab.LANGUAGES
    url: Mapped[str | None] = mapped_column(String(1000))
    # The file's name under MATERIALS_DIR: random hex and the extension of its checked type.
    stored_name: Mapped[str | None] = mapped_column(String(64), unique=True)
    file_type: Mapped[str | None] = mapped_column(String(10))  # a key of MATERIAL_FILE_TYPES
    size_bytes: Mapped[int | None] = mapped_column()
    # Recordings: whether captions exist (None: not stated).
    has_captions: Mapped[bool | None] = mapped_column()
    in_theme_library: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[Event] = relationship()

    @property
    def is_file(self) -> bool:
        return self.stored_name is not None

    def __repr__(self) -> str:
        return f"<EventMaterial {self.id} {self.kind} event={self.event_id}>"

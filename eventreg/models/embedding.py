"""Web sites allowed to frame the embeddable event list, per organisation."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from ..extensions import db
from .organisations import Organisation
from .types import UTCDateTime, utcnow


class EmbedOrigin(db.Model):
    """One origin (scheme://host[:port], normalised by services/embedding.normalise_origin)
    that may show an organisation's listing in an iframe."""

    __table_args__ = (
        UniqueConstraint("organisation_id", "origin", name="uq_embed_origin_organisation_origin"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    origin: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Removed with their organisation by the ORM as well as by the database (SQLite does not
    # enforce foreign keys here).
    organisation: Mapped[Organisation] = relationship(
        backref=backref(
            "embed_origins", cascade="all, delete-orphan", order_by="EmbedOrigin.origin"
        )
    )

    def __repr__(self) -> str:
        return f"<EmbedOrigin {self.origin}>"

"""Target groups (målgrupper): a controlled list, kept by administrators, of who events are
for. An event has any number; its free-text `audience` stays as a note beside them."""

from sqlalchemy import Column, ForeignKey, Index, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .themes import _language, _localised

event_target_group = Table(
    "event_target_group",
    db.metadata,
    Column("event_id", ForeignKey("event.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "target_group_id", ForeignKey("target_group.id", ondelete="CASCADE"), primary_key=True
    ),
    Index("ix_event_target_group_target_group_id", "target_group_id", "event_id"),
)

# The list a new installation starts with (the migration inserts the same rows; the demo
# data adds any that are missing): (slug, Swedish name, English name).
SEED_TARGET_GROUPS = (
    ("halso-och-sjukvard", "Personal i hälso- och sjukvården", "Staff in health care"),
    ("skola", "Personal i skolan", "School staff"),
    ("socialtjanst", "Personal i socialtjänsten", "Social services staff"),
    ("arbetsgivare", "Arbetsgivare", "Employers"),
    ("civilsamhalle", "Civilsamhället", "Civil society"),
    ("nyanlanda", "Nyanlända", "Newcomers"),
    ("allmanheten", "Allmänheten", "The public"),
)


class TargetGroup(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name_sv: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[int] = mapped_column(default=0)

    @property
    def name(self) -> str:
        """The name in the page's language (Swedish when no English name exists)."""
        return _localised(self.name_sv, self.name_en)

    @property
    def name_language(self) -> str:
        return _language(self.name_en)

    def __repr__(self) -> str:
        return f"<TargetGroup {self.slug}>"

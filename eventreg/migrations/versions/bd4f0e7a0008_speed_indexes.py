"""Speed: the public data's version row (page and feed caches) and indexes for the lists.

Revision ID: bd4f0e7a0008
Revises: ac3f0e7a0007
Create Date: 2026-11-29 15:00:00.000000

"""
import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'bd4f0e7a0008'
down_revision = 'ac3f0e7a0007'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("names_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_version")),
    )
    # SQLite keeps naive UTC (see models/types.py UTCDateTime).
    now = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    op.bulk_insert(
        table,
        [{"id": 1, "token": secrets.token_hex(16), "changed_at": now, "names_changed_at": now}],
    )
    # The list filters by theme and target group look up events by theme (the primary
    # keys lead with the event); see bench/BENCHMARKS.md for the EXPLAIN on the large set.
    op.create_index("ix_event_theme_theme_id", "event_theme", ["theme_id", "event_id"])
    op.create_index(
        "ix_event_target_group_target_group_id",
        "event_target_group",
        ["target_group_id", "event_id"],
    )
    # The follow-up statistics count from this index alone (models/registrations.py).
    op.create_index(
        "ix_registration_statistics",
        "registration",
        ["event_id", "status", "attended_at", "confirmed_at", "municipality", "sector"],
    )
    if op.get_bind().dialect.name == "sqlite":
        # SQLite's planner picks the new indexes once it has statistics (PostgreSQL's
        # autovacuum gathers its own).
        op.execute("ANALYZE")


def downgrade():
    op.drop_index("ix_registration_statistics", table_name="registration")
    op.drop_index("ix_event_target_group_target_group_id", table_name="event_target_group")
    op.drop_index("ix_event_theme_theme_id", table_name="event_theme")
    op.drop_table("data_version")

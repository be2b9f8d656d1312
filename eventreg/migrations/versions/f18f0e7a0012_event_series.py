"""Series of events with their own page and feed.

A new table of series (each kept by one organisation) and, on every event, the series it is
part of. Existing events are in no series; nothing else changes.

Revision ID: f18f0e7a0012
Revises: e07f0e7a0011
Create Date: 2026-11-29 18:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

import eventreg.models.types


# revision identifiers, used by Alembic.
revision = 'f18f0e7a0012'
down_revision = 'e07f0e7a0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'event_series',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('public_id', sa.String(length=32), nullable=False),
        sa.Column('slug', sa.String(length=120), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('created_at', eventreg.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', eventreg.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'],
                                name=op.f('fk_event_series_organisation_id_organisation'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_event_series')),
        sa.UniqueConstraint('public_id', name=op.f('uq_event_series_public_id')),
    )
    with op.batch_alter_table('event_series', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_series_organisation_id'), ['organisation_id'],
                              unique=False)
    # Every existing event is in no series (NULL).
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('series_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_event_series_id'), ['series_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_event_series_id_event_series'),
                                    'event_series', ['series_id'], ['id'], ondelete='SET NULL')


def downgrade():
    # The events stay; only their link to a series goes, with the series themselves.
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_event_series_id_event_series'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_event_series_id'))
        batch_op.drop_column('series_id')
    with op.batch_alter_table('event_series', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_series_organisation_id'))
    op.drop_table('event_series')

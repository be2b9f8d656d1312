"""Co-organising organisations of an event.

Every existing event keeps its organisation as the responsible one (event.organisation_id
is untouched) and starts without co-organisers.

Revision ID: 029f0e7a0013
Revises: f18f0e7a0012
Create Date: 2026-11-29 18:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '029f0e7a0013'
down_revision = 'f18f0e7a0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'event_co_organiser',
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'],
                                name=op.f('fk_event_co_organiser_event_id_event'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'],
                                name=op.f('fk_event_co_organiser_organisation_id_organisation'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('event_id', 'organisation_id',
                                name=op.f('pk_event_co_organiser')),
    )
    op.create_index('ix_event_co_organiser_organisation_id', 'event_co_organiser',
                    ['organisation_id', 'event_id'], unique=False)


def downgrade():
    # Joint events become events of their responsible organisation alone.
    op.drop_index('ix_event_co_organiser_organisation_id', table_name='event_co_organiser')
    op.drop_table('event_co_organiser')

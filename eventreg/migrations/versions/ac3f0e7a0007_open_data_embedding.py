"""Open data and embedding: the web sites (origins) each organisation lets frame the
embeddable event list.

Revision ID: ac3f0e7a0007
Revises: 9a2f0e7a0006
Create Date: 2026-11-29 15:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

from eventreg.models.types import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'ac3f0e7a0007'
down_revision = '9a2f0e7a0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'embed_origin',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('origin', sa.String(length=300), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['organisation_id'], ['organisation.id'],
            name=op.f('fk_embed_origin_organisation_id_organisation'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_embed_origin')),
        sa.UniqueConstraint(
            'organisation_id', 'origin', name='uq_embed_origin_organisation_origin'
        ),
    )
    with op.batch_alter_table('embed_origin', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_embed_origin_organisation_id'), ['organisation_id'], unique=False
        )


def downgrade():
    with op.batch_alter_table('embed_origin', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_embed_origin_organisation_id'))
    op.drop_table('embed_origin')

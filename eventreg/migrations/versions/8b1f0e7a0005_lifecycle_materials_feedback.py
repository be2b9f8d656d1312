"""Lifecycle B: materials attached to events (and copied into theme libraries), and
anonymous feedback: requests queued once per event, a marker per registration that
answered, answers tied to the event only.

Revision ID: 8b1f0e7a0005
Revises: 8a1f0e7a0004
Create Date: 2026-11-29 15:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import eventreg.models.types


# revision identifiers, used by Alembic.
revision = '8b1f0e7a0005'
down_revision = '8a1f0e7a0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('event_material',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=True),
    sa.Column('stored_name', sa.String(length=64), nullable=True),
    sa.Column('file_type', sa.String(length=10), nullable=True),
    sa.Column('size_bytes', sa.Integer(), nullable=True),
    sa.Column('has_captions', sa.Boolean(), nullable=True),
    sa.Column('in_theme_library', sa.Boolean(), nullable=False),
    sa.Column('created_at', eventreg.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('slides', 'document', 'recording')", name=op.f('ck_event_material_kind_known')),
    sa.CheckConstraint('(url IS NULL) <> (stored_name IS NULL)', name=op.f('ck_event_material_link_or_file')),
    sa.CheckConstraint("kind != 'recording' OR url IS NOT NULL", name=op.f('ck_event_material_recording_is_link')),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_event_material_event_id_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_material')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_event_material_stored_name'))
    )
    with op.batch_alter_table('event_material', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_material_event_id'), ['event_id'], unique=False)

    op.create_table('feedback_round',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('queued_at', eventreg.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_feedback_round_event_id_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_feedback_round'))
    )
    op.create_table('feedback_given',
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_feedback_given_registration_id_registration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('registration_id', name=op.f('pk_feedback_given'))
    )
    op.create_table('feedback_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('usefulness', sa.String(length=10), nullable=False),
    sa.Column('improvements', sa.String(length=200), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.CheckConstraint('rating BETWEEN 1 AND 5', name=op.f('ck_feedback_answer_rating_range')),
    sa.CheckConstraint("usefulness IN ('yes', 'partly', 'no')", name=op.f('ck_feedback_answer_usefulness_known')),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_feedback_answer_event_id_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_answer'))
    )
    with op.batch_alter_table('feedback_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_answer_event_id'), ['event_id'], unique=False)

    # Existing resources were all added by administrators: no material behind them.
    with op.batch_alter_table('resource', schema=None) as batch_op:
        batch_op.add_column(sa.Column('material_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_resource_material_id'), ['material_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_resource_material_id_event_material'), 'event_material', ['material_id'], ['id'], ondelete='CASCADE')


def downgrade():
    with op.batch_alter_table('resource', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_resource_material_id_event_material'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_resource_material_id'))
        batch_op.drop_column('material_id')
    with op.batch_alter_table('feedback_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_answer_event_id'))
    op.drop_table('feedback_answer')
    op.drop_table('feedback_given')
    op.drop_table('feedback_round')
    with op.batch_alter_table('event_material', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_material_event_id'))
    op.drop_table('event_material')

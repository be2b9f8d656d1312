"""Courses: several sessions under one registration, attendance per session.

Existing events carry over unchanged: an event without session rows is one session (itself),
so nothing is written to them.

Revision ID: e07f0e7a0011
Revises: df6f0e7a0010
Create Date: 2026-11-29 18:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

import eventreg.models.types


# revision identifiers, used by Alembic.
revision = 'e07f0e7a0011'
down_revision = 'df6f0e7a0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'event_session',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('start_dt', eventreg.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('end_dt', eventreg.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('venue_name', sa.String(length=200), nullable=False),
        sa.Column('address', sa.String(length=300), nullable=False),
        sa.Column('municipality', sa.String(length=20), nullable=True),
        sa.Column('note', sa.Text(), nullable=False),
        sa.CheckConstraint('end_dt > start_dt', name=op.f('ck_event_session_ends_after_start')),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'],
                                name=op.f('fk_event_session_event_id_event'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_event_session')),
    )
    op.create_index('ix_event_session_event_id', 'event_session', ['event_id', 'position'],
                    unique=False)
    op.create_table(
        'session_attendance',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('registration_id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('checked_in_at', eventreg.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['registration_id'], ['registration.id'],
                                name=op.f('fk_session_attendance_registration_id_registration'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['session_id'], ['event_session.id'],
                                name=op.f('fk_session_attendance_session_id_event_session'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_session_attendance')),
        sa.UniqueConstraint('registration_id', 'session_id',
                            name=op.f('uq_session_attendance_registration_id')),
    )
    op.create_index('ix_session_attendance_session_id', 'session_attendance', ['session_id'],
                    unique=False)


def downgrade():
    # The sessions go; each course keeps its span (first start, last end) as its one time.
    op.drop_index('ix_session_attendance_session_id', table_name='session_attendance')
    op.drop_table('session_attendance')
    op.drop_index('ix_event_session_event_id', table_name='event_session')
    op.drop_table('event_session')

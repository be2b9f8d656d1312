"""Registrations (seats, waiting list, manage and feed secrets) and the email outbox.

The partial unique index keeps one active registration per address and event; it works on
SQLite and PostgreSQL alike.

Revision ID: cb201a7b4b0e
Revises: 102cc5ea5c68
Create Date: 2026-11-23 10:17:04.407536

"""
from alembic import op
import sqlalchemy as sa

import eventreg.models.types


# revision identifiers, used by Alembic.
revision = 'cb201a7b4b0e'
down_revision = '102cc5ea5c68'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('registration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('email_normalised', sa.String(length=254), nullable=True),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('sector', sa.String(length=30), nullable=False),
    sa.Column('municipality', sa.String(length=20), nullable=False),
    sa.Column('dietary_needs', sa.String(length=500), nullable=False),
    sa.Column('accessibility_needs', sa.String(length=500), nullable=False),
    sa.Column('interpretation_language', sa.String(length=10), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('consent_at', eventreg.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('manage_nonce', sa.String(length=64), nullable=True),
    sa.Column('feed_nonce', sa.String(length=64), nullable=True),
    sa.Column('check_in_code', sa.String(length=8), nullable=False),
    sa.Column('created_at', eventreg.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', eventreg.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', eventreg.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', eventreg.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attended_at', eventreg.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('anonymised_at', eventreg.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('confirmed', 'waiting', 'cancelled')", name=op.f('ck_registration_status_known')),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_registration_event_id_event')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registration')),
    sa.UniqueConstraint('check_in_code', name=op.f('uq_registration_check_in_code'))
    )
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registration_email_normalised'), ['email_normalised'], unique=False)
        batch_op.create_index(batch_op.f('ix_registration_event_id'), ['event_id'], unique=False)
        batch_op.create_index('ix_registration_event_status', ['event_id', 'status', 'id'], unique=False)
        batch_op.create_index('uq_registration_active_email', ['event_id', 'email_normalised'], unique=True, sqlite_where=sa.text("status != 'cancelled'"), postgresql_where=sa.text("status != 'cancelled'"))

    op.create_table('outbox_email',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('message_id', sa.String(length=255), nullable=False),
    sa.Column('recipient', sa.String(length=500), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('ics', sa.LargeBinary(), nullable=True),
    sa.Column('ics_method', sa.String(length=20), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', eventreg.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', eventreg.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_at', eventreg.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('created_at', eventreg.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_outbox_email_registration_id_registration'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_email')),
    sa.UniqueConstraint('message_id', name=op.f('uq_outbox_email_message_id'))
    )
    with op.batch_alter_table('outbox_email', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_email_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_email_registration_id'), ['registration_id'], unique=False)



def downgrade():
    with op.batch_alter_table('outbox_email', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_email_registration_id'))
        batch_op.drop_index('ix_outbox_email_due')

    op.drop_table('outbox_email')
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_index('uq_registration_active_email', sqlite_where=sa.text("status != 'cancelled'"), postgresql_where=sa.text("status != 'cancelled'"))
        batch_op.drop_index('ix_registration_event_status')
        batch_op.drop_index(batch_op.f('ix_registration_event_id'))
        batch_op.drop_index(batch_op.f('ix_registration_email_normalised'))

    op.drop_table('registration')

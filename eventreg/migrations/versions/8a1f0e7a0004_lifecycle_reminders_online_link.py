"""Lifecycle A: reminders, worker claims, meeting link for registrants only.

- event.online_url_public: existing events keep their link for registrants only (False).
- event.first_reminder_hours, second_reminder_hours: existing events get the defaults of
  the time (48 and 2 hours before).
- registration.calendar_alarm_minutes: the VALARM an attendee asked for (none so far).
- scheduled_email: one row per registration and kind of scheduled email (reminders, "you
  did not get a seat"), unique, so each is queued once however many workers run.

Revision ID: 8a1f0e7a0004
Revises: 7c0e7a110003
Create Date: 2026-11-29 15:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import eventreg.models.types


# revision identifiers, used by Alembic.
revision = '8a1f0e7a0004'
down_revision = '7c0e7a110003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'online_url_public', sa.Boolean(), server_default=sa.false(), nullable=False
        ))
        batch_op.add_column(sa.Column('first_reminder_hours', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('second_reminder_hours', sa.Integer(), nullable=True))
    op.execute(sa.text('UPDATE event SET first_reminder_hours = 48, second_reminder_hours = 2'))

    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_alarm_minutes', sa.Integer(), nullable=True))

    op.create_table(
        'scheduled_email',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('registration_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('event_start_dt', eventreg.models.types.UTCDateTime(timezone=True),
                  nullable=True),
        sa.Column('outbox_email_id', sa.Integer(), nullable=True),
        sa.Column('created_at', eventreg.models.types.UTCDateTime(timezone=True),
                  nullable=False),
        sa.ForeignKeyConstraint(
            ['registration_id'], ['registration.id'],
            name=op.f('fk_scheduled_email_registration_id_registration'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['outbox_email_id'], ['outbox_email.id'],
            name=op.f('fk_scheduled_email_outbox_email_id_outbox_email'), ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduled_email')),
        sa.UniqueConstraint(
            'registration_id', 'kind', name='uq_scheduled_email_registration_kind'
        ),
    )


def downgrade():
    op.drop_table('scheduled_email')
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_column('calendar_alarm_minutes')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('second_reminder_hours')
        batch_op.drop_column('first_reminder_hours')
        batch_op.drop_column('online_url_public')

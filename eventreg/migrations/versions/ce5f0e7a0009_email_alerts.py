"""Open data: email alerts on new events ("Bevaka"): subscriptions, the unique rows that
make each alert go once, and the outbox's link to a subscription and extra headers.

Revision ID: ce5f0e7a0009
Revises: bd4f0e7a0008
Create Date: 2026-11-29 16:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

from eventreg.models.types import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'ce5f0e7a0009'
down_revision = 'bd4f0e7a0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'alert_subscription',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=True),
        sa.Column('email_normalised', sa.String(length=254), nullable=True),
        sa.Column('locale', sa.String(length=10), nullable=False),
        sa.Column('frequency', sa.String(length=10), nullable=False),
        sa.Column('theme_id', sa.Integer(), nullable=True),
        sa.Column('organisation_id', sa.Integer(), nullable=True),
        sa.Column('municipality', sa.String(length=20), nullable=True),
        sa.Column('target_key', sa.String(length=60), nullable=False),
        sa.Column('nonce', sa.String(length=32), nullable=True),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('confirmed_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('unsubscribed_at', UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(CASE WHEN theme_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN organisation_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN municipality IS NULL THEN 0 ELSE 1 END) = 1",
            name=op.f('ck_alert_subscription_one_target'),
        ),
        sa.CheckConstraint(
            "frequency IN ('immediate', 'weekly')",
            name=op.f('ck_alert_subscription_known_frequency'),
        ),
        sa.ForeignKeyConstraint(
            ['organisation_id'], ['organisation.id'],
            name=op.f('fk_alert_subscription_organisation_id_organisation'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['theme_id'], ['theme.id'],
            name=op.f('fk_alert_subscription_theme_id_theme'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_subscription')),
        sa.UniqueConstraint(
            'email_normalised', 'target_key', name='uq_alert_subscription_target'
        ),
    )
    with op.batch_alter_table('alert_subscription', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_alert_subscription_theme_id'), ['theme_id'], unique=False
        )
        batch_op.create_index(
            batch_op.f('ix_alert_subscription_organisation_id'), ['organisation_id'],
            unique=False,
        )

    with op.batch_alter_table('outbox_email', schema=None) as batch_op:
        batch_op.add_column(sa.Column('alert_subscription_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('headers', sa.JSON(), nullable=True))
        batch_op.create_index(
            batch_op.f('ix_outbox_email_alert_subscription_id'), ['alert_subscription_id'],
            unique=False,
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_outbox_email_alert_subscription_id_alert_subscription'),
            'alert_subscription', ['alert_subscription_id'], ['id'], ondelete='SET NULL',
        )

    op.create_table(
        'alert_delivery',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subscription_id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('outbox_email_id', sa.Integer(), nullable=True),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['event_id'], ['event.id'],
            name=op.f('fk_alert_delivery_event_id_event'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['outbox_email_id'], ['outbox_email.id'],
            name=op.f('fk_alert_delivery_outbox_email_id_outbox_email'), ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['subscription_id'], ['alert_subscription.id'],
            name=op.f('fk_alert_delivery_subscription_id_alert_subscription'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_delivery')),
        sa.UniqueConstraint('subscription_id', 'event_id', name='uq_alert_delivery_event'),
    )
    with op.batch_alter_table('alert_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_delivery_event_id'), ['event_id'], unique=False)

    op.create_table(
        'alert_digest',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subscription_id', sa.Integer(), nullable=False),
        sa.Column('week', sa.String(length=8), nullable=False),
        sa.Column('outbox_email_id', sa.Integer(), nullable=True),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['outbox_email_id'], ['outbox_email.id'],
            name=op.f('fk_alert_digest_outbox_email_id_outbox_email'), ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['subscription_id'], ['alert_subscription.id'],
            name=op.f('fk_alert_digest_subscription_id_alert_subscription'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_digest')),
        sa.UniqueConstraint('subscription_id', 'week', name='uq_alert_digest_week'),
    )


def downgrade():
    op.drop_table('alert_digest')
    with op.batch_alter_table('alert_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_delivery_event_id'))
    op.drop_table('alert_delivery')
    with op.batch_alter_table('outbox_email', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_outbox_email_alert_subscription_id_alert_subscription'),
            type_='foreignkey',
        )
        batch_op.drop_index(batch_op.f('ix_outbox_email_alert_subscription_id'))
        batch_op.drop_column('headers')
        batch_op.drop_column('alert_subscription_id')
    with op.batch_alter_table('alert_subscription', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_subscription_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_alert_subscription_theme_id'))
    op.drop_table('alert_subscription')

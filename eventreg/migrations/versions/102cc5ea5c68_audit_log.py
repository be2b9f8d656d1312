"""Audit log of changes to events and registrations (ids only, no personal data).

Revision ID: 102cc5ea5c68
Revises: eab086daa907
Create Date: 2026-11-23 10:15:10.750783

"""
from alembic import op
import sqlalchemy as sa

import eventreg.models.types


# revision identifiers, used by Alembic.
revision = '102cc5ea5c68'
down_revision = 'eab086daa907'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', eventreg.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=50), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('registration_id', sa.Integer(), nullable=True),
    sa.Column('label', sa.String(length=300), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_audit_entry_user_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entry'))
    )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entry_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_audit_entry_event_created', ['event_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_registration_id'), ['registration_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entry_user_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entry_registration_id'))
        batch_op.drop_index('ix_audit_entry_event_created')
        batch_op.drop_index(batch_op.f('ix_audit_entry_created_at'))

    op.drop_table('audit_entry')

"""The outbox keeps what the QR code in an email holds (the check-in URL), drawn when sent.

Revision ID: 3f0c9a1d2b7e
Revises: cb201a7b4b0e
Create Date: 2026-11-23 11:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3f0c9a1d2b7e'
down_revision = 'cb201a7b4b0e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_email', schema=None) as batch_op:
        batch_op.add_column(sa.Column('qr_content', sa.String(length=1000), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_email', schema=None) as batch_op:
        batch_op.drop_column('qr_content')

"""Event text in several languages: admin-managed content languages and per-event translations.

Revision ID: df6f0e7a0010
Revises: ce5f0e7a0009
Create Date: 2026-11-29 18:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'df6f0e7a0010'
down_revision = 'ce5f0e7a0009'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

"""Series of events with their own page and feed.

Revision ID: f18f0e7a0012
Revises: e07f0e7a0011
Create Date: 2026-11-29 18:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f18f0e7a0012'
down_revision = 'e07f0e7a0011'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

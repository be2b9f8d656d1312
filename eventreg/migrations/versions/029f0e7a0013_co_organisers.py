"""Co-organising organisations of an event.

Revision ID: 029f0e7a0013
Revises: f18f0e7a0012
Create Date: 2026-11-29 18:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '029f0e7a0013'
down_revision = 'f18f0e7a0012'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

"""Courses: several sessions under one registration, attendance per session.

Revision ID: e07f0e7a0011
Revises: df6f0e7a0010
Create Date: 2026-11-29 18:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e07f0e7a0011'
down_revision = 'df6f0e7a0010'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

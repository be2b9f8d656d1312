"""Custom registration questions and their answers.

Revision ID: 13af0e7a0014
Revises: 029f0e7a0013
Create Date: 2026-11-29 18:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '13af0e7a0014'
down_revision = '029f0e7a0013'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

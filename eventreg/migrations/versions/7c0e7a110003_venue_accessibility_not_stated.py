"""Venue accessibility has three answers: yes, no, or not stated (NULL). What existing and
imported events said was only the form's default "no", so it becomes "not stated" until an
organiser answers.

Revision ID: 7c0e7a110003
Revises: 6b0e7a110002
Create Date: 2026-11-29 13:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c0e7a110003'
down_revision = '6b0e7a110002'
branch_labels = None
depends_on = None

COLUMNS = ('step_free_access', 'hearing_loop', 'sign_language_interpretation')


def upgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.alter_column(name, existing_type=sa.Boolean(), nullable=True)
    op.execute(sa.text(
        'UPDATE event SET step_free_access = NULL, hearing_loop = NULL, '
        'sign_language_interpretation = NULL'
    ))


def downgrade():
    # Not stated was "no" before there were three answers.
    for name in COLUMNS:
        op.execute(sa.text(f'UPDATE event SET {name} = false WHERE {name} IS NULL'))
    with op.batch_alter_table('event', schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.alter_column(name, existing_type=sa.Boolean(), nullable=False)

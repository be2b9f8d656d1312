"""The seats token: seat counts versioned apart from the rest of the public data.

A sign-up that takes a seat changes only the seats token, so cached feeds stay valid and
cached pages may show seat counts a few seconds old (see models/data_version.py). The
existing row gets a token of its own.

Revision ID: 4c2f0e7a0015
Revises: 13af0e7a0014
Create Date: 2026-11-30 01:00:00.000000

"""

import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "4c2f0e7a0015"
down_revision = "13af0e7a0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("data_version") as batch_op:
        batch_op.add_column(
            sa.Column("seats_token", sa.String(length=32), nullable=False, server_default="")
        )
    op.execute(
        sa.text("UPDATE data_version SET seats_token = :token").bindparams(
            token=secrets.token_hex(16)
        )
    )


def downgrade():
    with op.batch_alter_table("data_version") as batch_op:
        batch_op.drop_column("seats_token")

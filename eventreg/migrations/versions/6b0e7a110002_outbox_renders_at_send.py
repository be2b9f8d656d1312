"""The outbox records what to send (locale and parameters) and renders it when sending:
subject and bodies stay empty (NULL) until then.

Revision ID: 6b0e7a110002
Revises: 5e55104e0001
Create Date: 2026-11-25 13:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6b0e7a110002'
down_revision = '5e55104e0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_email', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('params', sa.JSON(), nullable=True))
        batch_op.alter_column('subject', existing_type=sa.String(length=300), nullable=True)
        batch_op.alter_column('body_text', existing_type=sa.Text(), nullable=True)
        batch_op.alter_column('body_html', existing_type=sa.Text(), nullable=True)


def downgrade():
    # Emails not rendered yet cannot be sent by the older code: they are marked failed, with
    # empty text, so an operator sees them (`send-mail --requeue-failed` after upgrading).
    outbox = sa.table(
        'outbox_email',
        sa.column('status', sa.String),
        sa.column('last_error', sa.Text),
        sa.column('subject', sa.String),
        sa.column('body_text', sa.Text),
        sa.column('body_html', sa.Text),
    )
    op.execute(
        outbox.update()
        .where(outbox.c.body_text.is_(None))
        .values(
            status=sa.case((outbox.c.status == 'pending', 'failed'), else_=outbox.c.status),
            last_error='not rendered before downgrade',
            subject='',
            body_text='',
            body_html='',
        )
    )
    with op.batch_alter_table('outbox_email', schema=None) as batch_op:
        batch_op.alter_column('body_html', existing_type=sa.Text(), nullable=False)
        batch_op.alter_column('body_text', existing_type=sa.Text(), nullable=False)
        batch_op.alter_column('subject', existing_type=sa.String(length=300), nullable=False)
        batch_op.drop_column('params')
        batch_op.drop_column('locale')

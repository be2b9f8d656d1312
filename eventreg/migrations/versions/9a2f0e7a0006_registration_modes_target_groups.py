"""Content model: registration modes (here, none, elsewhere) and target groups.

Existing events keep registering here (mode 'eventreg'); their free-text audience stays as
the note beside the target groups. The list of target groups starts with the seed rows.

Revision ID: 9a2f0e7a0006
Revises: 8b1f0e7a0005
Create Date: 2026-11-29 15:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9a2f0e7a0006'
down_revision = '8b1f0e7a0005'
branch_labels = None
depends_on = None

# The same rows as eventreg.models.target_groups.SEED_TARGET_GROUPS at the time of writing
# (a migration keeps its own copy: the application's list may change later).
SEED_TARGET_GROUPS = (
    ('halso-och-sjukvard', 'Personal i hälso- och sjukvården', 'Staff in health care'),
    ('skola', 'Personal i skolan', 'School staff'),
    ('socialtjanst', 'Personal i socialtjänsten', 'Social services staff'),
    ('arbetsgivare', 'Arbetsgivare', 'Employers'),
    ('civilsamhalle', 'Civilsamhället', 'Civil society'),
    ('nyanlanda', 'Nyanlända', 'Newcomers'),
    ('allmanheten', 'Allmänheten', 'The public'),
)


def upgrade():
    target_group = op.create_table(
        'target_group',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('slug', sa.String(length=80), nullable=False),
        sa.Column('name_sv', sa.String(length=200), nullable=False),
        sa.Column('name_en', sa.String(length=200), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_target_group')),
        sa.UniqueConstraint('slug', name=op.f('uq_target_group_slug')),
    )
    op.create_table(
        'event_target_group',
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('target_group_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'],
                                name=op.f('fk_event_target_group_event_id_event'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['target_group_id'], ['target_group.id'],
                                name=op.f('fk_event_target_group_target_group_id_target_group'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('event_id', 'target_group_id',
                                name=op.f('pk_event_target_group')),
    )
    op.bulk_insert(target_group, [
        {'slug': slug, 'name_sv': name_sv, 'name_en': name_en, 'position': position}
        for position, (slug, name_sv, name_en) in enumerate(SEED_TARGET_GROUPS)
    ])
    # Every existing event registers here, as before (the server default fills the rows).
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('registration_mode', sa.String(length=20),
                                      server_default='eventreg', nullable=False))
        batch_op.add_column(sa.Column('external_registration_url', sa.String(length=1000),
                                      nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_event_registration_mode_known'),
            "registration_mode IN ('eventreg', 'none', 'external')",
        )
        batch_op.create_check_constraint(
            op.f('ck_event_external_registration_has_url'),
            "registration_mode != 'external' OR external_registration_url IS NOT NULL",
        )


def downgrade():
    # Events without registration here become ordinary ones again; the target groups go.
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_event_external_registration_has_url'), type_='check')
        batch_op.drop_constraint(op.f('ck_event_registration_mode_known'), type_='check')
        batch_op.drop_column('external_registration_url')
        batch_op.drop_column('registration_mode')
    op.drop_table('event_target_group')
    op.drop_table('target_group')

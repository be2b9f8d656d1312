"""Event text in several languages: admin-managed content languages and per-event translations.

Swedish stays in the event's own columns; existing events get no translations. The list of
languages starts with the seed rows (English, easy-to-read Swedish and the languages of the
region's newcomers).

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

# The same rows as eventreg.models.translations.SEED_CONTENT_LANGUAGES at the time of
# writing (a migration keeps its own copy: the application's list may change later):
# (code, name in the language itself, Swedish name, English name, direction).
SEED_CONTENT_LANGUAGES = (
    ('en', 'English', 'Engelska', 'English', 'ltr'),
    ('sv-x-lattlast', 'Lättläst svenska', 'Lättläst svenska', 'Easy-to-read Swedish', 'ltr'),
    ('ar', 'العربية', 'Arabiska', 'Arabic', 'rtl'),
    ('so', 'Soomaali', 'Somaliska', 'Somali', 'ltr'),
    ('ti', 'ትግርኛ', 'Tigrinja', 'Tigrinya', 'ltr'),
    ('prs', 'دری', 'Dari', 'Dari', 'rtl'),
    ('fa', 'فارسی', 'Persiska', 'Persian', 'rtl'),
    ('uk', 'Українська', 'Ukrainska', 'Ukrainian', 'ltr'),
)


def upgrade():
    content_language = op.create_table(
        'content_language',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=35), nullable=False),
        sa.Column('native_name', sa.String(length=100), nullable=False),
        sa.Column('name_sv', sa.String(length=100), nullable=False),
        sa.Column('name_en', sa.String(length=100), nullable=False),
        sa.Column('direction', sa.String(length=3), server_default='ltr', nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('is_active', sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.CheckConstraint("direction IN ('ltr', 'rtl')",
                           name=op.f('ck_content_language_direction_known')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_content_language')),
        sa.UniqueConstraint('code', name=op.f('uq_content_language_code')),
    )
    op.create_table(
        'event_translation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=35), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('summary', sa.String(length=500), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'],
                                name=op.f('fk_event_translation_event_id_event'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['code'], ['content_language.code'],
                                name=op.f('fk_event_translation_code_content_language'),
                                ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_event_translation')),
        sa.UniqueConstraint('event_id', 'code', name='uq_event_translation_event_id_code'),
    )
    op.create_index('ix_event_translation_code_event_id', 'event_translation',
                    ['code', 'event_id'], unique=False)
    op.bulk_insert(content_language, [
        {'code': code, 'native_name': native, 'name_sv': name_sv, 'name_en': name_en,
         'direction': direction, 'position': position, 'is_active': True}
        for position, (code, native, name_sv, name_en, direction)
        in enumerate(SEED_CONTENT_LANGUAGES)
    ])


def downgrade():
    # The translations go with their tables; every event keeps its Swedish text.
    op.drop_index('ix_event_translation_code_event_id', table_name='event_translation')
    op.drop_table('event_translation')
    op.drop_table('content_language')

"""Custom registration questions and their answers.

An event's own questions on its registration form (short text, choice, yes/no) and the
answers given; existing events start with none, so no data moves.

Revision ID: 13af0e7a0014
Revises: 029f0e7a0013
Create Date: 2026-11-29 18:30:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "13af0e7a0014"
down_revision = "029f0e7a0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "registration_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("help_text", sa.String(length=300), nullable=False),
        sa.Column("choices", sa.Text(), nullable=False),
        sa.Column("is_required", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('text', 'choice', 'yes_no')", name=op.f("ck_registration_question_kind_known")
        ),
        sa.CheckConstraint(
            "position >= 0", name=op.f("ck_registration_question_position_not_negative")
        ),
        sa.CheckConstraint(
            "kind = 'choice' OR choices = ''",
            name=op.f("ck_registration_question_choices_only_for_choice"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_registration_question_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_question")),
    )
    with op.batch_alter_table("registration_question", schema=None) as batch_op:
        batch_op.create_index(
            "ix_registration_question_event_position", ["event_id", "position"], unique=False
        )
    op.create_table(
        "registration_answer",
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_registration_answer_registration_id_registration"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["registration_question.id"],
            name=op.f("fk_registration_answer_question_id_registration_question"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "registration_id", "question_id", name=op.f("pk_registration_answer")
        ),
    )
    with op.batch_alter_table("registration_answer", schema=None) as batch_op:
        batch_op.create_index("ix_registration_answer_question_id", ["question_id"], unique=False)


def downgrade():
    with op.batch_alter_table("registration_answer", schema=None) as batch_op:
        batch_op.drop_index("ix_registration_answer_question_id")
    op.drop_table("registration_answer")
    with op.batch_alter_table("registration_question", schema=None) as batch_op:
        batch_op.drop_index("ix_registration_question_event_position")
    op.drop_table("registration_question")

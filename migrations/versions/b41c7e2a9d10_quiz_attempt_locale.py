"""quiz attempts remember their language; an index for a quiz's statistics

Revision ID: b41c7e2a9d10
Revises: 627f91f668ea
Create Date: 2026-11-30 20:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b41c7e2a9d10'
down_revision = '627f91f668ea'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('quiz_attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=8), nullable=True))
        batch_op.create_index('ix_quiz_attempt_module_submitted', ['module_id', 'submitted_at'], unique=False)


def downgrade():
    with op.batch_alter_table('quiz_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_quiz_attempt_module_submitted')
        batch_op.drop_column('locale')

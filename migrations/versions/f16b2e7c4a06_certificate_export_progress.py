"""certificate_export.progress_at: staleness counts from the builder's last progress, not the request

Revision ID: f16b2e7c4a06
Revises: e15f0a1b2c05
Create Date: 2026-12-01 06:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f16b2e7c4a06'
down_revision = 'e15f0a1b2c05'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('certificate_export', schema=None) as batch_op:
        batch_op.add_column(sa.Column('progress_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('certificate_export', schema=None) as batch_op:
        batch_op.drop_column('progress_at')

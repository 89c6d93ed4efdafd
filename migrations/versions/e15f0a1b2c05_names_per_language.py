"""office-made names per language, short certificate codes, revocation reasons

Revision ID: e15f0a1b2c05
Revises: d14a77e2dc04
Create Date: 2026-12-01 05:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e15f0a1b2c05'
down_revision = 'd14a77e2dc04'
branch_labels = None
depends_on = None


def upgrade():
    # A campaign's name per language; the name typed before stays in ``name``, the fallback.
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('names', sa.JSON(), nullable=True))
    op.execute("UPDATE campaign SET names = '{}'")
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.alter_column('names', existing_type=sa.JSON(), nullable=False)
    # The short code of new certificates; older ones keep only their 22-character code.
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('short_code', sa.String(length=20), nullable=True))
        batch_op.create_unique_constraint(op.f("uq_certificate_short_code"), ['short_code'])


def downgrade():
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_certificate_short_code"), type_='unique')
        batch_op.drop_column('short_code')
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_column('names')

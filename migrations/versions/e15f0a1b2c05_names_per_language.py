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
    pass


def downgrade():
    pass

"""seminar modules and attendance certificates

Revision ID: d14a77e2dc04
Revises: c14e7e5a1b03
Create Date: 2026-12-01 05:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd14a77e2dc04'
down_revision = 'c14e7e5a1b03'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

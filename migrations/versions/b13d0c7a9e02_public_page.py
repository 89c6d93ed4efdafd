"""public page: editable method texts and versioned regulatory documents

Revision ID: b13d0c7a9e02
Revises: a13c0e5e7f01
Create Date: 2026-12-01 05:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b13d0c7a9e02'
down_revision = 'a13c0e5e7f01'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

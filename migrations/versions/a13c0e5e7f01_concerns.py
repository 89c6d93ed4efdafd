"""concerns: reported cases, their encrypted contents, receipts, identities and statistics

Revision ID: a13c0e5e7f01
Revises: e4f1a7c2d9b3
Create Date: 2026-12-01 05:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a13c0e5e7f01'
down_revision = 'e4f1a7c2d9b3'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

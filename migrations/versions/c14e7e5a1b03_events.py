"""events: events, sessions, registrations, tickets, check-ins, feedback

Revision ID: c14e7e5a1b03
Revises: b13d0c7a9e02
Create Date: 2026-12-01 05:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c14e7e5a1b03'
down_revision = 'b13d0c7a9e02'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

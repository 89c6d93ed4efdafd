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
    # A seminar module is a course_module of kind "seminar" (a string column): no change there.
    # A certificate of attendance proves an event registration instead of a course's completion.
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('registration_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('event_title', sa.JSON(), nullable=True))
        batch_op.alter_column('enrolment_id', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('course_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_unique_constraint(op.f('uq_certificate_registration_id'), ['registration_id'])


def downgrade():
    op.execute("DELETE FROM certificate WHERE enrolment_id IS NULL")
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('uq_certificate_registration_id'), type_='unique')
        batch_op.alter_column('course_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('enrolment_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('event_title')
        batch_op.drop_column('registration_id')

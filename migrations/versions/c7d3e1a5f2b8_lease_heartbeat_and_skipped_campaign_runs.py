"""lease heartbeat (renewed_at) and the campaign's skipped runs

Revision ID: c7d3e1a5f2b8
Revises: b41c7e2a9d10
Create Date: 2026-11-30 21:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7d3e1a5f2b8'
down_revision = 'b41c7e2a9d10'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('scheduler_lease', schema=None) as batch_op:
        batch_op.add_column(sa.Column('renewed_at', sa.DateTime(timezone=True), nullable=True))

    op.create_table('campaign_skipped_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('step_id', sa.Integer(), nullable=False),
    sa.Column('occurrence_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('covered_by', sa.DateTime(timezone=True), nullable=True),
    sa.Column('noted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['step_id'], ['campaign_step.id'], name=op.f('fk_campaign_skipped_run_step_id_campaign_step'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_skipped_run'))
    )
    with op.batch_alter_table('campaign_skipped_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_skipped_run_step_id'), ['step_id'], unique=False)


def downgrade():
    with op.batch_alter_table('campaign_skipped_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_skipped_run_step_id'))

    op.drop_table('campaign_skipped_run')
    with op.batch_alter_table('scheduler_lease', schema=None) as batch_op:
        batch_op.drop_column('renewed_at')

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
    op.create_table('concern_case',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=16), nullable=False),
    sa.Column('receipt_hash', sa.String(length=256), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=24), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('acknowledged_on', sa.Date(), nullable=True),
    sa.Column('first_answer_on', sa.Date(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('reminded_on', sa.Date(), nullable=True),
    sa.Column('report', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['org_unit.id'], name=op.f('fk_concern_case_unit_id_org_unit'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_concern_case')),
    sa.UniqueConstraint('number', name=op.f('uq_concern_case_number'))
    )
    with op.batch_alter_table('concern_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_concern_case_status'), ['status'], unique=False)

    op.create_table('case_identity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['concern_case.id'], name=op.f('fk_case_identity_case_id_concern_case'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_identity')),
    sa.UniqueConstraint('case_id', name=op.f('uq_case_identity_case_id'))
    )
    op.create_table('case_identity_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['concern_case.id'], name=op.f('fk_case_identity_request_case_id_concern_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_case_identity_request_decided_by_id_user')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user.id'], name=op.f('fk_case_identity_request_requested_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_identity_request'))
    )
    with op.batch_alter_table('case_identity_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_identity_request_case_id'), ['case_id'], unique=False)

    op.create_table('case_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('internal', sa.Boolean(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('sent_on', sa.Date(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_case_message_author_id_user')),
    sa.ForeignKeyConstraint(['case_id'], ['concern_case.id'], name=op.f('fk_case_message_case_id_concern_case'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_message'))
    )
    with op.batch_alter_table('case_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_message_case_id'), ['case_id'], unique=False)

    op.create_table('case_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('added_on', sa.Date(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('content_type', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['concern_case.id'], name=op.f('fk_case_file_case_id_concern_case'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_file'))
    )
    with op.batch_alter_table('case_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_file_case_id'), ['case_id'], unique=False)

    op.create_table('case_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_case_event_actor_id_user')),
    sa.ForeignKeyConstraint(['case_id'], ['concern_case.id'], name=op.f('fk_case_event_case_id_concern_case'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_event'))
    )
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_event_case_id'), ['case_id'], unique=False)

    op.create_table('case_statistic',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('received_year', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('outcome', sa.String(length=24), nullable=True),
    sa.Column('days_to_first_answer', sa.Integer(), nullable=True),
    sa.Column('days_to_close', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['concern_case.id'], name=op.f('fk_case_statistic_case_id_concern_case'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_statistic')),
    sa.UniqueConstraint('case_id', name=op.f('uq_case_statistic_case_id'))
    )
    with op.batch_alter_table('case_statistic', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_statistic_received_year'), ['received_year'], unique=False)


def downgrade():
    with op.batch_alter_table('case_statistic', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_statistic_received_year'))
    op.drop_table('case_statistic')
    for table in ('case_event', 'case_file', 'case_message', 'case_identity_request'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_case_id'))
        op.drop_table(table)
    op.drop_table('case_identity')
    with op.batch_alter_table('concern_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_concern_case_status'))
    op.drop_table('concern_case')

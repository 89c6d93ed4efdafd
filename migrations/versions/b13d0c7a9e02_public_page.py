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
    op.create_table('public_method_text',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_public_method_text_updated_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_public_method_text'))
    )
    op.create_table('regulatory_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_regulatory_document')),
    sa.UniqueConstraint('key', name=op.f('uq_regulatory_document_key'))
    )
    op.create_table('regulatory_document_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('approved_on', sa.Date(), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['regulatory_document.id'], name=op.f('fk_regulatory_document_version_document_id_regulatory_document'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_regulatory_document_version_uploaded_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_regulatory_document_version'))
    )
    with op.batch_alter_table('regulatory_document_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_regulatory_document_version_document_id'), ['document_id'], unique=False)


def downgrade():
    with op.batch_alter_table('regulatory_document_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_regulatory_document_version_document_id'))

    op.drop_table('regulatory_document_version')
    op.drop_table('regulatory_document')
    op.drop_table('public_method_text')

"""user session generation: logout, a password change or reset, deactivation and a change of
roles or scope end every session and token the user had (office/security.py)

Revision ID: 3c1e5a7d9b20
Revises: f90047fe32ae
Create Date: 2026-12-03 07:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "3c1e5a7d9b20"
down_revision = "f90047fe32ae"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ab_user") as batch:
        batch.add_column(sa.Column("session_generation", sa.Integer(), nullable=False,
                                   server_default="0"))


def downgrade():
    with op.batch_alter_table("ab_user") as batch:
        batch.drop_column("session_generation")

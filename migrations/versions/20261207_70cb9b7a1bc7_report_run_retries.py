"""report run retries: an attempt lost to a dead worker or a dropped connection is started
again automatically (office/services/report/retry.py); the run counts and logs those retries

Revision ID: 70cb9b7a1bc7
Revises: 3c1e5a7d9b20
Create Date: 2026-12-07 20:48:08
"""
import sqlalchemy as sa
from alembic import op

revision = "70cb9b7a1bc7"
down_revision = "3c1e5a7d9b20"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("report_run") as batch:
        batch.add_column(sa.Column("auto_retries", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("retry_log", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("report_run") as batch:
        batch.drop_column("retry_log")
        batch.drop_column("auto_retries")

"""report run builder columns: campaign, trigger, reviewer, attempts, heartbeat and worker (the
stale-run sweeper), file size, and the submission to the city (channel, status, who, error,
attempts, job).

Revision ID: 5316c4aeb121
Revises: bfaff0508f8d
Create Date: 2026-11-26 15:08:44.734131

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5316c4aeb121'
down_revision = 'bfaff0508f8d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('report_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('campaign_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('trigger', sa.Enum('manual', 'scheduled', name='reporttrigger', native_enum=False, create_constraint=True), nullable=True))
        batch_op.add_column(sa.Column('reviewer', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('worker', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('file_size', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('submission_channel', sa.Enum('http', 'manual', name='submissionchannel', native_enum=False, create_constraint=True), nullable=True))
        batch_op.add_column(sa.Column('submission_status', sa.Enum('sending', 'done', 'failed', name='submissionstatus', native_enum=False, create_constraint=True), nullable=True))
        batch_op.add_column(sa.Column('submitted_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('submission_error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('submission_attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('submission_job_id', sa.String(length=64), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_report_run_campaign_id_campaign'), 'campaign', ['campaign_id'], ['id'])



def downgrade():
    with op.batch_alter_table('report_run', schema=None) as batch_op:
        # The enum CHECKs name their columns: drop them first, or SQLite's table copy fails.
        # SQLite's batch copy of the upgrade left each one twice (conventional and bare name).
        names = ('reporttrigger', 'submissionchannel', 'submissionstatus')
        existing = {c['name'] for c in sa.inspect(op.get_bind()).get_check_constraints('report_run')}
        for name in names:
            for candidate in (f'ck_report_run_{name}', name):
                if candidate in existing:
                    batch_op.drop_constraint(batch_op.f(candidate), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_report_run_campaign_id_campaign'), type_='foreignkey')
        batch_op.drop_column('submission_job_id')
        batch_op.drop_column('submission_attempts')
        batch_op.drop_column('submission_error')
        batch_op.drop_column('submitted_by')
        batch_op.drop_column('submission_status')
        batch_op.drop_column('submission_channel')
        batch_op.drop_column('file_size')
        batch_op.drop_column('worker')
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('attempts')
        batch_op.drop_column('reviewer')
        batch_op.drop_column('trigger')
        batch_op.drop_column('campaign_id')


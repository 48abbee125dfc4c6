"""Report jobs (RQ): thin wrappers around office.services.report.runs / report_sweep, each in
an app context with its writes labelled as a job's (office.kit.audit.log).

    build_report(run_id, attempt)              the whole return in one job
    build_statuses / build_figures / build_part / merge_report
                                               the same return fanned out per township
    restart_report(run_id, attempt)            an automatic retry's attempt, after its backoff
                                               (scheduled by report_retry.give_up)
    monthly_report()                           the monthly return (office/jobs/schedule.py)
    sweep_stale_runs()                         fail runs that can no longer finish
"""
from __future__ import annotations

import contextlib

from office.jobs.worker import app_context


@contextlib.contextmanager
def job_context():
    from office.kit.audit.log import audit_context
    from office.models import ChangeSource

    with app_context() as app, audit_context(ChangeSource.job, username="后台任务"):
        yield app


def build_report(run_id: int, attempt: int) -> str:
    from office.services.report import runs as report_runs

    with job_context():
        return report_runs.execute(run_id, attempt)


def build_figures(run_id: int, attempt: int) -> str:
    from office.services.report import runs as report_runs

    with job_context():
        return report_runs.execute_figures(run_id, attempt)


def build_statuses(run_id: int, attempt: int) -> str:
    from office.services.report import runs as report_runs

    with job_context():
        return report_runs.execute_statuses(run_id, attempt)


def build_part(run_id: int, attempt: int, township_id: int) -> str:
    from office.services.report import runs as report_runs

    with job_context():
        return report_runs.execute_township(run_id, attempt, township_id)


def merge_report(run_id: int, attempt: int) -> str:
    from office.services.report import runs as report_runs

    with job_context():
        return report_runs.execute_merge(run_id, attempt)


def restart_report(run_id: int, attempt: int) -> str:
    from office.services.report import runs as report_runs

    with job_context():
        return report_runs.resume(run_id, attempt)


def monthly_report() -> list[int]:
    from office.services.report import sweep as report_sweep

    with job_context():
        return [run.id for run in report_sweep.start_scheduled()]


def sweep_stale_runs() -> list[int]:
    from office.services.report import sweep as report_sweep

    with job_context():
        return report_sweep.sweep_stale()

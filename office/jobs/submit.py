"""The submission job: POST a done return to the city (office.services.submission).

Enqueued with rq.Retry(max=…, interval=[…]) from SUBMIT_RETRY_INTERVALS; a transient failure
is raised again while retries are left, so RQ runs the job again after the interval.
"""
from __future__ import annotations

from office.jobs.report import job_context


def submit_report(run_id: int) -> str:
    from rq import get_current_job

    from office.services import submission

    job = get_current_job()
    retries_left = job.retries_left if job is not None else None
    with job_context():
        return submission.submit(run_id, retries_left)

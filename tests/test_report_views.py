"""统计上报 screens (office/views/reports.py): a supervisor starts a return with the page's form
(POST with CSRF), the page follows it through a small JSON status endpoint, the file is
downloadable by those who may read returns, failed runs can be retried, done ones generated
again or their city receipt recorded — and nobody else gets any of it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import re

import pytest
import sqlalchemy as sa

from office.models import ReportRun, ReportStatus, SubmissionStatus, db
from tests.test_jobs import (  # noqa: F401 (fixtures)
    AS_OF,
    backend,
    city_server,
    report_dir,
    rq_worker,
    run_row,
    wait_for,
    wait_run,
)

LIST = "/reportrunview/list/"
STATUS = "/reportrunview/report/status"
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def show(run_id: int) -> str:
    return f"/reportrunview/show/{run_id}"


def start(client, as_of="2020-09-30", **form):
    return client.post("/reportrunview/report/start", data={"as_of": as_of, **form})


def latest_run() -> ReportRun | None:
    db.session.expire_all()
    return db.session.scalars(sa.select(ReportRun).order_by(ReportRun.id.desc())).first()


def test_supervisor_starts_and_watches_a_return(app, county, users, login, backend):
    client = login("supervisor")
    page = client.get(LIST).get_data(as_text=True)
    assert 'id="report-start"' in page and 'name="as_of"' in page
    assert not re.search(r'(src|href)="(https?:)?//', page), "nothing from the internet"

    response = start(client, reviewer="李审核")
    assert response.status_code == 302
    run = latest_run()
    assert response.headers["Location"].endswith(show(run.id))
    assert run.requested_by == "supervisor" and run.reviewer == "李审核"

    page = client.get(show(run.id)).get_data(as_text=True)
    assert f'data-run-id="{run.id}"' in page and 'id="report-live"' in page
    assert "XMLHttpRequest" in page and "report/status" in page  # the page polls by itself

    seen = set()

    def finished():
        state = client.get(f"{STATUS}?ids={run.id}").get_json()["runs"][0]
        seen.add(state["status"])
        return state if state["status"] in ("done", "failed") else None

    state = wait_for(finished, 240, "the status endpoint to report the end")
    assert state["status"] == "done", state["error"]
    assert state["progress"] == 100 and not state["active"]
    assert seen <= {"queued", "running", "done"}

    run = run_row(run.id)
    download = client.get(f"/reportrunview/report/file/{run.id}")
    assert download.status_code == 200
    assert download.mimetype == ("application/vnd.openxmlformats-officedocument."
                                 "spreadsheetml.sheet")
    assert hashlib.sha256(download.data).hexdigest() == run.sha256
    assert download.headers["X-Report-SHA256"] == run.sha256
    assert "attachment" in download.headers["Content-Disposition"]
    page = client.get(show(run.id)).get_data(as_text=True)
    assert run.sha256 in page and 'id="report-download"' in page
    assert 'id="report-regenerate"' in page and 'name="receipt_no"' in page


def test_status_endpoint_lists_recent_runs(app, county, users, login):
    for day in (1, 2, 3):
        db.session.add(ReportRun(as_of=dt.date(2020, 9, day), status=ReportStatus.done,
                                 progress=100, attempts=1))
    db.session.commit()
    client = login("bureau")
    runs = client.get(STATUS).get_json()["runs"]
    assert [r["as_of"] for r in runs] == ["2020-09-03", "2020-09-02", "2020-09-01"]
    assert client.get(STATUS).headers["Cache-Control"] == "no-store"


def test_bad_dates_are_refused(app, county, users, login):
    client = login("bureau")
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    for value, message in ((tomorrow, "不能晚于今天"), ("2020-02-30", "YYYY-MM-DD")):
        response = start(client, as_of=value)
        assert response.status_code == 302
        assert message in client.get(LIST).get_data(as_text=True)
    assert latest_run() is None


def test_start_needs_the_csrf_token(app, county, users, login, backend, monkeypatch):
    client = login("supervisor")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)  # as in production
    assert start(client).status_code == 400
    assert latest_run() is None
    token = TOKEN.findall(client.get(LIST).get_data(as_text=True))[0]
    assert start(client, csrf_token=token).status_code == 302
    assert wait_run(latest_run().id).status == ReportStatus.done


@pytest.mark.parametrize("username", ["town_a", "liaison_a", "reviewer"])
def test_others_get_nothing(app, county, users, login, username):
    done = ReportRun(as_of=AS_OF, status=ReportStatus.done, progress=100, attempts=1)
    failed = ReportRun(as_of=AS_OF, status=ReportStatus.failed, attempts=1, error="x")
    db.session.add_all([done, failed])
    db.session.commit()
    client = login(username)
    assert client.get(LIST).status_code in (302, 403)
    assert client.get(STATUS).status_code in (302, 401, 403)
    assert client.get(f"/reportrunview/report/file/{done.id}").status_code in (302, 403)
    for action in ("start", f"retry/{failed.id}", f"regenerate/{done.id}",
                   f"submit/{done.id}", f"receipt/{done.id}"):
        response = client.post(f"/reportrunview/report/{action}",
                               data={"as_of": "2020-09-30", "receipt_no": "X"})
        assert response.status_code == 403, action
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReportRun)) == 2
    assert run_row(failed.id).status == ReportStatus.failed


def test_anonymous_is_sent_to_login(app, county):
    client = app.test_client()
    response = client.post("/reportrunview/report/start", data={"as_of": "2020-09-30"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get(STATUS).status_code in (302, 401)


def test_the_archive_stays_read_only(app, county, users, login):
    run = ReportRun(as_of=AS_OF, status=ReportStatus.done, progress=100, attempts=1)
    db.session.add(run)
    db.session.commit()
    client = login("bureau")
    assert client.get("/reportrunview/add").status_code in (302, 403, 404)
    assert client.get(f"/reportrunview/edit/{run.id}").status_code in (302, 403, 404)
    assert client.get("/reportrunview/import/").status_code in (302, 403, 404)
    page = client.get(LIST).get_data(as_text=True)
    assert "/reportrunview/add" not in page and "/reportrunview/import/" not in page
    api = client.post("/api/v1/report_run/", json={"as_of": "2020-09-30", "status": "done"})
    assert api.status_code in (401, 403, 404, 405)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReportRun)) == 1


def test_failed_run_shows_error_and_retry_button(app, county, users, login, backend):
    run = ReportRun(as_of=AS_OF, status=ReportStatus.failed, attempts=1,
                    campaign_id=county.campaign.id, error="生成进程已退出（h:1），可重试")
    db.session.add(run)
    db.session.commit()
    client = login("bureau")
    page = client.get(show(run.id)).get_data(as_text=True)
    assert "生成进程已退出" in page and 'id="report-retry"' in page
    assert 'id="report-download"' not in page
    assert client.post(f"/reportrunview/report/retry/{run.id}").status_code == 302
    run = wait_run(run.id)
    assert run.status == ReportStatus.done and run.attempts == 2
    # a done run is not retried (it is generated again as a new run instead)
    client.post(f"/reportrunview/report/retry/{run.id}")
    assert "只有生成失败的报表可以重试" in client.get(show(run.id)).get_data(as_text=True)
    response = client.post(f"/reportrunview/report/regenerate/{run.id}")
    new = latest_run()
    assert new.id != run.id and response.headers["Location"].endswith(show(new.id))
    assert wait_run(new.id).status == ReportStatus.done
    assert run_row(run.id).sha256 == run.sha256


def test_manual_receipt_is_recorded_once(app, county, users, login, backend):
    from office.services.report.runs import start_run

    run = wait_run(start_run(AS_OF, "bureau").id)
    client = login("supervisor")
    response = client.post(f"/reportrunview/report/receipt/{run.id}",
                           data={"receipt_no": " SJ-2020-0930 ", "submitted_on": "2020-10-08"})
    assert response.status_code == 302
    run = run_row(run.id)
    assert run.receipt_no == "SJ-2020-0930" and run.submitted_by == "supervisor"
    assert run.submission_status == SubmissionStatus.done
    assert run.submitted_at.date() == dt.date(2020, 10, 8)
    client.post(f"/reportrunview/report/receipt/{run.id}", data={"receipt_no": "OTHER"})
    assert "已于" in client.get(show(run.id)).get_data(as_text=True)
    assert run_row(run.id).receipt_no == "SJ-2020-0930"


def test_download_refuses_an_altered_archive(app, county, users, login, backend):
    from office.services.report.runs import start_run

    run = wait_run(start_run(AS_OF, "bureau").id)
    path = report_dir(app) / run.file_path
    os.chmod(path, 0o644)
    with open(path, "ab") as fh:
        fh.write(b"tampered")
    client = login("supervisor")
    response = client.get(f"/reportrunview/report/file/{run.id}")
    assert response.status_code == 302
    assert "SHA-256" in client.get(show(run.id)).get_data(as_text=True)

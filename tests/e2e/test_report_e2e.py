"""统计上报 in a real browser (Playwright + Debian's chromium, tests/e2e/conftest.py).

A supervisor picks the as-of date and starts a return with the page's form (CSRF on, as in
production); the embedded worker builds it (made slow on purpose); the page follows it —
排队中/生成中 with a moving progress bar — and shows the download button at the end, all
without anyone pressing reload. Nothing is fetched off the loopback; no script errors.
Screenshots: artifacts/report-running.png, report-done.png, report-list.png.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from office.models import ReportRun, ReportStatus, db

pytestmark = pytest.mark.e2e


@pytest.fixture()
def slow_embedded(app, monkeypatch):
    from office.queue import start_embedded_worker

    monkeypatch.setitem(app.config, "REDIS_URL", "")
    monkeypatch.setitem(app.config, "REPORT_FANOUT", "0")
    monkeypatch.setitem(app.config, "REPORT_TEST_DELAY", 4)
    start_embedded_worker(app)


def test_start_and_follow_a_return_without_reloading(app, county, page_as, slow_embedded,
                                                      artifacts):
    page = page_as("supervisor")
    page.goto(f"{page.base}/reportrunview/list/")
    page.fill("#report-as-of", "2020-09-30")
    page.fill("#report-reviewer", "李审核")
    page.click("#report-start button[type=submit]")
    page.wait_for_url("**/reportrunview/show/*")
    page.wait_for_selector("#report-state")

    # The page polls by itself: the bar moves while the worker is in its delay.
    page.wait_for_function(
        "() => parseInt(document.querySelector('#report-state .progress-bar')"
        ".getAttribute('aria-valuenow'), 10) >= 10", timeout=60_000)
    label = page.inner_text("#report-state .js-status")
    assert label in ("生成中", "排队中")
    page.screenshot(path=str(artifacts / "report-running.png"), full_page=True)

    # …and reloads itself when the run ends: the download button appears.
    page.wait_for_selector("#report-download", timeout=120_000)
    db.session.expire_all()
    run = db.session.scalars(sa.select(ReportRun)).one()
    assert run.status == ReportStatus.done and run.reviewer == "李审核"
    assert run.sha256 in page.inner_text("#report-state")
    page.screenshot(path=str(artifacts / "report-done.png"), full_page=True)

    with page.expect_download() as download:
        page.click("#report-download")
    assert download.value.suggested_filename.endswith(f"_第{run.id}号.xlsx")

    page.goto(f"{page.base}/reportrunview/list/")
    row = page.locator(f"#report-recent tr[data-run-id='{run.id}']")
    assert "已完成" in row.inner_text() and row.locator(".js-download").count() == 1
    page.screenshot(path=str(artifacts / "report-list.png"), full_page=True)
    assert not page.js_errors

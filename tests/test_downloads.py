"""Every download is named in Chinese (RFC 5987 ``filename*=UTF-8''…``) with a meaningful ASCII
``filename=`` for clients that read only that, through one helper (office/kit/downloads.py):
exports, import templates, error workbooks, statistics returns and task evidence. The icon
(favicon) is served and named by the layout (issue 11, point 10).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from office.kit.downloads import ascii_name, content_disposition
from office.models import ReportRun, ReportStatus, db
from tests.test_import import book, row, upload

OFFICE = Path(__file__).resolve().parents[1] / "office"
DISPOSITION = re.compile(r"""^attachment; filename="(?P<ascii>[A-Za-z0-9._-]+)"; """
                         r"""filename\*=UTF-8''(?P<utf8>[A-Za-z0-9%!#$&+^`|~._-]+)$""")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def names(response) -> tuple[str, str]:
    """(the ASCII file name, the UTF-8 one) of a download."""
    assert response.status_code == 200, response.status_code
    m = DISPOSITION.match(response.headers["Content-Disposition"])
    assert m, response.headers["Content-Disposition"]
    fallback = m.group("ascii")
    assert re.search(r"[A-Za-z]{3}", fallback.rsplit(".", 1)[0]), fallback  # says something
    return fallback, unquote(m.group("utf8"))


def test_the_header_names_the_file_twice():
    assert content_disposition("住宅小区_20201015_0930.xlsx", "compound_export_20201015_0930") == (
        'attachment; filename="compound_export_20201015_0930.xlsx"; '
        "filename*=UTF-8''%E4%BD%8F%E5%AE%85%E5%B0%8F%E5%8C%BA_20201015_0930.xlsx")
    assert ascii_name("self check v2.pdf", "task1_evidence2") == "self_check_v2.pdf"
    assert ascii_name("自查报告.PDF", "task1_evidence2") == "task1_evidence2.PDF"
    assert ascii_name('a"b\\c.xlsx', "x") == "a_b_c.xlsx"  # nothing that breaks the quotes
    assert ascii_name("报告", "report") == "report"
    assert content_disposition("report.pdf", "x") == 'attachment; filename="report.pdf"'


def test_exports_templates_and_error_workbooks(login, county):
    client = login("bureau")
    fallback, name = names(client.get("/compoundview/export/"))
    assert re.fullmatch(r"住宅小区_\d{8}_\d{4}\.xlsx", name)
    assert re.fullmatch(r"compound_export_\d{8}_\d{4}\.xlsx", fallback)
    assert names(client.get("/compoundview/import/template/")) == (
        "compound_import_template.xlsx", "住宅小区_导入模板.xlsx")
    assert names(client.get("/servicecontractview/export/"))[0].startswith(
        "service_contract_export_")

    token, _ = upload(client, book([row("坏的花园", kind="高档小区")]), filename="新增小区.xlsx")
    assert names(client.get(f"/compoundview/import/{token}/errors.xlsx")) == (
        "compound_import_errors.xlsx", "新增小区_错误标注.xlsx")


def test_a_statistics_return(app, login, county, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "REPORT_DIR", str(tmp_path))
    content = b"PK\x03\x04 a return"
    (tmp_path / "return.xlsx").write_bytes(content)
    run = ReportRun(as_of=dt.date(2020, 9, 30), status=ReportStatus.done, progress=100,
                    campaign=county.campaign, file_path="return.xlsx",
                    sha256=hashlib.sha256(content).hexdigest())
    db.session.add(run)
    db.session.commit()
    fallback, name = names(login("supervisor").get(f"/reportrunview/report/file/{run.id}"))
    assert name == f"示例县住宅小区管理工作统计报表_2020-09-30_第{run.id}号.xlsx"
    assert fallback == f"statistics_return_2020-09-30_no{run.id}.xlsx"


def test_task_evidence(app, login, county, tmp_path, monkeypatch):
    from office.models import TaskEvidence

    monkeypatch.setitem(app.config, "UPLOAD_DIR", tmp_path / "uploads")
    task = county.a.task
    client = login("town_a")
    resp = client.post(f"/taskprogress/{task.id}", content_type="multipart/form-data", data={
        "note": "自查", "progress": "50",
        "files": [(io.BytesIO(PDF), "自查报告.pdf"), (io.BytesIO(PDF), "check list.pdf")]})
    assert resp.status_code == 302
    first, second = db.session.query(TaskEvidence).order_by(TaskEvidence.id).all()
    resp = client.get(f"/taskprogress/evidence/{first.id}")
    assert names(resp) == (f"task{task.id}_evidence{first.id}.pdf", "自查报告.pdf")
    assert resp.headers["Cache-Control"] == "private, no-store"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    plain = client.get(f"/taskprogress/evidence/{second.id}")
    assert plain.headers["Content-Disposition"] == 'attachment; filename="check_list.pdf"; ' \
        "filename*=UTF-8''check%20list.pdf"


def test_nothing_else_sends_a_file():
    """One helper for every download: no other module of office/ calls send_file or writes a
    Content-Disposition itself."""
    offenders = []
    for path in OFFICE.rglob("*.py"):
        if path == OFFICE / "kit" / "downloads.py":
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"\bsend_file\b|Content-Disposition|download_name=", text):
            offenders.append(str(path.relative_to(OFFICE)))
    assert not offenders


@pytest.mark.parametrize("url", ["/login/", "/compoundview/list/", "/mytasks/", "/nowhere/",
                                 "/signboards/compound/{compound}"])
def test_every_page_names_the_icon(app, login, county, url):
    client = app.test_client() if url == "/login/" else login("bureau")
    page = client.get(url.format(compound=county.a.compound.id)).get_data(as_text=True)
    link = re.search(r'<link rel="icon" href="([^"]+)"', page)
    assert link and link.group(1) == "/static/favicon.ico"


def test_the_icon_is_served(app, county):
    client = app.test_client()
    for url in ("/favicon.ico", "/static/favicon.ico"):
        resp = client.get(url)
        assert resp.status_code == 200, url
        assert resp.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
        assert resp.data[:4] == b"\x00\x00\x01\x00" and len(resp.data) < 10_000

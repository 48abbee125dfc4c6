"""The return workbook (office/services/report*.py), read back with openpyxl: the sheet order,
header blocks, layout and formats, every figure against office.indicators, the 合计 rows,
the conditional formats and the chart, LibreOffice opening it (PDF export), the CLI, the
fan-out parts giving the same workbook, and the atomic, never-overwriting archive write.

As-of truth (generate for D, make later-dated changes, generate for D again: the same
return) is in tests/test_report_asof.py.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from office import indicators as ind
from office.models import (
    Compound,
    CompoundKind,
    Dispute,
    DisputeParties,
    DisputeStatus,
    ManagementMode,
    Task,
    Township,
    TownshipKind,
    db,
)
from office.services.report.build import ReportError, build_to_file, write_atomically
from office.services.report.sheets import SHEET_NAMES, SHEET_ORDER
from tests.conftest import seeded_county

D = dt.date
AS_OF = D(2020, 9, 30)
HEADER_ROW = 5    # 1-based: the table header of a detail sheet
FIRST_ROW = 6     # its first data row
SUMMARY_FIRST = 7


# ---------------------------------------------------------------- reading a return back


def open_book(path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(path, data_only=True)


def header_block(ws) -> dict[str, str]:
    """{"填报单位": …, "统计截止日期": …, "填报日期": …, "填报人": …, "审核人": …, …}."""
    found = {}
    for row in ws.iter_rows(min_row=2, max_row=3, values_only=True):
        for value in row:
            if isinstance(value, str) and "：" in value:
                key, _, rest = value.partition("：")
                found[key] = rest
    return found


def _rate(num, den, rate):
    if num == "—":
        return None
    return num, den, rate


def read_summary(path) -> dict:
    """The 汇总 sheet as numbers: per township, 县直部门, 合计 and the county table."""
    ws = open_book(path)[SHEET_NAMES["summary"]]
    keys = list(ind.INDICATORS)
    result = {"townships": {}, "departments": {}, "county": {}, "rates": {}, "table": {},
              "targets": {}, "status_row": {}}
    row = SUMMARY_FIRST
    while True:
        cells = [c.value for c in ws[row]]
        name = cells[1]
        figures = {k: _rate(*cells[2 + 3 * i: 5 + 3 * i]) for i, k in enumerate(keys)}
        if name == "合计":
            result["county"] = {k: v[:2] for k, v in figures.items()}
            result["rates"] = {k: v[2] for k, v in figures.items()}
            targets = [c.value for c in ws[row + 1]]
            status = [c.value for c in ws[row + 3]]
            result["targets"] = {k: targets[4 + 3 * i] for i, k in enumerate(keys)}
            result["status_row"] = {k: status[2 + 3 * i] for i, k in enumerate(keys)}
            break
        if name == "县直部门":
            result["departments"] = {k: v for k, v in figures.items() if v}
        else:
            result["townships"][name] = figures
        row += 1
    for r in range(row, ws.max_row + 1):
        cells = [c.value for c in ws[r]]
        if cells[1] in {d.label for d in ind.INDICATORS.values()}:
            key = next(k for k, d in ind.INDICATORS.items() if d.label == cells[1])
            result["table"][key] = tuple(cells[3:9])
    return result


def detail_rows(path, sheet: str) -> tuple[list[tuple], tuple, list[str]]:
    """(data rows, the 合计 row, the column labels) of a detail sheet."""
    ws = open_book(path)[SHEET_NAMES[sheet]]
    labels = [c.value for c in ws[HEADER_ROW]]
    rows = [tuple(c.value for c in r) for r in ws.iter_rows(min_row=FIRST_ROW)]
    assert rows and rows[-1][0] == "合计"
    return rows[:-1], rows[-1], labels


def column(rows, labels, label):
    i = labels.index(label)
    return [r[i] for r in rows]


def sheet_values(path) -> dict[str, list[tuple]]:
    """Every cell of every sheet, except the 填报日期 line (the day it was made)."""
    book = open_book(path)
    result = {}
    for ws in book.worksheets:
        rows = [tuple(c.value for c in r) for r in ws.iter_rows()]
        result[ws.title] = [r for r in rows
                            if not any(isinstance(v, str) and v.startswith("填报日期") for v in r)]
    return result


# ---------------------------------------------------------------- fixtures


@pytest.fixture()
def demo(app):
    """A seeded demo county (office.demo.seed, 150 compounds in 10 townships)."""
    with seeded_county(app, compounds=150, seed=11) as campaign:
        yield campaign


@pytest.fixture()
def out(tmp_path):
    return tmp_path / "return.xlsx"


# ---------------------------------------------------------------- the workbook


def test_sheets_in_order_with_header_blocks(demo, out):
    written = build_to_file(AS_OF, out, filled_by="王填报", reviewer="李审核")
    book = open_book(out)
    assert book.sheetnames == ["汇总", "小区台账", "未组建业委会清单", "物业合同与公示问题",
                               "公示牌问题", "纠纷调处", "任务进度"]
    assert book.sheetnames == [SHEET_NAMES[k] for k in SHEET_ORDER]
    for ws in book.worksheets:
        block = header_block(ws)
        assert block["填报单位"].endswith("住房和城乡建设局"), ws.title
        assert block["统计截止日期"] == "2020-09-30"
        assert block["填报日期"] == dt.date.today().isoformat()
        assert block["填报人"] == "王填报" and block["审核人"] == "李审核"
        assert ws.freeze_panes is not None, f"{ws.title}: header rows frozen"
        assert ws.print_title_rows, f"{ws.title}: header repeated on printed pages"
        assert ws.column_dimensions["B"].width >= 10
    assert written.sha256 and written.size == out.stat().st_size
    assert written.counts["ledger"] == ind.county_rates(AS_OF, demo)[
        "committee_coverage"].denominator


def test_summary_figures_equal_the_indicators(demo, out):
    build_to_file(AS_OF, out)
    summary = read_summary(out)
    names = dict(db.session.execute(sa.select(Township.id, Township.name)).all())
    by_township = ind.township_rates(AS_OF, demo)
    for key, rates in by_township.items():
        for tid, name in names.items():
            rate = rates.get(tid)
            shown = summary["townships"][name][key]
            if rate is None:
                assert shown is None, (key, name)
            else:
                assert shown[:2] == (rate.numerator, rate.denominator), (key, name)
                assert shown[2] == pytest.approx(rate.numerator / rate.denominator, abs=1e-12)
    county = ind.county_rates(AS_OF, demo)  # called in full here, as the builder does not
    targets = ind.targets_for(demo)
    for key, rate in county.items():
        assert summary["county"][key] == (rate.numerator, rate.denominator), key
        assert summary["rates"][key] == pytest.approx(rate.numerator / rate.denominator)
        target = ind.target_on(targets[key], AS_OF)
        assert summary["targets"][key] == pytest.approx(float(target.threshold) / 100)
        status = ind.status_against_target(rate, target, AS_OF)
        label = {"met": "已达标", "not_met": "未达标", "pending": "未达标（未到期）"}[status]
        assert summary["status_row"][key] == label
        num, den, pct, threshold, due, table_label = summary["table"][key]
        assert (num, den, table_label) == (rate.numerator, rate.denominator, label)
        assert pct == pytest.approx(rate.numerator / rate.denominator)
        assert due.date() == target.due_on
    # 合计 = townships + 县直部门 (the departments only count for contact_reported)
    for key in county:
        total = [v for t in summary["townships"].values() if (v := t[key])]
        extra = summary["departments"].get(key)
        num = sum(v[0] for v in total) + (extra[0] if extra else 0)
        assert num == county[key].numerator, key
    assert set(summary["departments"]) == {"contact_reported"}


def _behind_names(key, met, campaign):
    """Sorted (township, compound) of the compounds meeting (met) or behind the indicator
    (compound names are unique only within a township)."""
    ids = db.session.scalars(ind.compounds_behind(key, AS_OF, campaign, met)).all()
    assert len(ids) == len(set(ids))
    return sorted(db.session.execute(sa.select(Township.name, Compound.name).join(Township)
                                     .where(Compound.id.in_(ids))).all())


def keyed(rows, labels):
    """(township, compound) of each sheet row."""
    return list(zip(column(rows, labels, "乡镇（街道、场）"), column(rows, labels, "小区名称")))


def test_detail_sheets_agree_with_the_indicators(demo, out):
    build_to_file(AS_OF, out)
    rows, total, labels = detail_rows(out, "ledger")
    county = ind.county_rates(AS_OF, demo)
    assert len(rows) == county["committee_coverage"].denominator == total[labels.index("小区名称")]
    texts = {"业委会": ("committee_coverage", "已组建", "未组建"),
             "办公用房": ("office_space", "有", "无"),
             "成员指导监管": ("member_supervision", "已全覆盖", "未全覆盖"),
             "物业合同": ("contract_signed", "已签订", "未签订"),
             "收费公示": ("fee_disclosure", "按时公示", "未按时公示"),
             "公示牌": ("signboard_current", "现行版", "需更换")}
    names = keyed(rows, labels)
    for label, (key, met_text, behind_text) in texts.items():
        values = column(rows, labels, label)
        met = sorted(n for n, v in zip(names, values) if v == met_text)
        behind = sorted(n for n, v in zip(names, values) if v == behind_text)
        assert met == _behind_names(key, True, demo), label
        assert behind == _behind_names(key, False, demo), label
        assert total[labels.index(label)] == len(met), f"合计 of {label}"
        if ind.INDICATORS[key].unit == "compound":
            assert len(met) == county[key].numerator and len(met) + len(behind) == \
                county[key].denominator, label
    assert total[labels.index("户数")] == sum(column(rows, labels, "户数"))

    no_committee, total, labels = detail_rows(out, "no_committee")
    assert sorted(keyed(no_committee, labels)) == _behind_names("committee_coverage", False, demo)
    assert total[labels.index("小区名称")] == len(no_committee)

    problems, total, labels = detail_rows(out, "property")
    expected = set(_behind_names("contract_signed", False, demo)) | set(
        _behind_names("fee_disclosure", False, demo))
    assert sorted(keyed(problems, labels)) == sorted(expected)
    assert total[labels.index("合同问题")] == len(_behind_names("contract_signed", False, demo))
    assert total[labels.index("公示问题")] == len(_behind_names("fee_disclosure", False, demo))

    boards, total, labels = detail_rows(out, "signboard")
    assert sorted(keyed(boards, labels)) == _behind_names("signboard_current", False, demo)

    disputes, total, labels = detail_rows(out, "disputes")
    received = db.session.scalar(sa.select(sa.func.count()).select_from(Dispute).where(
        Dispute.received_on <= AS_OF))
    assert len(disputes) == received == total[labels.index("小区名称")]
    assert all(d <= dt.datetime(2020, 9, 30) for d in column(disputes, labels, "受理日期"))

    tasks, total, labels = detail_rows(out, "tasks")
    assert len(tasks) == db.session.scalar(sa.select(sa.func.count()).select_from(Task))
    done = column(tasks, labels, "状态").count("已完成")
    assert total[labels.index("状态")] == done
    assert total[labels.index("是否逾期")] == column(tasks, labels, "是否逾期").count("逾期")


def test_number_formats_and_colour_rules(demo, out):
    build_to_file(AS_OF, out)
    book = openpyxl.load_workbook(out)
    summary = book["汇总"]
    assert summary.cell(SUMMARY_FIRST, 5).number_format == "0.0%"
    assert summary.cell(SUMMARY_FIRST, 3).number_format == "#,##0"
    rules = {str(cf.sqref): [r.formula[0] for r in cf.rules]
             for cf in summary.conditional_formatting}
    first = SUMMARY_FIRST
    assert rules[f"E{first}:E{first + 11}"] == [f"AND(ISNUMBER(E{first}),E{first}>=0.6)",
                                                f"AND(ISNUMBER(E{first}),E{first}<0.6)"]
    fills = {str(cf.sqref): [r.dxf.fill.bgColor.rgb for r in cf.rules]
             for cf in summary.conditional_formatting}
    # committee_coverage's target (2020-12-31) is not yet due on 2020-09-30: amber below it;
    # office_space's (2020-09-30) is due: red below it.
    assert fills[f"E{first}:E{first + 11}"][1].endswith("FFEB9C")
    assert fills[f"H{first}:H{first + 11}"][1].endswith("FFC7CE")
    assert fills[f"H{first}:H{first + 11}"][0].endswith("C6EFCE")
    ledger = book["小区台账"]
    labels = [c.value for c in ledger[HEADER_ROW]]
    delivered = labels.index("交付日期") + 1
    assert ledger.cell(FIRST_ROW, delivered).number_format == "yyyy-mm-dd"
    assert any("未组建" in str(r.formula) for cf in ledger.conditional_formatting
               for r in cf.rules), "behind compounds coloured"
    assert ledger.auto_filter.ref
    with zipfile.ZipFile(out) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 1
        xml = z.read(charts[0]).decode()
        assert "<c:barChart>" in xml and "<c:lineChart>" in xml
        assert "'汇总'!$F$" in xml or "汇总!$F$" in xml


def _libreoffice_pdf(path: Path) -> Path:
    """Convert with LibreOffice headless in a private profile (parallel runs do not meet)."""
    soffice = shutil.which("libreoffice") or shutil.which("soffice")
    assert soffice, "LibreOffice is required (apt-get install libreoffice-calc-nogui)"
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        result = subprocess.run(
            [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
             "--convert-to", "pdf", "--outdir", str(path.parent), str(path)],
            capture_output=True, text=True, timeout=600)
    pdf = path.with_suffix(".pdf")
    assert result.returncode == 0, result.stderr
    assert pdf.exists(), result.stdout + result.stderr
    return pdf


def test_libreoffice_opens_the_return(demo, out):
    build_to_file(AS_OF, out)
    pdf = _libreoffice_pdf(out)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")
    assert data.count(b"/Type /Page") + data.count(b"/Type/Page") >= len(SHEET_ORDER)


def test_cli_builds_the_same_return(app, demo, tmp_path):
    runner = app.test_cli_runner()
    target = tmp_path / "cli.xlsx"
    result = runner.invoke(args=["office", "report", "--as-of", "2020-09-30", "--out",
                                 str(target), "--filled-by", "王填报"])
    assert result.exit_code == 0, result.output
    assert "sha256" in result.output and target.exists()
    reference = tmp_path / "reference.xlsx"
    build_to_file(AS_OF, reference, filled_by="王填报")
    assert sheet_values(target) == sheet_values(reference)
    bad = runner.invoke(args=["office", "report", "--as-of", "2020-13-01", "--out",
                              str(target)])
    assert bad.exit_code != 0


def test_fanned_out_parts_make_the_same_workbook(demo, tmp_path):
    """Per-township part files merged (what the RQ fan-out does) = the one-pass build."""
    from office.services.report import parts as report_parts
    from office.services.report.build import HeaderMeta, write_return
    from office.services.report.data import snapshot

    single = tmp_path / "single.xlsx"
    build_to_file(AS_OF, single, filled_by="甲")
    parts = tmp_path / "parts"
    parts.mkdir()
    figures = report_parts.write_figures(parts, AS_OF, None)
    report_parts.write_statuses(parts, AS_OF, None)
    for tid, _name in figures.townships:
        report_parts.write_township(parts, AS_OF, None, tid)
    merged = tmp_path / "merged.xlsx"
    with snapshot():
        source = report_parts.PartsSource(parts, AS_OF, demo)
        meta = HeaderMeta(unit=f"{figures.county_name}住房和城乡建设局",
                          filled_on=dt.date.today(), filled_by="甲")
        write_return(str(merged), meta, source)
    assert sheet_values(merged) == sheet_values(single)


def test_township_without_compounds_and_awkward_text(county, out):
    """An empty township shows "—", not a division by zero; text that looks like a formula
    stays text."""
    t = Township(county=county.county, name="新设街道", kind=TownshipKind.street)
    c = Compound(township=county.a.township, name="=HYPERLINK(\"http://x\")", kind=CompoundKind.old,
                 households=10, management_mode=ManagementMode.none)
    db.session.add_all([t, c, Dispute(compound=c, received_on=D(2020, 9, 1),
                                       parties=DisputeParties.owner_owner, summary="=1+1",
                                       status=DisputeStatus.open)])
    db.session.commit()
    build_to_file(AS_OF, out)
    summary = read_summary(out)
    assert summary["townships"]["新设街道"]["committee_coverage"] is None
    assert summary["townships"]["新设街道"]["contact_reported"] == (0, 1, 0)
    book = openpyxl.load_workbook(out)
    ledger = book["小区台账"]
    assert any(c.value == '=HYPERLINK("http://x")' and c.data_type == "s"
               for row in ledger.iter_rows() for c in row)
    disputes = book["纠纷调处"]
    assert any(c.value == "=1+1" and c.data_type == "s" for row in disputes.iter_rows()
               for c in row)


def test_no_campaign_is_a_clear_error(app, county, out):
    for table in ("task_update", "task", "target", "campaign"):
        db.session.execute(sa.text(f"DELETE FROM {table}"))
    db.session.commit()
    with pytest.raises(ReportError, match="还没有工作方案"):
        build_to_file(AS_OF, out)
    assert not out.exists()


# ---------------------------------------------------------------- atomic archive writes


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    final = tmp_path / "report.xlsx"

    def half(tmp):
        Path(tmp).write_bytes(b"half a workbook")
        raise RuntimeError("worker died")

    with pytest.raises(RuntimeError):
        write_atomically(final, half, tag="report-9-1")
    assert not final.exists()
    assert os.listdir(tmp_path) == []


def test_atomic_write_never_replaces_an_archive(tmp_path):
    final = tmp_path / "report.xlsx"
    final.write_bytes(b"archived")
    with pytest.raises(ReportError, match="不会覆盖"):
        write_atomically(final, lambda tmp: Path(tmp).write_bytes(b"new") and {}, tag="r")
    assert final.read_bytes() == b"archived"
    assert os.listdir(tmp_path) == ["report.xlsx"]

"""Bad spreadsheets are refused, never half-read (kit/io/read.py, kit/uploads.py, importer.py):
data far below a run of blank rows, a padding member or an XXE part in the archive, a formula
without its computed value, and a row identical to an earlier one."""
from __future__ import annotations

import io
import zipfile

import openpyxl

from tests.test_import import HEAD, book, errors, row, upload

DISPUTE_HEAD = ["小区*", "受理日期*", "纠纷当事方*", "纠纷概况*", "状态*"]


def _book_with(rows_at: dict[int, list]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEAD)
    for number, values in rows_at.items():
        for col, value in enumerate(values, start=1):
            ws.cell(row=number, column=col, value=value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _refused(client, data, text):
    token, page = upload(client, data)
    assert token is None, "the file was accepted"
    assert text in page, page[-1500:]


def test_a_row_far_below_the_rest_is_refused_not_dropped(login, county):
    data = _book_with({2: row("上面花园"), 1_000_000: row("下面花园")})
    _refused(login("admin"), data, "个连续空行，下面还有数据")


def test_blank_rows_between_rows_are_fine(login, county, app):
    data = _book_with({2: row("上面花园"), 500: row("下面花园")})
    token, _ = upload(login("admin"), data)
    assert token is not None and errors(app, token) == []


def _with_member(data: bytes, name: str, size: int, content: bytes | None = None) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        if content is not None:
            dst.writestr(name, content)
        else:
            with dst.open(name, "w", force_zip64=True) as member:
                block = b"\0" * (1024 * 1024)
                for _ in range(size // len(block)):
                    member.write(block)
    return out.getvalue()


def test_a_padding_member_is_refused_before_parsing(login, county):
    data = _with_member(book([row("填充花园")]), "xl/media/pad.bin", 300 * 1024 * 1024)
    assert len(data) < 2 * 1024 * 1024  # small on the wire
    _refused(login("admin"), data, "解压后有 300 MB")


def test_a_dense_member_is_refused_by_its_ratio(login, county):
    data = _with_member(book([row("压缩花园")]), "xl/media/pad.bin", 50 * 1024 * 1024)
    _refused(login("admin"), data, "压缩比异常")


def test_xxe_and_billion_laughs_say_what_is_wrong(login, county):
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
              b"<workbook>&lol2;</workbook>")
    src = zipfile.ZipFile(io.BytesIO(book([row("实体花园")])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, laughs if item.filename == "xl/workbook.xml" else src.read(item))
    _refused(login("admin"), out.getvalue(), "XML 实体声明")


def test_a_formula_without_its_value_is_refused(login, county):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEAD)
    ws.append(row("公式花园", households=None))
    ws["D2"] = "=100+20"  # openpyxl stores the formula, no computed value
    out = io.BytesIO()
    wb.save(out)
    _refused(login("admin"), out.getvalue(), "D2 含有公式但没有保存计算结果")


def test_a_row_identical_to_an_earlier_one_is_an_error(login, county, app):
    same = ["幸福花园A", "2020-06-01", "业主之间", "噪音", "已受理"]
    data = book([same, ["幸福花园A", "2020-06-02", "业主之间", "噪音", "已受理"], same],
                head=DISPUTE_HEAD)
    token, _ = upload(login("admin"), data, view="disputeview")
    assert errors(app, token) == [(4, "", "与第 2 行完全相同（重复的一行）")]

"""office/kit/io/rows.StreamedSheet writes data rows as the same XML xlsxwriter writes
cell by cell: the two sheets' XML are byte for byte equal, for awkward values too."""
from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal

import openpyxl
import xlsxwriter

from office.kit.io.rows import EXCEL_EPOCH, StreamedSheet

ROWS = [
    ["普通文本", 12, 3.25, dt.date(2020, 9, 30), Decimal("1234.50")],
    [" 前导空格", "尾随空格 ", "a & b <c> \"d\"", "换行\n文本", "\t制表"],
    ["控制\x01字符\x1f", "_x0041_ 字面转义", "非字符\ufffe\uffff", "", "=1+2"],
    [None, 1e21, -7.5e-10, 0, True],
    ["x" * 40000, None, None, None, "最后一列"],
]


def _formats(wb):
    return [wb.add_format({"num_format": "#,##0"}), None, wb.add_format({"text_wrap": True}),
            wb.add_format({"num_format": "yyyy-mm-dd"}), None]


def _write(path, streamed: bool) -> None:
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                         "strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet("表", worksheet_class=StreamedSheet)
    formats = _formats(wb)
    styles = [StreamedSheet.style(f) for f in formats]  # fixes the style numbers' order
    ws.write_string(0, 0, "表头", formats[0])
    for r, row in enumerate(ROWS, start=1):
        if streamed:
            ws.append_row(r, [(c, v, styles[c]) for c, v in enumerate(row) if v is not None])
            continue
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, str):
                ws.write_string(r, c, value, formats[c])
            elif isinstance(value, dt.date):
                ws.write_number(r, c, (value - EXCEL_EPOCH).days, formats[c])
            else:
                ws.write_number(r, c, value, formats[c])
    ws.write_string(len(ROWS) + 1, 0, "合计")
    wb.close()


def _sheet_xml(path) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read("xl/worksheets/sheet1.xml")


def test_streamed_rows_are_xlsxwriters_xml(tmp_path):
    ours, theirs = tmp_path / "ours.xlsx", tmp_path / "theirs.xlsx"
    _write(ours, streamed=True)
    _write(theirs, streamed=False)
    assert _sheet_xml(ours) == _sheet_xml(theirs)
    assert b"<dimension ref=\"A1:E7\"/>" in _sheet_xml(ours)

    ws = openpyxl.load_workbook(ours).active
    assert ws["A3"].value == " 前导空格" and ws["C3"].value == "a & b <c> \"d\""
    # Excel's escapes of control characters (openpyxl reads them back as written)
    assert ws["A4"].value == "控制_x0001_字符_x001F_" and ws["B4"].value == "_x005F_x0041_ 字面转义"
    assert ws["E4"].value == "=1+2" and ws["E4"].data_type == "s"   # text, never a formula
    assert ws["D2"].value == dt.datetime(2020, 9, 30) and ws["E2"].value == 1234.5
    assert len(ws["A6"].value) == 32767
    assert ws["A7"].value == "合计"

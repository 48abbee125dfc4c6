"""Reading an uploaded spreadsheet the way clerks really send them.

Accepted: .xlsx (Excel, WPS, LibreOffice), and .csv in UTF-8 (with or without BOM) or GBK/GB18030
(what Excel on a Chinese Windows writes). Refused with a Chinese message saying what to do:
.xls (Excel 97-2003) and encrypted workbooks (both OLE2 files), anything else renamed .xlsx, an
empty file, a sheet without a recognisable header, more rows than the limit.

The header row is found by matching known column labels in the first rows, so title rows
(merged or not) above it are fine; blank rows anywhere are skipped; row numbers are kept as
Excel shows them. Cell values are returned JSON-ready (str, int, float, bool, or ["d", ISO]
for a date/time) - they are stored between the preview and the commit.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field

from office.kit.columns import header_key
from office.kit.i18n import N_, Term, TranslatableError
from office.kit.uploads import UnsafeUpload, check_archive

HEADER_SCAN_ROWS = 30
MAX_COLUMNS = 200
# Data this many blank rows below the rest is refused, not read (a clerk would miss it)
BLANK_RUN_LIMIT = 1000
INSTRUCTIONS_SHEET = "填写说明"
ERROR_COLUMN = "错误原因"  # added by the error workbook; ignored when it is uploaded again
ROW_COLUMN = "原行号"


class ImportFileError(TranslatableError):
    """A file-level problem, with the message (a msgid) to show the clerk."""


@dataclass
class Sheet:
    name: str
    header_row: int                       # 1-based, as Excel shows it
    headers: list[str]                    # header texts as written
    columns: list[str | None]             # per file column: the view column it feeds, or None
    rows: list[tuple[int, list]] = field(default_factory=list)   # (Excel row number, cells)
    ignored: list[str] = field(default_factory=list)              # headers not imported

    def to_json(self) -> dict:
        return {"name": self.name, "header_row": self.header_row, "headers": self.headers,
                "columns": self.columns, "rows": self.rows, "ignored": self.ignored}

    @classmethod
    def from_json(cls, data: dict) -> Sheet:
        return cls(data["name"], data["header_row"], data["headers"], data["columns"],
                   [tuple(r) for r in data["rows"]], data["ignored"])


def jsonable(value):
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (dt.datetime, dt.date)):
        return ["d", value.isoformat()]
    if isinstance(value, dt.time):
        return value.isoformat()
    return str(value)


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _kind_of(data: bytes, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if not data:
        raise ImportFileError("上传的文件是空的（0 字节），请重新选择文件。")
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ImportFileError(
            "这是 Excel 97-2003 格式（.xls）或设置了打开密码的工作簿，系统无法读取。"
            "请在 Excel 或 WPS 中打开，取消密码后“另存为”Excel 工作簿（.xlsx），再上传。")
    if data[:4] == b"PK\x03\x04":
        try:  # before openpyxl unpacks anything: size, ratio, XML entities
            check_archive(data, filename)
        except UnsafeUpload as exc:
            raise ImportFileError(exc) from None
        return "xlsx"
    if ext == "csv":
        return "csv"
    if ext in ("xlsx", "xlsm", "xls", "et", "wps"):
        raise ImportFileError(
            "文件“%(filename)s”不是有效的 Excel 工作簿（可能已损坏，或是把其他类型的文件改成了"
            " .%(ext)s 扩展名）。请用 Excel 或 WPS 打开后“另存为”Excel 工作簿（.xlsx），再上传。",
            filename=filename, ext=ext)
    shown = f".{ext}" if ext else Term(N_("无扩展名"))
    raise ImportFileError("不支持的文件类型（%(shown)s）。请上传 Excel 工作簿（.xlsx），"
                          "或 UTF-8/GBK 编码的 CSV 文件。", shown=shown)


def _locate_header(rows: list[tuple[int, tuple]], known: dict[str, str]):
    """(index in rows, matches) of the best header candidate among the first rows."""
    best, best_hits = None, 0
    for i, (_, values) in enumerate(rows[:HEADER_SCAN_ROWS]):
        hits = len({known[k] for k in map(header_key, values) if k in known})
        if hits > best_hits:
            best, best_hits = i, hits
    need = 1 if len(set(known.values())) == 1 else 2
    return (best, best_hits) if best_hits >= need else (None, 0)


def _build(name: str, row_iter, known: dict[str, str], max_rows: int) -> Sheet | None:
    """Scan one sheet; None when it has no header row."""
    head: list[tuple[int, tuple]] = []
    for number, values in row_iter:
        head.append((number, values))
        if len(head) >= HEADER_SCAN_ROWS:
            break
    index, _ = _locate_header(head, known)
    if index is None:
        return None
    header_number, header_values = head[index]
    headers = ["" if v is None else str(v).strip() for v in header_values[:MAX_COLUMNS]]
    while headers and not headers[-1]:
        headers.pop()
    columns: list[str | None] = []
    ignored: list[str] = []
    seen: dict[str, str] = {}
    for text in headers:
        target = known.get(header_key(text))
        if target is not None and target in seen:
            raise ImportFileError("表头中“%(text)s”与“%(other)s”是同一列，请删除其中一列。",
                                  text=text, other=seen[target])
        if target is not None:
            seen[target] = text
        elif text and header_key(text) not in (ERROR_COLUMN, ROW_COLUMN):
            ignored.append(text)
        columns.append(target)
    sheet = Sheet(name, header_number, headers, columns, ignored=ignored)
    width = len(headers)

    def data_rows():
        yield from head[index + 1:]
        yield from row_iter

    blank_run = 0
    for number, values in data_rows():
        cells = [jsonable(v) for v in values[:width]]
        if all(_blank(v) for v in cells):
            blank_run += 1
            continue
        if blank_run >= BLANK_RUN_LIMIT and sheet.rows:
            # a row far below the rest: refuse the file rather than read half of it
            raise ImportFileError(
                "第 %(number)s 行之前有 %(blank)s 个连续空行，下面还有数据。请删除中间的空行"
                "（或把这些数据移到上面）后再上传，以免漏导。", number=number, blank=blank_run)
        blank_run = 0
        if len(sheet.rows) >= max_rows:
            raise ImportFileError(
                "文件中的数据超过单次导入上限 %(max)s 行，请拆分成几个文件分批导入。", max=max_rows)
        cells += [None] * (width - len(cells))
        sheet.rows.append((number, cells))
    return sheet


_CELL = re.compile(rb"<c\b([^>]*)>(.*?)</c>", re.S)
_VALUE = re.compile(rb"<v>[^<]+</v>|<is>")  # a computed value (or inline text)
_REF = re.compile(rb'\br="([A-Z]+[0-9]+)"')


def _formulas_without_values(data: bytes) -> list[str]:
    """Cells holding a formula but no computed value (a generated file never opened in Excel):
    read with data_only they would come out empty, silently."""
    found: list[str] = []
    archive = zipfile.ZipFile(io.BytesIO(data))
    for member in archive.namelist():
        if not (member.startswith("xl/worksheets/") and member.endswith(".xml")):
            continue
        xml = archive.read(member)
        if b"<f" not in xml:
            continue
        for attrs, body in _CELL.findall(xml):
            if b"<f" in body and not _VALUE.search(body):
                ref = _REF.search(attrs)
                found.append(ref.group(1).decode() if ref else "?")
                if len(found) >= 5:
                    return found
    return found


def _xlsx_sheets(data: bytes, filename: str):
    from openpyxl import load_workbook

    blind = _formulas_without_values(data)
    if blind:
        raise ImportFileError(
            "单元格 %(cells)s 含有公式但没有保存计算结果（文件可能由程序生成，从未在"
            " Excel 中打开过），导入会变成空值。请用 Excel 或 WPS 打开、保存后再上传，"
            "或把公式“粘贴为数值”。", cells=tuple(blind))

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # BadZipFile, KeyError (missing part), InvalidFileException …
        raise ImportFileError(
            "文件“%(filename)s”无法作为 Excel 工作簿（.xlsx）读取（可能已损坏，或是其他类型的"
            "文件改了扩展名）。请用 Excel 或 WPS 打开后“另存为”Excel 工作簿（.xlsx），再上传。",
            filename=filename) from exc
    for ws in wb.worksheets:
        if getattr(ws, "sheet_state", "visible") != "visible" or ws.title == INSTRUCTIONS_SHEET:
            continue
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()  # WPS and some generators write a wrong <dimension>

        def rows(ws=ws):
            for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
                yield number, tuple(values)

        yield ws.title, rows()


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError("无法识别 CSV 文件的字符编码。请另存为“CSV UTF-8”或上传 .xlsx 文件。")


def _csv_sheets(data: bytes, filename: str):
    text = _decode(data)
    if "\x00" in text:
        raise ImportFileError("文件“%(filename)s”不是文本格式的 CSV 文件，请上传 .xlsx 文件。",
                              filename=filename)
    sample = text[:4096]
    delimiter = max(",\t;", key=sample.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def rows():
        for number, values in enumerate(reader, start=1):
            yield number, tuple(values)

    yield filename, rows()


def read_upload(data: bytes, filename: str, known: dict[str, str], max_rows: int,
                examples: list[str] = ()) -> Sheet:
    """The first visible sheet that has a header row of known labels, with its data rows.

    `known` maps header keys (see header_key) to view column names.
    """
    kind = _kind_of(data, filename)
    sheets = _xlsx_sheets(data, filename) if kind == "xlsx" else _csv_sheets(data, filename)
    try:
        for name, rows in sheets:
            sheet = _build(name, rows, known, max_rows)
            if sheet is not None:
                return sheet
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, csv.Error) as exc:
        raise ImportFileError("读取文件“%(filename)s”时出错，文件可能已损坏（%(why)s）。"
                              "请用 Excel 或 WPS 打开后另存为 .xlsx 再上传。",
                              filename=filename, why=str(exc)) from exc
    raise ImportFileError(
        "在文件的前 %(n)s 行中没有找到表头（应有“%(shown)s”等列名）。"
        "请使用“下载导入模板”得到的文件填写。", n=HEADER_SCAN_ROWS,
        shown=tuple(Term(e) for e in examples[:6]))

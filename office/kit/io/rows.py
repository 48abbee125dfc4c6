"""Data rows for an xlsxwriter constant_memory worksheet, serialised a row at a time.

xlsxwriter writes a streamed cell in five layers (write_* → type checks → the row table →
_write_cell → one file write per cell); at the return's six million cells that is most of its
time. StreamedSheet.append_row produces the same XML — inline strings, the same escaping of
XML and control characters, xml:space="preserve", numbers as ``{:.16G}`` — for a whole row in
one string and one write. Everything else on the sheet (header rows, merged cells, formulas,
conditional formats, autofilter) still goes through xlsxwriter. tests/test_xlsx_rows.py
compares a sheet written this way with one written by xlsxwriter, byte for byte.
"""
from __future__ import annotations

import datetime as dt
import re

from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

EXCEL_EPOCH = dt.date(1899, 12, 30)
MAX_STRING = 32767  # Excel's limit; xlsxwriter truncates too
_LETTERS = [xl_col_to_name(c) for c in range(64)]
# Anything xlsxwriter would change in a string: XML specials, control characters (_xHHHH_),
# non-characters, and literal _xHHHH_ sequences (which it escapes as _x005F_xHHHH_).
_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")


def _text(value: str) -> str:
    """The <is> content of an inline string, escaped exactly like xlsxwriter's _write_cell."""
    if len(value) > MAX_STRING:
        value = value[:MAX_STRING]
    if _SPECIAL.search(value):
        value = Worksheet._escape_control_characters(value)
        preserve = value[:1].isspace() or value[-1:].isspace()
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    else:
        preserve = value[:1].isspace() or value[-1:].isspace()
    space = ' xml:space="preserve"' if preserve else ""
    return f'<is><t{space}>{value}</t></is>'


class StreamedSheet(Worksheet):
    """A constant_memory worksheet that also takes whole data rows (append_row)."""

    def _initialize(self, init_data) -> None:
        super()._initialize(init_data)
        if not self.constant_memory:
            raise ValueError("StreamedSheet needs a constant_memory workbook")

    @staticmethod
    def style(cell_format: Format | None) -> str:
        """A format's style attribute for append_row: ' s="N"', or '' for none."""
        return "" if cell_format is None else f' s="{cell_format._get_xf_index()}"'

    def append_row(self, row: int, cells: list[tuple[int, object, str]]) -> None:
        """Write row `row` (after every row written so far): cells are (column, value, style
        attribute) in column order; a value is str, int, float, Decimal or date."""
        if not cells:
            return
        if self.table:          # a row still held by xlsxwriter (the table header): out first
            self._write_single_row(row)
        else:
            self.previous_row = row
        self._check_dimensions(row, cells[0][0])
        self._check_dimensions(row, cells[-1][0])
        n = row + 1
        parts = []
        append = parts.append
        for col, value, style in cells:
            ref = f"{_LETTERS[col] if col < len(_LETTERS) else xl_col_to_name(col)}{n}"
            kind = type(value)
            if kind is str:
                append(f'<c r="{ref}"{style} t="inlineStr">{_text(value)}</c>')
            elif kind is dt.date:
                append(f'<c r="{ref}"{style}><v>{(value - EXCEL_EPOCH).days}</v></c>')
            else:
                append(f'<c r="{ref}"{style}><v>{value:.16G}</v></c>')
        self._write_row(row, None)
        self.fh.write("".join(parts) + "</row>")

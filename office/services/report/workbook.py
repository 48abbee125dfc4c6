"""Writing the return with xlsxwriter in constant_memory mode (rows stream straight to disk, in
order within each sheet; sheets may be written interleaved).

Every sheet: a header block (title, 填报单位, 统计截止日期, 填报日期, 填报人, 审核人), the table
header (frozen, repeated on every printed page), typed cells (dates are dates, counts numbers,
rates percentages), a 合计 row (formulas with their values cached, so readers that do not
recalculate see the same numbers), and green / red / amber conditional formats against the
campaign's targets: green meets the target, red misses it once it is due, amber misses it
before its due date. 汇总 also has a chart of the county's rates against the targets.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from office.kit.io.rows import StreamedSheet
from office.services.report.data import Figures
from office.services.report.sheets import (
    DETAIL_SHEETS,
    SHEET_NAMES,
    SHEET_ORDER,
    SUMMARY,
    SheetSpec,
)
from office.services.report.summary import BAD, FONT, GOOD, HEAD_ROWS, PENDING, SummaryMixin


@dataclass(frozen=True)
class HeaderMeta:
    unit: str                      # 填报单位
    filled_on: dt.date             # 填报日期
    filled_by: str = ""            # 填报人
    reviewer: str = ""             # 审核人
    run_id: int | None = None
    # The workbook's created stamp (docProps): a run's requested time, so that every attempt
    # of a run writes the same bytes; None: now.
    created: dt.datetime | None = None


class _InMemorySheet(Worksheet):
    """汇总 is small and has two-row merged headers, which constant_memory cannot write (a
    row is flushed once a later row is written); it alone is kept in memory."""

    def _initialize(self, init_data) -> None:
        super()._initialize({**init_data, "constant_memory": False})

    def _opt_close(self) -> None:  # the workbook closes every sheet's (absent) row file
        pass


class _Detail:
    """One detail sheet being streamed: its worksheet, next row and running totals.

    Data cells carry a format only where the value needs one (dates, thousands, wrapped
    text); empty cells are not written at all, and the grid comes from the sheet's printed
    gridlines — at 200,000 rows a styled cell each costs as much as the data."""

    def __init__(self, ws, spec: SheetSpec, formats: dict):
        self.ws, self.spec = ws, spec
        self.first = HEAD_ROWS + 1
        self.row = self.first
        self.styles = [ws.style(formats.get(f"cell_{c.kind}")) for c in spec.cols]
        self.date = ws.style(formats["cell_date"])
        self.totals = []  # (col index, how, argument, running value)
        for i, col in enumerate(spec.cols):
            if col.total:
                how, _, arg = col.total.partition(":")
                self.totals.append([i, how, arg, 0])

    def add(self, values: list) -> None:
        r, styles, date = self.row, self.styles, self.date
        cells = [(0, r - self.first + 1, styles[0])]
        c = 0
        for value in values:
            c += 1
            if value is not None:
                cells.append((c, value, date if type(value) is dt.date else styles[c]))
        self.ws.append_row(r, cells)
        for total in self.totals:
            value = values[total[0] - 1]
            how = total[1]
            if how == "count":
                total[3] += value is not None and value != ""
            elif how == "sum":
                total[3] += value or 0
            elif value == total[2]:
                total[3] += 1
        self.row = r + 1



class ReportWriter(SummaryMixin):
    """wb = ReportWriter(path, meta, figures, tmpdir); wb.write_summary(); wb.add(sheet, row)…;
    counts = wb.close()."""

    def __init__(self, path: str, meta: HeaderMeta, figures: Figures, tmpdir: str | None = None):
        self.meta, self.figures = meta, figures
        self.wb = xlsxwriter.Workbook(path, {
            "constant_memory": True, "tmpdir": tmpdir, "strings_to_numbers": False,
            "strings_to_formulas": False, "strings_to_urls": False,
            # unformatted cells (most text) in the workbook's default font
            "default_format_properties": {"font_name": FONT, "font_size": 10},
        })
        self.f = self._formats()
        self.sheets = {key: self.wb.add_worksheet(
            SHEET_NAMES[key], worksheet_class=_InMemorySheet if key == SUMMARY else StreamedSheet)
            for key in SHEET_ORDER}
        self.details = {}
        for key, spec in DETAIL_SHEETS.items():
            ws = self.sheets[key]
            self._setup(ws, spec.cols, spec.title, spec.note)
            for c, col in enumerate(spec.cols):
                ws.write_string(HEAD_ROWS, c, col.label, self.f["head"])
            ws.set_row(HEAD_ROWS, 30)
            self.details[key] = _Detail(ws, spec, self.f)
        self._properties()

    # ------------------------------------------------------------ formats and layout

    def _formats(self) -> dict:
        wb = self.wb

        def fmt(**kw):
            return wb.add_format({"font_name": FONT, "font_size": 10, "valign": "vcenter",
                                  **kw})

        cell = {"border": 1}
        return {
            "title": fmt(bold=True, font_size=16, align="center", font_name="黑体"),
            "meta": fmt(font_size=10),
            "note": fmt(font_size=9, font_color="#595959"),
            "head": fmt(bold=True, align="center", text_wrap=True, bg_color="#D9E1F2", **cell),
            "text": fmt(**cell),
            "center": fmt(align="center", **cell),
            "wrap": fmt(text_wrap=True, valign="top", **cell),
            "int": fmt(num_format="#,##0", **cell),
            "date": fmt(num_format="yyyy-mm-dd", align="center", **cell),
            "pct": fmt(num_format="0.0%", **cell),
            "na": fmt(align="center", **cell),
            "total": fmt(bold=True, bg_color="#F2F2F2", **cell),
            "total_int": fmt(bold=True, bg_color="#F2F2F2", num_format="#,##0", **cell),
            "total_pct": fmt(bold=True, bg_color="#F2F2F2", num_format="0.0%", **cell),
            "caption": fmt(bold=True, font_size=11),
            # detail sheets' data cells (see _Detail): no borders, formats only where needed
            "cell_center": fmt(align="center"),
            "cell_wrap": fmt(text_wrap=True, valign="top"),
            "cell_int": fmt(num_format="#,##0"),
            "cell_date": fmt(num_format="yyyy-mm-dd", align="center"),
            "good": wb.add_format(GOOD), "bad": wb.add_format(BAD),
            "pending": wb.add_format(PENDING),
        }

    def _properties(self) -> None:
        m, fig = self.meta, self.figures
        self.wb.set_properties({
            "title": f"{fig.county_name}住宅小区管理工作统计报表", "subject": fig.campaign_name,
            "author": m.filled_by, "company": m.unit,
            "comments": f"统计截止日期 {fig.as_of.isoformat()}",
            **({"created": m.created} if m.created else {})})
        self.wb.set_custom_property("统计截止日期", fig.as_of.isoformat())
        if m.run_id is not None:
            self.wb.set_custom_property("报表编号", m.run_id)

    def _setup(self, ws, cols, title: str, note: str, header_rows: int = 1) -> None:
        """Column widths, print layout and the header block (rows 0-3)."""
        n = len(cols)
        for c, col in enumerate(cols):
            ws.set_column(c, c, col.width)
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(HEAD_ROWS, HEAD_ROWS + header_rows - 1)
        ws.set_footer("&C第 &P 页，共 &N 页")
        ws.hide_gridlines(0)  # gridlines on screen and on paper (data cells have no borders)
        m, fig = self.meta, self.figures
        ws.set_row(0, 28)
        ws.merge_range(0, 0, 0, n - 1, f"{fig.county_name}住宅小区管理工作统计报表 · {title}",
                       self.f["title"])
        a, b = n // 3, 2 * n // 3
        self._segment(ws, 1, 0, a - 1, f"填报单位：{m.unit}")
        self._segment(ws, 1, a, b - 1, f"统计截止日期：{fig.as_of.isoformat()}")
        self._segment(ws, 1, b, n - 1, f"工作方案：{fig.campaign_name}")
        self._segment(ws, 2, 0, a - 1, f"填报日期：{m.filled_on.isoformat()}")
        self._segment(ws, 2, a, b - 1, f"填报人：{m.filled_by}")
        self._segment(ws, 2, b, n - 1, f"审核人：{m.reviewer}")
        if note:
            self._segment(ws, 3, 0, n - 1, note, self.f["note"])

    def _segment(self, ws, row, first, last, text, fmt=None) -> None:
        fmt = fmt or self.f["meta"]
        if last > first:
            ws.merge_range(row, first, row, last, text, fmt)
        else:
            ws.write_string(row, first, text, fmt)

    def _bad_format(self, key: str | None):
        """Red once the indicator's target is due, amber before; red when it has none."""
        target = self.figures.targets.get(key) if key else None
        if target is not None and self.figures.as_of < target.due_on:
            return self.f["pending"]
        return self.f["bad"]

    # ------------------------------------------------------------ detail sheets

    def add(self, sheet: str, values: list) -> None:
        self.details[sheet].add(values)

    def close(self) -> dict[str, int]:
        """Totals, colour rules, filters; then the file is written. Rows per sheet."""
        counts = {}
        for key, d in self.details.items():
            counts[key] = d.row - d.first
            self._finish(d)
        self.wb.close()
        return counts

    def _finish(self, d: _Detail) -> None:
        ws, spec, f = d.ws, d.spec, self.f
        first, last, r = d.first, d.row - 1, d.row
        ws.write_string(r, 0, "合计", f["total"])
        done = {0}
        for c, how, arg, value in d.totals:
            col = xl_col_to_name(c)
            rng = f"{col}{first + 1}:{col}{max(last, first) + 1}"
            formula = {"count": f"=COUNTA({rng})", "sum": f"=SUM({rng})",
                       "countif": f'=COUNTIF({rng},"{arg}")'}[how]
            ws.write_formula(r, c, formula, f["total_int"], value)
            done.add(c)
        for c in range(len(spec.cols)):
            if c not in done:
                ws.write_blank(r, c, None, f["total"])
        ws.freeze_panes(first, spec.freeze_cols)
        if last >= first:
            ws.autofilter(HEAD_ROWS, 0, last, len(spec.cols) - 1)
            for c, col in enumerate(spec.cols):
                rng = (first, c, last, c)
                for text in col.good:
                    ws.conditional_format(*rng, {"type": "cell", "criteria": "==",
                                                 "value": f'"{text}"', "format": f["good"]})
                for text in col.bad:
                    ws.conditional_format(*rng, {"type": "cell", "criteria": "==",
                                                 "value": f'"{text}"',
                                                 "format": self._bad_format(col.key)})
                for text in col.warn:
                    ws.conditional_format(*rng, {"type": "cell", "criteria": "==",
                                                 "value": f'"{text}"', "format": f["pending"]})
                if col.bad_any:
                    ws.conditional_format(*rng, {"type": "no_blanks",
                                                 "format": self._bad_format(col.key)})

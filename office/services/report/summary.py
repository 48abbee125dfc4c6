"""The 汇总 sheet of the return (report_workbook.ReportWriter's first sheet): the figures of
office.indicators per township, the departments and the county, the targets on the as-of date
and the county's standing against them, coloured against the targets, and a chart of the
county's rates against the targets. A small sheet, kept in memory (two-row merged headers).
"""
from __future__ import annotations

import datetime as dt

from xlsxwriter.utility import xl_rowcol_to_cell

from office.services.report.sheets import NA, SHEET_NAMES, STATUS_LABEL, SUMMARY, Col

EXCEL_EPOCH = dt.date(1899, 12, 30)
FONT = "宋体"
HEAD_ROWS = 4           # title, two rows of 填报 information, a note
GOOD = {"bg_color": "#C6EFCE", "font_color": "#006100"}
BAD = {"bg_color": "#FFC7CE", "font_color": "#9C0006"}
PENDING = {"bg_color": "#FFEB9C", "font_color": "#9C5700"}


def _cell(row: int, col: int) -> str:
    return xl_rowcol_to_cell(row, col, row_abs=False, col_abs=False)


class SummaryMixin:
    """Needs the writer's wb, f (formats), figures, sheets, _setup and _bad_format."""

    def write_summary(self) -> None:
        fig, f = self.figures, self.f
        ws = self.sheets[SUMMARY]
        keys = fig.keys
        cols = [Col("序号", 6), Col("乡镇（街道、场）", 18)] + [Col("", 11)] * (3 * len(keys))
        self._setup(ws, cols, "指标完成情况汇总", "完成率 = 达标数 ÷ 总数；绿色为达到目标值，"
                    "红色为到期未达到，黄色为未到期、暂未达到。", header_rows=2)
        top = HEAD_ROWS
        ws.merge_range(top, 0, top + 1, 0, "序号", f["head"])
        ws.merge_range(top, 1, top + 1, 1, "乡镇（街道、场）", f["head"])
        for i, key in enumerate(keys):
            c = 2 + 3 * i
            ws.merge_range(top, c, top, c + 2, fig.label(key), f["head"])
        for i, key in enumerate(keys):
            c, unit = 2 + 3 * i, fig.units[key]
            ws.write_string(top + 1, c, f"达标{unit}数", f["head"])
            ws.write_string(top + 1, c + 1, f"{unit}总数", f["head"])
            ws.write_string(top + 1, c + 2, "完成率", f["head"])
        ws.set_row(top, 30)
        ws.set_row(top + 1, 30)
        r = first = top + 2
        for n, (tid, name) in enumerate(fig.townships, 1):
            rates = [fig.by_township[k].get(tid) for k in keys]
            self._rate_row(ws, r, n, name, rates, total=False)
            r += 1
        departments = [fig.departments.get(k) for k in keys]
        self._rate_row(ws, r, None, "县直部门", departments, total=False)
        r += 1
        self._rate_row(ws, r, None, "合计", [fig.county[k] for k in keys], total=True)
        total_row = r
        r += 1
        self._target_rows(ws, r, keys)
        for i, key in enumerate(keys):
            target = fig.targets[key]
            if target is not None:
                self._rate_rules(ws, first, total_row, 2 + 3 * i + 2,
                                 f"{float(target.threshold) / 100!r}", key)
        ws.freeze_panes(first, 2)
        self._county_table(ws, r + 4, keys)

    def _rate_row(self, ws, r, serial, name, rates, total: bool) -> None:
        f = self.f
        text, num, pct = ((f["total"], f["total_int"], f["total_pct"]) if total
                          else (f["center"], f["int"], f["pct"]))
        if serial is None:
            ws.write_blank(r, 0, None, text)
        else:
            ws.write_number(r, 0, serial, text)
        ws.write_string(r, 1, name, f["total"] if total else f["text"])
        for i, rate in enumerate(rates):
            c = 2 + 3 * i
            if rate is None:
                for k in range(3):
                    ws.write_string(r, c + k, NA, text)
                continue
            ws.write_number(r, c, rate.numerator, num)
            ws.write_number(r, c + 1, rate.denominator, num)
            if rate.denominator:
                ws.write_number(r, c + 2, rate.numerator / rate.denominator, pct)
            else:
                ws.write_string(r, c + 2, NA, text)

    def _target_rows(self, ws, r, keys) -> None:
        f, fig = self.f, self.figures
        for offset, label in enumerate(("目标值", "完成时限", "达标情况（全县）")):
            ws.write_blank(r + offset, 0, None, f["total"])
            ws.write_string(r + offset, 1, label, f["total"])
        for i, key in enumerate(keys):
            c, target = 2 + 3 * i, fig.targets[key]
            ws.merge_range(r, c, r, c + 1, "", f["na"])
            if target is None:
                ws.write_string(r, c + 2, NA, f["na"])
            else:
                ws.write_number(r, c + 2, float(target.threshold) / 100, f["pct"])
            ws.merge_range(r + 1, c, r + 1, c + 2,
                           target.due_on.isoformat() if target else NA, f["na"])
            ws.merge_range(r + 2, c, r + 2, c + 2, STATUS_LABEL[fig.status[key]], f["na"])
            self._status_rules(ws, r + 2, c, r + 2, c + 2, key)

    def _rate_rules(self, ws, first, last, col, threshold: str, key: str) -> None:
        """Green at or above the target, red/amber below it; text cells ("—") stay plain."""
        ref = _cell(first, col)
        rng = (first, col, last, col)
        ws.conditional_format(*rng, {"type": "formula", "format": self.f["good"],
                                     "criteria": f"=AND(ISNUMBER({ref}),{ref}>={threshold})"})
        ws.conditional_format(*rng, {"type": "formula", "format": self._bad_format(key),
                                     "criteria": f"=AND(ISNUMBER({ref}),{ref}<{threshold})"})

    def _status_rules(self, ws, r1, c1, r2, c2, key) -> None:
        rules = ((STATUS_LABEL["met"], self.f["good"]), (STATUS_LABEL["not_met"], self.f["bad"]),
                 (STATUS_LABEL["pending"], self.f["pending"]))
        for text, fmt in rules:
            ws.conditional_format(r1, c1, r2, c2, {"type": "cell", "criteria": "==",
                                                   "value": f'"{text}"', "format": fmt})

    def _county_table(self, ws, r, keys) -> None:
        """全县指标完成情况: one row per indicator; the chart's data."""
        f, fig = self.f, self.figures
        ws.merge_range(r, 0, r, 8, f"{fig.county_name}各项指标完成情况（全县）", f["caption"])
        heads = ["序号", "考核指标", "统计对象", "达标数", "总数", "完成率", "目标值", "完成时限",
                 "达标情况"]
        for c, label in enumerate(heads):
            ws.write_string(r + 1, c, label, f["head"])
        first = r + 2
        for n, key in enumerate(keys):
            row, rate, target = first + n, fig.county[key], fig.targets[key]
            ws.write_number(row, 0, n + 1, f["center"])
            ws.write_string(row, 1, fig.label(key), f["text"])
            ws.write_string(row, 2, fig.units[key], f["center"])
            ws.write_number(row, 3, rate.numerator, f["int"])
            ws.write_number(row, 4, rate.denominator, f["int"])
            if rate.denominator:
                ws.write_number(row, 5, rate.numerator / rate.denominator, f["pct"])
            else:
                ws.write_string(row, 5, NA, f["na"])
            if target is None:
                ws.write_string(row, 6, NA, f["na"])
                ws.write_string(row, 7, NA, f["na"])
            else:
                ws.write_number(row, 6, float(target.threshold) / 100, f["pct"])
                ws.write_number(row, 7, (target.due_on - EXCEL_EPOCH).days, f["date"])
                self._rate_rules(ws, row, row, 5, _cell(row, 6), key)
            ws.write_string(row, 8, STATUS_LABEL[fig.status[key]], f["center"])
        last = first + len(keys) - 1
        self._status_rules(ws, first, 8, last, 8, None)
        self._chart(ws, first, last, last + 2)

    def _chart(self, ws, first, last, at_row) -> None:
        name = SHEET_NAMES[SUMMARY]
        chart = self.wb.add_chart({"type": "column"})
        chart.add_series({
            "name": "全县完成率", "categories": [name, first, 1, last, 1],
            "values": [name, first, 5, last, 5], "fill": {"color": "#4472C4"},
            "data_labels": {"value": True, "num_format": "0.0%"},
        })
        target = self.wb.add_chart({"type": "line"})
        target.add_series({
            "name": "目标值", "categories": [name, first, 1, last, 1],
            "values": [name, first, 6, last, 6], "line": {"none": True},
            "marker": {"type": "dash", "size": 14, "fill": {"color": "#C00000"},
                       "border": {"color": "#C00000"}},
        })
        chart.combine(target)
        chart.set_title({"name": f"{self.figures.county_name}各项指标完成率与目标值"
                                 f"（截至 {self.figures.as_of.isoformat()}）",
                         "name_font": {"size": 12, "name": FONT}})
        chart.set_y_axis({"min": 0, "max": 1, "num_format": "0%",
                          "major_gridlines": {"visible": True}})
        chart.set_x_axis({"num_font": {"name": FONT, "size": 9}})
        chart.set_legend({"position": "bottom", "font": {"name": FONT}})
        chart.set_size({"width": 860, "height": 360})
        ws.insert_chart(at_row, 1, chart, {"x_offset": 4, "y_offset": 4})

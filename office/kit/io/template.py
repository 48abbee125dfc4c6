"""The workbooks an import hands out: the blank template and the error workbook.

Template: the screen's importable columns with Chinese headers (required ones marked *), text
format on text columns (codes and phones keep their leading zeros), date format on dates,
dropdowns for enums, yes/no and related rows (choices on a hidden sheet, related rows limited
to what the user may write to; a relation with too many rows - compounds - gets no dropdown and
the instructions say what to type), an input hint per column, and a 填写说明 sheet.

Error workbook: the uploaded rows as they were, each bad cell filled red with a comment saying
why, and a 错误原因 column; fixed and uploaded again, it imports like the template.
"""
from __future__ import annotations

import datetime as dt

import xlsxwriter

from office.kit.columns import (
    BOOL,
    DATE,
    DATETIME,
    DECIMAL,
    ENUM,
    FALSE_LABEL,
    FLOAT,
    INT,
    QUALIFIER_SEP,
    RELATION,
    TRUE_LABEL,
    Col,
)
from office.kit.io.export import DATE_FORMAT, DATETIME_FORMAT, column_width, sheet_name
from office.kit.io.read import ERROR_COLUMN, INSTRUCTIONS_SHEET, ROW_COLUMN
from office.kit.refs import DROPDOWN_MAX, dropdown_labels
from office.kit.values import display

LISTS_SHEET = "下拉选项"


def _hint(col: Col, description: str = "") -> str:
    kind = col.kind
    if kind == DATE:
        text = "日期，如 2020-01-05"
    elif kind == DATETIME:
        text = "日期时间，如 2020-01-05 08:30"
    elif kind == INT:
        text = "整数"
    elif kind in (DECIMAL, FLOAT):
        text = f"数字，最多 {col.scale} 位小数" if col.scale else "数字"
    elif kind == BOOL:
        text = f"填“{TRUE_LABEL}”或“{FALSE_LABEL}”"
    elif kind == ENUM:
        text = "从下拉列表选择：" + "、".join(str(m.value) for m in col.enum)
    elif kind == RELATION:
        text = "填写名称，须与系统中的一致"
    elif col.code:
        text = "文本（按原样填写，保留开头的 0）"
    else:
        text = f"文本，不超过 {col.max_length} 个字" if col.max_length else "文本"
    return f"{text}。{description}" if description else text


def build_template(path: str, title: str, cols: list[Col], scope, descriptions: dict,
                   key_labels: list[str], max_rows: int, max_mb: int, scope_note: str) -> None:
    wb = xlsxwriter.Workbook(path, {"strings_to_formulas": False, "strings_to_urls": False})
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "align": "center",
                          "valign": "vcenter", "text_wrap": True})
    head_required = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1,
                                   "align": "center", "valign": "vcenter", "text_wrap": True,
                                   "font_color": "#C00000"})
    text_fmt = wb.add_format({"num_format": "@"})
    date_fmt = wb.add_format({"num_format": DATE_FORMAT})
    datetime_fmt = wb.add_format({"num_format": DATETIME_FORMAT})
    ws = wb.add_worksheet(sheet_name(title))
    guide = wb.add_worksheet(INSTRUCTIONS_SHEET)
    lists = wb.add_worksheet(LISTS_SHEET)
    lists.hide()
    last = max_rows  # validations and formats cover the rows a file may have
    notes: dict[str, str] = {}
    list_col = 0
    for c, col in enumerate(cols):
        fmt = (text_fmt if col.is_text else date_fmt if col.kind == DATE else
               datetime_fmt if col.kind == DATETIME else None)
        ws.set_column(c, c, column_width(col), fmt)
        ws.write_string(0, c, col.header(mark_required=True),
                        head_required if col.required else head)
        choices = None
        if col.kind == ENUM:
            choices = [str(m.value) for m in col.enum]
        elif col.kind == BOOL:
            choices = [TRUE_LABEL, FALSE_LABEL]
        elif col.kind == RELATION:
            choices = dropdown_labels(col.target, scope)
            if choices is None:
                notes[col.name] = (f"可选的{col.label}超过 {DROPDOWN_MAX} 个，没有下拉列表：请直接"
                                   f"填写名称（与系统中一致）；重名时写成“上级名称{QUALIFIER_SEP}名称”")
            elif not choices:
                notes[col.name] = f"系统中没有您可以选择的{col.label}"
        hint = _hint(col, str(descriptions.get(col.name) or ""))
        if choices:
            lists.write_string(0, list_col, col.label)
            for i, value in enumerate(choices, start=1):
                lists.write_string(i, list_col, value)
            letter = xlsxwriter.utility.xl_col_to_name(list_col)
            ws.data_validation(1, c, last, c, {
                "validate": "list",
                "source": f"='{LISTS_SHEET}'!${letter}$2:${letter}${len(choices) + 1}",
                "input_title": col.label[:32], "input_message": hint[:255],
                "error_title": "输入值无效",
                "error_message": f"请从下拉列表中选择{col.label}"[:255],
            })
            list_col += 1
        else:
            ws.data_validation(1, c, last, c, {"validate": "any", "input_title": col.label[:32],
                                               "input_message": hint[:255]})
        notes.setdefault(col.name, hint)
    ws.set_row(0, 30)
    ws.freeze_panes(1, 0)
    ws.activate()
    _write_guide(wb, guide, title, cols, notes, key_labels, max_rows, max_mb, scope_note)
    wb.close()


def _write_guide(wb, guide, title, cols, notes, key_labels, max_rows, max_mb, scope_note):
    bold = wb.add_format({"bold": True, "font_size": 14})
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    cell = wb.add_format({"text_wrap": True, "valign": "top", "border": 1})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    guide.set_column(0, 0, 22)
    guide.set_column(1, 1, 8)
    guide.set_column(2, 2, 70)
    guide.write_string(0, 0, f"{title} 导入模板 填写说明", bold)
    rules = [
        f"1. 在“{sheet_name(title)}”工作表第 1 行表头下面逐行填写，一行一条记录；"
        "带 * 的列必须填写。"
        "请勿修改列名；列的顺序可以调整，表头上方可以有标题行，多余的列会被忽略。",
        "2. 日期请按 2020-01-05 格式填写（也能识别 2020/1/5、2020年1月5日、20200105 和"
        " Excel 日期）。",
        "3. 代码、电话等列已设为文本格式，请勿改成数字格式，以免丢失开头的 0。",
        "4. 有下拉列表的列请从列表中选择；全角数字、字母和首尾空格会自动转换、去除。",
        f"5. 单次最多导入 {max_rows} 行，文件不超过 {max_mb} MB。支持 Excel 工作簿（.xlsx）和"
        " CSV（UTF-8 或 GBK 编码）；不支持 Excel 97-2003（.xls），请先“另存为”.xlsx。",
        "6. 上传后系统先检查全部数据并列出有错误的行和原因（可下载标红的错误文件，"
        "改正后重新上传）；"
        "全部无误才能保存，保存时要么全部保存，要么全部不保存。",
    ]
    if key_labels:
        keys = "＋".join(key_labels)
        rules.append(f"7. 以“{keys}”识别系统中已有的记录：选择“新增并更新”时，"
                     "这些行会更新已有记录；选择“仅新增”时跳过这些行，只新增其余的行。")
    else:
        rules.append("7. 本表只能新增记录；每一行都会作为一条新记录保存，请勿重复导入同一文件。")
    if scope_note:
        rules.append(f"8. {scope_note}")
    row = 2
    for rule in rules:
        guide.merge_range(row, 0, row, 2, rule, wrap)
        guide.set_row(row, 32)
        row += 1
    row += 1
    for c, text in enumerate(["列名", "必填", "填写要求"]):
        guide.write_string(row, c, text, head)
    for col in cols:
        row += 1
        guide.write_string(row, 0, col.label, cell)
        guide.write_string(row, 1, "是" if col.required else "", cell)
        guide.write_string(row, 2, notes.get(col.name, ""), cell)


def build_error_workbook(path: str, plan: dict) -> None:
    """The uploaded rows with each bad cell red and commented, and a 错误原因 column."""
    sheet = plan["sheet"]
    headers, columns = sheet["headers"], sheet["columns"]
    labels = plan.get("labels", {})
    position = {name: i for i, name in enumerate(columns) if name}
    wb = xlsxwriter.Workbook(path, {"strings_to_formulas": False, "strings_to_urls": False})
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    bad = wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
    bad_date = wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006",
                              "num_format": DATE_FORMAT})
    date_fmt = wb.add_format({"num_format": DATE_FORMAT})
    reason_fmt = wb.add_format({"font_color": "#9C0006", "text_wrap": True})
    text_fmt = wb.add_format({"num_format": "@"})
    ws = wb.add_worksheet(sheet_name(sheet.get("name") or "导入数据"))
    for c, text in enumerate(headers):
        ws.write_string(0, c, text, head)
        ws.set_column(c, c, max(10, min(40, len(text) * 2 + 4)), text_fmt)
    reason_col = len(headers)
    ws.write_string(0, reason_col, ERROR_COLUMN, head)
    ws.write_string(0, reason_col + 1, ROW_COLUMN, head)
    ws.set_column(reason_col, reason_col, 60)
    outcomes = plan["outcomes"]
    for r, ((number, cells), outcome) in enumerate(zip(sheet["rows"], outcomes), start=1):
        bad_cols = {position.get(name) for name, _ in outcome["errors"] if name in position}
        for c, value in enumerate(cells):
            is_bad = c in bad_cols
            if isinstance(value, list):
                ws.write_datetime(r, c, dt.datetime.fromisoformat(value[1]),
                                  bad_date if is_bad else date_fmt)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                ws.write_number(r, c, value, bad if is_bad else None)
            elif value is None or value == "":
                if is_bad:
                    ws.write_blank(r, c, None, bad)
            else:
                ws.write_string(r, c, display(value), bad if is_bad else None)
        reasons = []
        for name, message in outcome["errors"]:
            label = labels.get(name, "")
            reasons.append(f"{label}：{message}" if label else message)
            if name in position:
                ws.write_comment(r, position[name], f"{label}：{message}"[:1000],
                                 {"x_scale": 2, "y_scale": 1.2})
        if reasons:
            ws.write_string(r, reason_col, "；".join(reasons), reason_fmt)
        ws.write_number(r, reason_col + 1, number)
    ws.freeze_panes(1, 0)
    wb.close()

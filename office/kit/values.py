"""ONE conversion between what people type and what a column stores, for every path.

A cell (uploaded, pasted into the grid) → the typed value of its column, or a Chinese reason
why not (CellError); a typed value → what the add/edit form expects as formdata; a value ↔ the
text the change log keeps (log_text / from_log).

What real files contain: dates as Excel serials, as date cells, or as text (2020-1-5,
2020/01/05, 2020.1.5, 2020年1月5日, 20200105); numbers stored as text ("320", "1,200");
codes and phones stored as numbers (13800000000.0); full-width digits, letters and spaces;
leading/trailing blanks; 是/否, √/×, TRUE/FALSE for yes/no.
"""
from __future__ import annotations

import datetime as dt
import enum
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import sqlalchemy as sa

from office.kit.columns import (
    BOOL,
    DATE,
    DATETIME,
    DECIMAL,
    ENUM,
    FALSE_LABEL,
    FLOAT,
    INT,
    RELATION,
    TRUE_LABEL,
    Col,
    nfkc,
    tidy,
)
from office.kit.i18n import N_, Term, TranslatableError, tr

_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_DATE_TEXT = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[ T]+(\d{1,2})[:：](\d{1,2})(?:[:：](\d{1,2})(?:\.\d+)?)?)?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_INTEGER = re.compile(r"^[+-]?\d+(?:\.0*)?$")
_TRUE = {"是", "y", "yes", "true", "t", "on", "1", "√", "✓", "✔", "有", "对"}
_FALSE = {"否", "n", "no", "false", "f", "off", "0", "×", "✗", "✘", "无", "不"}


class CellError(TranslatableError, ValueError):
    """The cell cannot be read as its column's type; the message (a msgid) is shown to the
    clerk in the request's language."""

    def at(self, row: int, col: Col) -> str:
        """The message for the cell of row ``row`` (as the path counts its rows) in ``col``."""
        return self.translated()


class TooLong(CellError):
    """A text longer than its column holds. Nothing is ever cut: the message says where and by
    how much, the same on every path (grid save, import), and the grid's browser code says it
    in the same words before sending (static/grid/grid.js, tooLongMessage)."""

    def __init__(self, limit: int, length: int):
        self.limit, self.length = limit, length
        super().__init__(N_("最多%(limit)s个字符，现有%(length)s个"), limit=limit, length=length)

    def at(self, row: int, col: Col) -> str:
        # the value itself is too long to quote, so the message names its row and column
        return too_long_message(row, col.label, self.limit, self.length)


def too_long_message(row: int, label: str, limit: int, length: int) -> str:
    """第3行「地址」最多200个字符，现有300个 (in the request's language)"""
    return tr("第%(row)s行「%(label)s」最多%(limit)s个字符，现有%(length)s个", row=row,
              label=tr(label), limit=limit, length=length)


def check_length(col: Col, text: str) -> str:
    """``text`` if it fits ``col`` (counted in characters, as Python and the database count
    them), else TooLong."""
    if col.max_length and len(text) > col.max_length:
        raise TooLong(col.max_length, len(text))
    return text


def number_text(value) -> str:
    """A number as a person would write it: 13800000000.0 → "13800000000", 1.5 → "1.5"."""
    if isinstance(value, bool):
        return TRUE_LABEL if value else FALSE_LABEL
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    return str(value)


def display(raw) -> str:
    """A raw cell as text, for messages and the error workbook's comments."""
    if raw is None:
        return ""
    if isinstance(raw, list):  # ["d", ISO]
        text = raw[1]
        return text[:10] if text.endswith("T00:00:00") else text.replace("T", " ")
    if isinstance(raw, (int, float)):
        return number_text(raw)
    return str(raw)


def is_blank(raw) -> bool:
    return raw is None or (isinstance(raw, str) and not tidy(raw))


def _serial(value: float) -> dt.datetime:
    if not 1 <= value < 2958466:
        raise CellError("“%(value)s”不是有效的日期", value=number_text(value))
    return _EXCEL_EPOCH + dt.timedelta(days=value)


def _date_from_text(text: str, with_time: bool):
    m = _DATE_TEXT.match(text) or _COMPACT_DATE.match(text)
    if m:
        parts = [int(p) if p else 0 for p in m.groups()] + [0, 0, 0]
        try:
            value = dt.datetime(*parts[:6])
        except ValueError:
            raise CellError("日期“%(text)s”不存在", text=text) from None
        return value if with_time else value.date()
    if re.fullmatch(r"\d{5}(?:\.\d+)?", text):  # a serial number stored as text
        value = _serial(float(text))
        return value if with_time else value.date()
    raise CellError("日期格式无法识别：“%(text)s”（请按 2020-01-05 的格式填写）", text=text)


def to_date(raw, with_time: bool = False):
    if isinstance(raw, list):
        value = dt.datetime.fromisoformat(raw[1])
        return value if with_time else value.date()
    if isinstance(raw, bool):
        raise CellError("“%(value)s”不是日期", value=display(raw))
    if isinstance(raw, (int, float)):
        if isinstance(raw, int) or float(raw).is_integer():
            text = str(int(raw))
            if len(text) == 8:
                return _date_from_text(text, with_time)
        value = _serial(float(raw))
        return value if with_time else value.date()
    return _date_from_text(nfkc(str(raw)), with_time)


def to_int(raw) -> int:
    if isinstance(raw, bool):
        raise CellError("“%(value)s”不是整数", value=display(raw))
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if raw.is_integer():
            return int(raw)
        raise CellError("“%(value)s”不是整数，请填写整数", value=number_text(raw))
    text = nfkc(str(raw)).replace(",", "").replace(" ", "")
    if _INTEGER.match(text):
        return int(text.split(".")[0])
    raise CellError("“%(value)s”不是整数，请填写整数", value=display(raw))


def to_decimal(raw, scale: int | None) -> Decimal:
    if isinstance(raw, bool):
        raise CellError("“%(value)s”不是数字", value=display(raw))
    try:
        if isinstance(raw, float):
            value = Decimal(repr(raw))
        elif isinstance(raw, int):
            value = Decimal(raw)
        else:
            value = Decimal(nfkc(str(raw)).replace(",", "").replace(" ", ""))
    except InvalidOperation:
        raise CellError("“%(value)s”不是数字", value=display(raw)) from None
    if not value.is_finite():
        raise CellError("“%(value)s”不是数字", value=display(raw))
    if scale is not None:
        rounded = value.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
        if abs(rounded - value) > Decimal("1e-9"):
            raise CellError("“%(value)s”最多保留 %(scale)s 位小数", value=display(raw), scale=scale)
        value = rounded
    return value


def to_bool(raw) -> bool:
    if isinstance(raw, bool):
        return raw
    text = nfkc(number_text(raw) if isinstance(raw, (int, float)) else str(raw)).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError("“%(value)s”无法识别，请填写“%(yes)s”或“%(no)s”", value=display(raw),
                    yes=Term(TRUE_LABEL), no=Term(FALSE_LABEL))


def to_enum(raw, col: Col):
    text = nfkc(display(raw))
    member = col.labels_to_members.get(text) or col.labels_to_members.get(text.lower())
    if member is None:
        choices = tuple(Term(m.value) for m in col.enum)
        raise CellError("“%(text)s”不是有效的%(label)s，可选：%(choices)s", text=text,
                        label=Term(col.label), choices=choices)
    return member


def to_text(raw, col: Col) -> str:
    if isinstance(raw, list):
        text = display(raw)
    elif isinstance(raw, (int, float)):
        text = number_text(raw)
    else:
        text = str(raw)
    return nfkc(text) if col.code else tidy(text)


def convert(col: Col, raw):
    """The typed value of a cell (None when blank); a relation's value is its label text."""
    if is_blank(raw):
        return None
    kind = col.kind
    if kind == DATE:
        return to_date(raw)
    if kind == DATETIME:
        return to_date(raw, with_time=True)
    if kind == INT:
        return to_int(raw)
    if kind == DECIMAL:
        return to_decimal(raw, col.scale)
    if kind == FLOAT:
        return float(to_decimal(raw, None))
    if kind == BOOL:
        return to_bool(raw)
    if kind == ENUM:
        return to_enum(raw, col)
    if kind == RELATION:
        return nfkc(display(raw))
    return check_length(col, to_text(raw, col))


def form_text(col: Col, value) -> str:
    """A typed value as the add/edit form expects it in formdata."""
    kind = col.kind
    if kind == ENUM:
        return value.name
    if kind == BOOL:
        return "y" if value else "false"
    if kind == DATE:
        return value.isoformat()
    if kind == DATETIME:
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if kind == RELATION:
        return str(value.id)
    return str(value)


def to_store(col: Col, value):
    """A typed value as JSON (kept between the preview and the commit)."""
    if value is None or col.kind in (INT, FLOAT, BOOL) or col.is_text:
        return value
    if col.kind == ENUM:
        return value.name
    if col.kind in (DATE, DATETIME):
        return value.isoformat()
    if col.kind == DECIMAL:
        return str(value)
    if col.kind == RELATION:
        return value.id
    return value


def from_store(col: Col, value):
    """The attribute value (FK id for a relation) from to_store's JSON."""
    if value is None:
        return None
    if col.kind == ENUM:
        return col.enum[value]
    if col.kind == DATE:
        return dt.date.fromisoformat(value)
    if col.kind == DATETIME:
        return dt.datetime.fromisoformat(value)
    if col.kind == DECIMAL:
        return Decimal(value)
    return value


# ---------------------------------------------------------------- the change log's text


def log_text(value) -> str | None:
    """How the change log keeps a value: enum member name, ISO date, plain number."""
    if value is None:
        return None
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def from_log(column, text: str | None):
    """The value a logged text stands for, for a table column (the inverse of log_text);
    KeyError/ValueError/InvalidOperation when the text no longer fits the column."""
    if text is None:
        return None
    col_type = column.type
    enum_class = getattr(col_type, "enum_class", None)
    if enum_class is not None:
        return enum_class[text]
    if isinstance(col_type, sa.DateTime):
        return dt.datetime.fromisoformat(text)
    if isinstance(col_type, sa.Date):
        return dt.date.fromisoformat(text)
    if isinstance(col_type, sa.Boolean):
        return text in ("True", "true", "1")
    if isinstance(col_type, sa.Integer):
        return int(text)
    if isinstance(col_type, sa.Float):
        return float(text)
    if isinstance(col_type, sa.Numeric):
        return Decimal(text)
    return text

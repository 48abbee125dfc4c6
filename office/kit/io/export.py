"""Export a screen's list, with its filters, its order and the user's scope, to xlsx.

One SELECT of only the exported columns (related rows named through outer joins), fetched in
batches from a server-side cursor, written by xlsxwriter in constant_memory mode: memory stays
flat whatever the row count and no ORM object is built per row.

Cells: Chinese headers, enums by their Chinese label, related rows by name, dates as real dates,
text columns (codes, phones) as text. Every string goes through write_string, so a value such as
"=cmd|' /C calc'!A0" stays text and never becomes a formula.
"""
from __future__ import annotations

import datetime as dt
import os
import queue
import re
import tempfile
import threading

import sqlalchemy as sa
import xlsxwriter
from sqlalchemy.orm import aliased, selectinload

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
    ref_spec,
)
from office.models import db
from office.scope import current_scope, scope_clause

FETCH_BATCH = 2000
_EXCEL_EPOCH = dt.date(1899, 12, 30).toordinal()
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


def sheet_name(title: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", "", title)[:31] or "Sheet1"


def excel_serial(value) -> float:
    """A date or datetime as an Excel serial number (1900 date system)."""
    if isinstance(value, dt.datetime):
        midnight = value.replace(hour=0, minute=0, second=0, microsecond=0)
        fraction = (value - midnight).total_seconds() / 86400
        return value.toordinal() - _EXCEL_EPOCH + fraction
    return value.toordinal() - _EXCEL_EPOCH


def column_width(col: Col) -> float:
    base = max(len(col.label) * 2 + 2, 8)
    if col.kind in (DATE,):
        return max(base, 12)
    if col.kind == DATETIME:
        return max(base, 20)
    if col.kind in (RELATION, ENUM):
        return max(base, 16)
    if col.max_length:
        return min(max(base, col.max_length * 0.6), 40)
    if col.is_text:
        return 40
    return base


# ---------------------------------------------------------------- the query


def ambiguous_names(model) -> set[str]:
    """Names that occur more than once in `model` (written qualified: 乡镇/小区)."""
    name = model.__table__.c.name
    stmt = sa.select(name).group_by(name).having(sa.func.count() > 1)
    return set(db.session.scalars(stmt))


def str_labels(model, write: bool = False) -> dict[int, str]:
    """id → str(row) for a model named by its str(), within the user's scope."""
    stmt = sa.select(model).options(selectinload("*"))
    clause = scope_clause(model, current_scope(), write)
    if clause is not None:
        stmt = stmt.where(clause)
    return {obj.id: str(obj) for obj in db.session.scalars(stmt)}


def build_export(datamodel, cols: list[Col], filters=None, order_column: str = "",
                 order_direction: str = "", rows=None):
    """The SELECT for an export and, per column, how to turn its result positions into a cell.

    `filters` are FAB filters (the list's search plus the view's base filters); the read scope is
    added by the ScopedInterface itself, exactly as for the list page. `rows` instead: a query
    of the model with its ORDER BY already chosen (query, order) - the grid's
    (kit/grid/query.all_rows), scoped by the same interface.
    """
    model = datamodel.obj
    if rows is not None:
        query, order = rows
        query = query.order_by(*order)
        query._with_options = ()  # loader options mean nothing to a SELECT of columns
    else:
        query = datamodel.session.query(model)
        query = datamodel.apply_filters(query, filters)
        query = datamodel.apply_order_by(query, order_column, order_direction,
                                         aliases_mapping={}, add_pk=True)
        if not order_column:
            query = query.order_by(model.id)
    selects, plan = [], []
    for col in cols:
        pos = len(selects)
        if col.kind != RELATION:
            selects.append(getattr(model, col.name))
            plan.append((col, pos, None))
            continue
        ref = ref_spec(col.target)
        if not ref.by_name:
            selects.append(getattr(model, col.fk))
            plan.append((col, pos, ("str", str_labels(col.target))))
            continue
        target = aliased(col.target)
        query = query.outerjoin(target, getattr(model, col.fk) == target.id)
        selects.append(target.name)
        ambiguous = ambiguous_names(col.target) if ref.qualifier else set()
        if ambiguous:
            parent = aliased(ref.qualifier_model)
            parent_fk = list(getattr(col.target, ref.qualifier).property.local_columns)[0].key
            query = query.outerjoin(parent, getattr(target, parent_fk) == parent.id)
            selects.append(parent.name)
            plan.append((col, pos, ("qualified", ambiguous)))
        else:
            plan.append((col, pos, None))
    return query.with_entities(*selects).statement, plan


# ---------------------------------------------------------------- the writer


def _cell_writers(ws, plan, formats):
    """One small function per column: (row, result-row) → write that cell (or nothing)."""
    write_string, write_number = ws.write_string, ws.write_number
    writers = []
    for c, (col, pos, extra) in enumerate(plan):
        kind = col.kind
        if kind == RELATION and extra and extra[0] == "str":
            labels = extra[1]

            def w(r, row, c=c, pos=pos, labels=labels):
                v = row[pos]
                if v is not None:
                    write_string(r, c, labels.get(v, str(v)))
        elif kind == RELATION and extra and extra[0] == "qualified":
            ambiguous = extra[1]

            def w(r, row, c=c, pos=pos, ambiguous=ambiguous):
                v = row[pos]
                if v is not None:
                    if v in ambiguous and row[pos + 1] is not None:
                        v = f"{row[pos + 1]}{QUALIFIER_SEP}{v}"
                    write_string(r, c, v)
        elif kind == ENUM:
            def w(r, row, c=c, pos=pos):
                v = row[pos]
                if v is not None:
                    write_string(r, c, v.value)
        elif kind == BOOL:
            def w(r, row, c=c, pos=pos):
                v = row[pos]
                if v is not None:
                    write_string(r, c, TRUE_LABEL if v else FALSE_LABEL)
        elif kind == DATE:
            fmt = formats["date"]

            def w(r, row, c=c, pos=pos, fmt=fmt):
                v = row[pos]
                if v is not None:
                    write_number(r, c, v.toordinal() - _EXCEL_EPOCH, fmt)
        elif kind == DATETIME:
            fmt = formats["datetime"]

            def w(r, row, c=c, pos=pos, fmt=fmt):
                v = row[pos]
                if v is not None:
                    write_number(r, c, excel_serial(v), fmt)
        elif kind == DECIMAL:
            fmt = formats.get(f"dec{col.scale}")

            def w(r, row, c=c, pos=pos, fmt=fmt):
                v = row[pos]
                if v is not None:
                    write_number(r, c, float(v), fmt)
        elif kind in (INT, FLOAT):
            def w(r, row, c=c, pos=pos):
                v = row[pos]
                if v is not None:
                    write_number(r, c, v)
        else:  # text, codes, phones: always a string, never a formula
            def w(r, row, c=c, pos=pos):
                v = row[pos]
                if v:
                    write_string(r, c, v if isinstance(v, str) else str(v))
        writers.append(w)
    return writers


def new_workbook(path: str) -> xlsxwriter.Workbook:
    return xlsxwriter.Workbook(path, {
        "constant_memory": True,
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "tmpdir": tempfile.gettempdir(),
    })


def add_formats(wb, cols: list[Col]) -> dict:
    formats = {
        "header": wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1,
                                 "text_wrap": True, "valign": "vcenter"}),
        "date": wb.add_format({"num_format": DATE_FORMAT}),
        "datetime": wb.add_format({"num_format": DATETIME_FORMAT}),
        "text": wb.add_format({"num_format": "@"}),
    }
    for col in cols:
        if col.kind == DECIMAL and col.scale and f"dec{col.scale}" not in formats:
            formats[f"dec{col.scale}"] = wb.add_format({"num_format": "0." + "0" * col.scale})
    return formats


def column_format(col: Col, formats: dict):
    if col.kind == DATE:
        return formats["date"]
    if col.kind == DATETIME:
        return formats["datetime"]
    if col.is_text:
        return formats["text"]
    return None


_END = object()


def _prefetched(result, dialect_name: str):
    """The result's batches; on a client/server database the next batch is fetched by a
    helper thread while this one is written (the driver waits for the server without the GIL),
    so the database's work overlaps the writing. SQLite runs in-process: nothing to overlap."""
    if dialect_name == "sqlite":
        yield from result.partitions(FETCH_BATCH)
        return
    batches: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                batches.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def produce():
        try:
            for batch in result.partitions(FETCH_BATCH):
                if not put(batch):
                    return
            put(_END)
        except BaseException as exc:  # noqa: BLE001 - handed to the writing thread
            put(exc)

    worker = threading.Thread(target=produce, name="export-fetch", daemon=True)
    worker.start()
    try:
        while True:
            item = batches.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


def write_export(path: str, title: str, cols: list[Col], stmt, plan) -> int:
    """Run `stmt` with a server-side cursor and write the rows; returns the row count."""
    wb = new_workbook(path)
    formats = add_formats(wb, cols)
    ws = wb.add_worksheet(sheet_name(title))
    for c, col in enumerate(cols):
        ws.set_column(c, c, column_width(col), column_format(col, formats))
    ws.set_row(0, 20)
    for c, col in enumerate(cols):
        ws.write_string(0, c, col.label, formats["header"])
    ws.freeze_panes(1, 0)
    writers = _cell_writers(ws, plan, formats)
    r = 0
    conn = db.session.connection()
    result = conn.execution_options(stream_results=True, yield_per=FETCH_BATCH).execute(stmt)
    try:
        for batch in _prefetched(result, conn.dialect.name):
            for row in batch:
                r += 1
                for w in writers:
                    w(r, row)
    finally:
        result.close()
    if r:
        ws.autofilter(0, 0, r, len(cols) - 1)
    wb.close()
    return r


def export_to_file(datamodel, cols: list[Col], title: str, filters=None, order_column="",
                   order_direction="", directory: str | None = None,
                   rows=None) -> tuple[str, int]:
    """Write the export to a new temporary file; the caller streams it and removes it."""
    stmt, plan = build_export(datamodel, cols, filters, order_column, order_direction, rows)
    fd, path = tempfile.mkstemp(prefix="export-", suffix=".xlsx", dir=directory)
    os.close(fd)
    try:
        count = write_export(path, title, cols, stmt, plan)
    except BaseException:
        os.unlink(path)
        raise
    return path, count

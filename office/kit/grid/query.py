"""Spreadsheet mode, part 3: one page of rows in one SQL statement, whatever the page.

* Scope: the view's own data interface builds the base query (``ScopedInterface`` adds the
  user's row scope; the view's ``base_filters`` apply as on every FAB screen).
* No count: ``size + 1`` rows are fetched; the extra one only says a next page exists.
* Deep pages from a known position (keyset): the browser sends the page it shows (``from``)
  with the sort key and id of that page's last row (``after``) and first row (``before``).
  The next page is ``WHERE (key, id) > (:key, :id)``; a jump of k pages forward skips
  (k - 1) pages after that row, a jump backward walks the index the other way from the first
  row — all served by the sort column's (key, id) index, so the cost follows the distance
  jumped, not the depth. ``after`` alone (older browsers) means the page after it.
* Deep pages from nowhere (a typed URL, a sort with no keyset): OFFSET, but over the ids and
  sort key alone (an index-only scan of the narrowest index that gives the order), and only
  that page's rows are then read and joined (deferred join, "late row lookup"). OFFSET still
  walks every entry it skips (B-trees keep no counts): a cold jump to row 100,000 of the
  compounds costs ~2 ms on SQLite, ~7 ms on PostgreSQL.
* Related rows shown in the grid are joined in the same statement (no N+1).

The HTML list page (GridMixin.lean list) uses ``page_query`` with FAB's own filters.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload

from office.kit.columns import (
    BOOL,
    DATE,
    DATETIME,
    DECIMAL,
    ENUM,
    INT,
    RELATION,
    STRING,
    TEXT,
    Col,
)
from office.kit.grid import search as grid_search
from office.models import db

MAX_PAGE_SIZE = 500


class BadRequest(ValueError):
    """A request parameter the grid cannot use (message is Chinese)."""


@dataclass
class GridRequest:
    page: int = 1  # 1-based, as Tabulator counts
    size: int = 50
    sort: str | None = None
    direction: str = "asc"
    filters: list = field(default_factory=list)  # [(Col, op, value)]
    q: str = ""
    after: tuple | None = None  # (sort value, id) of the last row of page `origin`
    before: tuple | None = None  # (sort value, id) of the first row of page `origin`
    origin: int | None = None  # the page the browser shows, whose edge rows these are


# ---------------------------------------------------------------- request parsing


def _parse_value(col: Col, raw: str):
    raw = raw.strip()
    try:
        if col.kind == INT or col.kind == RELATION:
            return int(raw)
        if col.kind == DECIMAL:
            return Decimal(raw)
        if col.kind == DATE:
            return dt.date.fromisoformat(raw)
        if col.kind == DATETIME:
            return dt.datetime.fromisoformat(raw)
        if col.kind == BOOL:
            return raw.lower() in ("1", "true", "y", "yes", "是")
        if col.kind == ENUM:
            return col.enum[raw]
    except (ValueError, KeyError, InvalidOperation):
        raise BadRequest(f"筛选条件无效：{col.label}「{raw}」") from None
    return raw


def parse_request(args, columns: list[Col], default_size: int,
                  base_order=None) -> GridRequest:
    by_field = {c.name: c for c in columns}
    req = GridRequest()
    try:
        req.page = max(1, int(args.get("page", 1)))
        req.size = min(MAX_PAGE_SIZE, max(1, int(args.get("size", default_size))))
    except ValueError:
        raise BadRequest("分页参数无效") from None
    sort = args.get("sort") or None
    if sort and sort != "id" and not (sort in by_field and by_field[sort].sortable):
        raise BadRequest(f"不能按该列排序：{sort}")
    direction = args.get("dir", "asc")
    if not sort and base_order:
        sort, direction = base_order
        if sort != "id" and sort not in by_field:
            sort, direction = "id", "asc"
    req.sort = sort or "id"
    req.direction = "desc" if direction == "desc" else "asc"
    req.q = (args.get("q") or "").strip()[:100]
    for key, raw in args.items():
        if not key.startswith("f_") or raw in (None, ""):
            continue
        name, op = key[2:], "eq"
        for suffix in ("_min", "_max"):
            if name.endswith(suffix) and name[: -len(suffix)] in by_field:
                name, op = name[: -len(suffix)], suffix[1:]
        col = by_field.get(name)
        if col is None or not col.filterable:
            raise BadRequest(f"不能按该列筛选：{name}")
        if col.kind in (STRING, TEXT):
            op = "contains"
        req.filters.append((col, op, raw if op == "contains" else _parse_value(col, raw)))
    req.after = _parse_cursor(args.get("after"))
    req.before = _parse_cursor(args.get("before"))
    if args.get("from"):
        try:
            req.origin = int(args["from"])
        except ValueError:
            raise BadRequest("翻页游标无效") from None
        if req.origin < 1:
            raise BadRequest("翻页游标无效")
    elif req.after:
        req.origin = req.page - 1  # `after` alone: the page after the cursor's
    return req


def _parse_cursor(raw):
    if not raw:
        return None
    try:
        value, last_id = json.loads(raw)
        return (value, int(last_id))
    except (ValueError, TypeError):
        raise BadRequest("翻页游标无效") from None


# ---------------------------------------------------------------- statement building


def _filter_clause(col: Col, op: str, value):
    if op == "contains":
        return col.column.ilike(f"%{grid_search.escape_like(value)}%", escape="\\")
    if op == "min":
        return col.column >= value
    if op == "max":
        return col.column <= value
    return col.column == value


def _entity_query(view):
    """FAB's query for the view: base_filters and the user's read scope applied."""
    return view.datamodel.apply_filters(db.session.query(view.datamodel.obj),
                                        view._base_filters)


def _ids_only(query, model, *first):
    """The query reduced to the row ids, after ``first`` (the sort key): selecting the
    columns of a (key, id) index in its order, an index-only scan passes its entries on as
    they are instead of projecting each one it skips (PostgreSQL: ~20% off a deep OFFSET)."""
    query = query.with_entities(*first, model.id)
    query._with_options = ()  # loader options (joined-load base filters) mean nothing here
    return query


@dataclass
class SortKey:
    expr: object  # the ORDER BY expression
    join: tuple | None  # (alias, onclause) when sorting by a related row's label
    keyset: bool  # (expr, id) can serve a keyset cursor
    col: Col | None


def _sort_key(model, columns, req: GridRequest) -> SortKey:
    if req.sort == "id":
        return SortKey(model.id, None, True, None)
    col = next(c for c in columns if c.name == req.sort)
    if col.kind == RELATION:
        alias = aliased(col.target)
        return SortKey(alias.name, (alias, alias.id == col.column),
                       False, col)
    return SortKey(col.column, None, not col.column.nullable, col)


def _cursor_value(key: SortKey, raw):
    if key.col is None:
        return int(raw)
    try:
        return _parse_value(key.col, str(raw)) if raw is not None else None
    except BadRequest:
        raise BadRequest("翻页游标无效") from None


def _order(key: SortKey, model, direction: str, id_col=None, key_expr=None):
    fn = sa.desc if direction == "desc" else sa.asc
    id_col = model.id if id_col is None else id_col
    if key.expr is model.id:
        return [fn(id_col)]
    return [fn(key.expr if key_expr is None else key_expr), fn(id_col)]


def fk_loads(model, columns):
    """joinedload options for the many-to-one relations shown."""
    return [joinedload(getattr(model, c.name)) for c in columns if c.kind == RELATION]


@dataclass
class Seek:
    """Where a page starts: ``skip`` rows past ``cmp`` (None: from the first row), walking
    the order backward when ``backward`` (then the page is the ``size`` rows before)."""

    cmp: object | None
    skip: int
    backward: bool = False


def _past(key: SortKey, model, cursor, later: bool, id_col):
    """Rows after (``later``) or before the cursor's row, in ascending (key, id) terms."""
    last_id = cursor[1]
    if key.expr is model.id:
        left, right = id_col, last_id
    else:
        left = sa.tuple_(key.expr, id_col)
        # typed as the column (an enum member binds as its name, a date as a date)
        right = sa.tuple_(sa.literal(_cursor_value(key, cursor[0]), key.expr.type), last_id)
    return left > right if later else left < right


def plan_seek(key: SortKey, model, req: GridRequest, id_col=None) -> Seek:
    """The cheapest correct start for the requested page: from the first row (OFFSET) or
    from an edge row of the page the browser shows (keyset, then OFFSET of the pages
    between). Ties go to OFFSET from the first row (page 1 is always read from the top)."""
    id_col = model.id if id_col is None else id_col
    best = Seek(None, (req.page - 1) * req.size)
    if not key.keyset or req.origin is None:
        return best
    desc = req.direction == "desc"
    if req.after and req.page > req.origin:
        skip = (req.page - req.origin - 1) * req.size
        if skip < best.skip:
            best = Seek(_past(key, model, req.after, not desc, id_col), skip)
    if req.before and req.page < req.origin:
        skip = (req.origin - req.page - 1) * req.size
        if skip < best.skip:
            best = Seek(_past(key, model, req.before, desc, id_col), skip, backward=True)
    return best


def _filtered(view, columns: list[Col], req: GridRequest):
    """The view's query with the grid's column filters, and the search to apply."""
    query = _entity_query(view)
    for col, op, value in req.filters:
        query = query.filter(_filter_clause(col, op, value))
    search = grid_search.build(view.datamodel.obj, columns, view.search_columns, req.q,
                               db.engine.dialect.name)
    return query, search


def _fts_match(query, model, search):
    fts = sa.table(search.fts_table, sa.column("rowid"))
    query = query.join(fts, fts.c.rowid == model.id).filter(
        sa.text(f"{search.fts_table} MATCH :fts_q").bindparams(fts_q=search.fts_match),
        search.clause,
    )
    return query, fts


def matching(view, columns: list[Col], req: GridRequest):
    """The grid's matching rows, unordered (what fetch_page pages through; kit/grid/count)."""
    query, search = _filtered(view, columns, req)
    if search is None:
        return query
    if search.fts_table:
        return _fts_match(query, view.datamodel.obj, search)[0]
    return query.filter(search.clause)


def fetch_page(view, columns: list[Col], req: GridRequest) -> tuple[list, bool]:
    """One page of the view's rows for the grid, and whether another page follows."""
    model = view.datamodel.obj
    query, search = _filtered(view, columns, req)
    key = _sort_key(model, columns, req)
    loads = fk_loads(model, columns)

    # SQLite, ordered by id, searching indexed text: the FTS index drives, in rowid order.
    if search is not None and search.fts_table and key.expr is model.id:
        query, fts = _fts_match(query, model, search)
        seek = plan_seek(key, model, req, id_col=fts.c.rowid)
        direction = _walk(req.direction, seek.backward)
        if seek.cmp is not None:
            query = query.filter(seek.cmp)
        rows = (query.options(*loads).order_by(*_order(key, model, direction, fts.c.rowid))
                .offset(seek.skip or None).limit(_limit(req, seek)).all())
        return _page(rows, req, seek)

    query = _searched_and_sorted(query, search, key)
    seek = plan_seek(key, model, req)
    direction = _walk(req.direction, seek.backward)
    if seek.cmp is not None:
        query = query.filter(seek.cmp)
    limit = _limit(req, seek)

    if seek.skip == 0:
        rows = query.options(*loads).order_by(*_order(key, model, direction)).limit(limit).all()
        return _page(rows, req, seek)

    # Late row lookup: the page's ids (and sort key) from the narrowest index, with the
    # OFFSET; then the page's rows only, with their related rows, in the requested order.
    extra = [] if key.expr is model.id else [key.expr.label("sort_key")]
    ids = (_ids_only(query, model, *extra).order_by(*_order(key, model, direction))
           .offset(seek.skip).limit(limit).subquery("page"))
    order = _order(key, model, req.direction, id_col=ids.c.id,
                   key_expr=ids.c.sort_key if extra else None)
    rows = (db.session.query(model).join(ids, ids.c.id == model.id).options(*loads)
            .order_by(*order).all())
    if seek.backward:
        return rows, True  # already in the page's order (the outer ORDER BY)
    return rows[: req.size], len(rows) > req.size


def _searched_and_sorted(query, search, key: SortKey):
    if search is not None:
        query = query.filter(search.clause)
    if key.join is not None:
        query = query.outerjoin(key.join[0], key.join[1])
    return query


def all_rows(view, columns: list[Col], req: GridRequest):
    """Every row the grid's query names - the user's scope, the view's base filters, the
    grid's filters and search - and its ORDER BY (sort column, then id): what the grid shows,
    page after page, for the export of the grid (kit/io/views.py). Paging is ignored."""
    model = view.datamodel.obj
    query = _entity_query(view)
    for col, op, value in req.filters:
        query = query.filter(_filter_clause(col, op, value))
    search = grid_search.build(model, columns, view.search_columns, req.q,
                               db.engine.dialect.name)
    key = _sort_key(model, columns, req)
    return _searched_and_sorted(query, search, key), _order(key, model, req.direction)


def _walk(direction: str, backward: bool) -> str:
    if not backward:
        return direction
    return "asc" if direction == "desc" else "desc"


def _limit(req: GridRequest, seek: Seek) -> int:
    # forward: one row more than a page says whether another follows; backward: the row
    # the browser's page starts with follows, by construction
    return req.size if seek.backward else req.size + 1


def _page(rows: list, req: GridRequest, seek: Seek) -> tuple[list, bool]:
    if seek.backward:
        return rows[::-1], True
    return rows[: req.size], len(rows) > req.size


def cursor_of(columns: list[Col], req: GridRequest, item) -> list | None:
    """The keyset cursor for the page after ``item`` (None when the sort cannot use one)."""
    if req.sort == "id":
        return [item.id, item.id]
    col = next((c for c in columns if c.name == req.sort), None)
    if col is None or col.kind == RELATION or col.column.nullable:
        return None
    value = getattr(item, col.key)
    if isinstance(value, (dt.date, dt.datetime)):
        value = value.isoformat()
    elif isinstance(value, Decimal):
        value = format(value, "f")
    elif hasattr(value, "name") and col.kind == ENUM:
        value = value.name
    return [value, item.id]


# ---------------------------------------------------------------- the HTML list page


def list_matching(view, filters):
    """The list page's matching rows: FAB's filters (the view's base filters joined in)."""
    return view.datamodel.apply_filters(db.session.query(view.datamodel.obj), filters)


def page_query(view, filters, order_column: str, order_direction: str, page: int,
               page_size: int, relations: list[str]) -> tuple[list, bool]:
    """FAB list page rows (its filters, its ordering), without a COUNT and without N+1:
    ``page_size + 1`` rows, related rows joined, deep pages through a deferred join."""
    model = view.datamodel.obj
    datamodel = view.datamodel
    query = list_matching(view, filters)
    if order_column:
        query = datamodel.apply_order_by(query, order_column, order_direction, add_pk=True)
    else:
        query = query.order_by(model.id)
    loads = [joinedload(getattr(model, r)) for r in relations]
    offset = (page or 0) * page_size
    limit = page_size + 1
    if offset == 0:
        rows = query.options(*loads).limit(limit).all()
        return rows[:page_size], len(rows) > page_size
    if order_column and "." in order_column:
        # a related column's order: FAB joined an alias for it; plain OFFSET keeps it simple
        rows = query.options(*loads).offset(offset).limit(limit).all()
        return rows[:page_size], len(rows) > page_size
    fn = sa.desc if order_direction == "desc" else sa.asc
    order = [fn(getattr(model, order_column)), fn(model.id)] if order_column else [model.id]
    ids = _ids_only(query, model).offset(offset).limit(limit).subquery("page")
    rows = (db.session.query(model).join(ids, ids.c.id == model.id).options(*loads)
            .order_by(*order).all())
    return rows[:page_size], len(rows) > page_size



"""How many rows a list or grid query matches: exact where that is cheap, else an estimate
said as one — the ONE place a screen counts (``GridMixin.grid_count``: the list page's pager
and the grid's footer ask it once per query, after the page itself is drawn, so the page
request stays COUNT-free; see bench/grid.py).

* Exact up to ``CAP`` rows: ``SELECT count(*) FROM (<query> LIMIT CAP + 1)`` stops after
  CAP + 1 matching rows instead of walking a 200,000-row table.
* Beyond it — PostgreSQL: the planner's row estimate of the same query (``EXPLAIN``, which
  for an unfiltered table is ``pg_class.reltuples``), shown as 约 N 条; when the planner
  already expects over 5 × the cap, the bounded count is skipped. SQLite keeps no such
  statistics for a filtered query: 超过 10,000 条.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass

import sqlalchemy as sa

from office.kit.i18n import tr
from office.models import db

CAP = 10_000


@dataclass(frozen=True)
class RowCount:
    n: int
    exact: bool  # n is the number of rows
    estimated: bool = False  # n is the planner's estimate (约); neither: more than n (超过)

    @property
    def text(self) -> str:
        n = f"{self.n:,}"
        if self.exact:
            return tr("共 %(n)s 条", n=n)
        if self.estimated:
            return tr("约 %(n)s 条", n=n)
        return tr("超过 %(n)s 条", n=n)

    def pages(self, size: int) -> int | None:
        """The number of pages (an estimate's is approximate); None when unknown."""
        if not (self.exact or self.estimated):
            return None
        return max(1, math.ceil(self.n / max(1, size)))

    def as_json(self, size: int) -> dict:
        return {"count": self.n, "exact": self.exact, "estimated": self.estimated,
                "text": self.text, "pages": self.pages(size), "size": size}


def _rows_only(query):
    """The query's matching rows as their ids (no order, no eager loads)."""
    entity = query.column_descriptions[0]["entity"]
    query = query.with_entities(entity.id).order_by(None)
    query._with_options = ()  # loader options (joined-load base filters) mean nothing here
    return query


def estimate(query) -> int | None:
    """The planner's estimate of the query's rows (PostgreSQL), else None."""
    if db.engine.dialect.name != "postgresql":
        return None
    statement = _rows_only(query).statement
    compiled = statement.compile(dialect=db.engine.dialect,
                                 compile_kwargs={"render_postcompile": True})
    conn = db.session.connection()
    plan = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(compiled),
                                compiled.params).scalar()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def count_rows(query, cap: int | None = None) -> RowCount:
    """How many rows ``query`` (an ORM query with its filters and scope) matches."""
    cap = CAP if cap is None else cap
    guess = estimate(query)
    if guess is not None and guess > 5 * cap:
        return RowCount(guess, exact=False, estimated=True)
    bounded = _rows_only(query).limit(cap + 1).subquery("matching")
    n = db.session.scalar(sa.select(sa.func.count()).select_from(bounded))
    if n <= cap:
        return RowCount(n, exact=True)
    if guess is not None:
        return RowCount(max(guess, n), exact=False, estimated=True)
    return RowCount(cap, exact=False)

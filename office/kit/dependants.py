"""What still refers to a row: a delete that would leave records pointing at nothing is refused,
with the records counted by kind ("还有 2 个业委会、1 份物业服务合同").

Foreign keys declared ON DELETE CASCADE / SET NULL are the schema's own answer (a task's
evidence goes with the task) and are not counted. The database enforces the rest on both back
ends (SQLite with PRAGMA foreign_keys, models/base.py); this says it before it refuses.
"""
from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from office.models import db

# table → what a clerk calls its rows: the screen's menu name (kit/registry.register)
ENTITY_NAMES: dict[str, str] = {}
OTHER = "其他记录"


class HasDependants(Exception):
    """The row cannot be deleted while these (kind, count) refer to it."""

    def __init__(self, counts: list[tuple[str, int]]):
        listed = "、".join(f"{n} 条{kind}" for kind, n in counts)
        super().__init__(f"不能删除：还有 {listed} 关联着这条记录。"
                         "请先删除或改挂这些记录，再删除它。")
        self.counts = counts
        self.message = str(self)


def dependants(item) -> list[tuple[str, int]]:
    """(kind, count) of the rows whose foreign key points at ``item``, most first."""
    table = sa.inspect(item).mapper.local_table
    counts: Counter[str] = Counter()
    for child in db.metadata.sorted_tables:
        for fk in child.foreign_keys:
            if fk.column.table is not table or (fk.ondelete or "").upper() in (
                    "CASCADE", "SET NULL"):
                continue
            value = getattr(item, next(k for k, c in sa.inspect(item).mapper.columns.items()
                                       if c is fk.column), None)
            if value is None:
                continue
            with db.session.no_autoflush:
                n = db.session.scalar(
                    sa.select(sa.func.count()).select_from(child).where(fk.parent == value))
            if n:
                counts[ENTITY_NAMES.get(child.name, OTHER)] += n
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def refuse_orphans(item) -> None:
    """Raise HasDependants when deleting ``item`` would orphan other rows."""
    found = dependants(item)
    if found:
        raise HasDependants(found)

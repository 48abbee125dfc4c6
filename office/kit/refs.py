"""ONE naming rule for related rows, for every path that takes a row by name: the grid's pasted
cells, the xlsx import and template, the change history.

A row is named by its ``name`` column where it has one - qualified by its parent's name,
"城关街道/幸福花园", where the schema makes a name unique only within that parent - and by
its str() otherwise. The label → id index resolves names in the user's write scope; the
dropdown lists what a template offers.
"""
from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.orm import aliased, selectinload

from office.kit.columns import QUALIFIER_SEP, nfkc, ref_spec
from office.kit.i18n import Term
from office.kit.labels import label
from office.kit.values import CellError
from office.models import db
from office.scope import UserScope, scope_clause

DROPDOWN_MAX = 500  # more choices than this: no dropdown, the instructions say what to type


def _scoped(stmt, model, scope: UserScope, write: bool):
    clause = scope_clause(model, scope, write)
    return stmt if clause is None else stmt.where(clause)


def pickable(model) -> bool:
    """As the forms' dropdowns do (ScopedInterface.get_related_interface): rows owned by a
    township/department are offered in the write scope, county-wide reference rows (companies,
    the plan, the county) as the user may read them."""
    rule = model.__scope__
    return bool(rule.township or rule.department)


def label_of(row) -> str:
    """A related row as every path names it: its name where it has one, else str()."""
    return row.name if ref_spec(type(row)).by_name else str(row)


def _named_rows(model, scope: UserScope, write: bool, limit: int | None = None,
                names: set[str] | None = None):
    """(id, label, qualifier label) of the rows in scope (`names`: only rows so named, as
    typed or as the last part of a qualified name)."""
    ref = ref_spec(model)
    if ref.by_name:
        stmt = sa.select(model.id, model.name)
        if names is not None:
            stmt = stmt.where(model.name.in_(
                sorted(names | {n.rsplit(QUALIFIER_SEP, 1)[-1] for n in names})))
        if ref.qualifier:
            parent = aliased(ref.qualifier_model)
            fk = list(getattr(model, ref.qualifier).property.local_columns)[0]
            stmt = stmt.add_columns(parent.name).outerjoin(parent, fk == parent.id)
        else:
            stmt = stmt.add_columns(sa.null())
        stmt = _scoped(stmt, model, scope, write).order_by(model.name, model.id)
        if limit:
            stmt = stmt.limit(limit)
        return [tuple(r) for r in db.session.execute(stmt)]
    stmt = _scoped(sa.select(model).options(selectinload("*")), model, scope, write)
    stmt = stmt.order_by(model.id)
    if limit:
        stmt = stmt.limit(limit)
    return [(o.id, str(o), None) for o in db.session.scalars(stmt)]


def _qualified(label: str, qualifier) -> str | None:
    return f"{qualifier}{QUALIFIER_SEP}{label}" if qualifier else None


class RefIndex:
    """How the cells of one relation column resolve to rows the user may write to."""

    def __init__(self, model, label: str, scope: UserScope, names: set[str] | None = None):
        """`names`: the texts that will be resolved, when known (the grid's pasted cells) -
        the index then reads only rows so named, and resolves those texts exactly as the
        whole index would."""
        self.model, self.label, self.scope = model, label, scope
        self.ids: dict[str, list[int]] = defaultdict(list)
        for id_, name, qualifier in _named_rows(model, scope, write=pickable(model),
                                                names=names):
            self.ids[nfkc(name)].append(id_)
            if qualified := _qualified(name, qualifier):
                self.ids[nfkc(qualified)].append(id_)

    def resolve(self, text: str) -> int:
        ids = self.ids.get(text)
        if ids and len(ids) == 1:
            return ids[0]
        if ids:
            ref = ref_spec(self.model)
            if ref.qualifier:
                raise CellError("%(label)s“%(text)s”有 %(n)s 条同名记录，请在名称前加上所属"
                                "%(parent)s，写成“上级%(sep)s%(text)s”", label=Term(self.label),
                                text=text, n=len(ids),
                                parent=Term(label(ref.model, ref.qualifier)), sep=QUALIFIER_SEP)
            raise CellError("%(label)s“%(text)s”有 %(n)s 条同名记录，无法确定是哪一条",
                            label=Term(self.label), text=text, n=len(ids))
        if self.scope.restricted and self._exists_anywhere(text):
            raise CellError("%(label)s“%(text)s”不在您的管辖范围内，不能导入",
                            label=Term(self.label), text=text)
        raise CellError("未找到%(label)s“%(text)s”，请检查名称是否与系统中的一致",
                        label=Term(self.label), text=text)

    def _exists_anywhere(self, text: str) -> bool:
        """Only names of public rows (townships, departments, companies …) are confirmed to
        exist outside the user's scope; for scoped rows the message stays "not found"."""
        if not self.model.__scope__.public_read:
            return False
        ref = ref_spec(self.model)
        if not ref.by_name:
            return False
        name = text.rsplit(QUALIFIER_SEP, 1)[-1]
        stmt = sa.select(self.model.id).where(self.model.name == name).limit(1)
        return db.session.execute(stmt).first() is not None


def load_objects(model, ids) -> dict[int, object]:
    """The rows behind resolved ids, in a few IN queries."""
    ids = sorted(set(ids))
    out = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for obj in db.session.scalars(sa.select(model).where(model.id.in_(chunk))):
            out[obj.id] = obj
    return out


def dropdown_labels(model, scope: UserScope) -> list[str] | None:
    """The labels a template's dropdown offers (unambiguous: qualified where names repeat), or
    None when there are more than DROPDOWN_MAX of them."""
    rows = _named_rows(model, scope, write=pickable(model), limit=DROPDOWN_MAX + 1)
    if len(rows) > DROPDOWN_MAX:
        return None
    counts = defaultdict(int)
    for _, name, _q in rows:
        counts[name] += 1
    labels = []
    for _, name, qualifier in rows:
        labels.append(_qualified(name, qualifier) if counts[name] > 1 and qualifier else name)
    return list(dict.fromkeys(labels))

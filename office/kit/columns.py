"""ONE description of a screen's columns: label, kind, how a related row is named, and what the
screen lets a user do with it.

Derived from a view's declarations and the model's column types, and shared by every path that
reads or writes cells - the grid (page, data, save), the xlsx template, import and export, the
REST API and the change history - so they always agree: a column exported as "城关街道" is
read back, pasted into the grid or typed in the API as the same township, an enum is written
and read by its Chinese label, a code or phone column is text.
"""
from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache

import sqlalchemy as sa
from sqlalchemy.orm import RelationshipProperty

from office.kit.i18n import tr

# Kinds of a column (the grid's browser code uses the same words).
STRING, TEXT, INT, DECIMAL, FLOAT, BOOL, DATE, DATETIME, ENUM, RELATION, OTHER = (
    "string", "text", "int", "decimal", "float", "bool", "date", "datetime", "enum", "relation",
    "other",
)
BOOKKEEPING = ("id", "created_at", "updated_at", "version")
TRUE_LABEL, FALSE_LABEL = "是", "否"
QUALIFIER_SEP = "/"  # "城关街道/幸福花园": a compound named by its township where names repeat

# Identifier-like text: compared and stored after full NFKC (full-width digits, hyphens …).
_CODE_NAME = re.compile(r"(phone|code|uscc|_no)$")


@dataclass(frozen=True)
class RefSpec:
    """How the rows of a model are named in a cell.

    Models with a `name` column are named by it, qualified by a parent's name where the schema
    says a name is only unique within that parent (UniqueConstraint(parent_id, name)); any other
    model is named by its str().
    """

    model: type
    name_attr: object | None = None
    qualifier: str | None = None  # relationship on `model` whose target has a name column

    @property
    def by_name(self) -> bool:
        return self.name_attr is not None

    @property
    def qualifier_model(self):
        if not self.qualifier:
            return None
        return getattr(self.model, self.qualifier).property.mapper.class_


@cache
def ref_spec(model) -> RefSpec:
    table = model.__table__
    if "name" not in table.c:
        return RefSpec(model)
    qualifier = None
    for constraint in table.constraints:
        if not isinstance(constraint, sa.UniqueConstraint):
            continue
        others = [c for c in constraint.columns if c.name != "name"]
        if "name" not in constraint.columns or len(others) != 1:
            continue
        for rel in sa.inspect(model).relationships:
            target = rel.mapper.class_
            if list(rel.local_columns) == others and "name" in target.__table__.c:
                qualifier = rel.key
    return RefSpec(model, model.name, qualifier)


@dataclass
class Col:
    """One column of a screen: what it holds, and what the screen lets a user do with it."""

    name: str                      # the view's name; for a relation, the relationship's
    label: str
    kind: str
    nullable: bool = True
    max_length: int | None = None
    enum: type[enum.Enum] | None = None
    target: type | None = None     # relation target model
    fk: str | None = None          # local FK attribute of a relation ("township_id")
    column: sa.Column | None = None  # the table column (the FK column for a relation)
    scale: int | None = None       # Numeric scale
    code: bool = False             # identifier-like text (phone, code, 统一社会信用代码)
    required: bool = False         # the add form requires it (set by the import machinery)
    labels_to_members: dict = field(default_factory=dict)
    source_label: str = ""         # the label's msgid (Chinese), also read by import
    # what the screen declares (grid_columns sets them)
    on_list: bool = True
    can_update: bool = False
    can_insert: bool = False

    @property
    def ref(self) -> RefSpec | None:
        return ref_spec(self.target) if self.target is not None else None

    @property
    def key(self) -> str:
        """The attribute holding the stored value (the FK column's for a relation)."""
        return self.fk or self.name

    @property
    def sortable(self) -> bool:
        if self.kind == RELATION:
            return self.ref.by_name
        return self.kind not in (TEXT, OTHER)

    @property
    def filterable(self) -> bool:
        return self.kind != OTHER

    @property
    def choices(self) -> list[tuple[str, str]]:
        """(member name, Chinese label) of an enum column."""
        return [(m.name, tr(m.value)) for m in self.enum] if self.enum is not None else []

    def spec(self) -> dict:
        """What the grid's browser code needs to build this column (static/grid/grid.js)."""
        out = {
            "field": self.name, "title": self.label, "kind": self.kind,
            "nullable": self.nullable, "maxLength": self.max_length,
            "onList": self.on_list, "canUpdate": self.can_update, "canInsert": self.can_insert,
            "sortable": self.sortable, "filterable": self.filterable,
        }
        if self.kind == ENUM:
            out["choices"] = [{"value": n, "label": lab} for n, lab in self.choices]
        return out

    @property
    def is_text(self) -> bool:
        return self.kind in (STRING, TEXT)

    def header(self, mark_required: bool = False) -> str:
        return f"{self.label}*" if mark_required and self.required else self.label

    def enum_label(self, member) -> str:
        return str(member.value)


def _column_kind(datamodel, name: str) -> str | None:
    if datamodel.is_enum(name):
        return ENUM
    if datamodel.is_relation(name):
        if datamodel.is_relation_many_to_one(name) or datamodel.is_relation_one_to_one(name):
            return RELATION
        return None
    if datamodel.is_property_or_function(name) or name not in datamodel.list_columns:
        return None
    for kind, test in ((BOOL, "is_boolean"), (DATE, "is_date"), (DATETIME, "is_datetime"),
                       (INT, "is_integer"), (FLOAT, "is_float"), (DECIMAL, "is_numeric"),
                       (TEXT, "is_text"), (STRING, "is_string")):
        if getattr(datamodel, test)(name):
            return kind
    return None


def describe(view, name: str) -> Col | None:
    """The Col for one of a view's column names, or None when it is not a plain column or a
    many-to-one relation (dotted names, properties, collections are not spreadsheet columns)."""
    datamodel = view.datamodel
    if "." in name:
        return None
    kind = _column_kind(datamodel, name)
    if kind is None:
        return None
    model = datamodel.obj
    source = view.label_columns.get(name) or name
    label = str(source)  # in the request's language
    col = Col(name=name, label=label, kind=kind,
              source_label=str(getattr(source, "_args", (source,))[0]))
    prop = getattr(model, name).property
    if kind == RELATION:
        assert isinstance(prop, RelationshipProperty)
        if len(prop.local_columns) != 1:
            return None
        (local,) = prop.local_columns
        col.target = prop.mapper.class_
        col.fk = local.key
        col.column = local
        col.nullable = bool(local.nullable)
        return col
    column = prop.columns[0]
    col.column = column
    col.nullable = bool(column.nullable)
    if kind == ENUM:
        col.enum = column.type.enum_class
        col.labels_to_members = _enum_lookup(col.enum)
    elif kind in (STRING, TEXT):
        length = getattr(column.type, "length", None)
        col.max_length = length if length and length > 0 else None
        col.code = bool(_CODE_NAME.search(name))
    elif kind == DECIMAL:
        col.scale = getattr(column.type, "scale", None)
    return col


def _enum_lookup(enum_cls) -> dict[str, enum.Enum]:
    """Label → member, by Chinese label and by English member name, both NFKC-normalised."""
    table = {}
    for member in enum_cls:
        table[nfkc(member.name).lower()] = member
    for member in enum_cls:
        table[nfkc(str(member.value))] = member
        table.setdefault(nfkc(tr(member.value)), member)  # as the request's language says it
    return table


def columns_for(view, names) -> list[Col]:
    return [c for c in (describe(view, n) for n in names) if c is not None]


def export_columns(view) -> list[Col]:
    """A view's `export_columns`, else: an importable view exports what its add form takes plus
    the extra list columns (so an export can be imported back), a read-only one its list."""
    names = getattr(view, "export_columns", None)
    if not names:
        names = list(view.list_columns or [])
        if importable(view):
            names = list(view.add_columns) + [n for n in names if n not in view.add_columns]
    return columns_for(view, names)


def importable(view) -> bool:
    return "can_add" in (view.base_permissions or []) and bool(view.add_columns)


# ---------------------------------------------------------------- text normalisation

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
# Full-width digits, Latin letters and the ideographic space → ASCII; Chinese punctuation such
# as （）、 is left alone in free text (it is part of names like 乡镇（街道、场）).
_WIDE = {**{0xFF10 + i: 0x30 + i for i in range(10)},
         **{0xFF21 + i: 0x41 + i for i in range(26)},
         **{0xFF41 + i: 0x61 + i for i in range(26)},
         0x3000: 0x20, 0x00A0: 0x20}


def nfkc(text: str) -> str:
    """Full compatibility normalisation, for matching labels, names and codes."""
    return unicodedata.normalize("NFKC", text.translate(_ZERO_WIDTH)).strip()


def tidy(text: str) -> str:
    """Free text as a clerk meant it: full-width digits/letters/spaces made ASCII, ends trimmed."""
    return text.translate(_ZERO_WIDTH).translate(_WIDE).strip()


def header_key(text) -> str:
    """A header cell reduced for matching: NFKC, no spaces, no required-marks."""
    if text is None:
        return ""
    return re.sub(r"[\s*※]+", "", nfkc(str(text)))

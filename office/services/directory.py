"""The directory of complaint channels (二.3, 三.4): its version history and its phone rule.

Version history. Every change of what a signboard prints - a ContactPoint inserted, deleted,
or updated in its unit, person, phones or hours, or a department/township renamed - raises the
directory version of its county: a new DirectoryRevision (number + 1, effective today). It is
done by one session hook (``before_flush``), so form, grid, xlsx import, REST API, jobs and CLI
are all covered and none can forget it. One transaction makes at most one revision per county
(a grid batch of ten rows is one change of the directory, not ten); a flush that itself adds a
revision for the county (the bureau entering one by hand, the seeder) gets no second one.

The same hook records when a complaint phone was reported: a contact that gets a complaint
phone and has no ``reported_on`` gets today. ``reported_on`` is the bureau's record: a user
bounded to a township or department (the liaison) cannot change it on any path - their change
is put back, whatever screen or API it came through.

Phones. The rule lives on the model (``office.models.org.normalize_phone``, a ``@validates``
hook, so nothing can store a bad number); ``PhoneNumber`` wraps it as a WTForms validator so
that the screens and the grid say it next to the field before anything is written.

Wiring: ``install(db.session)``, idempotent, called by create_app next to ``audit.install``.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import attributes
from wtforms.validators import StopValidation

from office.kit.i18n import error_text
from office.models import ContactPoint, County, Department, DirectoryRevision, Township
from office.models.org import PhoneNumberError, normalize_phone

# What a board prints of a contact (its unit is department_id/township_id).
PRINTED = ("department_id", "township_id", "person", "service_phone", "complaint_phone",
           "hours")
PRINTED_NAMES = {Department: ("name",), Township: ("name",)}
NOTE_MAX = 200
_PENDING = "office_directory_revisions"  # session.info: the revisions of this transaction


def today() -> dt.date:
    return dt.date.today()


# ---------------------------------------------------------------- the phone validator


class PhoneNumber:
    """WTForms validator: the model's phone rule, said next to the field (and the field's
    value replaced by its canonical spelling, e.g. ``0551 1234567`` → ``0551-1234567``)."""

    field_flags = {}

    def __call__(self, form, field):
        try:
            field.data = normalize_phone(field.data, field.name)
        except PhoneNumberError as exc:
            raise StopValidation(error_text(exc)) from exc


# ---------------------------------------------------------------- the version history


def _same(value):
    """A form posts an empty optional text as "": the same as NULL for what a board prints."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _changed(obj, keys: Iterable[str]) -> list[str]:
    out = []
    for key in keys:
        hist = attributes.get_history(obj, key)
        if hist.has_changes():
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if _same(old) != _same(new):
                out.append(key)
    return out


def _county_of(session, obj) -> County | None:
    """The county a contact (or a department/township) belongs to, as it stands in memory -
    possibly a county added in this very flush."""
    with session.no_autoflush:
        owner = obj
        if isinstance(obj, ContactPoint):
            owner = obj.department or obj.township
            if owner is None and obj.department_id is not None:
                owner = session.get(Department, obj.department_id)
            if owner is None and obj.township_id is not None:
                owner = session.get(Township, obj.township_id)
        if owner is None:
            return None
        if owner.county is not None:
            return owner.county
        return session.get(County, owner.county_id) if owner.county_id is not None else None


def _unit_name(obj) -> str:
    owner = getattr(obj, "department", None) or getattr(obj, "township", None)
    if isinstance(obj, (Department, Township)):
        owner = obj
    return owner.name if owner is not None else "（未知单位）"


def _restricted() -> bool:
    from office.scope import current_scope

    return current_scope().restricted


def _keep_reported_on(obj) -> None:
    """A township/department user's own change of reported_on is put back."""
    hist = attributes.get_history(obj, "reported_on")
    if hist.has_changes() and hist.deleted != hist.added:
        obj.reported_on = hist.deleted[0] if hist.deleted else None


def _stamp_reported_on(obj, is_new: bool) -> None:
    if obj.reported_on is None and (obj.complaint_phone or "").strip():
        if is_new or "complaint_phone" in _changed(obj, ["complaint_phone"]):
            obj.reported_on = today()


def _next_number(session, county: County) -> int:
    if county.id is None:  # a county added in this flush has no revision yet
        return 1
    # Serialise concurrent writers of one county's directory (PostgreSQL row lock; SQLite
    # serialises writers anyway and ignores FOR UPDATE).
    session.execute(sa.select(County.id).where(County.id == county.id).with_for_update())
    top = session.scalar(sa.select(sa.func.max(DirectoryRevision.number))
                         .where(DirectoryRevision.county_id == county.id))
    return (top or 0) + 1


def _before_flush(session, flush_context, instances) -> None:
    changes: dict[County, list[str]] = {}
    restricted = None

    def note(county, text):
        if county is not None:
            texts = changes.setdefault(county, [])
            if text not in texts:
                texts.append(text)

    for obj in list(session.new):
        if isinstance(obj, ContactPoint):
            _stamp_reported_on(obj, True)
            note(_county_of(session, obj), f"{_unit_name(obj)}新增联系人")
    for obj in list(session.dirty):
        if isinstance(obj, ContactPoint):
            if restricted is None:
                restricted = _restricted()
            if restricted:
                _keep_reported_on(obj)
            _stamp_reported_on(obj, False)
            fields = _changed(obj, PRINTED)
            if fields:
                labels = "、".join(_FIELD_NOTES[f] for f in fields)
                note(_county_of(session, obj), f"{_unit_name(obj)}{labels}变更")
        elif type(obj) in PRINTED_NAMES and _changed(obj, PRINTED_NAMES[type(obj)]):
            note(_county_of(session, obj), f"{_unit_name(obj)}更名")
    for obj in list(session.deleted):
        if isinstance(obj, ContactPoint):
            note(_county_of(session, obj), f"{_unit_name(obj)}删除联系人")

    # id(county) -> (revision of this transaction, made here?, county). A revision someone else
    # adds (the bureau by hand, the seeder) covers the transaction's changes of its county as
    # it is. The county is held so that its id() stays its own while the transaction lasts.
    pending: dict[int, tuple] = session.info.setdefault(_PENDING, {})
    with session.no_autoflush:
        for r in list(session.new):
            if isinstance(r, DirectoryRevision) and not _ours(pending, r):
                county = r.county or session.get(County, r.county_id)
                if county is not None:
                    pending[id(county)] = (r, False, county)
    for county, texts in changes.items():
        revision, ours, _ = pending.get(id(county), (None, True, None))
        if revision is None:
            revision = DirectoryRevision(county=county, number=_next_number(session, county),
                                         effective_on=today(), note="")
            session.add(revision)
            pending[id(county)] = (revision, True, county)
        if ours:
            revision.note = _note(revision.note, texts)


def _ours(pending, revision) -> bool:
    return any(r is revision and ours for r, ours, _ in pending.values())


_FIELD_NOTES = {"department_id": "所属单位", "township_id": "所属单位", "person": "联系人",
                "service_phone": "服务电话", "complaint_phone": "投诉电话", "hours": "受理时间"}


def _note(before: str | None, texts: list[str]) -> str:
    parts = [p for p in (before or "").removeprefix("通讯录变更：").split("；") if p]
    for text in texts:
        if text not in parts:
            parts.append(text)
    note = "通讯录变更：" + "；".join(parts)
    return note if len(note) <= NOTE_MAX else note[:NOTE_MAX - 1] + "…"


def _forget(session, *args) -> None:
    session.info.pop(_PENDING, None)


def install(session) -> None:
    """Hook the version history on a session (idempotent)."""
    if sa.event.contains(session, "before_flush", _before_flush):
        return
    sa.event.listen(session, "before_flush", _before_flush)
    for event in ("after_commit", "after_rollback", "after_soft_rollback"):
        sa.event.listen(session, event, _forget)


# ---------------------------------------------------------------- reading the directory


def latest_revision(county_id: int, as_of: dt.date | None = None) -> DirectoryRevision | None:
    """The revision in effect on ``as_of`` (today): the highest number effective by then -
    the same rule as office.indicators' signboard_current."""
    from office.models import db

    as_of = as_of or today()
    return db.session.scalars(
        sa.select(DirectoryRevision)
        .where(DirectoryRevision.county_id == county_id, DirectoryRevision.effective_on <= as_of)
        .order_by(DirectoryRevision.number.desc()).limit(1)).first()


@dataclass(frozen=True)
class Line:
    """One line of the directory: a unit's channel."""

    unit: str
    kind: str  # "department" | "township"
    contact_id: int | None
    person: str | None
    complaint_phone: str | None
    service_phone: str | None
    hours: str | None
    reported_on: dt.date | None
    owner_id: int


def department_lines(county_id: int) -> tuple[list[Line], list[str]]:
    """Every department of the county with its contacts (department order), and the names of
    departments that have no contact at all. One query."""
    from office.models import db

    rows = db.session.execute(
        sa.select(Department, ContactPoint)
        .outerjoin(ContactPoint, ContactPoint.department_id == Department.id)
        .where(Department.county_id == county_id)
        .order_by(Department.id, ContactPoint.id)).all()
    lines, missing = [], []
    for dept, cp in rows:
        if cp is None:
            missing.append(dept.name)
            continue
        lines.append(_line(dept.name, "department", dept.id, cp))
    return lines, missing


def township_lines(township_ids: Iterable[int]) -> dict[int, list[Line]]:
    """township id -> its contacts. One query."""
    from office.models import db

    ids = list(township_ids)
    out: dict[int, list[Line]] = {i: [] for i in ids}
    if not ids:
        return out
    rows = db.session.execute(
        sa.select(Township, ContactPoint)
        .join(ContactPoint, ContactPoint.township_id == Township.id)
        .where(Township.id.in_(ids)).order_by(Township.id, ContactPoint.id)).all()
    for town, cp in rows:
        out[town.id].append(_line(town.name, "township", town.id, cp))
    return out


def grouped(lines: Iterable[Line]) -> list[tuple[str, list[Line]]]:
    """Consecutive lines of one unit together (for one unit cell spanning its rows), in order."""
    out: list[tuple[str, list[Line]]] = []
    key = None
    for line in lines:
        if (line.kind, line.owner_id) != key:
            key = (line.kind, line.owner_id)
            out.append((line.unit, []))
        out[-1][1].append(line)
    return out


def _line(unit: str, kind: str, owner_id: int, cp: ContactPoint) -> Line:
    return Line(unit, kind, cp.id, cp.person, cp.complaint_phone, cp.service_phone, cp.hours,
                cp.reported_on, owner_id)


@dataclass
class Directory:
    """The readable directory page: departments first, then every township."""

    county: County
    revision: DirectoryRevision | None
    departments: list[Line]
    townships: list[tuple[Township, list[Line]]]
    missing: list[str]


def directory(county_id: int | None = None) -> list[Directory]:
    """The directory of every county (or one): three queries per county."""
    from office.models import db

    query = sa.select(County).order_by(County.id)
    if county_id is not None:
        query = query.where(County.id == county_id)
    out = []
    for county in db.session.scalars(query):
        depts, missing = department_lines(county.id)
        towns = list(db.session.scalars(sa.select(Township).where(
            Township.county_id == county.id).order_by(Township.id)))
        by_town = township_lines(t.id for t in towns)
        missing += [t.name for t in towns if not by_town[t.id]]
        out.append(Directory(county, latest_revision(county.id), depts,
                             [(t, by_town[t.id]) for t in towns], missing))
    return out

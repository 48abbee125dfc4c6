"""Tasks of the plan: steps into tasks, a campaign copied to a new year.

Steps (``Step``, office/models/campaign.py) are the lines of the plan's 四 (实施步骤), each with
its deadline and whom it goes to: every township (乡镇、街道、场), every department, and/or the
named departments. ``add_plan_steps`` loads the 2020 plan's steps (PLAN_STEPS below: the text
of 四 and 三.3, the month/day of each deadline in the campaign's year) into a campaign; the
bureau edits them like any record.

Generating (``generate_step`` / ``generate_campaign``) makes one task per addressee of a step,
with the step's number, title, indicator and deadline, and is idempotent: an addressee that
already has the step's task gets none (also enforced by unique (step_id, township_id) and
(step_id, department_id)). A task without a step that has the same campaign, title and owner
(one made by hand or imported) is adopted - linked to the step - instead of
duplicated. Generating never changes a task that exists: a deadline extended for one township
stays extended when the step is generated again.

Copying a campaign to a new year (``copy_campaign``) copies its settings, its targets and its
steps (departments included), every date moved by the difference in years (29 Feb -> 28 Feb).
Tasks are NOT copied: the new year's tasks are generated from its steps, by the bureau when it
has reviewed the copied steps ("生成全部任务"), or at once when asked (``generate=True``), so
that nothing of last year's progress, status or evidence leaks into the new year.

A task's progress (its indicator's figure, progress updates, the owner's edits) is in
office/services/progress.py.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from office.kit.i18n import TranslatableError, tr
from office.models import (
    Campaign,
    Department,
    Indicator,
    Step,
    Target,
    Task,
    TaskStatus,
    Township,
    db,
)


class TaskError(TranslatableError, ValueError):
    """A business rule said no; the message (a msgid) is for the clerk."""


# ------------------------------------------------------------------ the plan's steps


@dataclass(frozen=True)
class StepSpec:
    step_no: int
    title: str
    month_day: tuple[int, int]
    to_townships: bool = False
    to_all_departments: bool = False
    departments: tuple[str, ...] = ()  # Department.short_name
    indicator: str | None = None
    note: str | None = None


PLAN_STEPS = [
    StepSpec(1, "开展自查自检和整改工作", (7, 31), to_townships=True,
             note="四.1 各乡镇（街道、场）7月底前开展自查自检和整改"),
    StepSpec(1, "组织符合条件的小区成立业委会，完成到期换届和档案健全", (9, 30),
             to_townships=True, indicator="committee_coverage",
             note="四.1 确保9月底前完成目标任务"),
    StepSpec(1, "保障业委会办公用房，对业委会成员100%指导、监管", (9, 30), to_townships=True,
             indicator="member_supervision", note="二.1、四.1"),
    StepSpec(1, "做好市检查组检查准备工作", (10, 15), to_townships=True,
             note="四.1 10月中旬市检查组检查"),
    StepSpec(2, "督查物业服务企业自查自检情况", (7, 31), departments=("住建",),
             note="四.2"),
    StepSpec(2, "制作统一公示牌，在住宅小区100%覆盖", (8, 31), departments=("住建",),
             indicator="signboard_current", note="四.2 8月底前公示牌100%覆盖"),
    StepSpec(2, "物业服务企业100%签订物业服务合同", (9, 30), departments=("住建",),
             indicator="contract_signed", note="四.2 9月底前"),
    StepSpec(2, "物业费支出和服务项目100%公示", (9, 30), departments=("住建",),
             indicator="fee_disclosure", note="四.2 9月底前"),
    StepSpec(2, "排查整治前期物业服务企业，对不合理收费重新核定", (9, 30),
             departments=("市场监管", "发改"), note="三.3"),
    StepSpec(3, "报送涉及住宅小区管理职能的服务、投诉电话", (8, 31), to_townships=True,
             to_all_departments=True, indicator="contact_reported",
             note="四.3 8月底前报县住建局物业办"),
]


def _in_year(year: int, month_day: tuple[int, int]) -> dt.date:
    month, day = month_day
    if (month, day) == (2, 29) and not _leap(year):
        day = 28
    return dt.date(year, month, day)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def add_plan_steps(campaign: Campaign) -> list[Step]:
    """Add the plan's steps (PLAN_STEPS) that the campaign lacks; returns the added ones.

    A named department the county does not have is left out of the step (the step's note says
    so); the bureau can add it by hand."""
    have = set(db.session.execute(
        sa.select(Step.step_no, Step.title).where(Step.campaign_id == campaign.id)).all())
    departments = {d.short_name: d for d in db.session.scalars(
        sa.select(Department).where(Department.county_id == campaign.county_id))}
    added = []
    for spec in PLAN_STEPS:
        if (spec.step_no, spec.title) in have:
            continue
        named = [departments[s] for s in spec.departments if s in departments]
        missing = [s for s in spec.departments if s not in departments]
        note = spec.note
        if missing:
            note = f"{note or ''}（本县未登记部门：{'、'.join(missing)}）"
        step = Step(campaign=campaign, step_no=spec.step_no, title=spec.title,
                    due_on=_in_year(campaign.year, spec.month_day),
                    to_townships=spec.to_townships,
                    to_all_departments=spec.to_all_departments, departments=named,
                    indicator=Indicator[spec.indicator] if spec.indicator else None, note=note)
        db.session.add(step)
        added.append(step)
    db.session.commit()
    return added


# ------------------------------------------------------------------ steps into tasks


@dataclass
class Generated:
    created: list[Task] = field(default_factory=list)
    adopted: list[Task] = field(default_factory=list)
    existing: int = 0
    steps: int = 0
    skipped: list[str] = field(default_factory=list)  # steps without addressees

    def __iadd__(self, other: Generated) -> Generated:
        self.created += other.created
        self.adopted += other.adopted
        self.existing += other.existing
        self.steps += other.steps
        self.skipped += other.skipped
        return self

    @property
    def message(self) -> str:
        parts = [tr("新生成 %(n)s 项任务", n=len(self.created))]
        if self.adopted:
            parts.append(tr("关联已有任务 %(n)s 项", n=len(self.adopted)))
        if self.existing:
            parts.append(tr("已存在 %(n)s 项（未重复生成）", n=self.existing))
        if self.skipped:
            parts.append(tr("%(n)s 个步骤未指定下达对象，未生成：", n=len(self.skipped))
                         + tr("、").join(tr("「%(title)s」", title=t) for t in self.skipped))
        return tr("，").join(parts)


def addressees(step: Step) -> tuple[list[Township], list[Department]]:
    """The townships and departments a step's tasks go to (the campaign's county only)."""
    county_id = step.campaign.county_id
    townships = []
    if step.to_townships:
        townships = db.session.scalars(
            sa.select(Township).where(Township.county_id == county_id)
            .order_by(Township.id)).all()
    if step.to_all_departments:
        departments = db.session.scalars(
            sa.select(Department).where(Department.county_id == county_id)
            .order_by(Department.id)).all()
    else:
        departments = [d for d in step.departments if d.county_id == county_id]
    return list(townships), list(departments)


def _no_addressees(step: Step) -> TaskError:
    return TaskError("步骤「%(step)s」未指定下达对象：请勾选乡镇（街道、场）、全部部门或选择部门",
                     step=step.title)


def _generate(step: Step) -> Generated:
    townships, departments = addressees(step)
    if not townships and not departments:
        return Generated(steps=1, skipped=[step.title])
    result = Generated(steps=1)
    linked = db.session.execute(
        sa.select(Task.township_id, Task.department_id).where(Task.step_id == step.id)).all()
    have_towns = {t for t, _ in linked if t is not None}
    have_depts = {d for _, d in linked if d is not None}
    # Tasks made without a step (by hand, by an import) of the same campaign and title.
    loose = db.session.scalars(
        sa.select(Task).where(Task.campaign_id == step.campaign_id, Task.step_id.is_(None),
                              Task.title == step.title)).all()
    loose_by_owner = {}
    for task in loose:
        key = ("t", task.township_id) if task.township_id else ("d", task.department_id)
        loose_by_owner.setdefault(key, task)
    owners = [("t", t) for t in townships] + [("d", d) for d in departments]
    for kind, unit in owners:
        if unit.id in (have_towns if kind == "t" else have_depts):
            result.existing += 1
            continue
        adoptable = loose_by_owner.get((kind, unit.id))
        if adoptable is not None:
            adoptable.step = step
            result.adopted.append(adoptable)
            continue
        task = Task(campaign_id=step.campaign_id, step=step, step_no=step.step_no,
                    title=step.title, indicator=step.indicator, due_on=step.due_on,
                    status=TaskStatus.todo, progress=0,
                    township=unit if kind == "t" else None,
                    department=unit if kind == "d" else None)
        db.session.add(task)
        result.created.append(task)
    return result


def _committed(work) -> Generated:
    """Run ``work`` and commit; a concurrent run that inserted the same tasks first makes
    ours violate the unique constraints: roll back and run again (now nothing is missing)."""
    for attempt in range(2):
        try:
            result = work()
            db.session.commit()
            return result
        except IntegrityError:
            db.session.rollback()
            if attempt:
                raise
    raise AssertionError("unreachable")


def generate_step(step: Step) -> Generated:
    """One task per addressee of the step; running it again creates none."""
    step_id = step.id

    def work():
        result = _generate(db.session.get(Step, step_id))
        if result.skipped:
            raise _no_addressees(step)
        return result

    return _committed(work)


def generate_campaign(campaign: Campaign) -> Generated:
    """Every step of the campaign into tasks; a step without addressees is skipped and named
    in the result."""
    campaign_id = campaign.id

    def work():
        total = Generated()
        steps = db.session.scalars(sa.select(Step).where(Step.campaign_id == campaign_id)
                                   .order_by(Step.due_on, Step.step_no, Step.id)).all()
        if not steps:
            raise TaskError("该工作方案还没有实施步骤：请先添加步骤（或载入实施方案的步骤）")
        for step in steps:
            total += _generate(step)
        return total

    return _committed(work)


# ------------------------------------------------------------------ copy to a new year


def shift_years(day: dt.date | None, years: int) -> dt.date | None:
    if day is None:
        return None
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return day.replace(year=day.year + years, day=28)


_NOT_COPIED = {"id", "created_at", "updated_at", "version"}


def _values(row, skip: set[str]) -> dict:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns
            if c.key not in _NOT_COPIED | skip}


@dataclass
class Copied:
    campaign: Campaign
    generated: Generated | None

    @property
    def message(self) -> str:
        text = tr("已复制为「%(name)s」：设置、考核指标和实施步骤的日期顺延至%(year)s年",
                  name=self.campaign.name, year=self.campaign.year)
        if self.generated is not None:
            return text + tr("；") + self.generated.message
        return text + tr("；") + tr("任务未复制，请核对实施步骤后生成任务")


def plan_counts(campaign: Campaign) -> dict[str, int]:
    """How many targets and steps a copy of the campaign takes along."""
    def rows(model):
        return db.session.scalar(sa.select(sa.func.count()).select_from(model)
                                 .where(model.campaign_id == campaign.id))

    return {"targets": rows(Target), "steps": rows(Step)}


def copy_campaign(source: Campaign, year: int, name: str | None = None,
                  generate: bool = False) -> Copied:
    """A new campaign for ``year``: settings, targets and steps copied, dates shifted; no
    tasks (generated from the steps when ``generate``)."""
    years = year - source.year
    if years == 0:
        raise TaskError("新年度不能与原工作方案的年度相同")
    if db.session.scalar(sa.select(Campaign.id).where(Campaign.county_id == source.county_id,
                                                      Campaign.year == year)):
        raise TaskError("本县（区）%(year)s年度已有工作方案，不能重复复制", year=year)
    name = (name or "").strip() or (
        source.name.replace(f"{source.year}年", f"{year}年") if f"{source.year}年" in source.name
        else f"{year}年{source.name}")
    values = _values(source, {"name", "year", "starts_on", "ends_on"})
    copy = Campaign(**values, name=name, year=year,
                    starts_on=shift_years(source.starts_on, years),
                    ends_on=shift_years(source.ends_on, years))
    db.session.add(copy)
    for target in db.session.scalars(sa.select(Target).where(Target.campaign_id == source.id)):
        db.session.add(Target(**_values(target, {"campaign_id", "due_on"}), campaign=copy,
                              due_on=shift_years(target.due_on, years)))
    for step in db.session.scalars(sa.select(Step).where(Step.campaign_id == source.id)
                                   .order_by(Step.id)):
        db.session.add(Step(**_values(step, {"campaign_id", "due_on"}), campaign=copy,
                            due_on=shift_years(step.due_on, years),
                            departments=list(step.departments)))
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise TaskError("复制失败：新工作方案与已有记录冲突（同一年度或同名步骤）") from exc
    generated = generate_campaign(copy) if generate and plan_counts(copy)["steps"] else None
    return Copied(copy, generated)

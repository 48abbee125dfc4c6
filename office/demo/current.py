"""The demo's campaign of the current year: the plan's steps dated relative to today.

The 2020 campaign is the county's history; this one is what a newcomer works in today. Its
steps are the plan's (office.services.tasks.PLAN_STEPS) with deadlines a number of days from
today (STEP_OFFSETS): a few passed weeks ago (mostly done, some overdue by days), some fall due
within the week, the rest later in the year. Tasks are made per addressee as 生成全部任务 would,
with statuses that fit their deadline. A directory revision a few weeks ago makes the boards
printed before it stale (二.3 "有变更及时更新").

Everything here draws from the generator of the years after 2020 (``now``), never from the
2020 generator, so the 2020 history is the same whatever today is.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from office.demo.base import Rng, Sink, day, iso
from office.models.campaign import step_department
from office.services.tasks import PLAN_STEPS

# Days from today to each PLAN_STEPS deadline, in PLAN_STEPS order.
STEP_OFFSETS = [-45, -12, 3, 40, -60, -5, 6, 12, -20, -30]
# Directory revision of the current year, effective this many days before today.
REVISION_AGO = 40
REVISION_NOTE = "县市场监管局、县综合执法局投诉电话变更"
UPDATE_NOTES = ["已部署，正在逐个小区摸排", "已完成大部分，剩余正在推进",
                "材料已整理，待报县住建局物业办"]


@dataclass
class CurrentCtx:
    campaign_id: int
    starts: int            # the campaign's first day (ordinal): supervision counts from it
    today: int             # today (ordinal)
    revision: tuple[int, int] | None   # (number, effective) of this year's directory revision


def campaign_span(today: dt.date) -> tuple[int, int]:
    """The campaign runs through the calendar year, and at least 150 days before today and
    60 after it (early in January the campaign began the previous autumn)."""
    t = today.toordinal()
    return (min(day(today.year), t - 150),
            max(day(today.year, 12, 31), t + 60))


def write_steps(sink: Sink, campaign_id: int, departments, due_of) -> dict[int, int]:
    """The plan's steps, as 载入实施方案步骤 loads them, with their named departments;
    index in PLAN_STEPS -> step id. ``due_of(index, spec)`` gives each deadline (ordinal)."""
    by_short = {short: d_id for d_id, _, short in departments}
    next_step, ids, named = sink.ids("campaign_step"), {}, []
    for i, spec in enumerate(PLAN_STEPS):
        ids[i] = step_id = next_step()
        sink.add("campaign_step", (step_id, campaign_id, spec.step_no, spec.title,
                                   iso(due_of(i, spec)), spec.to_townships,
                                   spec.to_all_departments, spec.indicator, spec.note))
        named += [{"step_id": step_id, "department_id": by_short[s]} for s in spec.departments]
    sink.flush()  # the steps and departments exist before the link rows refer to them
    sink.conn.execute(sa.insert(step_department), named)
    return ids


def build_current(sink: Sink, now: Rng, county_id: int, townships, departments, contacts,
                  today: dt.date, last_revision: int) -> CurrentCtx:
    t = today.toordinal()
    starts, ends = campaign_span(today)
    campaign_id = sink.ids("campaign")()
    sink.add("campaign", (campaign_id, county_id, f"{today.year}年住宅小区管理工作实施方案",
                          today.year, iso(starts), iso(ends), False, 183, 90, 30, 5, 5, 11))
    due = {i: t + offset for i, offset in enumerate(STEP_OFFSETS)}
    next_target = sink.ids("target")
    for i, spec in enumerate(PLAN_STEPS):
        if spec.indicator and spec.indicator != "committee_coverage":
            sink.add("target", (next_target(), campaign_id, spec.indicator, 100, iso(due[i])))
    sink.add("target", (next_target(), campaign_id, "committee_coverage", 100, iso(ends)))
    steps = write_steps(sink, campaign_id, departments, lambda i, spec: due[i])

    revision = None
    if t - REVISION_AGO > day(2020, 10, 15) + 60:
        revision = (last_revision + 1, t - REVISION_AGO)
        sink.add("directory_revision", (sink.ids("directory_revision")(), county_id,
                                        revision[0], iso(revision[1]), REVISION_NOTE))

    next_task, next_update = sink.ids("task"), sink.ids("task_update")
    all_departments = [d_id for d_id, _, _ in departments]
    by_short = {short: d_id for d_id, _, short in departments}
    for i, spec in enumerate(PLAN_STEPS):
        owners = [("township", tc.id) for tc in townships] if spec.to_townships else []
        named = all_departments if spec.to_all_departments else [by_short[s] for s in
                                                                  spec.departments]
        owners += [("department", d_id) for d_id in named]
        for owner in owners:
            author, reported = contacts[owner]
            status, progress, done_on = _status(now, due[i], t, starts)
            if spec.indicator == "contact_reported" and reported is None:
                status, progress, done_on = "doing", now.between(1, 5) * 10, None  # still silent
            task_id = next_task()
            sink.add("task", (task_id, campaign_id, spec.step_no, spec.title,
                              owner[1] if owner[0] == "township" else None,
                              owner[1] if owner[0] == "department" else None,
                              spec.indicator, iso(due[i]), status, progress, iso(done_on),
                              steps[i]))
            if status == "doing":
                on = now.between(max(starts, due[i] - 40, t - 30), t - 1)
                sink.add("task_update", (next_update(), task_id, iso(on), progress,
                                         UPDATE_NOTES[min(2, progress // 35)], None, author))
            elif status == "done" and now.chance(0.5):
                sink.add("task_update", (next_update(), task_id, iso(done_on), 100,
                                         "已完成，材料已报县住建局物业办", None, author))
    return CurrentCtx(campaign_id, starts, t, revision)


def _status(now: Rng, due: int, t: int, starts: int):
    """A task's (status, progress, done_on) by how its deadline stands today: most of those
    due weeks ago are done, some are overdue by days; those due soon are under way."""
    r = now.random()
    finished = r < (0.8 if due < t else 0.25)
    if finished:
        done_on = min(t, due + now.between(1, 8)) if now.chance(0.15) else \
            max(starts, min(t, due) - now.between(0, 20))
        return "done", 100, done_on
    status = "doing" if r < 0.9 else "todo"
    return status, (now.between(2, 9) * 10 if status == "doing" else 0), None

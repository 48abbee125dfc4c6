"""The county-level part of the demo: townships, departments and their complaint channels, the
directory revisions, the 2020 campaign with its targets, steps and tasks, and the property
companies.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from office.demo import words as w
from office.demo.base import AS_OF, CAMPAIGN_END, CAMPAIGN_START, Rng, Sink, day, iso, weights
from office.demo.current import CurrentCtx, build_current, write_steps
from office.services.tasks import PLAN_STEPS
from office.services.uscc import complete


@dataclass
class TownshipCtx:
    id: int
    name: str
    kind: str
    communities: list[str]
    roads: list[str]
    office: str                           # who signs for it: 城关街道办事处, 双河镇人民政府
    staff: list[str]                      # township officials: prep group leaders, mediators
    training_days: list[int]              # the township's member-training sessions in 2020
    names: w.UniqueNames = field(default_factory=w.UniqueNames)


@dataclass
class CountyCtx:
    townships: list[TownshipCtx]
    township_table: tuple                 # Rng.weighted table of TownshipCtx
    companies: tuple                      # Rng.weighted table of company ids (big ones win)
    company_ids: list[int]
    developers: list[str]
    revisions: list[tuple[int, int]]      # (number, effective_on) of 2020
    current: CurrentCtx | None = None     # the current year's campaign (None: today is 2020)
    now: Rng | None = None                # the generator of the years after 2020


# The directory's history: each revision changed numbers, so boards printed earlier are stale.
REVISIONS = [
    (1, day(2020, 7, 1), "首次汇总各部门及乡镇（街道、场）服务、投诉电话"),
    (2, day(2020, 8, 20), "县公安局、县市场监管局投诉电话变更"),
    (3, day(2020, 9, 20), "县综合执法局联系人变更，补报乡镇投诉电话"),
]

TARGETS = [  # GLOSSARY.md, "Indicators"; dates from the plan (二, 四)
    ("committee_coverage", 60, day(2020, 12, 31)),
    ("committee_coverage", 100, day(2021, 12, 31)),
    ("office_space", 100, day(2020, 9, 30)),
    ("member_supervision", 100, day(2020, 9, 30)),
    ("contract_signed", 100, day(2020, 9, 30)),
    ("fee_disclosure", 100, day(2020, 9, 30)),
    ("signboard_current", 100, day(2020, 8, 31)),
    ("contact_reported", 100, day(2020, 8, 31)),
]

JUL31, AUG31, SEP30, OCT15 = day(2020, 7, 31), day(2020, 8, 31), day(2020, 9, 30), AS_OF
CONTACT_TASK = (3, "报送涉及住宅小区管理职能的服务、投诉电话", AUG31, "contact_reported")
TOWNSHIP_TASKS = [  # 四.1 (and 四.3 for the phone)
    (1, "开展自查自检和整改工作", JUL31, None),
    (1, "组织符合条件的小区成立业委会，完成到期换届和档案健全", SEP30, "committee_coverage"),
    (1, "保障业委会办公用房，对业委会成员100%指导、监管", SEP30, "member_supervision"),
    (1, "做好市检查组检查准备工作", OCT15, None),
    CONTACT_TASK,
]
BUREAU_TASKS = [  # 四.2
    (2, "督查物业服务企业自查自检情况", JUL31, None),
    (2, "物业服务企业100%签订物业服务合同", SEP30, "contract_signed"),
    (2, "物业费支出和服务项目100%公示", SEP30, "fee_disclosure"),
    (2, "制作统一公示牌，在住宅小区100%覆盖", AUG31, "signboard_current"),
    CONTACT_TASK,
]
PRICE_TASK = (2, "排查整治前期物业服务企业，对不合理收费重新核定", SEP30, None)  # 三.3
UPDATE_NOTES = ["已召开专题会议部署", "已完成摸底排查", "正在逐个小区核对",
                "已完成大部分，剩余正在推进", "材料已整理，待报县住建局物业办"]


def build_county(sink: Sink, rng: Rng, compounds: int, today: dt.date | None = None,
                 now: Rng | None = None) -> CountyCtx:
    """The county; with ``today`` after 2020 (and ``now``, the generator of the years since),
    the 2020 campaign is history and a campaign of today's year is added."""
    county_id = sink.ids("county")()
    sink.add("county", (county_id, w.COUNTY_NAME, w.COUNTY_CODE))

    townships = _townships(sink, rng, county_id, compounds)
    departments = []
    next_dept = sink.ids("department")
    for name, short, duties in w.DEPARTMENTS:
        departments.append((next_dept(), name, short))
        sink.add("department", (departments[-1][0], county_id, name, short, duties))
    contacts = _contact_points(sink, rng, townships, departments)

    next_rev = sink.ids("directory_revision")
    for number, effective, note in REVISIONS:
        sink.add("directory_revision", (next_rev(), county_id, number, iso(effective), note))

    campaign_id = sink.ids("campaign")()
    sink.add("campaign", (campaign_id, county_id, "2020年住宅小区管理工作实施方案", 2020,
                          iso(CAMPAIGN_START), iso(CAMPAIGN_END), False, 183, 90, 30, 5, 5, 11))
    next_target = sink.ids("target")
    for indicator, threshold, due in TARGETS:
        sink.add("target", (next_target(), campaign_id, indicator, threshold, iso(due)))
    later = today is not None and today.toordinal() > AS_OF
    closed = now if later and today.toordinal() > CAMPAIGN_END else None
    _tasks(sink, rng, campaign_id, townships, departments, contacts, closed)
    current = (build_current(sink, now, county_id, townships, departments, contacts, today,
                             REVISIONS[-1][0]) if later and today.year > 2020 else None)

    company_ids, sizes = _companies(sink, rng, compounds)
    developers = _developers(rng, compounds)
    return CountyCtx(
        townships=townships,
        township_table=weights((t, share) for t, (_, _, share) in zip(townships, w.TOWNSHIPS)),
        companies=weights(zip(company_ids, sizes)), company_ids=company_ids,
        developers=developers, revisions=[(n, eff) for n, eff, _ in REVISIONS],
        current=current, now=now)


def _townships(sink, rng, county_id, compounds) -> list[TownshipCtx]:
    # About 15 compounds per township at least, so a small demo is not mostly empty townships.
    count = max(3, min(len(w.TOWNSHIPS), compounds // 15))
    total_share = sum(share for _, _, share in w.TOWNSHIPS[:count])
    next_id = sink.ids("township")
    result = []
    for name, kind, share in w.TOWNSHIPS[:count]:
        expected = compounds * share / total_share
        village = kind == "township"

        def community_suffix(r, village=village):
            return "村" if village and r.chance(0.4) else "社区"

        ctx = TownshipCtx(
            id=next_id(), name=name, kind=kind,
            office=name + {"street": "办事处", "township": "人民政府", "farm": "管理委员会"}[kind],
            communities=w.place_names(rng, max(2, int(expected / 12) + 2), community_suffix),
            roads=w.place_names(rng, max(5, int(expected / 25) + 5),
                                lambda r: r.weighted(w.ROAD_SUFFIXES)),
            staff=[w.person(rng) for _ in range(6)],
            training_days=sorted(rng.between(CAMPAIGN_START + 10, AS_OF - 5) for _ in range(3)))
        sink.add("township", (ctx.id, county_id, name, kind))
        result.append(ctx)
    return result


def _contact_points(sink, rng, townships, departments) -> dict:
    """One contact per department and township. Two departments and about one township in
    six have not reported a complaint phone yet (the plan's 8-31 deadline has passed)."""
    silent_depts = set()
    while len(silent_depts) < 2:
        silent_depts.add(rng.between(1, len(departments) - 1))  # never 住建: it makes the boards
    silent_towns = {t.id for t in townships if rng.chance(0.17)}
    if not silent_towns:
        silent_towns.add(rng.pick(townships).id)
    if len(silent_towns) == len(townships):
        silent_towns.discard(townships[0].id)
    next_id = sink.ids("contact_point")
    contacts = {}
    owners = [(("department", d_id), i in silent_depts) for i, (d_id, _, _) in
              enumerate(departments)]
    owners += [(("township", t.id), t.id in silent_towns) for t in townships]
    for (kind, owner_id), silent in owners:
        person = w.person(rng)
        reported = None if silent else (
            rng.between(day(2020, 7, 6), AUG31) if rng.chance(0.85)
            else rng.between(AUG31 + 1, day(2020, 10, 10)))
        hours = "工作日 8:30-12:00，14:30-17:30" if rng.chance(0.8) else "24小时"
        sink.add("contact_point", (
            next_id(), owner_id if kind == "department" else None,
            owner_id if kind == "township" else None, person, w.landline(rng),
            None if silent else w.landline(rng), hours, iso(reported)))
        contacts[(kind, owner_id)] = (person, reported)
    return contacts


def _steps(sink, campaign_id, departments) -> dict[tuple[int, str], int]:
    """The plan's steps in 2020; (step_no, title) -> step id."""
    ids = write_steps(sink, campaign_id, departments,
                      lambda i, spec: day(2020, *spec.month_day))
    return {(spec.step_no, spec.title): ids[i] for i, spec in enumerate(PLAN_STEPS)}


def _tasks(sink, rng, campaign_id, townships, departments, contacts, closed=None) -> None:
    """The plan's steps and their tasks, each task linked to its step (as 生成全部任务 would
    have made it); a phone task is done exactly when the phone was reported. ``closed``
    (the generator of the years after 2020) when the campaign has ended by today: its
    unfinished tasks were finished late before its end, except the phones still unreported."""
    steps = _steps(sink, campaign_id, departments)
    assigned = [(("township", t.id), spec) for t in townships for spec in TOWNSHIP_TASKS]
    for d_id, _, short in departments:
        specs = BUREAU_TASKS if short == "住建" else (
            [PRICE_TASK, CONTACT_TASK] if short in ("市场监管", "发改") else [CONTACT_TASK])
        assigned += [(("department", d_id), spec) for spec in specs]
    next_task, next_update = sink.ids("task"), sink.ids("task_update")
    for owner, (step, title, due, indicator) in assigned:
        author, reported = contacts[owner]
        if indicator == "contact_reported":
            status = "done" if reported else rng.pick(["todo", "doing"])
            done_on = reported
        else:
            r = rng.random()
            finished = r < (0.3 if due >= AS_OF else 0.62)
            status = "done" if finished else "doing" if r < 0.88 else "todo"
            done_on = None
            if finished:  # one in five finished late
                done_on = (min(AS_OF, due + rng.between(1, 20)) if rng.chance(0.2)
                           else due - rng.between(0, 25))
        progress = {"done": 100, "todo": 0}.get(status) or rng.between(2, 9) * 10
        late = None  # finished after the inspection, before the campaign's end
        if closed is not None and status != "done" and indicator != "contact_reported":
            late = closed.between(AS_OF + 1, CAMPAIGN_END - 30)
        task_id = next_task()
        sink.add("task", (task_id, campaign_id, step, title,
                          owner[1] if owner[0] == "township" else None,
                          owner[1] if owner[0] == "department" else None,
                          indicator, iso(due), "done" if late else status,
                          100 if late else progress, iso(late or done_on),
                          steps[(step, title)]))
        if status == "doing":
            noted = sorted(rng.between(due - 40, min(AS_OF, due + 30))
                           for _ in range(rng.between(1, 2)))
            for i, on in enumerate(noted):
                share = progress * (i + 1) // len(noted)
                sink.add("task_update", (next_update(), task_id, iso(on), share,
                                         UPDATE_NOTES[min(4, share // 20)], None, author))
        elif status == "done" and rng.chance(0.4):
            sink.add("task_update", (next_update(), task_id, iso(done_on), 100,
                                     "已完成，材料已报县住建局物业办", None, author))


def _unique_name(rng, used, make) -> str:
    for _ in range(40):
        name = make()
        if name not in used:
            used.add(name)
            return name
    name = make() + str(len(used))  # only a county of hundreds of thousands gets here
    used.add(name)
    return name


def _brand(rng) -> str:
    first = rng.pick(w.BRANDS)
    if rng.chance(0.75):
        return first
    second = rng.pick(w.BRANDS)
    return first + second if second != first else first


def _companies(sink, rng, compounds) -> tuple[list[int], list[float]]:
    """About one company per five compounds; a few large ones manage many compounds."""
    next_id = sink.ids("property_company")
    ids, sizes, used, codes = [], [], set(), set()
    for _ in range(max(10, compounds // 5)):
        local = rng.chance(0.85)
        prefix = (("示例县" if rng.chance(0.7) else "") if local else "示例市")
        name = _unique_name(rng, used, lambda prefix=prefix: (
            prefix + _brand(rng) + rng.weighted(w.COMPANY_TYPES)))
        road = rng.pick(w.PLACE_WORDS) + rng.weighted(w.ROAD_SUFFIXES)
        company_id = next_id()
        sink.add("property_company", (
            company_id, name,
            complete(w.uscc_body(rng, w.COUNTY_CODE if local else w.CITY_CODE, codes)),
            w.person(rng), w.landline(rng),
            f"{w.COUNTY_NAME if local else '示例市'}{road}{rng.between(1, 300)}号"))
        ids.append(company_id)
        sizes.append(0.3 + rng.random() ** 3 * 10)
    return ids, sizes


def _developers(rng, compounds) -> list[str]:
    used = set()
    return [_unique_name(rng, used, lambda: ("示例县" if rng.chance(0.6) else "") + _brand(rng)
                         + rng.weighted(w.DEVELOPER_TYPES))
            for _ in range(max(8, min(400, compounds // 15)))]

"""The sheets of the return: their names and order (DESIGN.md, "Interfaces that others rely
on"), columns, widths, formats, totals, colour rules, and how a database row becomes a sheet
row. No figure is computed here: statuses arrive from office.indicators through
report_data; this module only words them.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from office.services.report.data import STATUS_KEYS, C, Figures
from office.services.report.feed import Statuses

BEHIND = Statuses.BEHIND

SUMMARY, LEDGER, NO_COMMITTEE, PROPERTY, SIGNBOARD, DISPUTES, TASKS = (
    "summary", "ledger", "no_committee", "property", "signboard", "disputes", "tasks")

# The workbook's sheets, in this order (others rely on it).
SHEET_NAMES = {
    SUMMARY: "汇总",
    LEDGER: "小区台账",
    NO_COMMITTEE: "未组建业委会清单",
    PROPERTY: "物业合同与公示问题",
    SIGNBOARD: "公示牌问题",
    DISPUTES: "纠纷调处",
    TASKS: "任务进度",
}
SHEET_ORDER = list(SHEET_NAMES)

NA = "—"  # not in the indicator's denominator (e.g. a compound without a company: no contract)
# How a compound's status is worded: (meets, behind).
STATUS_TEXT = {
    "committee_coverage": ("已组建", "未组建"),
    "office_space": ("有", "无"),
    "member_supervision": ("已全覆盖", "未全覆盖"),
    "contract_signed": ("已签订", "未签订"),
    "fee_disclosure": ("按时公示", "未按时公示"),
    "signboard_current": ("现行版", "需更换"),
}
STATUS_LABEL = {"met": "已达标", "not_met": "未达标", "pending": "未达标（未到期）", None: NA}


@dataclass(frozen=True)
class Col:
    label: str
    width: float
    kind: str = "text"            # text | wrap | center | int | date
    total: str | None = None      # count | sum | countif:<text>
    good: tuple[str, ...] = ()    # texts shown green
    bad: tuple[str, ...] = ()     # texts shown red (amber while the target is not yet due)
    bad_any: bool = False         # every non-empty cell is bad (a list of problems)
    warn: tuple[str, ...] = ()    # texts shown amber (in progress, no target)
    key: str | None = None        # the indicator whose target decides red or amber


@dataclass(frozen=True)
class SheetSpec:
    key: str
    title: str
    cols: tuple[Col, ...]
    freeze_cols: int = 0
    note: str = ""

    @property
    def name(self) -> str:
        return SHEET_NAMES[self.key]


def _status_col(label: str, key: str, width: float = 10) -> Col:
    met, behind = STATUS_TEXT[key]
    return Col(label, width, "center", f"countif:{met}", good=(met,), bad=(behind,), key=key)


SERIAL = Col("序号", 6, "center")
TOWNSHIP = Col("乡镇（街道、场）", 16)
COMMUNITY = Col("社区（村）", 14)
COMPOUND = Col("小区名称", 24, total="count")

LEDGER_NOTE = ("“—”表示不适用（如无物业服务企业的小区不统计合同）；合计行：小区名称列为小区数，"
               "各状态列为达标（已组建、有、已全覆盖、已签订、按时公示、现行版）的小区数。")
TASKS_NOTE = "进度按统计截止日期前最近一次进展填报；完成日期晚于截止日期的视为未完成。"

DETAIL_SHEETS = {
    LEDGER: SheetSpec(LEDGER, "住宅小区台账", (
        SERIAL, TOWNSHIP, COMMUNITY, COMPOUND, Col("小区类型", 11, "center"),
        Col("户数", 9, "int", "sum"), Col("交付日期", 11, "date"), Col("管理方式", 13, "center"),
        Col("物业服务企业（最近合同）", 26), Col("合同截止日期", 12, "date"),
        _status_col("业委会", "committee_coverage"), Col("届次", 6, "int"),
        Col("任期届满", 11, "date"), _status_col("办公用房", "office_space", 9),
        _status_col("成员指导监管", "member_supervision", 12),
        _status_col("物业合同", "contract_signed", 9),
        _status_col("收费公示", "fee_disclosure", 11),
        _status_col("公示牌", "signboard_current", 9),
    ), freeze_cols=4, note=LEDGER_NOTE),
    NO_COMMITTEE: SheetSpec(NO_COMMITTEE, "未组建业委会小区清单", (
        SERIAL, TOWNSHIP, COMMUNITY, COMPOUND, Col("小区类型", 11, "center"),
        Col("户数", 9, "int", "sum"), Col("交付日期", 11, "date"), Col("管理方式", 13, "center"),
        Col("筹备组成立日期", 13, "date"), Col("业主大会召开日期", 14, "date"),
        Col("上届任期届满", 12, "date"),
        Col("现状", 18, bad_any=True, key="committee_coverage"),
    ), freeze_cols=4),
    PROPERTY: SheetSpec(PROPERTY, "物业服务合同与收费公示问题清单", (
        SERIAL, TOWNSHIP, COMMUNITY, COMPOUND, Col("管理方式", 13, "center"),
        Col("物业服务企业（最近合同）", 26), Col("合同截止日期", 12, "date"),
        Col("合同问题", 12, "center", "countif:无有效合同", bad_any=True, key="contract_signed"),
        Col("收支情况公示日期", 14, "date"), Col("服务项目公示日期", 14, "date"),
        Col("公示问题", 12, "center", "countif:未按时公示", bad_any=True, key="fee_disclosure"),
    ), freeze_cols=4),
    SIGNBOARD: SheetSpec(SIGNBOARD, "公示牌问题清单", (
        SERIAL, TOWNSHIP, COMMUNITY, COMPOUND, Col("现有公示牌版本", 13, "int"),
        Col("安装日期", 11, "date"), Col("现行通讯录版本", 13, "int"),
        Col("问题", 18, total="countif:未设置公示牌", bad_any=True, key="signboard_current"),
    ), freeze_cols=4),
    DISPUTES: SheetSpec(DISPUTES, "纠纷调处情况", (
        SERIAL, TOWNSHIP, Col("小区名称", 22, total="count"), Col("受理日期", 11, "date"),
        Col("纠纷当事方", 20), Col("纠纷概况", 40, "wrap"), Col("调解人", 10),
        Col("办理情况", 10, "center", "countif:已办结", good=("已办结",), warn=("办理中",)),
        Col("办结日期", 11, "date"), Col("办理天数", 9, "int"),
    ), freeze_cols=3),
    TASKS: SheetSpec(TASKS, "工作任务进度", (
        SERIAL, Col("步骤", 6, "center"), Col("任务", 36, "wrap", "count"),
        Col("责任单位", 18), Col("完成时限", 11, "date"), Col("进度（%）", 9, "int"),
        Col("状态", 9, "center", "countif:已完成", good=("已完成",)),
        Col("是否逾期", 9, "center", "countif:逾期", bad=("逾期",)),
        Col("完成日期", 11, "date"), Col("最近进展", 30, "wrap"), Col("进展日期", 11, "date"),
    ), freeze_cols=3, note=TASKS_NOTE),
}


# ---------------------------------------------------------------- rows


def _text(value) -> str | None:
    return None if value is None else str(value)


_WORDS = {key: (NA, met, behind) for key, (met, behind) in STATUS_TEXT.items()}


def _status(statuses: Statuses, key: str, compound_id: int) -> str:
    return _WORDS[key][statuses.of(key, compound_id)]


def _contract_end(row):
    terminated = row[C["contract_terminated_on"]]
    return terminated or row[C["contract_ends_on"]]


def _base(row) -> list:
    return [row[C["township"]], row[C["community"]], row[C["name"]]]


def compound_rows(row, figures: Figures, statuses: Statuses) -> Iterator[tuple[str, list]]:
    """The sheet rows one compound contributes to: none when it does not exist on D (not in
    committee_coverage's denominator), else the ledger and each problem list it is on
    (serial numbers are added by the writer)."""
    cid = row[0]
    if not statuses.counted(cid):
        return
    of = statuses.of
    kind, mode = _text(row[C["kind"]]), _text(row[C["mode"]])
    yield LEDGER, [
        *_base(row), kind, row[C["households"]], row[C["delivered_on"]], mode,
        row[C["contract_company"]], _contract_end(row),
        _status(statuses, "committee_coverage", cid), row[C["body_term_no"]],
        row[C["body_term_end"]],
        *(_status(statuses, key, cid) for key in STATUS_KEYS[1:]),
    ]
    if of("committee_coverage", cid) == BEHIND:
        yield NO_COMMITTEE, [
            *_base(row), kind, row[C["households"]], row[C["delivered_on"]], mode,
            row[C["prep_formed_on"]], row[C["prep_assembly_on"]], row[C["last_term_end"]],
            _no_committee_state(row, figures.as_of),
        ]
    no_contract = of("contract_signed", cid) == BEHIND
    late = of("fee_disclosure", cid) == BEHIND
    if no_contract or late:
        yield PROPERTY, [
            *_base(row), mode, row[C["contract_company"]], _contract_end(row),
            "无有效合同" if no_contract else None,
            row[C["fee_accounts_on"]], row[C["service_items_on"]],
            "未按时公示" if late else None,
        ]
    if of("signboard_current", cid) == BEHIND:
        version = row[C["board_version"]]
        yield SIGNBOARD, [
            *_base(row), version, row[C["board_installed_on"]], figures.directory_version,
            "未设置公示牌" if version is None else "版本过期，需更换",
        ]


def _no_committee_state(row, as_of: dt.date) -> str:
    last_end = row[C["last_term_end"]]
    if row[C["prep_formed_on"]] and not row[C["prep_assembly_on"]]:
        return "筹备组已成立，筹备中"
    if last_end is None:
        return "未组建"
    return "任期届满未换届" if last_end < as_of else "已解散或不计入"


def dispute_row(row, as_of: dt.date) -> list:
    (_id, _township_id, township, compound, received_on, parties, summary, mediator,
     resolved_on) = row
    days = ((resolved_on or as_of) - received_on).days
    return [township, compound, received_on, _text(parties), (summary or "")[:32000],
            mediator, "已办结" if resolved_on else "办理中", resolved_on, days]


def task_row(row, as_of: dt.date) -> list:
    _id, step_no, title, township, department, due_on, done_on, progress, note, noted_on = row
    progress = 100 if done_on else (progress or 0)
    state = "已完成" if done_on else ("进行中" if progress > 0 else "未开始")
    overdue = "逾期" if not done_on and due_on < as_of else None
    return [step_no, title, township or department, due_on, progress, state, overdue, done_on,
            note, noted_on]

"""Every screen, grouped in the menu the way the plan is organised."""
from office.kit.registry import register
from office.views.audit import ChangeLogView
from office.views.dashboard import register_dashboard
from office.views.deadlines import register_deadlines
from office.views.disputes import DisputeView, FindingView
from office.views.governance import (
    ArchiveItemView,
    CommitteeMemberView,
    CompoundView,
    OwnersCommitteeView,
    PrepGroupView,
    SupervisionRecordView,
)
from office.views.org import (
    ContactPointView,
    CountyView,
    DepartmentView,
    DirectoryPageView,
    DirectoryRevisionView,
    TownshipView,
)
from office.views.property import (
    DisclosureView,
    PriceReviewView,
    PropertyCompanyView,
    ServiceContractView,
)
from office.views.reports import ReportRunView
from office.views.signboards import SignboardPrintView, SignboardView, StaleSignboardView
from office.views.tasks import CampaignView, TargetView, TaskUpdateView, TaskView

GOVERNANCE = "小区与业委会"
PROPERTY = "物业服务"
DIRECTORY = "投诉电话与公示牌"
TASKS = "任务督办"
REPORTS = "统计报表"
ADMIN = "Security"  # FAB's own category; shown as 系统管理 through the zh catalogue

MENU = [
    (CompoundView, "住宅小区", GOVERNANCE, "fa-building"),
    (PrepGroupView, "业主大会筹备组", GOVERNANCE, "fa-users"),
    (OwnersCommitteeView, "业主委员会", GOVERNANCE, "fa-sitemap"),
    (CommitteeMemberView, "业委会成员", GOVERNANCE, "fa-user"),
    (SupervisionRecordView, "指导监管记录", GOVERNANCE, "fa-eye"),
    (ArchiveItemView, "档案检查", GOVERNANCE, "fa-archive"),
    (DisputeView, "纠纷调处", GOVERNANCE, "fa-balance-scale"),
    (FindingView, "检查整改", GOVERNANCE, "fa-search"),
    (PropertyCompanyView, "物业服务企业", PROPERTY, "fa-briefcase"),
    (ServiceContractView, "物业服务合同", PROPERTY, "fa-file-text"),
    (PriceReviewView, "收费核定", PROPERTY, "fa-jpy"),
    (DisclosureView, "收费与服务公示", PROPERTY, "fa-bullhorn"),
    (DepartmentView, "行政管理部门", DIRECTORY, "fa-institution"),
    (ContactPointView, "服务投诉电话", DIRECTORY, "fa-phone"),
    (DirectoryRevisionView, "通讯录版本", DIRECTORY, "fa-history"),
    (SignboardView, "公示牌", DIRECTORY, "fa-map-signs"),
    (CampaignView, "工作方案", TASKS, "fa-flag"),
    (TargetView, "考核指标", TASKS, "fa-bullseye"),
    (TaskView, "任务", TASKS, "fa-tasks"),
    (TaskUpdateView, "任务进展", TASKS, "fa-pencil"),
    (ReportRunView, "统计上报", REPORTS, "fa-table"),
    (CountyView, "县（区）", ADMIN, "fa-map"),
    (TownshipView, "乡镇（街道、场）", ADMIN, "fa-map-marker"),
    (ChangeLogView, "修改记录", ADMIN, "fa-history"),
]


# Pages over an entity that already has its screen and API (same permission, no API of their
# own): the readable directory, the boards to replace, printing the boards.
PAGES = [
    (DirectoryPageView, "服务投诉电话通讯录", DIRECTORY, "fa-address-book"),
    (StaleSignboardView, "待更换公示牌", DIRECTORY, "fa-exchange"),
    (SignboardPrintView, "公示牌打印", DIRECTORY, "fa-print"),
]


def register_all(appbuilder) -> None:
    for view, name, category, icon in MENU:
        if category == REPORTS and not appbuilder.menu.find("工作看板"):
            register_dashboard(appbuilder, REPORTS)  # 工作看板 heads 统计报表 (not a ModelView)
        register(appbuilder, view, name, category, icon)
    for view, name, category, icon in PAGES:
        appbuilder.add_view(view, name, icon=icon, category=category)
    register_deadlines(appbuilder, TASKS)  # 我的任务, 督办看板, 截止日历 (views/deadlines.py)

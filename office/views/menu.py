"""Every screen, grouped in the menu the way the plan is organised. Names and categories are
msgids (N_): they name the permissions in Chinese and are translated where the navbar and the
screen titles show them."""
from office.kit.i18n import N_
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

GOVERNANCE = N_("小区与业委会")
PROPERTY = N_("物业服务")
DIRECTORY = N_("投诉电话与公示牌")
TASKS = N_("任务督办")
REPORTS = N_("统计报表")
ADMIN = "Security"  # FAB's own category; shown as 系统管理 through the zh catalogue

MENU = [
    (CompoundView, N_("住宅小区"), GOVERNANCE, "fa-building"),
    (PrepGroupView, N_("业主大会筹备组"), GOVERNANCE, "fa-users"),
    (OwnersCommitteeView, N_("业主委员会"), GOVERNANCE, "fa-sitemap"),
    (CommitteeMemberView, N_("业委会成员"), GOVERNANCE, "fa-user"),
    (SupervisionRecordView, N_("指导监管记录"), GOVERNANCE, "fa-eye"),
    (ArchiveItemView, N_("档案检查"), GOVERNANCE, "fa-archive"),
    (DisputeView, N_("纠纷调处"), GOVERNANCE, "fa-balance-scale"),
    (FindingView, N_("检查整改"), GOVERNANCE, "fa-search"),
    (PropertyCompanyView, N_("物业服务企业"), PROPERTY, "fa-briefcase"),
    (ServiceContractView, N_("物业服务合同"), PROPERTY, "fa-file-text"),
    (PriceReviewView, N_("收费核定"), PROPERTY, "fa-jpy"),
    (DisclosureView, N_("收费与服务公示"), PROPERTY, "fa-bullhorn"),
    (DepartmentView, N_("行政管理部门"), DIRECTORY, "fa-institution"),
    (ContactPointView, N_("服务投诉电话"), DIRECTORY, "fa-phone"),
    (DirectoryRevisionView, N_("通讯录版本"), DIRECTORY, "fa-history"),
    (SignboardView, N_("公示牌"), DIRECTORY, "fa-map-signs"),
    (CampaignView, N_("工作方案"), TASKS, "fa-flag"),
    (TargetView, N_("考核指标"), TASKS, "fa-bullseye"),
    (TaskView, N_("任务"), TASKS, "fa-tasks"),
    (TaskUpdateView, N_("任务进展"), TASKS, "fa-pencil"),
    (ReportRunView, N_("统计上报"), REPORTS, "fa-table"),
    (CountyView, N_("县（区）"), ADMIN, "fa-map"),
    (TownshipView, N_("乡镇（街道、场）"), ADMIN, "fa-map-marker"),
    (ChangeLogView, N_("修改记录"), ADMIN, "fa-history"),
]


# Pages over an entity that already has its screen and API (same permission, no API of their
# own): the readable directory, the boards to replace, printing the boards.
PAGES = [
    (DirectoryPageView, N_("服务投诉电话通讯录"), DIRECTORY, "fa-address-book"),
    (StaleSignboardView, N_("待更换公示牌"), DIRECTORY, "fa-exchange"),
    (SignboardPrintView, N_("公示牌打印"), DIRECTORY, "fa-print"),
]


def register_all(appbuilder) -> None:
    for view, name, category, icon in MENU:
        if category == REPORTS and not appbuilder.menu.find("工作看板"):
            register_dashboard(appbuilder, REPORTS)  # 工作看板 heads 统计报表 (not a ModelView)
        register(appbuilder, view, name, category, icon)
    for view, name, category, icon in PAGES:
        appbuilder.add_view(view, name, icon=icon, category=category)
    register_deadlines(appbuilder, TASKS)  # 我的任务, 督办看板, 截止日历 (views/deadlines.py)

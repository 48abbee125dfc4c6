"""The six roles and exactly what each may do (DESIGN.md, "Users and roles").

Permissions are FAB's ("can_<verb>" on a class permission name). Every ModelView and
ModelRestApi of an entity shares the entity's class permission name and maps its methods to
four verbs, so a role is a short table of entity → verbs. The roles are FAB "builtin" roles:
defined here, checked in memory (no query per menu entry or button), identical on every start.
"""
from __future__ import annotations

from flask_babel import gettext

READ, ADD, EDIT, DELETE = "read", "add", "edit", "delete"
CRUD = frozenset({READ, ADD, EDIT, DELETE})
RO = frozenset({READ})

# Method → verb of the endpoints the kit gives every entity's view and API (office/kit/).
# A view's own endpoints declare theirs on the view (``method_verbs``).
METHOD_VERBS = {
    # ModelView
    "list": READ, "show": READ, "download": READ, "history": READ,
    "add": ADD, "edit": EDIT, "delete": DELETE, "muldelete": DELETE,
    # Excel export/import and the change history (kit/io/views.py, kit/audit/views.py):
    # exporting is reading; importing is adding (新增并更新 also checks edit); reverting a
    # logged change is editing.
    "export": READ,
    "import_form": ADD, "import_template": ADD, "import_upload": ADD, "import_preview": ADD,
    "import_errors": ADD, "import_commit": ADD,
    "history_revert": EDIT,
    # ModelRestApi
    "get": READ, "get_list": READ, "info": READ,
    "post": ADD, "put": EDIT,
    # Spreadsheet mode (office/kit/grid/views.py). grid_save / grid_undo check per row: edit for
    # changed rows, add for new ones (a batch may hold both), so they map to no single verb.
    "grid": READ, "grid_data": READ, "grid_options": READ, "grid_count": READ,
}

TOWNSHIP_RECORDS = (
    "Compound", "PrepGroup", "OwnersCommittee", "CommitteeMember", "SupervisionRecord",
    "ArchiveItem", "Dispute", "Finding",
)
PROPERTY_RECORDS = ("PropertyCompany", "ServiceContract", "Disclosure")
DIRECTORY = ("County", "Township", "Department", "ContactPoint", "DirectoryRevision", "Signboard")
PLAN = ("Campaign", "CampaignStep", "Target", "Task", "TaskUpdate")
BUSINESS = TOWNSHIP_RECORDS + PROPERTY_RECORDS + DIRECTORY + PLAN

# Entity-like screens that are not an entity's CRUD.
PRICE_REVIEW = "PriceReview"
REPORTS = "ReportRun"
CHANGE_LOG = "ChangeLog"
# 工作看板 (office/views/dashboard.py): the landing page of the bureau and its supervisors; a
# township clerk's shows their own township only (row scope).
DASHBOARD = "Dashboard"
# 任务督办 (office/views/deadlines.py): 我的任务 is a township's or department's own list; the
# county board (督办看板) is the bureau's and its supervisors'; every role has an inbox of
# in-app notifications (the navbar's bell). The calendar and the progress page use the Task
# and TaskUpdate grants, bounded by row scope.
MY_TASKS = "MyTasks"
TASK_BOARD = "TaskBoard"
NOTIFICATIONS = "Notification"
INBOX = frozenset({READ, EDIT})

ROLE_GRANTS: dict[str, dict[str, frozenset[str]]] = {
    "BureauClerk": {
        **{name: CRUD for name in BUSINESS},
        PRICE_REVIEW: RO,
        REPORTS: frozenset({READ, ADD}),
        DASHBOARD: RO,
        TASK_BOARD: frozenset({READ, EDIT}),  # edit: 催办 an overdue task from the board
        NOTIFICATIONS: INBOX,
    },
    "TownshipClerk": {
        **{name: CRUD for name in TOWNSHIP_RECORDS},
        DASHBOARD: RO,
        **{name: RO for name in PROPERTY_RECORDS + DIRECTORY + ("Campaign", "Target")},
        "ContactPoint": frozenset({READ, EDIT}),  # their own township's row only (scope)
        "Task": frozenset({READ, EDIT}),
        "TaskUpdate": frozenset({READ, ADD}),
        "CampaignStep": RO,
        MY_TASKS: RO,
        NOTIFICATIONS: INBOX,
    },
    "DepartmentLiaison": {
        **{name: RO for name in ("County", "Township", "Department", "DirectoryRevision")},
        "ContactPoint": frozenset({READ, EDIT}),  # their own department's rows only (scope)
        **{name: RO for name in ("Campaign", "Target")},
        "Task": frozenset({READ, EDIT}),
        "TaskUpdate": frozenset({READ, ADD}),
        "CampaignStep": RO,
        MY_TASKS: RO,
        NOTIFICATIONS: INBOX,
    },
    "PriceReviewer": {
        **{name: RO for name in ("County", "Township", "Compound", "PropertyCompany",
                                 "ServiceContract")},
        PRICE_REVIEW: frozenset({READ, EDIT}),
        NOTIFICATIONS: INBOX,
    },
    "Supervisor": {
        **{name: RO for name in BUSINESS},
        PRICE_REVIEW: RO,
        REPORTS: frozenset({READ, ADD}),
        DASHBOARD: RO,
        TASK_BOARD: RO,
        NOTIFICATIONS: INBOX,
    },
}

# What a screen calls each role: the Chinese name, then the code a README and a command use.
ROLE_LABELS = {
    "Admin": "系统管理员",
    "BureauClerk": "县住建局物业办工作人员",
    "TownshipClerk": "乡镇（街道、场）工作人员",
    "DepartmentLiaison": "部门联络员",
    "PriceReviewer": "收费核定人员（市场监管、发改）",
    "Supervisor": "督查人员（局领导、市检查组）",
}
assert set(ROLE_LABELS) == {"Admin", *ROLE_GRANTS}, "every role needs a label"


def role_label(name: str) -> str:
    """乡镇（街道、场）工作人员（TownshipClerk）; a role not defined here by its name alone."""
    label = ROLE_LABELS.get(name)
    return gettext("%(label)s（%(name)s）", label=gettext(label), name=name) if label else name


def role_labels(roles) -> str:
    """A user's roles as a screen shows them, 、-separated (FAB printed "[TownshipClerk]")."""
    return gettext("、").join(role_label(getattr(r, "name", str(r))) for r in roles or [])


# Roles whose users see the whole county; the others are bounded by township/department.
COUNTY_WIDE_ROLES = frozenset({"Admin", "BureauClerk", "PriceReviewer", "Supervisor"})

# What every signed-in user may do with their own account.
SELF_SERVICE = [
    ["^UserInfoEditView$", "^can_this_form_(get|post)$"],
    ["^ResetMyPasswordView$", "^can_this_form_(get|post)$"],
    ["^UserDBModelView$", "^(can_userinfo|userinfoedit|resetmypassword)$"],
    ["^(OfficeUserDBModelView)$", "^(can_userinfo|userinfoedit|resetmypassword)$"],
]


def fab_roles() -> dict[str, list[list[str]]]:
    """ROLE_GRANTS in FAB_ROLES form: [[view regex, permission regex], ...]."""
    roles = {"Admin": [[".*", ".*"]]}
    for role, grants in ROLE_GRANTS.items():
        roles[role] = [
            [f"^{name}$", f"^can_({'|'.join(sorted(verbs))})$"] for name, verbs in grants.items()
        ] + SELF_SERVICE
    return roles


def may(role: str, entity: str, verb: str) -> bool:
    """The matrix as data, for tests and for building menus."""
    if role == "Admin":
        return True
    return verb in ROLE_GRANTS.get(role, {}).get(entity, frozenset())

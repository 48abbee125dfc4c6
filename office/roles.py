"""The six roles and exactly what each may do (DESIGN.md, "Users and roles").

Permissions are FAB's ("can_<verb>" on a class permission name). Every ModelView and
ModelRestApi of an entity shares the entity's class permission name and maps its methods to
four verbs, so a role is a short table of entity → verbs. The roles are FAB "builtin" roles:
defined here, checked in memory (no query per menu entry or button), identical on every start.
"""
from __future__ import annotations

READ, ADD, EDIT, DELETE = "read", "add", "edit", "delete"
CRUD = frozenset({READ, ADD, EDIT, DELETE})
RO = frozenset({READ})

# Method → verb, shared by every view and API of an entity.
METHOD_VERBS = {
    # ModelView
    "list": READ, "show": READ, "download": READ, "history": READ,
    "add": ADD, "edit": EDIT, "delete": DELETE, "muldelete": DELETE,
    # ModelRestApi
    "get": READ, "get_list": READ, "info": READ,
    "post": ADD, "put": EDIT,
}

TOWNSHIP_RECORDS = (
    "Compound", "PrepGroup", "OwnersCommittee", "CommitteeMember", "SupervisionRecord",
    "ArchiveItem", "Dispute", "Finding",
)
PROPERTY_RECORDS = ("PropertyCompany", "ServiceContract", "Disclosure")
DIRECTORY = ("County", "Township", "Department", "ContactPoint", "DirectoryRevision", "Signboard")
PLAN = ("Campaign", "Target", "Task", "TaskUpdate")
BUSINESS = TOWNSHIP_RECORDS + PROPERTY_RECORDS + DIRECTORY + PLAN

# Entity-like screens that are not an entity's CRUD.
PRICE_REVIEW = "PriceReview"
REPORTS = "ReportRun"
CHANGE_LOG = "ChangeLog"

ROLE_GRANTS: dict[str, dict[str, frozenset[str]]] = {
    "BureauClerk": {
        **{name: CRUD for name in BUSINESS},
        PRICE_REVIEW: RO,
        REPORTS: frozenset({READ, ADD}),
    },
    "TownshipClerk": {
        **{name: CRUD for name in TOWNSHIP_RECORDS},
        **{name: RO for name in PROPERTY_RECORDS + DIRECTORY + ("Campaign", "Target")},
        "ContactPoint": frozenset({READ, EDIT}),  # their own township's row only (scope)
        "Task": frozenset({READ, EDIT}),
        "TaskUpdate": frozenset({READ, ADD}),
    },
    "DepartmentLiaison": {
        **{name: RO for name in ("County", "Township", "Department", "DirectoryRevision")},
        "ContactPoint": frozenset({READ, EDIT}),  # their own department's rows only (scope)
        **{name: RO for name in ("Campaign", "Target")},
        "Task": frozenset({READ, EDIT}),
        "TaskUpdate": frozenset({READ, ADD}),
    },
    "PriceReviewer": {
        **{name: RO for name in ("County", "Township", "Compound", "PropertyCompany",
                                 "ServiceContract")},
        PRICE_REVIEW: frozenset({READ, EDIT}),
    },
    "Supervisor": {
        **{name: RO for name in BUSINESS},
        PRICE_REVIEW: RO,
        REPORTS: frozenset({READ, ADD}),
    },
}

# Roles whose users see the whole county; the others are bounded by township/department.
COUNTY_WIDE_ROLES = frozenset({"Admin", "BureauClerk", "PriceReviewer", "Supervisor"})

# What every signed-in user may do with their own account.
SELF_SERVICE = [
    ["^UserInfoEditView$", "^can_this_form_(get|post)$"],
    ["^ResetMyPasswordView$", "^can_this_form_(get|post)$"],
    ["^UserDBModelView$", "^(can_userinfo|userinfoedit|resetmypassword)$"],
    ["^(OfficeUserDBModelView)$", "^(can_userinfo|userinfoedit|resetmypassword)$"],
    ["^Dashboard$", "^can_read$"],
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

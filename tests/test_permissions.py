"""The role × screen × verb matrix (DESIGN.md, "Users and roles").

For every role user, every screen registered in office.views.menu.MENU and every verb, the
role gets exactly what office.roles grants: the HTML screens (list, show, add form, edit form,
delete) and the screen's derived REST API (list, show, post, put, delete). A small hand-written
table of facts taken from DESIGN.md checks the grants themselves, so the matrix is not only
compared with itself. The menu shows only the screens a role may read.

What FAB answers when a signed-in user lacks a permission: 403 for the HTML screens
(`has_access` aborts for an authenticated user) and 403 JSON for the API (`protect`); an
anonymous visitor is redirected to /login/ (HTML) or gets 401 (API).

The data is built once per module and each role signs in once; only deletions change rows, and
each deletion works on a fresh copy of the role's own row.
"""
from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from office.kit.registry import _snake
from office.models import (
    ArchiveKind,
    ChangeAction,
    ChangeLog,
    ChangeSource,
    ReportRun,
    ReportStatus,
    TaskUpdate,
    db,
)
from office.roles import ADD, DELETE, EDIT, READ, may
from office.services.uscc import complete
from office.views.menu import MENU
from tests.conftest import PASSWORD, ROLE_USERS, _truncate_business_tables

# ------------------------------------------------------------------ shared test machinery
# (test_scope, test_csrf and test_auth import these)


def sign_in(app, username: str, password: str = PASSWORD) -> FlaskClient:
    client = app.test_client()
    resp = client.post("/login/", data={"username": username, "password": password})
    assert resp.status_code == 302 and "/login" not in resp.headers["Location"], username
    return client


def create_role_users() -> None:
    from office.services.users import create_user

    for username, (role, township, department) in ROLE_USERS.items():
        create_user(username, role, PASSWORD, township=township, department=department)


def rows_of(model, **where) -> int:
    query = sa.select(sa.func.count()).select_from(model)
    for key, value in where.items():
        query = query.where(getattr(model, key) == value)
    return db.session.scalar(query)


def entity_of(view) -> str:
    return getattr(view, "class_permission_name", None) or view.datamodel.obj.__name__


def endpoint_of(view) -> str:
    return view.__name__.lower()


VIEWS = {entity_of(view): view for view, *_ in MENU}

# The row each role works on for an entity: township A's, or department A's for the liaison.
ROW_OF = {
    "Compound": "a.compound", "PrepGroup": "a.prep_group", "OwnersCommittee": "a.committee",
    "CommitteeMember": "a.member", "SupervisionRecord": "a.supervision",
    "ArchiveItem": "a.archive", "Dispute": "a.dispute", "Finding": "a.finding",
    "PropertyCompany": "company", "ServiceContract": "a.contract", "PriceReview": "a.contract",
    "Disclosure": "a.disclosure", "Department": "a.department", "ContactPoint": "a.contact",
    "DirectoryRevision": "revision", "Signboard": "a.signboard", "Campaign": "campaign",
    "Target": "target", "Task": "a.task", "TaskUpdate": "a.task_update",
    "ReportRun": "report", "County": "county", "Township": "a.township",
    "ChangeLog": "change_log",
}
LIAISON_ROW_OF = {
    "ContactPoint": "a.dept_contact", "Task": "a.dept_task", "TaskUpdate": "dept_task_update",
}


def row_path(entity: str, username: str) -> str:
    if ROLE_USERS[username][0] == "DepartmentLiaison" and entity in LIAISON_ROW_OF:
        return LIAISON_ROW_OF[entity]
    return ROW_OF[entity]


def resolve(ns, path: str):
    for part in path.split("."):
        ns = getattr(ns, part)
    return ns


def add_extra_rows(ns) -> None:
    """Rows the factories do not make: a report run, a change-log row, a department task's
    progress note."""
    ns.report = ReportRun(as_of=dt.date(2020, 9, 30), status=ReportStatus.done,
                          requested_by="bureau")
    ns.change_log = ChangeLog(username="bureau", source=ChangeSource.form, entity="Compound",
                              row_id=ns.a.compound.id, action=ChangeAction.update,
                              field="households", old="300", new="320")
    ns.dept_task_update = TaskUpdate(task=ns.a.dept_task, noted_on=dt.date(2020, 8, 1),
                                     progress=30, note="已报送")
    ns.b_dept_task_update = TaskUpdate(task=ns.b.dept_task, noted_on=dt.date(2020, 8, 2),
                                       progress=40, note="已报送")
    db.session.add_all([ns.report, ns.change_log, ns.dept_task_update, ns.b_dept_task_update])
    db.session.commit()


_clone_no = itertools.count(1)

# Columns that must differ in a copy (unique constraints).
UNIQUE_IN_COPY = {
    "County": lambda n, ns: {"name": f"复制县{n}", "code": f"9{n:05d}"},
    "Township": lambda n, ns: {"name": f"复制镇{n}"},
    "Department": lambda n, ns: {"name": f"复制局{n}"},
    "Campaign": lambda n, ns: {"year": 2100 + n},
    "Target": lambda n, ns: {"due_on": dt.date(2030, 1, 1) + dt.timedelta(days=n)},
    "Compound": lambda n, ns: {"name": f"复制小区{n}"},
    "OwnersCommittee": lambda n, ns: {"term_no": 100 + n},
    "DirectoryRevision": lambda n, ns: {"number": 100 + n},
    "PropertyCompany": lambda n, ns: {"uscc": complete(f"91341122MA2N{n:05d}")},
    "ArchiveItem": lambda n, ns: {"kind": list(ArchiveKind)[n % len(ArchiveKind)],
                                  "committee": copy_row(ns.a.committee, ns)},
}


def copy_row(row, ns):
    """A new row like `row` (same parents, so the same township/department), not referenced by
    anything, hence deletable."""
    model = type(row)
    n = next(_clone_no)
    skip = {"id", "created_at", "updated_at", "version"}
    values = {c.key: getattr(row, c.key) for c in model.__table__.columns if c.key not in skip}
    overrides = UNIQUE_IN_COPY.get(model.__name__, lambda n, ns: {})(n, ns)
    for key, value in overrides.items():
        if hasattr(value, "__table__"):  # a relationship: drop its FK column, set the object
            values.pop(f"{key}_id", None)
        values[key] = value
    copy = model(**values)
    db.session.add(copy)
    db.session.commit()
    return copy


@pytest.fixture(scope="module")
def world(app):
    """The tiny county, the six users, one signed-in client per role; built once."""
    from tests.factories import build_county

    with app.app_context():
        _truncate_business_tables()
        ns = build_county()
        add_extra_rows(ns)
        create_role_users()
        ns.clients = {username: sign_in(app, username) for username in ROLE_USERS}
        yield ns
        db.session.remove()


# ------------------------------------------------------------------ the matrix


def offered(entity: str) -> set[str]:
    """The verbs a screen offers at all, whoever asks: a view may declare base_permissions
    (the change log and the report archive are read-only, even for Admin)."""
    declared = VIEWS[entity].base_permissions
    if declared is None:
        return {READ, ADD, EDIT, DELETE}
    return {p.removeprefix("can_") for p in declared}


HTML_OK = {"list": 200, "show": 200, "add": 200, "edit": 200, "delete": 302}
HTML_VERB = {"list": READ, "show": READ, "add": ADD, "edit": EDIT, "delete": DELETE}
API_VERB = {"api_list": READ, "api_show": READ, "api_post": ADD, "api_put": EDIT,
            "api_delete": DELETE}
# Allowed API calls are made so that they change nothing: POST/PUT a non-JSON body (FAB: 400
# after the permission check), DELETE a row that does not exist (404).
API_OK = {"api_list": 200, "api_show": 200, "api_post": 400, "api_put": 400, "api_delete": 404}
VERBS = [*HTML_VERB, *API_VERB]


def expected(username: str, entity: str, action: str) -> bool:
    verb = {**HTML_VERB, **API_VERB}[action]
    return may(ROLE_USERS[username][0], entity, verb) and verb in offered(entity)


def attempt(world, username: str, entity: str, action: str):
    """Perform one action; returns (status, changed) where `changed` says whether a delete
    removed its row."""
    client = world.clients[username]
    view = VIEWS[entity]
    base, api = f"/{endpoint_of(view)}", f"/api/v1/{_snake(entity)}"
    row = resolve(world, row_path(entity, username))
    model = type(row)
    pk = row.id
    if action == "list":
        return client.get(f"{base}/list/").status_code, None
    if action == "show":
        return client.get(f"{base}/show/{pk}").status_code, None
    if action == "add":
        return client.get(f"{base}/add").status_code, None
    if action == "edit":
        return client.get(f"{base}/edit/{pk}").status_code, None
    if action == "delete":
        victim = copy_row(row, world).id
        status = client.post(f"{base}/delete/{victim}").status_code
        return status, rows_of(model, id=victim) == 0
    if action == "api_list":
        return client.get(f"{api}/").status_code, None
    if action == "api_show":
        return client.get(f"{api}/{pk}").status_code, None
    if action == "api_post":
        return client.post(f"{api}/", data="x", content_type="text/plain").status_code, None
    if action == "api_put":
        return client.put(f"{api}/{pk}", data="x", content_type="text/plain").status_code, None
    if action == "api_delete":
        return client.delete(f"{api}/987654321").status_code, None
    raise AssertionError(action)


def check(world, username, entity, action, allowed):
    status, deleted = attempt(world, username, entity, action)
    ok = {**HTML_OK, **API_OK}[action]
    where = f"{username} {action} {entity}: {status}"
    if allowed:
        assert status == ok, where
        if action == "delete":
            assert deleted, f"{where} but the row is still there"
    else:
        assert status == 403, where
        if action == "delete":
            assert not deleted, f"{where} yet the row was deleted"


@pytest.mark.parametrize("entity", list(VIEWS))
@pytest.mark.parametrize("username", list(ROLE_USERS))
def test_role_gets_exactly_its_grants(world, username, entity):
    failures = []
    for action in VERBS:
        try:
            check(world, username, entity, action, expected(username, entity, action))
        except AssertionError as exc:
            failures.append(str(exc).splitlines()[0])
    assert not failures, failures


# Key facts stated in DESIGN.md, written out by hand so that ROLE_GRANTS is checked too.
FACTS = [
    # Supervisor: read everything, no edits.
    ("supervisor", "Compound", "list", True),
    ("supervisor", "Dispute", "api_list", True),
    ("supervisor", "ReportRun", "list", True),
    ("supervisor", "Compound", "edit", False),
    ("supervisor", "Compound", "add", False),
    ("supervisor", "Task", "delete", False),
    ("supervisor", "ContactPoint", "api_put", False),
    ("supervisor", "ChangeLog", "list", False),
    # DepartmentLiaison: their ContactPoint rows and tasks; the directory; nothing else.
    ("liaison_a", "Compound", "list", False),
    ("liaison_a", "Compound", "api_list", False),
    ("liaison_a", "Dispute", "list", False),
    ("liaison_a", "ContactPoint", "list", True),
    ("liaison_a", "ContactPoint", "edit", True),
    ("liaison_a", "ContactPoint", "api_put", True),
    ("liaison_a", "Department", "list", True),
    ("liaison_a", "Task", "edit", True),
    ("liaison_a", "TaskUpdate", "add", True),
    ("liaison_a", "Department", "edit", False),
    ("liaison_a", "ContactPoint", "delete", False),
    # PriceReviewer: reads contracts, records price reviews.
    ("reviewer", "PriceReview", "list", True),
    ("reviewer", "PriceReview", "edit", True),
    ("reviewer", "ServiceContract", "list", True),
    ("reviewer", "ServiceContract", "edit", False),
    ("reviewer", "ServiceContract", "api_put", False),
    ("reviewer", "PriceReview", "add", False),
    ("reviewer", "PriceReview", "delete", False),
    ("reviewer", "Dispute", "list", False),
    # TownshipClerk: their township's records; reads companies and the directory.
    ("town_a", "PropertyCompany", "list", True),
    ("town_a", "PropertyCompany", "add", False),
    ("town_a", "PropertyCompany", "api_post", False),
    ("town_a", "ServiceContract", "list", True),
    ("town_a", "ServiceContract", "edit", False),
    ("town_a", "ContactPoint", "list", True),
    ("town_a", "Department", "list", True),
    ("town_a", "Compound", "add", True),
    ("town_a", "Compound", "edit", True),
    ("town_a", "Dispute", "delete", True),
    ("town_a", "Finding", "api_post", True),
    ("town_a", "County", "edit", False),
    ("town_a", "ReportRun", "list", False),
    ("town_a", "PriceReview", "list", False),
    # BureauClerk: every record of the county; not the change log.
    ("bureau", "Compound", "add", True),
    ("bureau", "ServiceContract", "delete", True),
    ("bureau", "ContactPoint", "edit", True),
    ("bureau", "ReportRun", "list", True),
    ("bureau", "PriceReview", "edit", False),
    ("bureau", "ChangeLog", "list", False),
    ("bureau", "ChangeLog", "api_list", False),
    # Admin: everything - but the change log and report archive are read-only screens.
    ("admin", "ChangeLog", "list", True),
    ("admin", "ChangeLog", "api_list", True),
    ("admin", "Compound", "delete", True),
    ("admin", "ChangeLog", "delete", False),
    ("admin", "ChangeLog", "edit", False),
    ("admin", "ChangeLog", "api_delete", False),
    ("admin", "ReportRun", "delete", False),
    ("admin", "ReportRun", "api_delete", False),
    ("admin", "PriceReview", "edit", True),
    ("admin", "PriceReview", "add", False),  # contracts are added and deleted as contracts
]


@pytest.mark.parametrize("username,entity,action,allowed", FACTS,
                         ids=[f"{u}-{a}-{e}-{'yes' if ok else 'no'}" for u, e, a, ok in FACTS])
def test_design_facts(world, username, entity, action, allowed):
    assert expected(username, entity, action) == allowed, "office.roles disagrees with DESIGN.md"
    check(world, username, entity, action, allowed)


def test_bulk_delete_action_needs_delete_permission(world):
    """The list's bulk `muldelete` action is the delete verb: a Supervisor's POST deletes
    nothing, and a read-only screen (the change log) offers no bulk delete, even to Admin."""
    own = [copy_row(world.a.dispute, world).id for _ in range(2)]
    resp = world.clients["supervisor"].post(
        "/disputeview/action_post", data={"action": "muldelete", "rowid": own})
    assert resp.status_code in (302, 403)
    assert all(rows_of(type(world.a.dispute), id=pk) == 1 for pk in own)

    log_id = world.change_log.id
    admin = world.clients["admin"]
    assert "muldelete" not in admin.get("/changelogview/list/").get_data(as_text=True)
    resp = admin.post("/changelogview/action_post",
                      data={"action": "muldelete", "rowid": [log_id]})
    assert resp.status_code == 404
    assert rows_of(ChangeLog, id=log_id) == 1

    resp = world.clients["bureau"].post(
        "/disputeview/action_post", data={"action": "muldelete", "rowid": own})
    assert resp.status_code == 302
    assert all(rows_of(type(world.a.dispute), id=pk) == 0 for pk in own)


# ------------------------------------------------------------------ user administration

ADMIN_SCREENS = ["/users/list/", "/users/add", "/roles/list/"]


@pytest.mark.parametrize("username", list(ROLE_USERS))
def test_only_admin_administers_users(world, username):
    client = world.clients[username]
    for url in ADMIN_SCREENS:
        status = client.get(url).status_code
        assert status == (200 if username == "admin" else 403), f"{username} {url}: {status}"
    for url in ("/api/v1/security/users/", "/api/v1/security/roles/"):
        assert client.get(url).status_code == (200 if username == "admin" else 403), url


@pytest.mark.parametrize("username", list(ROLE_USERS))
def test_every_user_reaches_own_account_screens(world, username):
    client = world.clients[username]
    assert client.get("/users/userinfo/").status_code == 200
    assert client.get("/resetmypassword/form").status_code == 200


def test_anonymous_gets_login_redirect_and_api_401(app, world):
    client = app.test_client()
    for view in VIEWS.values():
        resp = client.get(f"/{endpoint_of(view)}/list/")
        assert resp.status_code == 302 and "/login/" in resp.headers["Location"], view
    for entity in VIEWS:
        assert client.get(f"/api/v1/{_snake(entity)}/").status_code == 401, entity


# ------------------------------------------------------------------ the menu

MENU_LINK = re.compile(r'href="/(\w+)/list/')
MENU_CATEGORY = re.compile(r'class="dropdown-toggle"[^>]*>(.*?)<b class="caret"', re.S)


@pytest.mark.parametrize("username", list(ROLE_USERS))
def test_menu_shows_only_readable_screens(world, username):
    page = world.clients[username].get("/").get_data(as_text=True)
    body = page[page.index('<header class="top"'):page.index("</header>")]  # the navbar
    shown = set(MENU_LINK.findall(body))
    role = ROLE_USERS[username][0]
    for entity, view in VIEWS.items():
        assert (endpoint_of(view) in shown) == may(role, entity, READ), (username, entity)
    assert ("users" in shown) == (username == "admin")
    assert ("roles" in shown) == (username == "admin")
    # The navbar shows exactly the categories holding a screen the role may read.
    toggles = {re.sub(r"<[^>]+>|&nbsp;", "", t).strip()
               for t in MENU_CATEGORY.findall(body)}
    for category in {c for _, _, c, _ in MENU} - {"Security"}:
        readable = any(may(role, entity_of(v), READ) for v, _, c, _ in MENU if c == category)
        if category == "统计报表":  # also holds 工作看板 (office/views/dashboard.py)
            readable = readable or may(role, "Dashboard", READ)
        assert (category in toggles) == readable, (username, category, toggles)

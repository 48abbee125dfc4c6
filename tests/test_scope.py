"""Row scope on every path (DESIGN.md: "it holds for list, show, edit, delete, grid, import,
export, API and reports alike. A user asking for a row outside their scope gets 404").

The TownshipClerk of township A (town_a) and the DepartmentLiaison of department A (liaison_a)
try every HTML and REST path on the out-of-scope twins in township / department B: reading,
changing, deleting, bulk-deleting, creating a row that hangs off B, moving an own row to B.
Every refusal leaves the table's row count and the row itself unchanged, and every refused
attempt has a twin made with the user's own parent that succeeds, so a refusal is the scope's
doing and not a malformed request. Form dropdowns offer only rows the user may link to.
"""
from __future__ import annotations

import datetime as dt
import enum
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from office.kit.registry import _snake
from office.models import db
from office.roles import ADD, DELETE, EDIT, may
from tests.conftest import ROLE_USERS
from tests.factories import put_versioned
from tests.test_permissions import (  # noqa: F401  (fixtures)
    VIEWS,
    copy_row,
    endpoint_of,
    resolve,
    rows_of,
    world,
)

# ------------------------------------------------------------------ helpers


class _FormParser(HTMLParser):
    """The fields of <form id="model_form">: values as a browser would post them, and every
    <select>'s option values."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id, self.inside = form_id, False
        self.values: dict[str, str] = {}
        self.names: list[str] = []  # every field, unchecked boxes too
        self.options: dict[str, list[str]] = {}
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        name = a.get("name")
        if tag in ("input", "select", "textarea") and name and name not in self.names:
            self.names.append(name)
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind == "checkbox":
                if "checked" in a:
                    self.values[name] = a.get("value", "y")
            elif kind not in ("submit", "button"):
                self.values[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select = name
            self.options[name] = []
        elif tag == "option" and self._select:
            value = a.get("value", "")
            self.options[self._select].append(value)
            if "selected" in a or self._select not in self.values:
                self.values[self._select] = value
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            if not self.values[self._textarea]:  # browsers drop the newline after <textarea>
                data = data[2:] if data.startswith("\r\n") else data.removeprefix("\n")
            self.values[self._textarea] += data


def parse_form(html: str, form_id: str = "model_form") -> _FormParser:
    parser = _FormParser(form_id)
    parser.feed(html)
    assert parser.values, f"no <form id={form_id}> in the page"
    return parser


def snapshot(row) -> dict:
    """The row as the database has it now (not the session's copy)."""
    table = type(row).__table__
    return dict(db.session.execute(
        sa.select(table).where(table.c.id == row.id)).mappings().one())


def form_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, enum.Enum):
        return value.name  # forms post an enum by its name
    if isinstance(value, bool):
        return "y" if value else ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if hasattr(value, "__table__"):
        return str(value.id)
    return str(value)


def form_data(client, url, row, **overrides) -> dict:
    """The form at `url` filled in as a clerk would, with `row`'s values."""
    form = parse_form(client.get(url).get_data(as_text=True))
    data = {name: form_value(getattr(row, name)) for name in form.names if hasattr(row, name)}
    data.update({k: str(v) for k, v in overrides.items()})
    return {k: v for k, v in data.items() if v != ""}


def api_value(value):
    if isinstance(value, enum.Enum):
        return value.name  # the API takes an enum by its member name, as stored
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "__table__"):
        return value.id
    return value


def api_payload(row, columns, **overrides) -> dict:
    payload = {c: api_value(getattr(row, c)) for c in columns}
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not None}


SHOW_LINK = r'href="/{endpoint}/show/(\d+)'


def listed_ids(client, entity) -> set[int]:
    endpoint = endpoint_of(VIEWS[entity])
    body = client.get(f"/{endpoint}/list/?psize_{VIEWS[entity].__name__}=100")
    assert body.status_code == 200
    return {int(i) for i in re.findall(SHOW_LINK.format(endpoint=endpoint),
                                       body.get_data(as_text=True))}


def api_ids(client, entity) -> set[int]:
    resp = client.get(f"/api/v1/{_snake(entity)}/?q=(page_size:500)")
    assert resp.status_code == 200
    return set(resp.get_json()["ids"])


# ------------------------------------------------------------------ the cases

# (user, entity, own row, twin out of scope, the field that ties the row to its owner,
#  own parent, the twin's parent, fields to change so a new row is unique)
CASES = [
    ("town_a", "Compound", "a.compound", "b.compound", "township", "a.township", "b.township",
     {"name": "新建小区"}),
    ("town_a", "PrepGroup", "a.prep_group", "b.prep_group", "compound", "a.compound",
     "b.compound", {}),
    ("town_a", "OwnersCommittee", "a.committee", "b.committee", "compound", "a.compound",
     "b.compound", {"term_no": 7}),
    ("town_a", "CommitteeMember", "a.member", "b.member", "committee", "a.committee",
     "b.committee", {"name": "新成员"}),
    ("town_a", "SupervisionRecord", "a.supervision", "b.supervision", "member", "a.member",
     "b.member", {}),
    ("town_a", "ArchiveItem", "a.archive", "b.archive", "committee", "a.committee",
     "b.committee", {"kind": "decisions"}),
    ("town_a", "Dispute", "a.dispute", "b.dispute", "compound", "a.compound", "b.compound", {}),
    ("town_a", "Finding", "a.finding", "b.finding", "compound", "a.compound", "b.compound", {}),
    ("town_a", "ContactPoint", "a.contact", "b.contact", "township", "a.township",
     "b.township", {}),
    ("town_a", "Task", "a.task", "b.task", "township", "a.township", "b.township", {}),
    ("town_a", "TaskUpdate", "a.task_update", "b.task_update", "task", "a.task", "b.task", {}),
    ("liaison_a", "ContactPoint", "a.dept_contact", "b.dept_contact", "department",
     "a.department", "b.department", {}),
    ("liaison_a", "Task", "a.dept_task", "b.dept_task", "department", "a.department",
     "b.department", {}),
    ("liaison_a", "TaskUpdate", "dept_task_update", "b_dept_task_update", "task", "a.dept_task",
     "b.dept_task", {}),
]
# Rows the user may read but not change, still bounded to their township.
READ_ONLY = [
    ("town_a", "ServiceContract", "a.contract", "b.contract"),
    ("town_a", "Disclosure", "a.disclosure", "b.disclosure"),
    ("town_a", "Signboard", "a.signboard", "b.signboard"),
]
# The directory is public: everyone reads every ContactPoint, but writes only their own.
PUBLIC = {"ContactPoint"}


def _role(user):
    return ROLE_USERS[user][0]


def _cases(verb):
    return [pytest.param(c, id=f"{c[0]}-{c[1]}") for c in CASES if may(_role(c[0]), c[1], verb)]


def _reads():
    return [pytest.param(u, e, own, twin, id=f"{u}-{e}")
            for u, e, own, twin, *_ in CASES + [(*r, None) for r in READ_ONLY]]


class Case:
    def __init__(self, world, user, entity, own, twin, field, own_parent, twin_parent, unique):
        self.client = world.clients[user]
        self.view = VIEWS[entity]
        self.base = f"/{endpoint_of(self.view)}"
        self.api = f"/api/v1/{_snake(entity)}"
        self.own, self.twin = resolve(world, own), resolve(world, twin)
        self.model = type(self.own)
        self.field = field
        self.own_parent = resolve(world, own_parent).id
        self.twin_parent = resolve(world, twin_parent).id
        self.unique = unique

    def count(self) -> int:
        return rows_of(self.model)


@pytest.fixture()
def case(world, request):
    return Case(world, *request.param)


def _param_cases(verb):
    return pytest.mark.parametrize("case", _cases(verb), indirect=True)


# ------------------------------------------------------------------ reading


@pytest.mark.parametrize("user,entity,own,twin", _reads())
def test_list_and_api_list_show_only_own_rows(world, user, entity, own, twin):
    client = world.clients[user]
    own_id, twin_id = resolve(world, own).id, resolve(world, twin).id
    for ids in (listed_ids(client, entity), api_ids(client, entity)):
        assert own_id in ids
        assert (twin_id in ids) == (entity in PUBLIC), ids


@pytest.mark.parametrize("user,entity,own,twin", _reads())
def test_show_out_of_scope_is_404(world, user, entity, own, twin):
    client = world.clients[user]
    base, api = f"/{endpoint_of(VIEWS[entity])}", f"/api/v1/{_snake(entity)}"
    own_id, twin_id = resolve(world, own).id, resolve(world, twin).id
    assert client.get(f"{base}/show/{own_id}").status_code == 200
    assert client.get(f"{api}/{own_id}").status_code == 200
    twin_status = 200 if entity in PUBLIC else 404
    assert client.get(f"{base}/show/{twin_id}").status_code == twin_status
    assert client.get(f"{api}/{twin_id}").status_code == twin_status


def test_list_filter_cannot_reach_another_township(world):
    """A list filter on township B's id, or a search, still only returns township A's rows."""
    client = world.clients["town_a"]
    body = client.get(f"/compoundview/list/?_flt_0_township={world.b.township.id}")
    assert body.status_code == 200
    assert str(world.b.compound.id) not in re.findall(
        SHOW_LINK.format(endpoint="compoundview"), body.get_data(as_text=True))
    resp = client.get(
        f"/api/v1/compound/?q=(filters:!((col:township,opr:rel_o_m,value:{world.b.township.id})))")
    assert resp.status_code == 200 and resp.get_json()["count"] == 0


def test_related_lists_on_show_page_are_scoped(world):
    """The committee list under a compound's show page is the scoped view's too."""
    client = world.clients["town_a"]
    body = client.get(f"/ownerscommitteeview/list/?_flt_0_compound={world.b.compound.id}")
    ids = re.findall(SHOW_LINK.format(endpoint="ownerscommitteeview"), body.get_data(as_text=True))
    assert str(world.b.committee.id) not in ids


# ------------------------------------------------------------------ changing another's row


@_param_cases(EDIT)
def test_edit_out_of_scope_row_is_404(case):
    before, count = snapshot(case.twin), case.count()
    form = parse_form(case.client.get(f"{case.base}/edit/{case.own.id}").get_data(as_text=True))
    assert case.client.get(f"{case.base}/edit/{case.twin.id}").status_code == 404
    data = {**form.values, case.field: str(case.twin_parent)}
    assert case.client.post(f"{case.base}/edit/{case.twin.id}", data=data).status_code == 404
    resp = put_versioned(case.client, f"{case.api}/{case.twin.id}",
                         json={case.field: case.twin_parent})
    assert resp.status_code == 404
    assert snapshot(case.twin) == before and case.count() == count


@_param_cases(DELETE)
def test_delete_out_of_scope_row_is_404(case, world):
    count, own_copy = case.count(), copy_row(case.own, world)
    assert case.client.post(f"{case.base}/delete/{case.twin.id}").status_code == 404
    assert case.client.delete(f"{case.api}/{case.twin.id}").status_code == 404
    assert case.client.post(f"{case.base}/action/muldelete/{case.twin.id}").status_code == 404
    # a bulk delete of own and foreign rows deletes nothing at all
    resp = case.client.post(f"{case.base}/action_post",
                            data={"action": "muldelete", "rowid": [own_copy.id, case.twin.id]})
    assert resp.status_code == 404
    assert case.count() == count + 1
    assert rows_of(case.model, id=case.twin.id) == 1 and rows_of(case.model, id=own_copy.id) == 1
    # ...and the same request with own rows only does delete them
    resp = case.client.post(f"{case.base}/action_post",
                            data={"action": "muldelete", "rowid": [own_copy.id]})
    assert resp.status_code == 302 and rows_of(case.model, id=own_copy.id) == 0


# ------------------------------------------------------------------ creating into B


@_param_cases(ADD)
def test_add_form_offers_only_own_parents(case):
    form = parse_form(case.client.get(f"{case.base}/add").get_data(as_text=True))
    options = form.options[case.field]
    assert str(case.own_parent) in options
    assert str(case.twin_parent) not in options


@_param_cases(ADD)
def test_add_form_post_into_other_township_is_refused(case):
    data = form_data(case.client, f"{case.base}/add", case.own, **case.unique)
    count = case.count()

    resp = case.client.post(f"{case.base}/add", data={**data, case.field: str(case.twin_parent)})
    # the scoped dropdown does not accept township B's row: the form comes back with an error
    assert resp.status_code == 200
    assert 'class="alert alert-danger"' in resp.get_data(as_text=True)
    assert case.count() == count

    # the same form with the user's own parent is accepted
    resp = case.client.post(f"{case.base}/add", data={**data, case.field: str(case.own_parent)})
    assert resp.status_code == 302, resp.get_data(as_text=True)[-2000:]
    assert case.count() == count + 1


@_param_cases(ADD)
def test_api_post_into_other_township_is_404(case):
    columns = list(VIEWS[_entity(case)].add_columns)
    payload = api_payload(case.own, columns, **case.unique)
    if "kind" in case.unique and case.model.__name__ == "ArchiveItem":
        payload["kind"] = "decisions"
    count = case.count()
    resp = case.client.post(f"{case.api}/", json={**payload, case.field: case.twin_parent})
    assert resp.status_code == 404, resp.get_data(as_text=True)
    assert case.count() == count
    # positive control: the same payload into the user's own township is created
    unique_again = {k: (f"{v}2" if isinstance(v, str) else v + 1) for k, v in
                    case.unique.items() if k != "kind"}
    payload.update(unique_again)
    if case.model.__name__ == "ArchiveItem":
        payload["kind"] = "rules"
    resp = case.client.post(f"{case.api}/", json={**payload, case.field: case.own_parent})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert case.count() == count + 1


def _entity(case) -> str:
    return next(e for e, v in VIEWS.items() if v is case.view)


# ------------------------------------------------------------------ moving an own row to B


@_param_cases(EDIT)
def test_edit_form_offers_only_own_parents(case):
    form = parse_form(case.client.get(f"{case.base}/edit/{case.own.id}").get_data(as_text=True))
    options = form.options[case.field]
    assert str(case.own_parent) in options
    assert str(case.twin_parent) not in options


@_param_cases(EDIT)
def test_moving_own_row_to_other_township_is_refused(case):
    form = parse_form(case.client.get(f"{case.base}/edit/{case.own.id}").get_data(as_text=True))
    before, count = snapshot(case.own), case.count()

    resp = case.client.post(f"{case.base}/edit/{case.own.id}",
                            data={**form.values, case.field: str(case.twin_parent)})
    assert resp.status_code == 200
    assert 'class="alert alert-danger"' in resp.get_data(as_text=True)
    assert snapshot(case.own) == before

    resp = put_versioned(case.client, f"{case.api}/{case.own.id}",
                         json={case.field: case.twin_parent})
    assert resp.status_code == 404, resp.get_data(as_text=True)
    assert snapshot(case.own) == before and case.count() == count

    # positive control: the unchanged form saves (302) and the row stays the user's
    resp = case.client.post(f"{case.base}/edit/{case.own.id}", data=form.values)
    assert resp.status_code == 302, resp.get_data(as_text=True)[-2000:]
    resp = put_versioned(case.client, f"{case.api}/{case.own.id}",
                         json={case.field: case.own_parent})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert snapshot(case.own)[f"{case.field}_id"] == case.own_parent


# ------------------------------------------------------------------ lookups and the directory


def test_reference_dropdowns_list_public_rows(world):
    """Scope bounds what a clerk may *own*; companies are county-wide reference data, so a
    township clerk's compound form offers every property company."""
    form = parse_form(world.clients["town_a"].get("/compoundview/add").get_data(as_text=True))
    assert str(world.company.id) in form.options["company"]
    assert form.options["township"] == ["__None", str(world.a.township.id)] or set(
        form.options["township"]) - {"__None", ""} == {str(world.a.township.id)}


@pytest.mark.parametrize("user", ["town_a", "liaison_a"])
def test_directory_is_public_but_edited_only_by_its_owner(world, user):
    client = world.clients[user]
    mine = world.a.contact if user == "town_a" else world.a.dept_contact
    others = [c for c in (world.a.contact, world.b.contact, world.a.dept_contact,
                          world.b.dept_contact) if c is not mine]
    listed = listed_ids(client, "ContactPoint")
    assert {mine.id, *(c.id for c in others)} <= listed
    form = parse_form(client.get(f"/contactpointview/edit/{mine.id}").get_data(as_text=True))
    for other in others:
        before = snapshot(other)
        assert client.get(f"/contactpointview/show/{other.id}").status_code == 200
        assert client.get(f"/api/v1/contact_point/{other.id}").status_code == 200
        assert client.get(f"/contactpointview/edit/{other.id}").status_code == 404
        resp = client.post(f"/contactpointview/edit/{other.id}",
                           data={**form.values, "person": "冒名"})
        assert resp.status_code == 404
        assert put_versioned(client, f"/api/v1/contact_point/{other.id}",
                             json={"person": "冒名"}).status_code == 404
        assert snapshot(other) == before
    resp = put_versioned(client, f"/api/v1/contact_point/{mine.id}",
                         json={"complaint_phone": "110"})
    assert resp.status_code == 200
    assert snapshot(mine)["complaint_phone"] == "110"


@pytest.mark.parametrize("user", ["town_a", "liaison_a"])
def test_unknown_or_foreign_row_answers_alike(world, user):
    """404 for a row that does not exist and for one outside the scope: no existence oracle."""
    client = world.clients[user]
    twin = world.b.task if user == "town_a" else world.b.dept_task
    for url in (f"/taskview/show/{twin.id}", "/taskview/show/987654",
                f"/taskview/edit/{twin.id}", "/taskview/edit/987654",
                f"/api/v1/task/{twin.id}", "/api/v1/task/987654"):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("user", ["town_a", "liaison_a", "admin"])
def test_no_unscoped_file_download_route(world, user):
    """FAB's /<view>/download/<filename> would hand out any uploaded file to any reader."""
    client = world.clients[user]
    for view in VIEWS.values():
        assert client.get(f"/{endpoint_of(view)}/download/secret.xlsx").status_code == 404


def test_api_info_offers_only_own_parents(world):
    """The API's _info (what a client builds its dropdowns from) is scoped like the forms."""
    client = world.clients["town_a"]
    for resource, column, own, twin in [("compound", "township", world.a.township,
                                         world.b.township),
                                        ("dispute", "compound", world.a.compound,
                                         world.b.compound)]:
        info = client.get(f"/api/v1/{resource}/_info?q=(keys:!(add_columns,edit_columns))")
        assert info.status_code == 200
        for key in ("add_columns", "edit_columns"):
            (field,) = [c for c in info.get_json()[key] if c["name"] == column]
            ids = {v["id"] for v in field["values"]}
            assert own.id in ids and twin.id not in ids, (resource, key, ids)

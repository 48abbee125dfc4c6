"""Spreadsheet mode: data paging/search/filters, batch saves, undo, the lean list page.

Runs on SQLite and on PostgreSQL (OFFICE_TEST_DATABASE_URL) alike; the search index under
test is the FTS5 table on SQLite and the pg_trgm indexes on PostgreSQL.
"""
from __future__ import annotations

import contextlib
import json
import re

import pytest
import sqlalchemy as sa

from office.models import ChangeLog, ChangeSource, Compound, CompoundKind, db
from tests.conftest import IS_POSTGRES, count

DATA = "/compoundview/grid/data"
SAVE = "/compoundview/grid/save"
UNDO = "/compoundview/grid/undo"


class _Isolated:
    """A signed-in client whose every request runs in an app context of its own.

    The ``county`` fixture holds one app context open for the whole test, and Flask reuses
    an open app context for a test request - so ``g`` (Flask-Login's user, FAB's g.user, the
    cached scope) would leak from one client's request into another's. Two users in one test
    need this.
    """

    def __init__(self, app, client):
        self.app, self.client = app, client

    def get(self, *args, **kwargs):
        with self.app.app_context():
            return self.client.get(*args, **kwargs)

    def post(self, *args, **kwargs):
        with self.app.app_context():
            return self.client.post(*args, **kwargs)


@pytest.fixture()
def login(app, users):
    from tests.conftest import PASSWORD

    def _login(username: str):
        client = app.test_client()
        with app.app_context():
            resp = client.post("/login/", data={"username": username, "password": PASSWORD})
        assert resp.status_code == 302, f"login failed for {username}"
        return _Isolated(app, client)

    return _login


@contextlib.contextmanager
def statements():
    seen: list[str] = []

    def record(conn, cursor, statement, params, context, executemany):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


def add_compounds(county, n, township=None, prefix="测试小区"):
    township = township or county.a.township
    rows = [Compound(township=township, name=f"{prefix}{i:03d}", kind=CompoundKind.commercial,
                     households=i * 10, management_mode=county.a.compound.management_mode)
            for i in range(n)]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def one(client, **params):
    resp = client.get(DATA, query_string=params)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


def update(row, **values):
    return {"key": str(row["id"]), "id": row["id"], "version": row["_version"],
            "values": values}


# ---------------------------------------------------------------- page and data


def test_grid_page_is_built_from_the_view(login, county):
    body = login("town_a").get("/compoundview/grid/").get_data(as_text=True)
    assert "表格模式" in body and "vendor/tabulator/tabulator.min.js" in body
    config = json.loads(body.split('id="grid-config">')[1].split("</script>")[0])
    fields = {c["field"]: c for c in config["columns"]}
    assert fields["name"]["title"] == "名称" and fields["name"]["maxLength"] == 80
    assert fields["kind"]["kind"] == "enum"
    assert {"value": "old", "label": "老旧小区"} in fields["kind"]["choices"]
    assert fields["township"]["kind"] == "relation" and fields["delivered_on"]["kind"] == "date"
    assert fields["households"]["kind"] == "int"
    assert config["canEdit"] and config["canAdd"]
    assert "http://" not in body.replace("http://localhost", "") and "https://" not in body


def test_read_only_roles_get_a_read_only_grid(login, county):
    client = login("supervisor")
    body = client.get("/compoundview/grid/").get_data(as_text=True)
    config = json.loads(body.split('id="grid-config">')[1].split("</script>")[0])
    assert not config["canEdit"] and not config["canAdd"]
    row = one(client)["data"][0]
    resp = client.post(SAVE, json={"rows": [update(row, households=1)]})
    assert resp.status_code == 403
    assert login("liaison_a").get("/compoundview/grid/data").status_code == 403


def test_data_is_scoped_and_paged_without_count(login, county):
    add_compounds(county, 5)
    client = login("town_a")
    with statements() as seen:
        page = one(client, page=1, size=4)
    assert [r["name"] for r in page["data"]][0] == "幸福花园A"
    assert page["last_page"] == 2 and page["has_more"] and page["cursor"]
    assert not [s for s in seen if "count(" in s.lower() and "compound" in s]
    assert len(seen) <= 4, seen  # user, roles, groups, the page: nothing per row
    names = {r["name"] for r in one(client, page=1, size=100)["data"]}
    assert "幸福花园B" not in names and len(names) == 6
    last = one(client, page=2, size=4)
    assert len(last["data"]) == 2 and last["last_page"] == 2 and not last["has_more"]


def test_keyset_and_deferred_join_give_the_same_pages(login, county):
    add_compounds(county, 12)
    client = login("bureau")
    for sort, direction in [("id", "asc"), ("households", "desc"), ("name", "asc"),
                            ("township", "asc")]:
        first = one(client, page=1, size=5, sort=sort, dir=direction)
        jumped = one(client, page=2, size=5, sort=sort, dir=direction)
        expected = [r["id"] for r in jumped["data"]]
        if first["cursor"] is not None:
            with statements() as seen:
                walked = one(client, page=2, size=5, sort=sort, dir=direction,
                             after=json.dumps(first["cursor"]))
            assert [r["id"] for r in walked["data"]] == expected, sort
            assert len(seen) <= 4
        ordered = one(client, page=1, size=100, sort=sort, dir=direction)["data"]
        assert [r["id"] for r in ordered[5:10]] == expected, sort


# ---------------------------------------------------------------- deep pages


def _tied_compounds(county, n=34):
    """Rows with ties in every sort key: each name in both townships, households repeating,
    kinds alternating, some built years unknown (NULL)."""
    kinds = [CompoundKind.commercial, CompoundKind.old, CompoundKind.mixed]
    db.session.add_all([
        Compound(township=county.a.township if i % 2 else county.b.township,
                 name=f"深页小区{i // 2:02d}", kind=kinds[i % 3], households=(i % 4) * 100,
                 built_year=None if i % 5 == 0 else 2000 + i % 7,
                 management_mode=county.a.compound.management_mode)
        for i in range(n)])
    db.session.commit()


def _ids(body):
    return [r["id"] for r in body["data"]]


def _anchors(body, page):
    """What the browser sends back from the page it shows (static/grid/grid.js)."""
    out = {"from": page}
    if body["cursor"] is not None:
        out["after"] = json.dumps(body["cursor"], ensure_ascii=False)
    if body["first"] is not None:
        out["before"] = json.dumps(body["first"], ensure_ascii=False)
    return out


DEEP_CASES = [
    {"sort": "name", "dir": "asc"},  # the default order: ix_compound_name
    {"sort": "name", "dir": "desc"},
    {"sort": "households", "dir": "desc"},  # ties broken by id: ix_compound_households
    {"sort": "id", "dir": "asc"},
    {"sort": "kind", "dir": "asc"},  # an enum
    {"sort": "township", "dir": "asc"},  # a related row's label: no keyset, OFFSET only
    {"sort": "built_year", "dir": "desc"},  # nullable: no keyset, OFFSET only
    {"sort": "households", "dir": "asc", "f_kind": "commercial"},
    {"sort": "name", "dir": "asc", "f_households_min": "100", "f_households_max": "200"},
    {"sort": "name", "dir": "desc", "q": "深页"},  # search
    {"sort": "id", "dir": "desc", "q": "深页小区"},  # search by id order: FTS drives on SQLite
]


@pytest.mark.parametrize("user", ["bureau", "town_a"])
def test_deep_pages_equal_the_naive_offset_query(login, county, user):
    """Every page, read cold (OFFSET through the late row lookup) or reached by a jump of up
    to 3 pages either way from a page shown (keyset from its edge rows), is exactly that
    slice of the whole ordered result - for several sorts, filters, a search and a row
    scope."""
    _tied_compounds(county)
    client = login(user)
    scope = [Compound.township_id == county.a.township.id] if user == "town_a" else []
    naive = {  # the plain query, OFFSET and all, as a reference for the default orders
        ("name", "asc"): [Compound.name, Compound.id],
        ("households", "desc"): [Compound.households.desc(), Compound.id.desc()],
    }
    size = 3
    for params in DEEP_CASES:
        everything = _ids(one(client, page=1, size=500, **params))
        order = naive.get((params["sort"], params["dir"])) if len(params) == 2 else None
        if order is not None:
            assert everything == list(db.session.scalars(
                sa.select(Compound.id).where(*scope).order_by(*order))), params
        pages = -(-len(everything) // size)
        assert pages >= 3, (params, len(everything))
        shown = {}
        for page in range(1, pages + 1):
            body = one(client, page=page, size=size, **params)
            assert _ids(body) == everything[(page - 1) * size:page * size], (params, page)
            assert body["has_more"] == (page < pages), (params, page)
            shown[page] = body
            if order is not None and page > 1:
                stmt = sa.select(Compound.id).where(*scope).order_by(*order)
                assert _ids(body) == list(db.session.scalars(
                    stmt.offset((page - 1) * size).limit(size))), (params, page)
        for origin, body in shown.items():
            for page in range(max(1, origin - 3), min(pages, origin + 3) + 1):
                if page == origin:
                    continue
                jumped = one(client, page=page, size=size, **params, **_anchors(body, origin))
                assert _ids(jumped) == everything[(page - 1) * size:page * size], (
                    params, origin, page)
                assert jumped["has_more"] == (page < pages), (params, origin, page)
    for bad in ({"from": "x"}, {"from": "0"}, {"before": "[1]"}):
        assert client.get(DATA, query_string={"page": 2, **bad}).status_code == 400, bad


@contextlib.contextmanager
def statements_with_params():
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, params, context, executemany):
        seen.append((statement, params))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


def _plan(statement, params) -> str:
    """The plan of a captured statement. PostgreSQL, on a table of a few rows, would rather
    read it whole and sort: costs of a big table are what the index has to serve, so scans
    and sorts that are not index scans are priced out."""
    with db.engine.connect() as conn:
        if IS_POSTGRES:
            for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort",
                            "enable_incremental_sort"):
                conn.exec_driver_sql(f"SET LOCAL {setting} = off")
            rows = conn.exec_driver_sql("EXPLAIN " + statement, params).all()
            plan = "\n".join(r[0] for r in rows)
        else:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all()
            plan = "\n".join(r[-1] for r in rows)
        conn.rollback()
    return plan


@pytest.mark.parametrize("user,params,index", [
    ("bureau", {}, "ix_compound_name"),  # the default order, name
    ("bureau", {"sort": "households", "dir": "desc"}, "ix_compound_households"),
    # a township clerk's default order: (township_id, name, id); on SQLite the unique
    # (township_id, name) index, which ends with the rowid
    ("town_a", {}, "page_compound_township_name" if IS_POSTGRES else "sqlite_autoindex"),
])
def test_deep_page_is_an_index_only_late_row_lookup(login, county, user, params, index):
    add_compounds(county, 30)
    add_compounds(county, 4, township=county.b.township, prefix="东山小区")
    client = login(user)
    everything = _ids(one(client, page=1, size=100, **params))
    assert len(everything) >= 31
    with statements_with_params() as seen:
        shown = one(client, page=5, size=4, **params)
    selects = [(s, p) for s, p in seen if "FROM compound" in s]
    assert len(seen) <= 4 and len(selects) == 1, seen
    statement, bound = selects[0]
    assert "count(" not in statement.lower()
    # OFFSET over the ids (and sort key) alone; the page's rows are joined to those
    assert re.search(r"JOIN \(SELECT (compound\.\w+ AS sort_key, )?compound\.id AS id\s+"
                     r"FROM compound\b", statement), statement
    assert statement.count("OFFSET") == 1
    plan = _plan(statement, bound)
    if IS_POSTGRES:
        assert re.search(rf"Index Only Scan (Backward )?using {index}\b", plan), plan
    else:
        assert f"COVERING INDEX {index}" in plan, plan
    assert _ids(shown) == everything[16:20]

    # two pages on and two back from the page shown: keyset from its last / first row, one
    # page skipped, through the same index
    key = params.get("sort", "name")
    later = ">" if params.get("dir", "asc") == "asc" else "<"
    earlier = "<" if later == ">" else ">"
    for page, sign, expected in ((7, later, everything[24:28]), (3, earlier, everything[8:12])):
        with statements_with_params() as seen:
            jumped = one(client, page=page, size=4, **params, **_anchors(shown, 5))
        assert len(seen) <= 4, seen
        statement, bound = next((s, p) for s, p in seen if "FROM compound" in s)
        assert f"(compound.{key}, compound.id) {sign}" in statement, statement
        assert index in _plan(statement, bound)
        assert _ids(jumped) == expected, page


def test_header_filters(login, county):
    add_compounds(county, 3)
    client = login("bureau")
    assert {r["name"] for r in one(client, f_name="花园")["data"]} == {"幸福花园A", "幸福花园B"}
    assert len(one(client, f_township=county.b.township.id)["data"]) == 1
    assert one(client, f_kind="old")["data"] == []
    assert len(one(client, f_kind="commercial")["data"]) == 5
    ranged = one(client, f_households_min=10, f_households_max=20)["data"]
    assert sorted(r["households"] for r in ranged) == [10, 20]
    dated = one(client, f_delivered_on_min="2013-01-01", f_delivered_on_max="2013-12-31")
    assert len(dated["data"]) == 2
    assert client.get(DATA, query_string={"f_kind": "nonsense"}).status_code == 400
    assert client.get(DATA, query_string={"sort": "password"}).status_code == 400


@pytest.mark.parametrize("term,expected", [
    ("花园", {"幸福花园A", "幸福花园B", "阳光花园"}),  # 2 characters: the bigram index
    ("阳光花", {"阳光花园"}),  # 3+: trigrams
    ("幸福路", {"幸福花园A", "幸福花园B"}),  # address
    ("城关", {"幸福花园A", "阳光花园", "桥东小区"}),  # the township's name
    ("园", {"幸福花园A", "幸福花园B", "阳光花园"}),  # 1 character: LIKE
    ("老旧", {"阳光花园"}),  # an enum label
    ("100%", set()),  # LIKE wildcards are literal
])
def test_search(login, county, term, expected):
    sun = Compound(township=county.a.township, name="阳光花园", kind=CompoundKind.old,
                   households=5, management_mode=county.a.compound.management_mode)
    db.session.add(sun)
    db.session.add(Compound(township=county.a.township, name="桥东小区",
                            kind=CompoundKind.commercial, households=5,
                            management_mode=county.a.compound.management_mode))
    db.session.commit()
    found = {r["name"] for r in one(login("bureau"), q=term, size=100)["data"]}
    assert found == expected


def test_search_index_follows_updates_and_deletes(login, county):
    client = login("bureau")
    compound = county.a.compound
    compound.name = "翠湖名邸"
    db.session.commit()
    assert [r["name"] for r in one(client, q="翠湖")["data"]] == ["翠湖名邸"]
    assert one(client, q="幸福花园A")["data"] == []
    db.session.delete(county.b.finding)
    db.session.commit()
    assert len(one(client, q="幸福")["data"]) == 2  # address 幸福路 still matches both


def test_search_uses_the_index(app, county):
    """The migration built the index the search relies on (FTS5 on SQLite, trgm on PG)."""
    with app.app_context():
        if IS_POSTGRES:
            names = set(db.session.scalars(sa.text(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'compound'")))
            assert {"fts_compound_text", "fts_compound_grams"} <= names
        else:
            hits = db.session.scalars(sa.text(
                "SELECT rowid FROM fts_compound WHERE fts_compound MATCH :m"),
                {"m": '" 花园" AND "花园 "'}).all()
            assert sorted(hits) == sorted([county.a.compound.id, county.b.compound.id])


def test_relation_options_follow_the_write_scope(login, county):
    client = login("town_a")
    mine = client.get("/compoundview/grid/options/township").get_json()
    assert [o["label"] for o in mine] == ["城关街道"]
    both = client.get("/compoundview/grid/options/township?for=filter").get_json()
    assert {o["label"] for o in both} == {"城关街道", "东山镇"}
    assert client.get("/compoundview/grid/options/name").status_code == 404
    found = login("bureau").get("/compoundview/grid/options/township?q=东山").get_json()
    assert [o["label"] for o in found] == ["东山镇"]


# ---------------------------------------------------------------- saving


def test_save_updates_appends_and_audits(login, county):
    client = login("town_a")
    row = one(client)["data"][0]
    resp = client.post(SAVE, json={"rows": [
        update(row, households="1,200", kind="老旧小区", delivered_on="2014/5/1"),
        {"key": "new-1", "values": {"name": "新建家园", "township": "城关街道",
                                    "kind": "商品房小区", "households": 12,
                                    "management_mode": "无物业管理"}},
    ]})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["saved"] == 2 and body["undo"]
    assert body["rows"][str(row["id"])]["_version"] == row["_version"] + 1
    assert body["rows"]["new-1"]["_labels"]["township"] == "城关街道"
    db.session.expire_all()
    compound = db.session.get(Compound, row["id"])
    assert compound.households == 1200 and compound.kind == CompoundKind.old
    assert str(compound.delivered_on) == "2014-05-01"
    assert db.session.scalar(sa.select(Compound).where(Compound.name == "新建家园"))
    sources = set(db.session.scalars(sa.select(ChangeLog.source)))
    assert ChangeSource.grid in sources


def test_invalid_cells_are_reported_and_nothing_is_saved(login, county):
    client = login("town_a")
    add_compounds(county, 1)
    rows = one(client)["data"]
    before = count(Compound)
    resp = client.post(SAVE, json={"rows": [
        update(rows[0], households=400),  # valid on its own
        update(rows[1], households="很多", kind="别墅"),
        {"key": "new-9", "values": {"name": "", "township": "城关街道"}},
    ]})
    assert resp.status_code == 422
    errors = resp.get_json()["errors"]
    assert set(errors) == {str(rows[1]["id"]), "new-9"}
    assert "整数" in errors[str(rows[1]["id"])]["households"]
    assert "别墅" in errors[str(rows[1]["id"])]["kind"]
    assert {"name", "kind", "management_mode"} <= set(errors["new-9"])
    db.session.expire_all()
    assert db.session.get(Compound, rows[0]["id"]).households == rows[0]["households"]
    assert count(Compound) == before


def test_a_row_outside_the_write_scope_fails_the_whole_batch(login, county):
    client = login("town_a")
    mine = one(client)["data"][0]
    theirs = {"key": str(county.b.compound.id), "id": county.b.compound.id, "version": 1,
              "values": {"households": 1}}
    resp = client.post(SAVE, json={"rows": [update(mine, households=999), theirs]})
    assert resp.status_code == 404
    db.session.expire_all()
    assert db.session.get(Compound, mine["id"]).households == mine["households"]
    # nor can a row be moved, or created, into another township
    moved = client.post(SAVE, json={"rows": [update(mine, township=county.b.township.id)]})
    assert moved.status_code == 422 and "township" in moved.get_json()["errors"][mine["_key"]]
    made = client.post(SAVE, json={"rows": [{"key": "new-1", "values": {
        "name": "越界小区", "township": "东山镇", "kind": "old", "households": 1,
        "management_mode": "none"}}]})
    assert made.status_code == 422 and "township" in made.get_json()["errors"]["new-1"]


def test_stale_rows_are_refused_with_who_and_when(login, county):
    first, second = login("town_a"), login("bureau")
    row = one(first)["data"][0]
    assert second.post(SAVE, json={"rows": [update(row, households=11)]}).status_code == 200
    resp = first.post(SAVE, json={"rows": [update(row, households=22)]})
    assert resp.status_code == 409
    message = resp.get_json()["errors"][str(row["id"])]["_row"]
    assert message.startswith("该行已被他人修改，请刷新后重试") and "bureau" in message
    db.session.expire_all()
    assert db.session.get(Compound, row["id"]).households == 11


@pytest.mark.parametrize("version", [None, "", "abc", True, [1]])
def test_a_save_without_its_version_is_refused_and_changes_nothing(login, county, version):
    client = login("bureau")
    row = one(client)["data"][0]
    sent = {"key": str(row["id"]), "id": row["id"], "values": {"households": 999}}
    if version is not None:
        sent["version"] = version
    resp = client.post(SAVE, json={"rows": [sent]})
    assert resp.status_code == 409
    assert "版本号" in resp.get_json()["errors"][str(row["id"])]["_row"]
    db.session.expire_all()
    stored = db.session.get(Compound, row["id"])
    assert stored.households == row["households"] and stored.version == row["_version"]


def test_a_save_leaves_untouched_columns_and_the_log_alone(login, county):
    client = login("bureau")
    row = one(client)["data"][0]
    compound = db.session.get(Compound, row["id"])
    compound.developer = None  # 建设单位 unknown: NULL, not ''
    db.session.commit()
    row = one(client)["data"][0]
    logged = count(ChangeLog)
    resp = client.post(SAVE, json={"rows": [update(row, households=row["households"] + 1)]})
    assert resp.status_code == 200, resp.get_json()
    db.session.expire_all()
    assert db.session.get(Compound, row["id"]).developer is None
    fields = list(db.session.scalars(sa.select(ChangeLog.field).order_by(ChangeLog.id)
                                     .offset(logged)))
    assert fields == ["households"]


def test_duplicate_business_key_is_a_row_error(login, county):
    client = login("town_a")
    resp = client.post(SAVE, json={"rows": [{"key": "new-1", "values": {
        "name": "幸福花园A", "township": "城关街道", "kind": "old", "households": 1,
        "management_mode": "none"}}]})
    assert resp.status_code == 422
    errors = resp.get_json()["errors"]["new-1"]
    assert any("重复" in m or "同名" in m or "已有" in m for m in errors.values()), errors
    assert count(Compound) == 2


def test_only_editable_columns_and_known_permissions(login, county):
    client = login("town_a")
    row = one(client)["data"][0]
    resp = client.post(SAVE, json={"rows": [update(row, version=9, id=3)]})
    assert resp.status_code == 422
    assert set(resp.get_json()["errors"][str(row["id"])]) == {"version", "id"}
    assert client.post(SAVE, json={"rows": []}).status_code == 400


# ---------------------------------------------------------------- undo


def test_undo_reverts_the_last_save(login, county):
    client = login("town_a")
    row = one(client)["data"][0]
    saved = client.post(SAVE, json={"rows": [
        update(row, households=777, name="改名花园"),
        {"key": "new-1", "values": {"name": "临时小区", "township": "城关街道", "kind": "old",
                                    "households": 3, "management_mode": "none"}},
    ]}).get_json()
    resp = client.post(UNDO, json={"token": saved["undo"]})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    new_id = saved["rows"]["new-1"]["id"]
    assert body["removed"] == [str(new_id)]
    db.session.expire_all()
    compound = db.session.get(Compound, row["id"])
    assert (compound.households, compound.name) == (row["households"], row["name"])
    assert db.session.get(Compound, new_id) is None
    assert compound.version == row["_version"] + 2  # the revert is a write of its own
    # a token is bound to its user
    assert login("bureau").post(UNDO, json={"token": saved["undo"]}).status_code == 400


def test_undo_is_refused_when_the_row_changed_since(login, county):
    client = login("town_a")
    row = one(client)["data"][0]
    saved = client.post(SAVE, json={"rows": [update(row, households=5)]}).get_json()
    later = one(login("bureau"), q="幸福花园A")["data"][0]
    login("bureau").post(SAVE, json={"rows": [update(later, households=6)]})
    resp = client.post(UNDO, json={"token": saved["undo"]})
    assert resp.status_code == 409
    assert "已被修改" in json.dumps(resp.get_json(), ensure_ascii=False)
    db.session.expire_all()
    assert db.session.get(Compound, row["id"]).households == 6
    assert client.post(UNDO, json={"token": "forged"}).status_code == 400


# ---------------------------------------------------------------- the lean list page


def test_list_page_has_no_count_and_no_n_plus_one(login, county):
    add_compounds(county, 30)
    client = login("bureau")
    with statements() as seen:
        body = client.get("/compoundview/list/").get_data(as_text=True)
    compound_selects = [s for s in seen if "FROM compound" in s]
    assert len(compound_selects) == 1, compound_selects
    assert not any("count(" in s.lower() and "compound" in s for s in seen)
    assert "表格模式" in body and "/compoundview/grid/" in body
    assert "测试小区000" in body and "下一页" in body
    second = client.get("/compoundview/list/?page_CompoundView=1").get_data(as_text=True)
    assert "测试小区023" in second and "幸福花园A" not in second


# ---------------------------------------------------------------- migrations


def test_search_objects_stay_out_of_the_model_comparison(app, county):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from office.kit.grid.search import include_name, include_object

    with app.app_context(), db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={
            "include_name": include_name, "include_object": include_object,
            "compare_type": False,
        })
        diffs = compare_metadata(ctx, db.metadata)
    mentioned = json.dumps([str(d) for d in diffs], ensure_ascii=False)
    assert "fts_" not in mentioned, mentioned

"""Lists say how much there is (issue 11, point 7): 共 N 条 and page numbers, counted in one
place (office/kit/grid/count.py) for the list page and the grid — exact up to a cap, beyond
it an estimate (PostgreSQL) or 超过 N (SQLite) — and never inside the page request itself."""
from __future__ import annotations

import re
from html import unescape

from office.kit.grid import count as grid_count
from office.models import Compound, CompoundKind, ManagementMode, Township, TownshipKind, db
from tests.test_crud import fast_passwords  # noqa: F401  (module fixture)
from tests.test_views import statements


def _more_compounds(county, n: int) -> None:
    town = Township(county=county.county, name="南湖街道", kind=TownshipKind.street)
    db.session.add(town)
    db.session.add_all([
        Compound(township=town, name=f"南湖{i}号院", kind=CompoundKind.commercial,
                 households=50 + i, management_mode=ManagementMode.self)
        for i in range(n)])
    db.session.commit()


def _count(client, url: str) -> dict:
    resp = client.get(url)
    assert resp.status_code == 200, (url, resp.get_data(as_text=True)[:300])
    return resp.get_json()


def test_the_grid_says_how_many_rows_match(login, county):
    _more_compounds(county, 60)
    client = login("admin")
    body = _count(client, "/compoundview/grid/count?size=25")
    assert body == {"count": 62, "exact": True, "estimated": False, "text": "共 62 条",
                    "pages": 3, "size": 25}
    township = county.a.township.id
    body = _count(client, f"/compoundview/grid/count?f_township={township}")
    assert (body["count"], body["text"]) == (1, "共 1 条")
    assert _count(client, "/compoundview/grid/count?q=南湖")["count"] == 60
    assert client.get("/compoundview/grid/count?f_nope=1").status_code == 400


def test_the_list_page_count_reads_the_list_pages_own_filters(login, county):
    _more_compounds(county, 30)
    client = login("admin")
    assert _count(client, "/compoundview/grid/count?list=1")["text"] == "共 32 条"
    township = county.a.township.id
    body = _count(client, f"/compoundview/grid/count?list=1&_flt_0_township={township}")
    assert body["count"] == 1
    body = _count(client, "/compoundview/grid/count?list=1&_flt_2_name=南湖&psize_CompoundView=10")
    assert (body["count"], body["pages"], body["size"]) == (30, 3, 10)


def test_a_count_holds_to_the_row_scope(login, county):
    _more_compounds(county, 5)
    client = login("town_a")  # 城关街道: one compound
    assert _count(client, "/compoundview/grid/count")["count"] == 1
    assert _count(client, "/compoundview/grid/count?list=1")["count"] == 1
    assert _count(client, "/committeememberview/grid/count?list=1")["count"] == 1


def test_past_the_cap_the_count_says_so(login, county, monkeypatch):
    _more_compounds(county, 30)
    monkeypatch.setattr(grid_count, "CAP", 10)
    body = _count(login("admin"), "/compoundview/grid/count?size=25")
    assert not body["exact"]
    if db.engine.dialect.name == "postgresql":
        assert body["estimated"] and body["text"].startswith("约 ")
        assert body["count"] > 10 and body["pages"] >= 1
    else:
        assert body == {"count": 10, "exact": False, "estimated": False,
                        "text": "超过 10 条", "pages": None, "size": 25}


def test_the_count_reads_at_most_cap_plus_one_rows(login, county):
    client = login("admin")
    with statements() as seen:
        _count(client, "/compoundview/grid/count")
    (counted,) = [s for s in seen if "count(" in s.lower() and "compound" in s.lower()]
    assert "LIMIT" in counted.upper(), counted


def test_the_list_page_asks_for_its_count_but_does_not_count(login, county):
    client = login("admin")
    township = county.a.township.id
    url = f"/compoundview/list/?_flt_0_township={township}"
    client.get(url)
    with statements() as seen:
        resp = client.get(url)
    body = unescape(resp.get_data(as_text=True))
    assert not [s for s in seen if "count(" in s.lower() and "compound" in s.lower()]
    box = re.search(r'data-count-url="([^"]+)"', body)
    assert box and box.group(1) == (
        f"/compoundview/grid/count?list=1&_flt_0_township={township}")
    assert 'data-page-arg="page_CompoundView"' in body
    assert "office/count.js" in body
    # a related list on a show page counts nothing of its own (its filter is not in the URL)
    show = unescape(client.get(f"/compoundview/show/{county.a.compound.id}").get_data(
        as_text=True))
    assert "data-count-url" not in show


def test_the_grid_page_knows_where_to_count(login, county):
    body = unescape(login("admin").get("/compoundview/grid/").get_data(as_text=True))
    assert '"count": "/compoundview/grid/count"' in body and 'id="grid-count"' in body


def test_counting_needs_read_permission(login, county):
    resp = login("liaison_a").get("/committeememberview/grid/count")
    assert resp.status_code in (302, 403, 404), resp.status_code

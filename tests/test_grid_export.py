"""导出 from the grid: the screen's export with the grid's own parameters (?grid=1&sort=…&f_…&q=)
has exactly the rows the grid's pages show, in their order, in the user's read scope."""
from __future__ import annotations

import io

import openpyxl
import pytest

from office.models import Compound, CompoundKind, ManagementMode, db


@pytest.fixture()
def export_rows(county):
    rows = []
    for township, extra in ((county.a.township, ""), (county.b.township, "乙")):
        for i, households in enumerate([30, 10, 50, 20]):
            rows.append(Compound(township=township, name=f"导出花园{i}{extra}",
                                 kind=CompoundKind.commercial, households=households,
                                 management_mode=ManagementMode.company))
    db.session.add_all(rows)
    db.session.commit()
    return rows


def _sheet(resp) -> list[tuple]:
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    ws = openpyxl.load_workbook(io.BytesIO(resp.data)).active
    rows = list(ws.iter_rows(values_only=True))
    head = list(rows[0])
    name, households = head.index("名称"), head.index("户数")
    return [(r[name], r[households]) for r in rows[1:]]


def _grid_names(client, qs) -> list[str]:
    data = client.get(f"/compoundview/grid/data?{qs}&size=500").get_json()["data"]
    return [r["name"] for r in data]


@pytest.mark.parametrize("user, expected", [
    ("bureau", [("导出花园2", 50), ("导出花园2乙", 50), ("导出花园0", 30), ("导出花园0乙", 30),
                ("导出花园3", 20), ("导出花园3乙", 20), ("导出花园1", 10), ("导出花园1乙", 10)]),
    ("town_a", [("导出花园2", 50), ("导出花园0", 30), ("导出花园3", 20), ("导出花园1", 10)]),
])
def test_grid_export_has_the_grids_filter_sort_and_scope(login, export_rows, user, expected):
    client = login(user)
    qs = "sort=households&dir=desc&f_name=导出"
    rows = _sheet(client.get(f"/compoundview/export/?grid=1&{qs}"))
    assert [n for n, _ in rows] == _grid_names(client, qs)  # the grid's rows, in its order
    assert sorted(rows, key=lambda r: -r[1]) == rows
    assert sorted(rows) == sorted(expected)


def test_grid_export_with_a_range_filter_and_search(login, export_rows):
    client = login("bureau")
    qs = "sort=name&dir=asc&f_households_min=20&q=花园0"
    rows = _sheet(client.get(f"/compoundview/export/?grid=1&{qs}"))
    assert rows == [("导出花园0", 30), ("导出花园0乙", 30)]
    assert [n for n, _ in rows] == _grid_names(client, qs)


def test_grid_export_refuses_a_bad_parameter(login, county):
    resp = login("bureau").get("/compoundview/export/?grid=1&sort=nope")
    assert resp.status_code == 400

"""Export: the list as xlsx, with its search, order and the user's scope; cells typed; no formula
can be injected; an export imports back unchanged."""
import datetime as dt
import io
import re

import openpyxl
import sqlalchemy as sa

from office.models import ChangeLog, Compound, Township, TownshipKind, db
from tests.conftest import count

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _sheet(resp):
    assert resp.status_code == 200, resp.status_code
    assert resp.mimetype == XLSX
    return openpyxl.load_workbook(io.BytesIO(resp.data)).worksheets[0]


def _rows(ws):
    rows = list(ws.iter_rows(values_only=True))
    return rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_export_has_chinese_headers_and_typed_cells(login, county):
    ws = _sheet(login("admin").get("/compoundview/export/"))
    header, rows = _rows(ws)
    assert header[:5] == ("乡镇（街道、场）", "名称", "社区（村）", "地址", "类型")
    assert "户数" in header and "交付日期" in header and "物业服务企业" in header
    a = next(r for r in rows if r["名称"] == "幸福花园A")
    assert a["乡镇（街道、场）"] == "城关街道"             # FK by name
    assert a["类型"] == "商品房小区"                      # enum by Chinese label
    assert a["管理方式"] == "物业服务企业"
    assert a["物业服务企业"] == "安居物业服务有限公司"
    assert a["户数"] == 320 and isinstance(a["户数"], int)  # numbers are numbers
    assert a["交付日期"] == dt.datetime(2013, 5, 1)        # a real date …
    col = header.index("交付日期") + 1
    cell = ws.cell(row=rows.index(a) + 2, column=col)
    assert cell.is_date and cell.number_format == "yyyy-mm-dd"  # … shown as a date
    assert ws.freeze_panes == "A2"


def test_download_name_is_the_screen_name(login, county):
    resp = login("admin").get("/compoundview/export/")
    assert "%E4%BD%8F%E5%AE%85%E5%B0%8F%E5%8C%BA" in resp.headers["Content-Disposition"]  # 住宅小区


def test_codes_and_phones_are_text(login, county):
    ws = _sheet(login("admin").get("/contactpointview/export/"))
    header, rows = _rows(ws)
    phones = [r["投诉电话"] for r in rows]
    assert "0551-1234567" in phones and "12345" in phones
    col = header.index("投诉电话") + 1
    for r in range(2, ws.max_row + 1):
        assert ws.cell(row=r, column=col).data_type == "s"


def test_export_respects_search_filters_and_order(login, county):
    client = login("admin")
    _, rows = _rows(_sheet(client.get("/compoundview/export/?_flt_0_name=幸福花园A")))
    assert [r["名称"] for r in rows] == ["幸福花园A"]
    county.b.compound.households = 999
    db.session.commit()
    query = "_oc_CompoundView=households&_od_CompoundView=desc"
    _, rows = _rows(_sheet(client.get(f"/compoundview/export/?{query}")))
    assert [r["名称"] for r in rows] == ["幸福花园B", "幸福花园A"]


def test_township_clerk_exports_only_their_township(login, county):
    _, rows = _rows(_sheet(login("town_a").get("/compoundview/export/")))
    assert [r["名称"] for r in rows] == ["幸福花园A"]
    assert {r["乡镇（街道、场）"] for r in rows} == {"城关街道"}
    _, rows = _rows(_sheet(login("town_a").get("/disputeview/export/")))
    assert len(rows) == 1 and rows[0]["小区"] == "幸福花园A"


def test_export_is_a_read_permission(login, county):
    assert login("supervisor").get("/compoundview/export/").status_code == 200
    # A liaison has no read permission on compounds at all.
    assert login("liaison_a").get("/compoundview/export/").status_code in (302, 403)
    # Read-only screens export too (the change log, Admin only).
    ws = _sheet(login("admin").get("/changelogview/export/"))
    assert ws.cell(row=1, column=1).value == "时间"


def test_formula_injection_is_written_as_text(login, county):
    compound = county.a.compound
    payloads = {"name": "=cmd|' /C calc'!A0", "community": "+1+1", "address": "-2+3",
                "developer": "@SUM(1,2)"}
    for field, value in payloads.items():
        setattr(compound, field, value)
    db.session.commit()
    ws = _sheet(login("admin").get("/compoundview/export/"))
    header = [c.value for c in ws[1]]
    target = next(r for r in ws.iter_rows(min_row=2) if r[header.index("名称")].value
                  == payloads["name"])
    for field, label in (("name", "名称"), ("community", "社区（村）"), ("address", "地址"),
                         ("developer", "建设单位")):
        cell = target[header.index(label)]
        assert cell.data_type == "s", (label, cell.data_type)
        assert cell.value == payloads[field]
    raw = login("admin").get("/compoundview/export/").data
    import zipfile

    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        sheet_xml = zf.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml  # no formula anywhere


def test_related_rows_are_named_and_qualified_when_names_repeat(login, county):
    client = login("admin")
    _, rows = _rows(_sheet(client.get("/committeememberview/export/")))
    assert {r["业委会"] for r in rows} == {"幸福花园A 第1届业主委员会", "幸福花园B 第1届业主委员会"}
    # A second 幸福花园A, in another township: contracts name theirs with the township.
    other = Township(county=county.county, name="西山乡", kind=TownshipKind.township)
    db.session.add(Compound(township=other, name="幸福花园A", kind="old", households=5,
                            management_mode="none"))
    db.session.commit()
    _, rows = _rows(_sheet(client.get("/servicecontractview/export/")))
    assert {r["小区"] for r in rows} == {"城关街道/幸福花园A", "幸福花园B"}


def test_export_reimport_in_update_mode_changes_nothing(login, county):
    client = login("admin")
    exported = client.get("/compoundview/export/").data
    before = count(ChangeLog)
    resp = client.post("/compoundview/import/",
                       data={"file": (io.BytesIO(exported), "住宅小区.xlsx")},
                       content_type="multipart/form-data")
    assert resp.status_code == 303
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "2 行可导入" in page and "0 行有错误" in page and "无变化 2 行" in page
    token = re.search(r"/import/([\w-]+)/", resp.headers["Location"]).group(1)
    resp = client.post(f"/compoundview/import/{token}/commit", data={"mode": "upsert"})
    assert resp.status_code == 303
    assert count(ChangeLog) == before  # nothing written
    assert count(Compound) == 2


def test_export_of_many_rows_streams(login, county):
    """A few thousand rows (several fetch batches) come out complete and in order."""
    township = county.a.township
    db.session.execute(sa.insert(Compound), [
        {"township_id": township.id, "name": f"批量小区{i:05d}", "kind": "commercial",
         "households": i, "management_mode": "none", "version": 1,
         "created_at": dt.datetime(2020, 1, 1), "updated_at": dt.datetime(2020, 1, 1)}
        for i in range(4500)
    ])
    db.session.commit()
    ws = _sheet(login("admin").get("/compoundview/export/?_flt_0_name=批量小区"))
    names = [r[1] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert len(names) == 4500 and names == sorted(names)

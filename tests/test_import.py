"""Import: template, upload → validate everything → preview → commit all-or-nothing.

Every message a clerk sees names the row (as Excel numbers it) and the column (its Chinese
header); no input produces a 500 or a partial write.
"""
import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from office.models import (
    ChangeLog,
    ChangeSource,
    Compound,
    ManagementMode,
    OwnersCommittee,
    PropertyCompany,
    db,
)
from office.services.uscc import complete
from tests.conftest import count

KIND_ERROR = "“高档小区”不是有效的类型，可选：商品房小区、老旧小区、安置小区、保障房小区、混合小区"
HEAD = ["乡镇（街道、场）*", "名称*", "类型*", "户数*", "管理方式*", "交付日期", "物业服务企业"]


def book(rows, head=HEAD, title=None, sheet="住宅小区") -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(head))
        ws.append([])
    ws.append(head)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def row(name="新城花园", township="城关街道", kind="商品房小区", households=100,
        mode="无物业管理", delivered=None, company=None):
    return [township, name, kind, households, mode, delivered, company]


def upload(client, data: bytes, filename="小区.xlsx", view="compoundview"):
    resp = client.post(f"/{view}/import/", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")
    if resp.status_code == 303:
        token = re.search(r"/import/([\w-]+)/$", resp.headers["Location"]).group(1)
        page = client.get(resp.headers["Location"]).get_data(as_text=True)
        return token, page
    return None, resp.get_data(as_text=True)


def plan(app, token) -> dict:
    path = Path(app.config["UPLOAD_DIR"]) / "import" / f"{token}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def errors(app, token) -> list[tuple[int, str, str]]:
    p = plan(app, token)
    return [(o["row"], p["labels"].get(c, "") if c else "", m)
            for o in p["outcomes"] for c, m in o["errors"]]


def column_format(ws, header: list, label: str) -> str:
    """The number format of a whole column (openpyxl groups equal adjacent <col> ranges)."""
    index = header.index(label) + 1
    for dim in ws.column_dimensions.values():
        if dim.min and dim.min <= index <= dim.max:
            return dim.number_format
    return "General"


def names() -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(sa.select(Compound.name)))


# ---------------------------------------------------------------- the template


def test_template_headers_dropdowns_hidden_sheet_and_instructions(login, county):
    resp = login("admin").get("/compoundview/import/template/")
    assert resp.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    assert wb.sheetnames == ["住宅小区", "填写说明", "下拉选项"]
    ws, guide, lists = wb["住宅小区"], wb["填写说明"], wb["下拉选项"]
    header = [c.value for c in ws[1]]
    assert header[:5] == ["乡镇（街道、场）*", "名称*", "社区（村）", "地址", "类型*"]
    assert "户数*" in header and "物业服务企业" in header and "交付日期" in header
    assert lists.sheet_state == "hidden" and ws.sheet_state == "visible"
    sources = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in ws.data_validations.dataValidation
               if dv.type == "list"}
    township_col = openpyxl.utils.get_column_letter(header.index("乡镇（街道、场）*") + 1)
    kind_col = openpyxl.utils.get_column_letter(header.index("类型*") + 1)
    assert "下拉选项" in sources[f"{township_col}2"] and "下拉选项" in sources[f"{kind_col}2"]
    listed = {lists.cell(1, c).value: [lists.cell(r, c).value for r in range(2, lists.max_row + 1)
                                       if lists.cell(r, c).value]
              for c in range(1, lists.max_column + 1)}
    assert listed["乡镇（街道、场）"] == ["东山镇", "城关街道"]
    assert listed["类型"] == ["商品房小区", "老旧小区", "安置小区", "保障房小区", "混合小区"]
    assert listed["物业服务企业"] == ["安居物业服务有限公司"]
    text = "\n".join(str(c.value) for r in guide.iter_rows() for c in r if c.value)
    assert "填写说明" in text and "带 * 的列必须填写" in text and "乡镇（街道、场）＋名称" in text
    # code/phone/name columns are text-formatted, dates date-formatted
    assert column_format(ws, header, "名称*") == "@"
    assert column_format(ws, header, "交付日期") == "yyyy-mm-dd"


def test_template_phone_columns_are_text(login, county):
    resp = login("admin").get("/contactpointview/import/template/")
    ws = openpyxl.load_workbook(io.BytesIO(resp.data)).worksheets[0]
    header = [c.value for c in ws[1]]
    assert column_format(ws, header, "投诉电话") == "@"
    assert column_format(ws, header, "服务电话") == "@"


def test_template_dropdowns_follow_the_write_scope(login, county):
    resp = login("town_a").get("/compoundview/import/template/")
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    lists = wb["下拉选项"]
    assert lists.cell(1, 1).value == "乡镇（街道、场）"
    assert [lists.cell(r, 1).value for r in range(2, 4)] == ["城关街道", None]
    guide = "\n".join(str(c.value) for r in wb["填写说明"].iter_rows() for c in r if c.value)
    assert "您只能导入本单位（城关街道）的数据" in guide


def test_template_has_no_dropdown_for_huge_relations(login, county, monkeypatch):
    from office.kit import refs as xlsx_refs

    monkeypatch.setattr(xlsx_refs, "DROPDOWN_MAX", 1)  # two compounds: "too many"
    resp = login("admin").get("/servicecontractview/import/template/")
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    compound_col = openpyxl.utils.get_column_letter(header.index("小区*") + 1)
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert not any(str(dv.sqref).startswith(f"{compound_col}2") for dv in lists)
    guide = "\n".join(str(c.value) for r in wb["填写说明"].iter_rows() for c in r if c.value)
    assert "没有下拉列表：请直接填写名称" in guide


def test_filled_template_imports(login, county, app):
    client = login("admin")
    wb = openpyxl.load_workbook(io.BytesIO(client.get("/compoundview/import/template/").data))
    ws = wb["住宅小区"]
    header = [c.value.rstrip("*") for c in ws[1]]
    values = {"乡镇（街道、场）": "城关街道", "名称": "模板花园", "类型": "老旧小区", "户数": 80,
              "管理方式": "居民自治", "交付日期": dt.date(2001, 3, 4)}
    for label, value in values.items():
        ws.cell(row=2, column=header.index(label) + 1, value=value)
    out = io.BytesIO()
    wb.save(out)
    token, page = upload(client, out.getvalue())
    assert "1 行可导入" in page and "0 行有错误" in page
    resp = client.post(f"/compoundview/import/{token}/commit", data={"mode": "add"})
    assert resp.status_code == 303
    db.session.expire_all()
    saved = db.session.scalars(sa.select(Compound).where(Compound.name == "模板花园")).one()
    assert saved.delivered_on == dt.date(2001, 3, 4) and saved.households == 80
    assert saved.management_mode is ManagementMode.self


# ---------------------------------------------------------------- happy path and audit


def test_import_adds_rows_in_one_go_and_audits_them(login, county, app):
    client = login("admin")
    token, page = upload(client, book([row("新城花园"), row("新城二期", households=5,
                                                      company="安居物业服务有限公司",
                                                      mode="物业服务企业")]))
    assert "2 行可导入" in page and "0 行有错误" in page and "新增 2 行" in page
    resp = client.post(f"/compoundview/import/{token}/commit", data={"mode": "add"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/compoundview/list/")
    assert {"新城花园", "新城二期"} <= names()
    ids = set(db.session.scalars(sa.select(Compound.id).where(Compound.name.like("新城%"))))
    log = db.session.scalars(sa.select(ChangeLog).where(ChangeLog.entity == "Compound",
                                                        ChangeLog.row_id.in_(ids))).all()
    assert {e.action.name for e in log} == {"insert"} and len(log) == 2
    assert {e.source for e in log} == {ChangeSource.import_}
    assert {e.username for e in log} == {"admin"}
    # the kept upload is gone after the commit
    assert client.get(f"/compoundview/import/{token}/").status_code == 404


# ---------------------------------------------------------------- what real files contain


def test_spaces_full_width_and_numbers_as_text_are_normalised(login, county):
    client = login("admin")
    data = book([["　城关街道 ", " 全角花园　", "商品房小区 ", "１２０", "物业服务企业",
                  "２０２０－０１－０５", "安居物业服务有限公司"]])
    token, page = upload(client, data)
    assert "1 行可导入" in page, page
    client.post(f"/compoundview/import/{token}/commit", data={"mode": "add"})
    db.session.expire_all()
    saved = db.session.scalars(sa.select(Compound).where(Compound.name == "全角花园")).one()
    assert saved.households == 120 and saved.delivered_on == dt.date(2020, 1, 5)


@pytest.mark.parametrize("cell", [
    dt.datetime(2020, 1, 5), 43835, "43835", "2020-1-5", "2020/01/05", "2020.1.5",
    "2020年1月5日", "20200105", 20200105, "2020-01-05 00:00:00",
])
def test_date_forms(login, county, app, cell):
    client = login("admin")
    token, page = upload(client, book([row("日期花园", delivered=cell)]))
    assert "1 行可导入" in page, (cell, errors(app, token))
    outcome = plan(app, token)["outcomes"][0]
    assert outcome["values"]["delivered_on"] == "2020-01-05"


def test_title_rows_blank_rows_and_row_numbers(login, county, app):
    client = login("admin")
    rows = [row("一号花园"), [None] * 7, row("二号花园", kind="高档小区"), [], [" "] * 7]
    token, page = upload(client, book(rows, title="2020年住宅小区台账（城关街道）"))
    p = plan(app, token)
    assert p["sheet"]["header_row"] == 3
    # title on row 1, blank row 2, header row 3, data from row 4; the bad row is row 6
    assert errors(app, token) == [
        (6, "类型", KIND_ERROR)]
    assert "第 6 行" in page and "1 行可导入" in page and "1 行有错误" in page


def test_extra_columns_are_ignored_and_reported(login, county):
    client = login("admin")
    data = book([row("多列花园") + ["张三", "备注"]], head=HEAD + ["联系人姓名", "随便写的列"])
    token, page = upload(client, data)
    assert "1 行可导入" in page
    assert "已忽略：联系人姓名、随便写的列" in page


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006"
_CT = "application/vnd.openxmlformats-officedocument"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def _override(part: str, kind: str) -> str:
    return f'<Override PartName="{part}"\n ContentType="{_CT}.{kind}+xml"/>'


def _rel(rid: str, kind: str, target: str, base: str = _DOC + "/relationships") -> str:
    return f'<Relationship Id="{rid}"\n Type="{base}/{kind}"\n Target="{target}"/>'


def _wps_xlsx() -> bytes:
    """A workbook as WPS 表格 writes it: inline strings, a wrong <dimension>, shared strings
    with rich-text runs, a Chinese custom date format, WPS in docProps/app.xml."""
    parts = {
        "[Content_Types].xml": _XML + f'<Types xmlns="{_PKG}/content-types">'
        f'<Default Extension="rels"\n ContentType="{_CT.split("-officedocument")[0]}'
        '-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        + _override("/xl/workbook.xml", "spreadsheetml.sheet.main")
        + _override("/xl/worksheets/sheet1.xml", "spreadsheetml.worksheet")
        + _override("/xl/styles.xml", "spreadsheetml.styles")
        + _override("/xl/sharedStrings.xml", "spreadsheetml.sharedStrings")
        + _override("/docProps/app.xml", "extended-properties") + "</Types>",
        "_rels/.rels": _XML + f'<Relationships xmlns="{_PKG}/relationships">'
        + _rel("rId1", "officeDocument", "xl/workbook.xml")
        + _rel("rId2", "extended-properties", "docProps/app.xml") + "</Relationships>",
        "docProps/app.xml": _XML + f'<Properties xmlns="{_DOC}/extended-properties">'
        "<Application>WPS 表格</Application><AppVersion>11.1</AppVersion></Properties>",
        "xl/workbook.xml": _XML + f'<workbook xmlns="{_MAIN}"\n xmlns:r="{_DOC}/relationships">'
        '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": _XML + f'<Relationships xmlns="{_PKG}/relationships">'
        + _rel("rId1", "worksheet", "worksheets/sheet1.xml")
        + _rel("rId2", "styles", "styles.xml")
        + _rel("rId3", "sharedStrings", "sharedStrings.xml") + "</Relationships>",
        "xl/styles.xml": _XML + f'<styleSheet xmlns="{_MAIN}">'
        '<numFmts count="1"><numFmt numFmtId="176"\n'
        ' formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts>'
        '<fonts count="1"><font><sz val="11"/><name val="宋体"/></font></fonts>'
        '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
        '<borders count="1"><border/></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        '</cellStyleXfs><cellXfs count="2">'
        '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="176" fontId="0" fillId="0" borderId="0" xfId="0"\n'
        ' applyNumberFormat="1"/></cellXfs></styleSheet>',
        "xl/sharedStrings.xml": _XML + f'<sst xmlns="{_MAIN}" count="3" uniqueCount="3">'
        "<si><t>乡镇（街道、场）</t></si><si><t>名称</t></si>"
        "<si><r><t>WPS</t></r><r><t>花园</t></r></si></sst>",
    }

    def inline(ref, text):
        return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'

    header = ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
              + inline("C1", "类型") + inline("D1", "户数") + inline("E1", "管理方式")
              + inline("F1", "交付日期") + "</row>")
    data = ('<row r="2">' + inline("A2", "城关街道") + '<c r="B2" t="s"><v>2</v></c>'
            + inline("C2", "老旧小区") + '<c r="D2" t="str"><v>66</v></c>'
            + inline("E2", "社区托管") + '<c r="F2" s="1"><v>36892</v></c></row>')
    parts["xl/worksheets/sheet1.xml"] = (
        _XML + f'<worksheet xmlns="{_MAIN}"><dimension ref="A1"/><sheetData>'
        + header + data + "</sheetData></worksheet>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            zf.writestr(name, text)
    return out.getvalue()


def test_wps_saved_file(login, county):
    client = login("admin")
    token, page = upload(client, _wps_xlsx(), "WPS导出.xlsx")
    assert "1 行可导入" in page, page
    client.post(f"/compoundview/import/{token}/commit", data={"mode": "add"})
    db.session.expire_all()
    saved = db.session.scalars(sa.select(Compound).where(Compound.name == "WPS花园")).one()
    assert saved.households == 66 and saved.delivered_on == dt.date(2001, 1, 1)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk"])
def test_csv_in_utf8_or_gbk(login, county, encoding):
    client = login("admin")
    text = ("乡镇（街道、场）,名称,类型,户数,管理方式,交付日期\r\n"
            "城关街道,逗号花园,老旧小区,12,无物业管理,2019/5/6\r\n")
    token, page = upload(client, text.encode(encoding), "台账.csv")
    assert "1 行可导入" in page, page
    client.post(f"/compoundview/import/{token}/commit", data={"mode": "add"})
    assert "逗号花园" in names()


@pytest.mark.parametrize("data,filename,message", [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "旧格式.xls",
     "这是 Excel 97-2003 格式（.xls）或设置了打开密码的工作簿，系统无法读取。"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "其实是xls.xlsx",
     "这是 Excel 97-2003 格式（.xls）或设置了打开密码的工作簿，系统无法读取。"),
    (b"just some text, not a workbook", "改了名字.xlsx",
     "文件“改了名字.xlsx”不是有效的 Excel 工作簿（可能已损坏，"
     "或是把其他类型的文件改成了 .xlsx 扩展名）"),
    (b"%PDF-1.4 ...", "通知.pdf", "不支持的文件类型（.pdf）"),
    (b"", "空.xlsx", "上传的文件是空的（0 字节），请重新选择文件。"),
])
def test_unreadable_files_get_a_clear_message(login, county, data, filename, message):
    token, page = upload(login("admin"), data, filename)
    assert token is None and message in page


def test_zip_that_is_not_a_workbook(login, county):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("readme.txt", "hello")
    token, page = upload(login("admin"), out.getvalue(), "压缩包.xlsx")
    assert token is None and "无法作为 Excel 工作簿（.xlsx）读取" in page


def test_no_header_found(login, county):
    token, page = upload(login("admin"), book([["a", "b"]], head=["甲", "乙"]))
    assert token is None and "没有找到表头" in page


def test_missing_required_column(login, county):
    head = ["乡镇（街道、场）", "名称", "类型", "管理方式"]
    token, page = upload(login("admin"), book([["城关街道", "缺列花园", "老旧小区", "无物业管理"]],
                                              head=head))
    assert token is None and "表头缺少必填列：户数。" in page


def test_too_many_rows(login, county, app, monkeypatch):
    monkeypatch.setitem(app.config, "OFFICE_IMPORT_MAX_ROWS", 3)
    token, page = upload(login("admin"), book([row(f"花园{i}") for i in range(4)]))
    assert token is None and "文件中的数据超过单次导入上限 3 行，请拆分成几个文件分批导入。" in page


def test_too_large_file(login, county, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2 * 1024 * 1024)
    client = login("admin")
    resp = client.post("/compoundview/import/",
                       data={"file": (io.BytesIO(b"x" * (3 * 1024 * 1024)), "大.xlsx")},
                       content_type="multipart/form-data")
    assert resp.status_code in (303, 413)
    page = client.get("/compoundview/import/").get_data(as_text=True)
    assert "上传的文件超过 2 MB 的上限" in page


# ---------------------------------------------------------------- row errors, all or nothing


def test_row_errors_name_row_and_column_and_nothing_is_saved(login, county, app):
    client = login("admin")
    rows = [
        row("好花园"),
        row("", kind="高档小区"),
        row("日期错花园", households="一百", delivered="2020-02-30"),
        row("企业错花园", company="不存在物业公司", mode="物业服务企业"),
        row("乡镇错花园", township="火星镇"),
    ]
    token, page = upload(client, book(rows))
    assert errors(app, token) == [
        (3, "名称", "必填，不能为空"),
        (3, "类型", KIND_ERROR),
        (4, "户数", "“一百”不是整数，请填写整数"),
        (4, "交付日期", "日期“2020-02-30”不存在"),
        (5, "物业服务企业", "未找到物业服务企业“不存在物业公司”，请检查名称是否与系统中的一致"),
        (6, "乡镇（街道、场）", "未找到乡镇（街道、场）“火星镇”，请检查名称是否与系统中的一致"),
    ]
    assert "1 行可导入" in page and "4 行有错误" in page
    assert "io-commit-add" not in page  # no save button while anything is wrong
    before = count(Compound)
    resp = client.post(f"/compoundview/import/{token}/commit", data={"mode": "add"})
    assert resp.status_code == 303
    assert count(Compound) == before and "好花园" not in names()


def test_duplicates_within_the_file(login, county, app):
    token, _ = upload(login("admin"), book([row("重名花园"), row("别的花园"), row("重名花园")]))
    assert errors(app, token) == [(4, "名称", "与第 2 行重复（乡镇（街道、场）、名称相同）")]


def test_model_rules_apply_to_imports(login, county, app):
    """The same rules as the edit form: the 统一社会信用代码 checksum, uniqueness."""
    client = login("admin")
    head = ["名称", "统一社会信用代码", "法定代表人", "电话"]
    good = complete("91341122MA2N00002")
    data = book([["新物业", good, "王", 5550002], ["错码物业", "913411220000000000", "李", None]],
                head=head, sheet="物业服务企业")
    token, page = upload(client, data, view="propertycompanyview")
    found = errors(app, token)
    assert [(r, c) for r, c, _ in found] == [(3, "统一社会信用代码")]
    assert "统一社会信用代码无效" in found[0][2]


def test_database_rules_are_checked_for_the_whole_file(login, county, app):
    """UNIQUE and CHECK constraints, as the edit form states them, found at the preview."""
    client = login("admin")
    token, _ = upload(client, book([row("负数花园", households=-5), row("正常花园")]))
    assert errors(app, token) == [(2, "户数", "户数不能为负数")]
    data = book([["另一个县", "341122"], ["新县", "341199"]], head=["名称", "代码"],
                sheet="县（区）")
    token, _ = upload(client, data, view="countyview")
    assert errors(app, token) == [(2, "代码", "代码「341122」已被其他县（区）使用")]
    head = ["小区*", "物业服务企业*", "类型*", "签订日期*", "起始日期*", "截止日期*", "服务等级*",
            "价格形式*", "计费方式*", "收费标准(元/㎡·月)*"]
    good = ["幸福花园A", "安居物业服务有限公司", "前期物业服务合同", "2020-01-01", "2020-02-01",
            "2023-01-31", "一级", "市场调节价", "包干制", "1.5"]
    data = book([good, good[:5] + ["2019-12-31"] + good[6:]], head=head, sheet="合同")
    token, _ = upload(client, data, view="servicecontractview")
    assert errors(app, token) == [(3, "截止日期", "截止日期不能早于起始日期")]
    data = book([["县公安局", "城关街道", "李四", "110"], ["县公安局", None, "王五", "120"]],
                head=["部门", "乡镇（街道、场）", "联系人*", "投诉电话"], sheet="电话")
    token, _ = upload(client, data, view="contactpointview")
    assert errors(app, token) == [
        (2, "乡镇（街道、场）", "乡镇（街道、场）与部门须填写且只填写其中一个")]


def test_db_error_mid_commit_rolls_everything_back(login, county, app, monkeypatch):
    client = login("admin")
    token, page = upload(client, book([row("回滚一"), row("回滚二"), row("回滚三")]))
    assert "3 行可导入" in page
    flushed = []

    def fail_after_flush(session, ctx):
        flushed.append(len(session.new))
        raise sa.exc.OperationalError("INSERT", {}, Exception("disk full"))

    logged = count(ChangeLog)
    sa.event.listen(db.session, "after_flush", fail_after_flush)
    try:
        resp = client.post(f"/compoundview/import/{token}/commit", data={"mode": "add"})
    finally:
        sa.event.remove(db.session, "after_flush", fail_after_flush)
    assert flushed  # the rows did reach the database before the failure
    assert resp.status_code == 303
    assert not {"回滚一", "回滚二", "回滚三"} & names()
    # the session is usable again, and the rolled-back rows left no change-log line behind
    assert count(ChangeLog) == logged
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "已全部撤销，没有保存任何数据" in page


def test_conflict_arising_after_the_preview_saves_nothing(login, county, app):
    """Two clerks preview overlapping files; the second commit hits the database's UNIQUE
    constraint: that row is named, and the other rows of the file are not saved either
    (the rows are retried in savepoints, all rolled back - also on SQLite)."""
    first, second = login("admin"), login("bureau")
    token_a, _ = upload(first, book([row("先到花园")]))
    token_b, page = upload(second, book([row("后到花园"), row("先到花园")]))
    assert "2 行可导入" in page
    assert first.post(f"/compoundview/import/{token_a}/commit",
                      data={"mode": "add"}).status_code == 303
    resp = second.post(f"/compoundview/import/{token_b}/commit", data={"mode": "add"})
    token = re.search(r"/import/([\w-]+)/$", resp.headers["Location"]).group(1)
    assert errors(app, token) == [(3, "名称", "本乡镇（街道、场）已有同名小区「先到花园」")]
    assert "后到花园" not in names()
    page = second.get(resp.headers["Location"]).get_data(as_text=True)
    assert "已全部撤销，没有保存任何数据" in page and "1 行有错误" in page


def test_database_refusal_is_reported_on_its_row(login, county, app):
    """A CHECK the form may not know (term_end after elected_on): nothing saved, row named."""
    client = login("admin")
    head = ["小区*", "类型*", "届次*", "选举日期*", "任期届满*", "办公用房*"]
    data = book([["幸福花园A", "业主委员会", 2, "2024-03-01", "2029-02-28", "无"],
                 ["幸福花园B", "业主委员会", 2, "2024-03-01", "2020-01-01", "无"]],
                head=head, sheet="业主委员会")
    token, page = upload(client, data, view="ownerscommitteeview")
    before = count(OwnersCommittee)
    found = errors(app, token)
    if not found:  # not caught by the form: the database refuses it at the commit
        resp = client.post(f"/ownerscommitteeview/import/{token}/commit", data={"mode": "add"})
        token = re.search(r"/import/([\w-]+)/$", resp.headers["Location"]).group(1)
        found = errors(app, token)
    assert [r for r, _, _ in found] == [3]
    assert "任期届满" in found[0][2]
    assert count(OwnersCommittee) == before


# ---------------------------------------------------------------- scope


def test_township_clerk_cannot_import_into_another_township(login, county, app):
    client = login("town_a")
    token, page = upload(client, book([row("本镇花园"), row("外镇花园", township="东山镇")]))
    assert errors(app, token) == [
        (3, "乡镇（街道、场）", "乡镇（街道、场）“东山镇”不在您的管辖范围内，不能导入")]
    client.post(f"/compoundview/import/{token}/commit", data={"mode": "add"})
    assert not {"本镇花园", "外镇花园"} & names()


def test_township_clerk_imports_their_own_rows(login, county, app):
    client = login("town_a")
    token, page = upload(client, book([row("本镇花园", company="安居物业服务有限公司",
                                            mode="物业服务企业")]))
    assert "1 行可导入" in page, errors(app, token)
    client.post(f"/compoundview/import/{token}/commit", data={"mode": "add"})
    assert "本镇花园" in names()


def test_child_rows_name_compounds_in_scope_only(login, county, app):
    client = login("town_a")
    head = ["小区*", "受理日期*", "纠纷当事方*", "纠纷概况*", "状态*"]
    data = book([["幸福花园A", "2020-06-01", "业主之间", "噪音", "已受理"],
                 ["幸福花园B", "2020-06-01", "业主之间", "漏水", "已受理"]], head=head)
    token, _ = upload(client, data, view="disputeview")
    assert errors(app, token) == [
        (3, "小区", "未找到小区“幸福花园B”，请检查名称是否与系统中的一致")]


def test_import_needs_add_permission(login, county):
    assert login("supervisor").get("/compoundview/import/").status_code == 403
    resp = login("supervisor").post("/compoundview/import/",
                                    data={"file": (io.BytesIO(b"x"), "a.xlsx")},
                                    content_type="multipart/form-data")
    assert resp.status_code == 403
    assert login("town_a").get("/propertycompanyview/import/template/").status_code == 403
    assert login("admin").get("/changelogview/import/").status_code in (403, 404)


def test_a_second_commit_of_the_same_upload_saves_nothing(login, county):
    client = login("admin")
    token, _ = upload(client, book([row("双击花园")]))
    first = client.post(f"/compoundview/import/{token}/commit", data={"mode": "add"})
    again = client.post(f"/compoundview/import/{token}/commit", data={"mode": "add"})
    assert first.status_code == 303
    assert again.status_code in (303, 404)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).where(Compound.name == "双击花园")) == 1


def test_kept_upload_is_bound_to_its_user(login, county, app):
    token, _ = upload(login("town_a"), book([row("绑定花园")]))
    admin = login("admin")
    assert admin.get(f"/compoundview/import/{token}/").status_code == 404
    resp = admin.post(f"/compoundview/import/{token}/commit", data={"mode": "add"})
    assert resp.status_code == 404
    assert admin.get("/compoundview/import/not-a-token/").status_code == 404
    assert login("town_a").get(f"/disputeview/import/{token}/").status_code == 404


# ---------------------------------------------------------------- update mode


def test_add_and_update_on_the_business_key(login, county, app):
    client = login("admin")
    data = book([row("幸福花园A", households=330, kind="老旧小区", mode="物业服务企业",
                     company="安居物业服务有限公司", delivered=dt.date(2013, 5, 1)),
                 row("新加花园")])
    token, page = upload(client, data)
    assert "2 行可导入" in page and "需更新 1 行" in page and "新增 1 行" in page
    # 仅新增: the existing compound is left alone
    client.post(f"/compoundview/import/{token}/commit", data={"mode": "add"})
    db.session.expire_all()
    assert db.session.get(Compound, county.a.compound.id).households == 320
    assert "新加花园" in names()
    # 新增并更新: it is updated, through the ORM, logged as an import
    data = book([row("幸福花园A", households=330, kind="老旧小区", mode="物业服务企业",
                     company="安居物业服务有限公司", delivered=dt.date(2013, 5, 1))])
    token, page = upload(client, data)
    client.post(f"/compoundview/import/{token}/commit", data={"mode": "upsert"})
    db.session.expire_all()
    a = db.session.get(Compound, county.a.compound.id)
    assert a.households == 330 and a.kind.name == "old"
    log = db.session.scalars(sa.select(ChangeLog).where(
        ChangeLog.entity == "Compound", ChangeLog.row_id == a.id,
        ChangeLog.action == "update")).all()
    assert {(e.field, e.old, e.new) for e in log} == {("households", "320", "330"),
                                                      ("kind", "commercial", "old")}
    assert {e.source for e in log} == {ChangeSource.import_}


def test_update_mode_needs_edit_permission(login, county, monkeypatch):
    client = login("admin")
    token, _ = upload(client, book([row("幸福花园A", households=1)]))
    from office.kit.io.views import IoMixin

    monkeypatch.setattr(IoMixin, "_may_update", lambda self: False)
    assert client.post(f"/compoundview/import/{token}/commit",
                       data={"mode": "upsert"}).status_code == 403


def test_record_changed_after_the_preview(login, county, app):
    client = login("admin")
    token, _ = upload(client, book([row("幸福花园A", households=400, kind="商品房小区",
                                        mode="物业服务企业", company="安居物业服务有限公司",
                                        delivered=dt.date(2013, 5, 1))]))
    compound = db.session.get(Compound, county.a.compound.id)
    compound.households = 321  # someone else edits it meanwhile
    db.session.commit()
    resp = client.post(f"/compoundview/import/{token}/commit", data={"mode": "upsert"})
    token = re.search(r"/import/([\w-]+)/$", resp.headers["Location"]).group(1)
    ((excel_row, column, message),) = errors(app, token)
    assert (excel_row, column) == (2, "名称")
    # the same conflict as the form, grid and API say it: who changed the row, and when
    assert message.startswith("预览之后这条记录已被他人修改（")
    assert message.endswith("修改），请重新上传文件")
    db.session.expire_all()
    assert db.session.get(Compound, county.a.compound.id).households == 321


def test_company_updated_by_uscc(login, county, app):
    client = login("admin")
    uscc = county.company.uscc
    wide = uscc.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"})
    data = book([["安居物业服务有限公司", wide, "钱经理", "0551-5550001"]],
                head=["名称", "统一社会信用代码", "法定代表人", "电话"], sheet="物业服务企业")
    token, page = upload(client, data, view="propertycompanyview")
    assert "需更新 1 行" in page, errors(app, token)
    client.post(f"/propertycompanyview/import/{token}/commit", data={"mode": "upsert"})
    db.session.expire_all()
    assert db.session.get(PropertyCompany, county.company.id).legal_person == "钱经理"


# ---------------------------------------------------------------- the error workbook


def test_error_workbook_marks_bad_cells_and_imports_once_fixed(login, county, app):
    client = login("admin")
    token, _ = upload(client, book([row("好的花园"), row("坏的花园", kind="高档小区")]))
    resp = client.get(f"/compoundview/import/{token}/errors.xlsx")
    assert resp.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    assert header[-2:] == ["错误原因", "原行号"]
    kind = ws.cell(row=3, column=header.index("类型*") + 1)
    assert kind.value == "高档小区"
    assert kind.fill.fgColor.rgb.endswith("FFC7CE")
    assert "不是有效的类型" in kind.comment.text
    assert ws.cell(row=3, column=len(header) - 1).value.startswith("类型：“高档小区”不是有效的类型")
    assert ws.cell(row=2, column=len(header) - 1).value is None
    assert ws.cell(row=3, column=len(header)).value == 3
    # fixed and uploaded again, it imports (the extra columns are the workbook's own)
    kind.value = "商品房小区"
    out = io.BytesIO()
    wb.save(out)
    token, page = upload(client, out.getvalue(), "错误标注.xlsx")
    assert "2 行可导入" in page and "已忽略" not in page


def test_every_screen_exports_and_imports_back_cleanly(login, county, app):
    """The low-code promise: every importable screen's export is a valid import of itself,
    and where a business key is declared it matches every row with nothing to change."""
    from office.kit.columns import importable

    client = login("admin")
    views = [v for v in app.appbuilder.baseviews
             if hasattr(v, "export") and hasattr(v, "datamodel") and importable(v)]
    assert len(views) >= 15
    for view in views:
        name = type(view).__name__.lower()
        exported = client.get(f"/{name}/export/")
        assert exported.status_code == 200, name
        token, page = upload(client, exported.data, f"{name}.xlsx", view=name)
        if token is None:  # nothing of this kind in the tiny county
            assert "表头下面没有数据行" in page, name
            continue
        p = plan(app, token)
        assert errors(app, token) == [], name
        actions = {o["action"] for o in p["outcomes"]}
        if getattr(view, "business_key", None):
            assert actions <= {"same"}, (name, p["outcomes"][:2])
        else:
            assert actions <= {"new"}, name

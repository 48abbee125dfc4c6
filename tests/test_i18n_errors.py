"""Domain errors in the request's language (office/kit/i18n.py TranslatableError): on each path
— a form's date, an import row, a grid save, a flashed service error, an API 4xx — English at
/lang/en and exactly today's Chinese at /lang/zh; and no domain error built from an f-string."""
from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
import sqlalchemy as sa

from office.kit.i18n import TranslatableError
from office.models import Finding, db
from office.translations.extract import ERROR_KEYWORDS
from tests.test_grid import SAVE, _Isolated, one, update
from tests.test_import import book, errors, row, upload

OFFICE = Path(__file__).resolve().parent.parent / "office"

CASES = {
    "form": {"zh": "日期“20261345”不存在", "en": "The date “20261345” does not exist"},
    "import": {"zh": "日期“2020-02-30”不存在", "en": "The date “2020-02-30” does not exist"},
    "grid": {"zh": "“一百”不是整数，请填写整数",
             "en": "“一百” is not a whole number; please enter a whole number"},
    "flash": {"zh": "该任务尚未完成，无需重新打开",
              "en": "This task is not done; there is nothing to reopen"},
    "api": {"zh": "日期格式应为 YYYY-MM-DD：2020-13-45",
            "en": "Dates must be written YYYY-MM-DD: 2020-13-45"},
}


@pytest.fixture()
def signed_in(app, users):
    from tests.conftest import PASSWORD

    clients = []

    def _login(username: str, lang: str):
        client = _Isolated(app, app.test_client())
        assert client.post("/login/", data={"username": username,
                                            "password": PASSWORD}).status_code == 302
        assert client.get(f"/lang/{lang}").status_code == 302
        clients.append(client)
        return client

    yield _login
    for client in clients:
        client.get("/lang/zh")


def _text(resp) -> str:
    return unescape(resp.get_data(as_text=True))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_form_date_error(signed_in, county, lang):
    client = signed_in("admin", lang)
    body = _text(client.post("/findingview/add", data={
        "compound": str(county.a.compound.id), "source": "bureau", "found_on": "2026-11-01",
        "description": "消防通道堵塞", "deadline": "20261345", "status": "open"}))
    assert CASES["form"][lang] in body
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Finding).where(
        Finding.description == "消防通道堵塞")) == 0


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_import_row_error(signed_in, county, app, lang):
    client = signed_in("admin", lang)
    token, _page = upload(client, book([row("日期错花园", delivered="2020-02-30")]))
    column = {"zh": "交付日期", "en": "Delivered on"}[lang]
    assert (2, column, CASES["import"][lang]) in errors(app, token)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_grid_save_error(signed_in, county, lang):
    client = signed_in("town_a", lang)
    first = one(client)["data"][0]
    resp = client.post(SAVE, json={"rows": [update(first, households="一百")]})
    assert resp.status_code != 200
    assert resp.get_json()["errors"][str(first["id"])]["households"] == CASES["grid"][lang]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_flashed_service_error(signed_in, county, lang):
    client = signed_in("town_a", lang)
    resp = client.post(f"/taskprogress/{county.a.task.id}",
                       data={"note": "再开", "progress": "80", "reopen": "1"})
    assert resp.status_code == 400
    assert CASES["flash"][lang] in _text(resp)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_api_4xx_message(signed_in, county, lang):
    client = signed_in("admin", lang)
    resp = client.get("/api/v1/indicators/", query_string={"as_of": "2020-13-45"})
    assert resp.status_code == 400
    assert resp.get_json()["message"] == CASES["api"][lang]


def test_str_stays_chinese_in_an_english_request(app):
    from office.kit.values import to_date

    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        import flask
        flask.session["locale"] = "en"
        with pytest.raises(TranslatableError) as caught:
            to_date("2020-02-30")
        assert str(caught.value) == "日期“2020-02-30”不存在"


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_domain_error_is_an_extraction_keyword(app):
    import office.services.dashboard  # noqa: F401 - every domain error class is loaded
    import office.services.evidence  # noqa: F401
    import office.services.report.runs  # noqa: F401
    import office.services.signboards  # noqa: F401
    import office.services.snapshot  # noqa: F401
    import office.services.submission  # noqa: F401
    import office.services.urging  # noqa: F401
    import office.services.users  # noqa: F401

    names = {c.__name__ for c in _subclasses(TranslatableError)} - {"Message"}
    assert names <= ERROR_KEYWORDS, names - ERROR_KEYWORDS


def test_no_domain_error_is_built_from_an_f_string():
    """``raise TaskError(f"…{x}…")`` would be Chinese on English pages: a msgid with named
    placeholders instead (office/services/backup*.py, CLI only, is left out)."""
    names = "|".join(sorted(ERROR_KEYWORDS | {"Message"}))
    pattern = re.compile(rf"\b(?:{names})\(\s*f[\"']")
    found = []
    for path in OFFICE.rglob("*.py"):
        if path.name.startswith("backup") or "translations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        found += [f"{path.relative_to(OFFICE)}:{text[:m.start()].count(chr(10)) + 1}"
                  for m in pattern.finditer(text)]
    assert not found, found

"""A relation offers the same rows on every path: the grid's cell dropdown offers exactly what
the screen's form select offers, for every role that edits and every relation column, and the
list page's search form can filter by every relation it names.

(A township clerk's company dropdown in the grid used to be empty: the grid asked the write
scope of PropertyCompany, which a township owns none of, while the form offers every company.)
"""
from __future__ import annotations

import re
from html import unescape

import pytest

from office.kit.columns import RELATION
from office.kit.grid.views import GridMixin

ROLES = ["admin", "bureau", "town_a", "liaison_a"]  # the roles that edit related rows
SELECT = re.compile(r'<select[^>]*\bid="(?P<id>[^"]+)"[^>]*>(?P<body>.*?)</select>', re.S)
OPTION = re.compile(r'<option[^>]*value="(?P<value>[^"]*)"[^>]*>(?P<text>.*?)</option>', re.S)


def _grid_views(app):
    return [v for v in app.appbuilder.baseviews if isinstance(v, GridMixin)]


def _relation_columns(view):
    return [c for c in view.grid_columns if c.kind == RELATION and (c.can_update or c.can_insert)]


def _form_choices(html: str, field: str):
    """{id: text} of the form's <select id=field>, or None when the form has none."""
    for m in SELECT.finditer(html):
        if m.group("id") == field:
            return {int(o.group("value")): unescape(o.group("text")).strip()
                    for o in OPTION.finditer(m.group("body"))
                    if o.group("value") not in ("", "__None")}
    return None


def _form_page(client, name: str, base: str):
    """The add page, or else the edit page of the first row the user sees; None: neither."""
    resp = client.get(f"{base}/add")
    if resp.status_code == 200:
        return resp.get_data(as_text=True)
    rows = client.get(f"{base}/grid/data?size=5")
    for row in (rows.get_json() or {}).get("data", []) if rows.status_code == 200 else []:
        resp = client.get(f"{base}/edit/{row['id']}")
        if resp.status_code == 200:
            return resp.get_data(as_text=True)
    return None


@pytest.mark.parametrize("username", ROLES)
def test_grid_dropdowns_offer_what_the_form_offers(app, login, username):
    client = login(username)
    compared = []
    for view in _grid_views(app):
        columns = _relation_columns(view)
        if not columns:
            continue
        name = type(view).__name__
        base = view.route_base
        html = _form_page(client, name, base)
        if html is None:
            continue  # this role edits nothing here: the grid has no editor
        for col in columns:
            choices = _form_choices(html, col.name)
            if choices is None:
                continue
            resp = client.get(f"{base}/grid/options/{col.name}")
            assert resp.status_code == 200, (name, col.name, resp.status_code)
            offered = {o["value"]: o["label"] for o in resp.get_json()}
            assert set(offered) == set(choices), (username, name, col.name, offered, choices)
            for pk, label in offered.items():  # and each one is found by typing its name
                found = client.get(f"{base}/grid/options/{col.name}",
                                   query_string={"q": label}).get_json()
                assert pk in {o["value"] for o in found}, (username, name, col.name, label)
            compared.append((name, col.name, len(offered)))
    assert compared, f"{username}: no grid relation column compared"
    if username == "town_a":
        # the case of the issue: a township clerk's company dropdowns were empty
        assert ("CompoundView", "company", 1) in compared


def test_a_township_clerk_picks_any_company_in_the_grid(login, county):
    client = login("town_a")
    for base in ("/compoundview", "/disclosureview"):
        labels = [o["label"] for o in client.get(f"{base}/grid/options/company").get_json()]
        assert labels == ["安居物业服务有限公司"], base
    # rows a township owns are still offered only when they are the clerk's own
    mine = client.get("/compoundview/grid/options/township").get_json()
    assert [o["label"] for o in mine] == ["城关街道"]


def test_every_relation_filter_of_every_list_has_a_source(app, login, county):
    """Each relation the search form of a list names answers its AJAX source (read scope)."""
    from flask_appbuilder.fields import QuerySelectField
    from wtforms.fields.core import UnboundField

    client = login("bureau")
    checked = []
    for view in _grid_views(app):
        form = view.search_form
        for field in sorted(view.search_columns or []):
            unbound = getattr(form, field, None)
            if not (isinstance(unbound, UnboundField)
                    and unbound.field_class is QuerySelectField):
                continue
            page = client.get(f"{view.route_base}/list/").get_data(as_text=True)
            url = f"{view.route_base}/grid/options/{field}"
            assert f'data-options-url=\\"{url}\\"' in page or f'data-options-url="{url}"' in page
            resp = client.get(url, query_string={"for": "filter"})
            assert resp.status_code == 200 and resp.get_json(), (type(view).__name__, field)
            checked.append((type(view).__name__, field))
    assert ("CompoundView", "township") in checked and len(checked) >= 15


def test_the_search_panel_stays_open_while_a_search_is_active(login, county):
    client = login("bureau")
    folded = client.get("/compoundview/list/").get_data(as_text=True)
    assert 'id="accordion1_href" class="panel-collapse collapse"' in folded
    assert "grid/search_form.js" in folded  # the relation filters' AJAX source
    searching = client.get(f"/compoundview/list/?_flt_0_township={county.a.township.id}")
    html = searching.get_data(as_text=True)
    assert 'id="accordion1_href" class="panel-collapse collapse in"' in html
    assert "幸福花园A" in html and "幸福花园B" not in html.split("filter_form")[-1]

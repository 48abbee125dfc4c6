"""No request, however malformed, answers 5xx: every route of the URL map, as the admin and as a
township clerk, with a corpus of bad values - NUL bytes, a trailing backslash, `%`, huge and
non-numeric ids, bogus enum values, bad sort and page parameters, deeply nested JSON, oversized
bodies. Runs on both databases (PostgreSQL refuses NUL in text, SQLite does not)."""
from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest

HUGE = "9" * 26
NUL, BACKSLASH = "\x00", "\\"
# FAB's list parameters, per view: page_<View>, psize_<View>, _oc_<View>, _od_<View>
QUERIES = [
    "q={nul}a&f_name={nul}&_flt_0_name={nul}x&_flt_1_name={bs}&_flt_2_households={nul}",
    "page_{view}=x&psize_{view}=-5",
    "page_{view}={huge}&psize_{view}={huge}",
    "_oc_{view}=township&_od_{view}=asc",
    "_oc_{view}=nonexist&_od_{view}=sideways",
    "as_of=not-a-date&campaign=x&id={huge}&after=%5B1%2C&before=x&from=x&sort=x&dir=x&size=x",
    "q=%25&_flt_0_name=%25%5C",
]
PATH_VALUES = {"pk": ["1", "x", HUGE], "log_id": ["1", HUGE], "token": ["bad-token"],
               "filename": ["x.xlsx"], "locale": ["zh"]}
# bogus values of every kind a form field takes (a NUL is refused before any form reads it,
# so it has a form of its own)
FORMS = [
    {"name": "新名字", "status": "bogus", "kind": "bogus", "township": "x", "compound": "",
     "households": "x", "version": "abc", "received_on": "2020-13-45", "due_on": "x",
     "progress": "-1", "mode": "bogus", "management_mode": "", "office_space": "bogus",
     "rowid": ["x", "0"], "action": "bogus", "file": "x", "as_of": "x", "campaign": "x",
     "roles": "x", "active": "bogus", "password": "x", "conf_password": "y"},
    {"name": "", "status": "", "kind": "", "township": "", "households": "", "version": "",
     "rowid": [HUGE], "action": "muldelete"},
    {"name": f"a{NUL}", "q": NUL},
]
SKIP = re.compile(r"^/(static|appbuilder|swagger|logout|api/v1/security/|api/v1/_)")


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


BODIES = [
    json.dumps({"rows": [{"id": HUGE, "version": "abc", "values": {"name": NUL}}]}),
    json.dumps({"rows": [{"id": "1", "version": "abc", "values": {"households": "x"}}]}),
    json.dumps({"rows": [{"id": "1", "version": 1, "values": {"status": "bogus",
                                                             "township": "x"}}]}),
    json.dumps({"rows": [{"id": HUGE, "version": 1, "values": {}}], "token": "x"}),
    json.dumps({"name": f"a{NUL}", "version": "abc", "households": "x", "status": "bogus"}),
    json.dumps({"name": "x", "version": 1, "households": -1, "status": "bogus",
                "township": "x", "compound": 10**30, "kind": None}),
    json.dumps([1, 2, 3]), json.dumps("text"), json.dumps(None),
    _nested(100_000),
    '{"rows": ' + _nested(50_000) + "}",
    "not json at all",
]


def _fill(rule, value_of) -> str:
    url = rule.rule
    for arg in rule.arguments:
        url = re.sub(r"<(?:[^:<>]+:)?" + arg + ">", quote(value_of(arg), safe=""), url)
    return url


def _urls(rule):
    args = sorted(rule.arguments)
    if not args:
        return [rule.rule]
    variants = max(len(PATH_VALUES.get(a, ["1", "x"])) for a in args)
    return list(dict.fromkeys(
        _fill(rule, lambda a, i=i: PATH_VALUES.get(a, ["1", "x"])[
            min(i, len(PATH_VALUES.get(a, ["1", "x"])) - 1)])
        for i in range(variants)))


def _walk(app, client) -> list[str]:
    failures = []

    def check(method, url, resp):
        if resp.status_code >= 500:
            failures.append(f"{resp.status_code} {method} {url[:160]}")

    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if SKIP.match(rule.rule):
            continue
        view = rule.endpoint.split(".")[0]
        methods = rule.methods - {"HEAD", "OPTIONS"}
        for n, url in enumerate(_urls(rule)):
            # the whole corpus on the route with a real id; a bad id in the path once per verb
            queries = QUERIES if n == 0 else QUERIES[:1]
            forms, bodies = (FORMS, BODIES) if n == 0 else (FORMS[:1], BODIES[:1])
            if "GET" in methods:
                for query in queries:
                    q = query.format(view=view, nul="%00", bs="%5C", huge=HUGE)
                    check("GET", f"{url}?{q}", client.get(f"{url}?{q}"))
            if "POST" in methods:
                for form in forms:
                    check("POST form", url, client.post(url, data=form))
                for body in bodies:
                    check("POST json", url, client.post(url, data=body,
                                                        content_type="application/json"))
            if "PUT" in methods:
                for body in bodies:
                    check("PUT", url, client.put(url, data=body,
                                                 content_type="application/json"))
            if "DELETE" in methods:
                check("DELETE", url, client.delete(url))
    return failures


@pytest.mark.parametrize("username", ["admin", "town_a"])
def test_no_route_answers_5xx_to_bad_input(app, login, county, username, monkeypatch):
    # as in production: an exception becomes a 500 answer (counted here), not a test error
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    failures = _walk(app, login(username))
    import os
    if os.environ.get("FUZZ_DUMP"):
        open(os.environ["FUZZ_DUMP"], "w").write("\n".join(failures))
    assert not failures, f"{len(failures)} requests answered 5xx:\n" + "\n".join(failures[:40])


# ------------------------------------------------------------------ the cases found by hand


def test_a_bogus_enum_on_the_edit_page_is_a_field_error(login, county, monkeypatch, app):
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    from tests.test_scope import parse_form

    client = login("bureau")
    pk = county.a.dispute.id
    form = parse_form(client.get(f"/disputeview/edit/{pk}").get_data(as_text=True)).values
    resp = client.post(f"/disputeview/edit/{pk}", data={**form, "status": "bogus"})
    assert resp.status_code == 200 and "不是有效的选项" in resp.get_data(as_text=True)
    resp = client.post(f"/disputeview/edit/{pk}", data={**form, "status": ""})
    assert resp.status_code == 200 and "必填" in resp.get_data(as_text=True)


@pytest.mark.parametrize("query, message", [
    ("page_CompoundView=x", "页码无效"),
    ("psize_CompoundView=x", "每页条数"),
    ("_oc_TaskView=nonexist", "不能按"),
    ("_od_CompoundView=sideways", "排序方向"),
    ("_flt_0_name=%00", "无效字符"),
])
def test_bad_list_parameters_are_a_400_in_chinese(login, query, message):
    view = "taskview" if "TaskView" in query else "compoundview"
    resp = login("bureau").get(f"/{view}/list/?{query}")
    assert resp.status_code == 400 and message in resp.get_data(as_text=True)


def test_grid_save_with_a_huge_id_or_deep_json_is_a_400(login):
    client = login("bureau")
    resp = client.post("/compoundview/grid/save", json={"rows": [
        {"id": HUGE, "version": 1, "values": {}}]})
    assert resp.status_code == 400 and "数字过大" in resp.get_json()["message"]
    resp = client.post("/compoundview/grid/save", data=_nested(100_000),
                       content_type="application/json")
    assert resp.status_code == 400 and "嵌套" in resp.get_json()["message"]

"""Simplified Chinese is the default UI language and English is selectable.

Every page an admin opens is scanned for FAB's own English UI strings in its visible text
(tags, scripts and styles stripped; tooltips and placeholders kept): the msgids of the zh
catalogue, so a string that FAB renders without translating shows up here, plus screen
titles and the like that no catalogue holds.
"""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest

from office.translations import catalog
from tests.conftest import PASSWORD

MENU_CATEGORIES = [
    "小区与业委会", "物业服务", "投诉电话与公示牌", "任务督办", "统计报表", "系统管理",
]

# English UI words and phrases that must not be seen on a zh page (whole words, case-sensitive).
ENGLISH_UI = [
    "Add", "Edit", "Delete", "Show", "Search", "Actions", "Record Count", "Security",
    "List Users", "List Roles", "List Groups", "Save", "Back", "Detail", "Page size",
    "Order by", "Add Filter", "No records found", "Cancel", "OK", "User confirmation needed",
    "Logout", "Profile", "Login", "Sign In", "Username", "Password", "Select a State",
    "Delete all Really?", "Are you sure you want to delete this item?", "Add a new record",
    "Edit record", "Show record", "Delete record", "List",
]

_HIDDEN = re.compile(r"(?is)<(script|style|template)\b.*?</\1\s*>|<!--.*?-->")


class _Text(HTMLParser):
    """Text nodes plus the attributes a user reads (tooltips, placeholders, button values)."""

    SHOWN_ATTRS = {"title", "placeholder", "alt", "aria-label", "data-original-title"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value and (name in self.SHOWN_ATTRS or (
                    name == "value" and dict(attrs).get("type") in {"submit", "button"})):
                self.parts.append(value)

    def handle_data(self, data):
        self.parts.append(data)


def visible_text(body: str) -> str:
    parser = _Text()
    parser.feed(_HIDDEN.sub(" ", body))
    return html.unescape(" ".join(parser.parts))


def english_ui_msgids() -> set[str]:
    """The zh catalogue's msgids written in English: each one is FAB UI text."""
    return {str(m.id) for m in catalog.load("zh")
            if m.id and not catalog.CJK.search(str(m.id)) and "%(" not in str(m.id)}


_LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z'’?.!:]*(?:[ ]+[A-Za-z][A-Za-z'’?.!:]*)*")


def english_found(text: str, phrases) -> list[str]:
    """Each run of English words in `text` that holds one of `phrases` as whole words."""
    patterns = [re.compile(rf"(?<![A-Za-z]){re.escape(p.strip())}(?![A-Za-z])") for p in phrases]
    found = set()
    for run in _LATIN_RUN.findall(text):
        if any(p.search(run) for p in patterns):
            found.add(run.strip())
    return sorted(found)


_BANNED = None


def banned() -> set[str]:
    global _BANNED
    if _BANNED is None:
        # Words too short or too generic to be a UI string on their own are left to ENGLISH_UI.
        _BANNED = {m for m in english_ui_msgids() if len(m) > 2} | set(ENGLISH_UI)
    return _BANNED


def assert_chinese(body: str, where: str) -> None:
    found = english_found(visible_text(body), banned())
    assert not found, f"English UI text on {where}: {found}"


def get_ok(client, url: str) -> str:
    resp = client.get(url)
    assert resp.status_code == 200, f"{url}: HTTP {resp.status_code}"
    return resp.get_data(as_text=True)


def menu_links(body: str) -> list[str]:
    """The hrefs of the navbar's dropdown entries."""
    nav = body[body.index("<header"):body.index("</header>")]
    return sorted({html.unescape(h) for h in re.findall(r'href="(/[^"#]*)"', nav)
                   if not h.startswith(("/lang/", "/logout", "/static/"))})


# ------------------------------------------------------------------ the scanner itself


def test_scanner_finds_english_ui_text():
    page = ('<html><body><script>var x = "Delete";</script><a title="Edit record">编辑</a>'
            '<span class="sr-only">Delete</span><p>记录数: 3</p><p>幸福花园A</p></body></html>')
    assert english_found(visible_text(page), banned()) == ["Delete", "Edit record"]
    assert english_found(visible_text("<p>添加 · 幸福花园A · admin@local</p>"), banned()) == []


# ------------------------------------------------------------------ catalogue


def test_catalogue_is_compiled_and_complete():
    """The committed .mo files match their .po, and zh leaves nothing untranslated."""
    for locale in catalog.LOCALES:
        assert catalog.stale(locale) == [], "run: python office/translations/catalog.py compile"
    assert catalog.untranslated(catalog.load("zh")) == []


def test_every_fab_and_app_string_has_a_zh_translation():
    """A FAB upgrade or a new English _("…") in office/ that zh lacks fails here (a msgid
    written in Chinese needs no zh entry: gettext falls back to the msgid itself)."""
    zh = {str(m.id) for m in catalog.load("zh") if m.id and m.string and not m.fuzzy}
    wanted = {str(m.id) for m in catalog.template(include_fab=True)
              if m.id and not catalog.CJK.search(str(m.id))}
    assert sorted(wanted - zh) == [], "run: python office/translations/catalog.py update"


# ------------------------------------------------------------------ Chinese by default


@pytest.fixture()
def admin(login):
    return login("admin")


def test_home_page_and_menu_are_chinese(admin):
    body = get_ok(admin, "/")
    assert_chinese(body, "/")
    nav = visible_text(body[body.index("<header"):body.index("</header>")])
    positions = {category: nav.find(category) for category in MENU_CATEGORIES}
    assert -1 not in positions.values(), f"menu categories missing: {positions}"
    app_categories = [positions[c] for c in MENU_CATEGORIES[:-1]]
    assert app_categories == sorted(app_categories), f"menu categories out of order: {positions}"
    assert "Security" not in nav
    assert "住宅小区" in nav and "用户列表" in nav and "角色列表" in nav
    assert "退出登录" in nav and "个人信息" in nav  # the user menu


def test_compound_screens_are_chinese(admin, county):
    pk = county.a.compound.id
    list_page = get_ok(admin, "/compoundview/list/")
    # (no 记录数: the lean list of office/kit/grid/views.py draws its pager without a COUNT)
    for word in ("添加", "查看", "编辑", "删除", "操作", "查询", "返回", "住宅小区列表"):
        assert word in visible_text(list_page), word
    assert_chinese(list_page, "compound list")

    add = get_ok(admin, "/compoundview/add")
    assert "添加住宅小区" in add and "保存" in add
    assert_chinese(add, "compound add")

    edit = get_ok(admin, f"/compoundview/edit/{pk}")
    assert "编辑住宅小区" in edit
    assert "业主委员会列表" in edit  # a related screen's tab, titled from its menu name
    assert_chinese(edit, "compound edit")

    show = get_ok(admin, f"/compoundview/show/{pk}")
    assert "查看住宅小区" in show and "详情" in show
    assert_chinese(show, "compound show")


# FAB's own security screens, where a column label FAB (or office/views/users.py) leaves
# untranslatable shows through; each gap is listed so that a fix, or a new gap, fails a test.
SECURITY_SCREENS = ("/users/", "/roles/", "/groups/", "/permissions/", "/viewmenus/",
                    "/permissionviews/", "/userstatschartview/", "/resetmypassword/",
                    "/resetpassword/", "/userinfoeditview/")


def _is_security(url: str) -> bool:
    return url.startswith(SECURITY_SCREENS)


def test_every_menu_screen_is_chinese(admin, county):
    """Every list screen in the admin's menu, and the add/show/edit screens it links to."""
    seen = set()
    failures = []
    for url in menu_links(get_ok(admin, "/")):
        if _is_security(url):
            continue
        body = get_ok(admin, url)
        pages = [(url, body)]
        for link in re.findall(r'href="(/[^"?#]*/(?:add|show/\d+|edit/\d+))[?"]', body)[:6]:
            link = html.unescape(link)
            if link not in seen:
                seen.add(link)
                pages.append((link, get_ok(admin, link)))
        for where, page in pages:
            found = english_found(visible_text(page), banned())
            if found:
                failures.append(f"{where}: {found}")
    assert not failures, "English UI text:\n" + "\n".join(failures)


def test_login_page_is_chinese(app, users):
    body = get_ok(app.test_client(), "/login/")
    assert_chinese(body, "/login/")
    text = visible_text(body)
    for word in ("登录", "用户名", "密码"):
        assert word in text


def test_bulk_delete_flash_is_chinese(admin, county):
    resp = admin.post("/findingview/action_post",
                      data={"action": "muldelete", "rowid": [str(county.a.finding.id)]},
                      follow_redirects=True)
    assert resp.status_code == 200
    assert "已删除 1 条记录" in resp.get_data(as_text=True)


def test_values_read_as_chinese(admin, county):
    """Booleans read 是/否 and an empty value reads as nothing, on FAB's screens too."""
    text = visible_text(get_ok(admin, f"/archiveitemview/show/{county.a.archive.id}"))
    assert "是" in text
    for word in ("None", "True", "False"):
        assert not english_found(text, [word]), word
    users_list = visible_text(get_ok(admin, "/users/list/"))
    assert not english_found(users_list, ["True", "False", "None"])


def test_security_screens_are_chinese(admin, users):
    for url in ("/roles/add", "/permissions/list/", "/viewmenus/list/",
                "/resetmypassword/form", f"/users/show/{_admin_id(admin)}"):
        text = visible_text(get_ok(admin, url))
        assert "Security" not in text and "List Users" not in text, url
    for url in ("/roles/add", "/permissions/list/", "/viewmenus/list/", "/resetmypassword/form"):
        assert_chinese(get_ok(admin, url), url)


def _admin_id(client) -> int:
    body = get_ok(client, "/users/list/")
    return int(re.search(r'href="/users/show/(\d+)"', body).group(1))


# FAB's security screens, where FAB itself leaves labels untranslated (office/views/users.py).
SECURITY_PAGES = ["/users/list/", "/users/add", "/users/userinfo/", "/roles/list/",
                    "/groups/list/", "/groups/add", "/permissionviews/list/"]


def test_security_screens_have_no_english_left(admin, users):
    actual = {url: english_found(visible_text(get_ok(admin, url)), banned())
              for url in SECURITY_PAGES}
    assert {u: f for u, f in actual.items() if f} == {}


# ------------------------------------------------------------------ English on request


def test_english_is_selectable(app, admin, county):
    resp = admin.get("/lang/en")
    assert resp.status_code == 302
    body = get_ok(admin, "/compoundview/list/")
    text = visible_text(body)
    for word in ("Add", "Edit", "Delete", "Show", "Search", "Actions", "Back", "Security",
                 "List Users", "List Compounds"):
        assert re.search(rf"(?<![A-Za-z]){word}(?![A-Za-z])", text), word
    for word in ("系统管理", "用户列表", "退出登录", "住宅小区列表"):
        assert word not in text, word
    show = visible_text(get_ok(admin, f"/compoundview/show/{county.a.compound.id}"))
    assert "Show in Compounds" in show and "Detail" in show

    resp = admin.post("/findingview/action_post",
                      data={"action": "muldelete", "rowid": [str(county.a.finding.id)]},
                      follow_redirects=True)
    assert "Deleted 1 record(s)" in resp.get_data(as_text=True)

    admin.get("/lang/zh")
    assert "操作" in visible_text(get_ok(admin, "/compoundview/list/"))


def test_english_login_page(app, users):
    client = app.test_client()
    client.get("/lang/en")
    text = visible_text(get_ok(client, "/login/"))
    assert re.search(r"\bSign In\b", text) or re.search(r"\bLogin\b", text)
    assert "Username" in text and "Password" in text
    # and signing in keeps the chosen language
    client.post("/login/", data={"username": "admin", "password": PASSWORD})
    assert "Security" in visible_text(get_ok(client, "/"))

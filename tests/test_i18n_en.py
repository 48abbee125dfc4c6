"""English is English: with /lang/en no page of the admin's menu shows Chinese UI text.

Every menu page an admin opens (lists, an add form and a show page of each, the grid, the
dashboard, the task board, reports, signboards …) is scanned for CJK characters in its visible
text (tags, scripts and styles stripped; tooltips and placeholders kept). What the database
holds is data, not UI: every string stored in any text column of any table is removed from the
page text first (longest first), and so is the language switcher's own label 中文. What is
left must contain no CJK character.

And the catalogue: every msgid the extraction finds in office/ has a non-empty English msgstr.
"""
from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa

from office.models import db
from office.translations import catalog
from tests.test_i18n import get_ok, menu_links, visible_text

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]+")
ALLOWED = ("简体中文", "中文")  # the language switcher names Chinese in Chinese
DETAIL_LINK = re.compile(r'href="(/[^"?#]*/(?:add|show/\d+|edit/\d+|grid/|progress/\d+))[?"]')


def stored_strings() -> list[str]:
    """Every string value of every text column of every table, longest first."""
    values: set[str] = set()
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, sa.Enum) or not isinstance(column.type, sa.String):
                continue
            for (value,) in db.session.execute(sa.select(column).distinct()):
                if value and CJK.search(value):
                    values.add(value)
                    values.update(line.strip() for line in value.splitlines() if line.strip())
    return sorted(values, key=len, reverse=True)


def chinese_left(text: str, data: list[str]) -> list[str]:
    for value in data:
        text = text.replace(value, " ")
    for word in ALLOWED:
        text = text.replace(word, " ")
    found = []
    for match in CJK.finditer(text):
        start, end = match.span()
        found.append(text[max(0, start - 12):end + 12].replace("\n", " ").strip())
    return found


def test_scanner_removes_data_and_finds_ui_text():
    text = visible_text('<p title="住宅小区">幸福花园A · 城关街道/幸福花园A</p><a>中文</a>')
    left = chinese_left(text, ["幸福花园A", "城关街道"])
    assert len(left) == 1 and "住宅小区" in left[0]
    assert chinese_left(visible_text("<p>幸福花园A 简体中文 Add</p>"), ["幸福花园A"]) == []


def _pages(client) -> list[str]:
    """The admin's menu pages and, for each, up to a few detail pages it links to."""
    home = get_ok(client, "/")
    urls = ["/", *menu_links(home)]
    pages, seen = [], set()
    for url in urls:
        if url in seen:
            continue
        seen.add(url)
        pages.append(url)
        body = get_ok(client, url)
        for link in DETAIL_LINK.findall(body)[:4]:
            link = html.unescape(link)
            if link not in seen and "/delete/" not in link:
                seen.add(link)
                pages.append(link)
    return pages


@pytest.fixture()
def english_admin(login):
    client = login("admin")
    assert client.get("/lang/en").status_code == 302
    yield client
    client.get("/lang/zh")


def test_every_menu_page_is_english(app, english_admin, county):
    data = stored_strings()
    failures = []
    for url in _pages(english_admin):
        body = get_ok(english_admin, url)
        left = chinese_left(visible_text(body), data)
        if left:
            failures.append(f"{url}: {sorted(set(left))[:12]}")
    assert not failures, f"Chinese UI text on {len(failures)} English pages:\n" + "\n".join(
        failures)


def test_every_app_msgid_has_english():
    """What extraction finds in office/ (the `make i18n` template) has a non-empty English
    translation in en/LC_MESSAGES/messages.po."""
    en = {str(m.id): m.string for m in catalog.load("en") if m.id and not m.fuzzy}
    missing = sorted(str(m.id) for m in catalog.template(include_fab=False)
                     if m.id and not en.get(str(m.id)))
    assert missing == [], f"{len(missing)} msgids without English (run: make i18n): {missing[:20]}"

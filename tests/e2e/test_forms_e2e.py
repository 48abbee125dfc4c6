"""Forms that do not trap, in a real browser (issue 11, point 5; CSRF on, as in production).

1. The committee add form's 小区 starts at 请选择; saving without choosing one keeps the clerk on
   the form with 必填，请选择小区 next to the field, and nothing is saved.
   Screenshots: artifacts/committee_add_blank.png, artifacts/committee_add_required.png.
2. A date typed as 20261120 then Tab stays what was typed (FAB's datepicker replaced it with
   today); saved, the stored date is 2026-11-20. Screenshot: artifacts/date_typed.png.
3. Overdue findings are red on their list and in the grid (artifacts/findings_overdue*.png).
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from office.models import Finding, FindingStatus, OwnersCommittee, db


def _count_committees() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(OwnersCommittee))


def test_committee_form_starts_at_choose_and_requires_a_compound(county, page_as, artifacts):
    before = _count_committees()
    page = page_as("bureau")
    page.goto(page.base + "/ownerscommitteeview/add")
    page.wait_for_load_state("networkidle")
    select = page.locator("select#compound")
    assert select.input_value() == "__None"
    shown = page.locator("#s2id_compound, select#compound + .select2").first.inner_text()
    assert "请选择" in shown, shown
    page.screenshot(path=str(artifacts / "committee_add_blank.png"), full_page=True)

    page.select_option("select#kind", "committee")
    page.fill("input#elected_on", "2021-03-01")
    page.fill("input#term_end", "2024-02-28")
    page.select_option("select#office_space", "dedicated")
    page.locator("form#model_form button[type=submit], form#model_form input[type=submit]"
                 ).first.click()
    page.wait_for_load_state("networkidle")
    assert "/ownerscommitteeview/add" in page.url
    assert page.get_by_text("必填，请选择小区").count() >= 1
    page.screenshot(path=str(artifacts / "committee_add_required.png"), full_page=True)
    assert _count_committees() == before
    assert not page.js_errors


def test_a_typed_date_is_kept_and_saved(county, page_as, artifacts):
    page = page_as("bureau")
    page.goto(page.base + "/findingview/add")
    page.wait_for_load_state("networkidle")
    page.select_option("select#compound", str(county.a.compound.id))
    page.select_option("select#source", "bureau")
    page.fill("input#found_on", "2026-11-01")
    page.fill("textarea#description, input#description", "楼道堆物")
    page.select_option("select#status", "open")

    field = page.locator("input#deadline")
    field.click()
    page.keyboard.type("20261120")
    page.keyboard.press("Tab")
    page.wait_for_timeout(300)
    kept = field.input_value()
    assert kept in ("20261120", "2026-11-20"), kept  # never today's date
    assert kept != dt.date.today().isoformat()
    page.screenshot(path=str(artifacts / "date_typed.png"), full_page=True)

    page.locator("form#model_form button[type=submit], form#model_form input[type=submit]"
                 ).first.click()
    page.wait_for_load_state("networkidle")
    assert "/findingview/add" not in page.url, page.content()[-3000:]
    db.session.expire_all()
    row = db.session.scalar(sa.select(Finding).where(Finding.description == "楼道堆物"))
    assert row is not None and row.deadline == dt.date(2026, 11, 20)
    assert not page.js_errors


def test_overdue_findings_are_red_on_the_list_and_in_the_grid(app, county, page_as, artifacts,
                                                              monkeypatch):
    monkeypatch.setitem(app.config, "TODAY", dt.date(2020, 10, 15))
    db.session.add(Finding(compound=county.a.compound, source="bureau",
                           found_on=dt.date(2020, 9, 20), description="即将到期的问题",
                           deadline=dt.date(2020, 10, 18), status=FindingStatus.open))
    db.session.commit()  # county.a.finding: deadline 2020-09-30, open → overdue
    page = page_as("bureau")
    page.goto(page.base + "/findingview/list/")
    page.wait_for_load_state("networkidle")
    overdue = page.locator("tr.office-row-overdue")
    assert overdue.count() == 2  # both townships' factory findings
    colour = overdue.first.locator("td").nth(2).evaluate(
        "td => getComputedStyle(td).backgroundColor")
    assert colour == "rgb(242, 222, 222)", colour
    assert page.locator("tr.office-row-due_soon").count() == 1
    page.screenshot(path=str(artifacts / "findings_overdue_list.png"), full_page=True)

    page.goto(page.base + "/findingview/grid/")
    page.wait_for_selector(".tabulator-row")
    page.wait_for_load_state("networkidle")
    rows = page.locator(".tabulator-row.office-row-overdue")
    assert rows.count() == 2
    colour = rows.first.locator(".tabulator-cell").nth(2).evaluate(
        "td => getComputedStyle(td).backgroundColor")
    assert colour == "rgb(242, 222, 222)", colour
    page.screenshot(path=str(artifacts / "findings_overdue_grid.png"), full_page=True)
    assert not page.js_errors

"""The directory and the signboards in a real browser: a liaison keeps their own row, the change
makes the boards stale, the print page shows the new number (artifacts/signboard.png and
signboard.pdf, A3), and the bureau marks the boards replaced from the grid."""
from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from office.models import (
    Compound,
    CompoundKind,
    ContactPoint,
    DirectoryRevision,
    ManagementMode,
    Signboard,
    db,
)

A3_POINTS = (842, 1191)  # 297 × 420 mm in PDF points


def fresh(model, pk):
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(model, pk)


def latest_revision() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.max(DirectoryRevision.number)))


def pdf_pages(data: bytes) -> list[tuple[float, float]]:
    """The MediaBox (width, height) of every page of a PDF written by chromium."""
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)
    return [(float(w), float(h)) for w, h in boxes]


def edit_own_row(page, phone: str) -> None:
    """On the directory page, open the own row's edit form and save a new complaint phone."""
    page.goto(page.base + "/directory/")
    page.click("a[href*='/contactpointview/edit/']")
    page.wait_for_selector("#complaint_phone")
    page.fill("#complaint_phone", phone)
    page.click("#model_form button[type=submit], #model_form input[type=submit]")
    page.wait_for_load_state("networkidle")


def test_liaison_keeps_their_own_row_in_the_ui(page_as, county, artifacts):
    mine, theirs = county.a.dept_contact, county.b.dept_contact
    page = page_as("liaison_a")
    page.goto(page.base + "/directory/")
    text = page.inner_text(".office-directory")
    for word in ("县公安局", "县民政局", "城关街道", "东山镇", "赵A", "赵B", "王A", "王B",
                 "0551-7654321", "工作日 8:30-17:30"):
        assert word in text, word
    links = page.locator("a[href*='/contactpointview/edit/']")
    assert links.count() == 1  # their own department's row only
    assert links.first.get_attribute("href").endswith(f"/contactpointview/edit/{mine.id}")
    page.screenshot(path=str(artifacts / "directory.png"), full_page=True)

    # a bad number is refused next to the field, in Chinese
    links.first.click()
    page.wait_for_selector("#complaint_phone")
    assert page.locator("#reported_on").count() == 0  # the bureau's record
    page.fill("#person", "钱新")
    page.fill("#complaint_phone", "6661100")
    page.click("#model_form button[type=submit], #model_form input[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "投诉电话「6661100」不是有效的电话号码" in page.inner_text("body")
    assert fresh(ContactPoint, mine.id).person == "赵A"

    # a good one is saved in its canonical spelling and raises the directory version
    page.fill("#person", "钱新")
    page.fill("#complaint_phone", "0551 6661100")
    page.click("#model_form button[type=submit], #model_form input[type=submit]")
    page.wait_for_load_state("networkidle")
    row = fresh(ContactPoint, mine.id)
    assert (row.person, row.complaint_phone, row.reported_on) == (
        "钱新", "0551-6661100", dt.date.today())
    assert latest_revision() == 2
    page.goto(page.base + "/directory/")
    assert "0551-6661100" in page.inner_text(".office-directory")
    assert "第2版" in page.inner_text(".office-directory")

    # another department's row is not theirs to open
    resp = page.goto(page.base + f"/contactpointview/edit/{theirs.id}")
    assert resp.status == 404
    assert not page.js_errors, page.js_errors


def test_a_change_makes_boards_stale_and_the_board_prints_the_new_number(
        page_as, county, artifacts):
    for name in ("阳光花园", "桥东小区"):
        db.session.add(Compound(township=county.a.township, name=name,
                                kind=CompoundKind.commercial, households=10,
                                management_mode=ManagementMode.none))
    db.session.commit()
    edit_own_row(page_as("liaison_a"), "0551-6669999")
    assert latest_revision() == 2

    page = page_as("bureau")
    page.goto(page.base + "/stalesignboardview/list/")
    banner = page.inner_text("#stale-banner")
    assert "现行通讯录：第2版" in banner and "2" in page.inner_text("#stale-count")
    listed = page.inner_text(".panel-body, body")
    assert "幸福花园A" in listed and "幸福花园B" in listed
    page.screenshot(path=str(artifacts / "signboards-stale.png"), full_page=True)

    # the print page of 幸福花园A, reached from the list
    page.click(f"a[href$='/signboards/compound/{county.a.compound.id}']")
    page.wait_for_selector("section.signboard")
    board = page.locator("section.signboard")
    text = board.inner_text()
    assert "住宅小区服务投诉电话公示牌" in text and "幸福花园A" in text
    assert "0551-6669999" in text and "通讯录第2版" in text
    assert "12345" in text and "县民政局" in text and "王A" in text

    page.set_viewport_size({"width": 1200, "height": 1650})
    page.emulate_media(media="print")
    assert page.locator(".sb-toolbar").is_hidden()
    board.screenshot(path=str(artifacts / "signboard.png"))
    pdf = page.pdf(path=str(artifacts / "signboard.pdf"), format="A3",
                   print_background=True, prefer_css_page_size=True)
    pages = pdf_pages(pdf)
    assert len(pages) == 1, pages
    assert abs(pages[0][0] - A3_POINTS[0]) < 2 and abs(pages[0][1] - A3_POINTS[1]) < 2
    page.emulate_media(media="screen")

    # the township's batch: one A3 page per compound
    page.goto(page.base + f"/signboards/township/{county.a.township.id}")
    page.wait_for_selector("section.signboard")
    assert page.locator("section.signboard").count() == 3
    page.emulate_media(media="print")
    batch = page.pdf(format="A3", print_background=True, prefer_css_page_size=True)
    assert len(pdf_pages(batch)) == 3
    (artifacts / "signboards-township.pdf").write_bytes(batch)
    assert not page.js_errors, page.js_errors


def test_bureau_marks_stale_boards_replaced_in_the_grid(page_as, county, artifacts):
    edit_own_row(page_as("liaison_a"), "0551-6667777")
    a, b = county.a.signboard, county.b.signboard
    page = page_as("bureau")
    page.goto(page.base + "/stalesignboardview/grid/")
    page.wait_for_selector("#office-grid .tabulator-row .tabulator-cell[tabulator-field=compound]")
    page.wait_for_load_state("networkidle")
    cells = page.locator("#office-grid .tabulator-row .tabulator-cell[tabulator-field=compound]")
    assert cells.count() == 2
    button = page.locator("#grid-action-mark_replaced")
    assert button.inner_text().strip() == "标记为已更换"

    cells.nth(0).click()
    cells.nth(1).click(modifiers=["Shift"])  # a range over both rows
    page.once("dialog", lambda dialog: dialog.accept())
    button.click()
    page.wait_for_function(
        "() => document.getElementById('grid-status').textContent.includes('已将 2 块')",
        timeout=10_000)
    page.screenshot(path=str(artifacts / "signboards-replaced.png"), full_page=True)
    assert cells.count() == 0  # the list of boards to replace is empty now
    today = dt.date.today()
    assert fresh(Signboard, a.id).removed_on == today
    assert fresh(Signboard, b.id).removed_on == today
    new = db.session.scalars(sa.select(Signboard).where(Signboard.installed_on == today)).all()
    assert sorted((s.compound_id, s.directory_version) for s in new) == sorted(
        [(county.a.compound.id, 2), (county.b.compound.id, 2)])
    assert not page.js_errors, page.js_errors

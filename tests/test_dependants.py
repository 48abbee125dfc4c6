"""No orphans (kit/dependants.py, models/base.py): a delete that would leave records pointing at
nothing is refused on every path - the list's delete, the bulk delete, the API - with the
records counted by kind in Chinese, and the database enforces foreign keys on SQLite as on
PostgreSQL."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from office.models import Compound, OwnersCommittee, ServiceContract, Signboard, db
from tests.conftest import count

KINDS = ("业主委员会", "物业服务合同", "公示牌")


def _still_there(compound_id) -> bool:
    db.session.expire_all()
    return db.session.get(Compound, compound_id) is not None


def _expected_counts(compound_id) -> dict[str, int]:
    return {"业主委员会": count_where(OwnersCommittee, compound_id),
            "物业服务合同": count_where(ServiceContract, compound_id),
            "公示牌": count_where(Signboard, compound_id)}


def count_where(model, compound_id) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(
        model.compound_id == compound_id))


def _says_what_is_left(text: str, compound_id) -> None:
    assert "不能删除" in text
    for kind, n in _expected_counts(compound_id).items():
        assert n >= 1 and f"{n} 条{kind}" in text, (kind, text)


def test_delete_page_refuses_and_counts_the_dependants(login, county):
    pk = county.a.compound.id
    resp = login("admin").post(f"/compoundview/delete/{pk}", follow_redirects=True)
    _says_what_is_left(resp.get_data(as_text=True), pk)
    assert _still_there(pk)


def test_bulk_delete_refuses_and_deletes_nothing(login, county):
    pk, free = county.a.compound.id, Compound(township=county.a.township, name="空小区",
                                              kind=county.a.compound.kind,
                                              management_mode=county.a.compound.management_mode)
    db.session.add(free)
    db.session.commit()
    before = count(Compound)
    resp = login("admin").post("/compoundview/action_post", data={
        "action": "muldelete", "rowid": [str(free.id), str(pk)]}, follow_redirects=True)
    _says_what_is_left(resp.get_data(as_text=True), pk)
    assert count(Compound) == before  # not even the free one: all or nothing


def test_api_delete_refuses_with_409(login, county):
    pk = county.a.compound.id
    resp = login("admin").delete(f"/api/v1/compound/{pk}")
    assert resp.status_code == 409
    _says_what_is_left(resp.get_json()["message"], pk)
    assert _still_there(pk)


def test_a_row_without_dependants_is_deleted(login, county):
    free = Compound(township=county.a.township, name="空小区", kind=county.a.compound.kind,
                    management_mode=county.a.compound.management_mode)
    db.session.add(free)
    db.session.commit()
    assert login("admin").delete(f"/api/v1/compound/{free.id}").status_code == 200
    assert not _still_there(free.id)


def test_the_database_itself_refuses_an_orphan(county):
    """Past the app (a script, the shell): SQLite enforces foreign keys like PostgreSQL."""
    pk = county.a.compound.id
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(sa.delete(Compound).where(Compound.id == pk))
        db.session.flush()
    db.session.rollback()
    assert _still_there(pk)
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1

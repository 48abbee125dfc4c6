"""Every write leaves ChangeLog rows, whatever path made it."""
import datetime as dt

import sqlalchemy as sa

from office.kit.audit.log import audit_context
from office.models import ChangeAction, ChangeLog, ChangeSource, Compound, db


def _log(entity, row_id):
    return db.session.scalars(
        sa.select(ChangeLog).where(ChangeLog.entity == entity, ChangeLog.row_id == row_id)
        .order_by(ChangeLog.id)
    ).all()


def test_insert_update_delete_are_logged_with_old_and_new(county):
    township = county.a.township
    with audit_context(ChangeSource.job, username="worker"):
        c = Compound(township=township, name="新建花园", kind="commercial",
                     management_mode="none", households=10)
        db.session.add(c)
        db.session.commit()
        c.households = 12
        c.community = "新社区"  # was NULL: old must be recorded as NULL, not skipped
        c.delivered_on = dt.date(2020, 1, 2)
        db.session.commit()
        row_id = c.id
        db.session.delete(c)
        db.session.commit()
    log = _log("Compound", row_id)
    assert [e.action for e in log][0] == ChangeAction.insert
    assert '"name": "新建花园"' in log[0].new
    updates = {e.field: (e.old, e.new) for e in log if e.action == ChangeAction.update}
    assert updates == {"households": ("10", "12"), "community": (None, "新社区"),
                       "delivered_on": (None, "2020-01-02")}
    assert log[-1].action == ChangeAction.delete and '"households": "12"' in log[-1].old
    assert {e.username for e in log} == {"worker"} and {e.source for e in log} == {ChangeSource.job}


def test_form_edit_is_logged_as_the_signed_in_user(login, county):
    client = login("admin")
    compound = county.a.compound
    resp = client.post(f"/compoundview/edit/{compound.id}", data={
        "township": compound.township_id, "name": compound.name, "kind": "old",
        "households": "321", "management_mode": "company", "company": county.company.id,
        "version": str(compound.version),
    })
    assert resp.status_code == 302
    changes = {e.field: (e.old, e.new, e.username, e.source)
               for e in _log("Compound", compound.id) if e.action == ChangeAction.update}
    assert changes["households"] == ("320", "321", "admin", ChangeSource.form)
    assert changes["kind"] == ("commercial", "old", "admin", ChangeSource.form)

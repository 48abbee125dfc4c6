from office.models import Compound
from tests.conftest import count


def test_admin_sees_compounds(login, county):
    client = login("admin")
    resp = client.get("/compoundview/list/")
    assert resp.status_code == 200
    assert "幸福花园A" in resp.get_data(as_text=True)
    assert count(Compound) == 2


def test_township_clerk_sees_only_own_township(login, county):
    client = login("town_a")
    body = client.get("/compoundview/list/").get_data(as_text=True)
    assert "幸福花园A" in body and "幸福花园B" not in body
    assert client.get(f"/compoundview/show/{county.b.compound.id}").status_code == 404

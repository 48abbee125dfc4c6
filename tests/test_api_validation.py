"""The REST API refuses bad input with a 422 naming the field, and saves nothing."""
from office.models import Compound, PropertyCompany
from tests.conftest import count
from tests.factories import put_versioned


def test_api_post_with_invalid_credit_code_is_422_and_saves_nothing(login, county):
    client = login("bureau")
    before = count(PropertyCompany)
    resp = client.post("/api/v1/property_company/", json={
        "name": "坏代码物业", "uscc": "91341122MA2N000010"})
    assert resp.status_code == 422
    assert "统一社会信用代码" in resp.json["message"]
    assert count(PropertyCompany) == before


def test_api_constraint_violations_name_the_field(login, county):
    client = login("bureau")
    before = count(Compound)
    resp = client.post("/api/v1/compound/", json={
        "township": county.a.township.id, "name": "负户数小区", "kind": "old",
        "management_mode": "none", "households": -5})
    assert resp.status_code == 422, resp.get_data(as_text=True)
    assert "households" in resp.json["message"]
    assert count(Compound) == before
    duplicate = client.post("/api/v1/compound/", json={
        "township": county.a.township.id, "name": county.a.compound.name, "kind": "old",
        "management_mode": "none", "households": 5})
    assert duplicate.status_code == 422
    assert count(Compound) == before


def test_api_put_with_bad_value_leaves_the_row_unchanged(login, county):
    client = login("bureau")
    compound = county.a.compound
    resp = put_versioned(client, f"/api/v1/compound/{compound.id}", json={"households": -1})
    assert resp.status_code == 422
    assert client.get(f"/api/v1/compound/{compound.id}").json["result"]["households"] == 320

"""GET /api/v1/indicators/: office.indicators' figures as of any date, scoped like the dashboard."""
from __future__ import annotations

import datetime as dt

import pytest

from office import indicators as ind

from .test_dashboard import AS_OF, hand_built

URL = "/api/v1/indicators/"


def _pairs(entry: dict | None):
    return None if entry is None else (entry["numerator"], entry["denominator"])


def test_figures_are_office_indicators(county, login):
    hand_built(county)
    body = login("bureau").get(f"{URL}?as_of={AS_OF}").get_json()
    assert body["as_of"] == AS_OF.isoformat() and body["campaign"]["id"] == county.campaign.id
    county_rates = ind.county_rates(AS_OF, county.campaign)
    township_rates = ind.township_rates(AS_OF, county.campaign)
    assert [item["key"] for item in body["indicators"]] == list(ind.INDICATORS)
    for item in body["indicators"]:
        key = item["key"]
        assert _pairs(item["county"]) == (county_rates[key].numerator,
                                          county_rates[key].denominator)
        for row in item["townships"]:
            rate = township_rates[key].get(row["id"], ind.Rate(0, 0))
            assert _pairs(row) == (rate.numerator, rate.denominator)
    coverage = next(i for i in body["indicators"] if i["key"] == "committee_coverage")
    # hand_built: 2 of 5 compounds covered, target 60% due 2020-12-31 → pending
    assert _pairs(coverage["county"]) == (2, 5) and coverage["county"]["status"] == "pending"
    assert coverage["target"] == {"threshold": 60.0, "due_on": "2020-12-31"}


def test_an_earlier_date_gives_that_dates_figures(county, login):
    hand_built(county)
    earlier = dt.date(2019, 1, 1)
    body = login("supervisor").get(f"{URL}?as_of={earlier}").get_json()
    expected = ind.county_rates(earlier, county.campaign)
    for item in body["indicators"]:
        assert _pairs(item["county"]) == (expected[item["key"]].numerator,
                                          expected[item["key"]].denominator)


def test_township_clerk_gets_their_township_only(county, login):
    hand_built(county)
    body = login("town_a").get(f"{URL}?as_of={AS_OF}").get_json()
    for item in body["indicators"]:
        assert item["county"] is None
        assert [row["id"] for row in item["townships"]] == [county.a.township.id]


@pytest.mark.parametrize("username", ["liaison_a", "reviewer"])
def test_others_are_refused(county, login, username):
    assert login(username).get(URL).status_code in (401, 403)


def test_bad_input_is_a_clear_400(county, login):
    client = login("bureau")
    resp = client.get(f"{URL}?as_of=2020-13-01")
    assert resp.status_code == 400 and "YYYY-MM-DD" in resp.get_json()["message"]
    assert client.get(f"{URL}?campaign=x").status_code == 400
    assert client.get(f"{URL}?campaign=999999").status_code == 404

"""工作看板 (office/views/dashboard.py, office/services/dashboard.py, office/services/snapshot.py).

* Snapshots store office.indicators' output verbatim: stored == township_rates/county_rates.
* The page shows the stored figures, i.e. office.indicators' figures, and judges them with
  office.indicators' targets (met / pending / not met, days left) — on hand-built data.
* A township clerk sees their own township only: headline, table, trend and drill-down.
* A drill-down lists exactly office.indicators.compounds_behind(met=False), page by page.
* A recompute is queued when the change log moved past the stored mark (or nothing is
  stored), once per (campaign, date) however often the page is viewed; running it clears it.

The queue is an RQ queue on a private fakeredis (``jobs`` fixture), so that no worker of
another test module picks these jobs up; ``run_jobs`` works them off in this process.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from office import indicators as ind
from office.models import (
    ChangeLog,
    CommitteeKind,
    Compound,
    CompoundKind,
    DirectoryRevision,
    Indicator,
    IndicatorFigure,
    IndicatorSnapshot,
    ManagementMode,
    OfficeSpace,
    OwnersCommittee,
    Target,
    db,
)
from office.services import snapshot
from office.services.dashboard import percent_text

D = dt.date
AS_OF = D(2020, 10, 15)
DATA_JSON = re.compile(r'<script type="application/json" id="dashboard-data">(.*?)</script>',
                       re.S)
CARD = re.compile(r'<div class="dash-card dash-(\w+)" data-key="(\w+)">(.*?)</ul>', re.S)
ROW = re.compile(r'<tr (?:class="dash-county-row" )?data-township="(\w+)">(.*?)</tr>', re.S)
CELL = re.compile(r'<td class="dash-cell dash-(\w+)" data-key="(\w+)"[^>]*>(.*?)</td>', re.S)
COMPOUND_ROW = re.compile(r'<tr data-compound="(\d+)">')
COMPOUND_KEYS = [k for k, d in ind.INDICATORS.items() if d.unit != "township"]


# ---------------------------------------------------------------- helpers and fixtures


@pytest.fixture()
def jobs(app, monkeypatch):
    """A private RQ queue on its own fakeredis, wired into office.services.snapshot."""
    import fakeredis
    from rq import Queue

    from office import queue as office_queue

    conn = fakeredis.FakeRedis(server=fakeredis.FakeServer())
    queue = Queue("dashboard-test", connection=conn)
    monkeypatch.setattr(snapshot, "connection", lambda app=None: conn)
    monkeypatch.setattr(snapshot, "get_queue", lambda app=None: queue)
    monkeypatch.setattr(snapshot, "queue_name", lambda app=None: "dashboard-test")
    monkeypatch.setattr(snapshot, "start_embedded_worker", lambda app: None)
    monkeypatch.setitem(app.config, "DASHBOARD_REFRESH_ON_VIEW", True)  # off in test apps
    office_queue.bind(app)
    return queue


def run_jobs(queue) -> int:
    """Work the queue off in this process; the number of jobs that ran."""
    from rq import SimpleWorker

    ran = len(queue)
    worker = SimpleWorker([queue], connection=queue.connection)
    worker.work(burst=True, logging_level="WARNING")
    db.session.rollback()
    return ran


def fill(campaign, as_of=AS_OF) -> None:
    """Store every date the dashboard of `as_of` shows."""
    for day in snapshot.trend_dates(campaign, as_of):
        snapshot.refresh(campaign.id, day, force=True)


def page_data(client, url: str) -> tuple[dict, str]:
    resp = client.get(url)
    assert resp.status_code == 200, resp.status_code
    body = resp.get_data(as_text=True)
    match = DATA_JSON.search(body)
    assert match, "no dashboard data on the page"
    return json.loads(match.group(1)), body


def cards(body: str) -> dict[str, tuple[str, str]]:
    return {key: (colour, html) for colour, key, html in CARD.findall(body)}


def cells(body: str) -> dict[str, dict[str, tuple[str, str]]]:
    """{township id | "county": {key: (colour, inner html)}} of the township table."""
    return {tid: {key: (colour, html) for colour, key, html in CELL.findall(row)}
            for tid, row in ROW.findall(body)}


def url_of(html: str) -> str | None:
    match = re.search(r'href="([^"]+)"', html)
    return match.group(1).replace("&amp;", "&") if match else None


def stored(campaign, as_of) -> tuple[dict[str, dict[int, ind.Rate]], dict[str, ind.Rate]]:
    sid = db.session.scalar(sa.select(IndicatorSnapshot.id).where(
        IndicatorSnapshot.campaign_id == campaign.id, IndicatorSnapshot.as_of == as_of))
    townships: dict[str, dict[int, ind.Rate]] = {k: {} for k in ind.INDICATORS}
    county: dict[str, ind.Rate] = {}
    for f in db.session.scalars(sa.select(IndicatorFigure)
                                .where(IndicatorFigure.snapshot_id == sid)):
        rate = ind.Rate(f.numerator, f.denominator)
        if f.township_id is None:
            county[f.indicator.name] = rate
        else:
            townships[f.indicator.name][f.township_id] = rate
    return townships, county


def add_compound(township, name, mode=ManagementMode.company, with_committee=False):
    c = Compound(township=township, name=name, kind=CompoundKind.commercial, households=100,
                 delivered_on=D(2015, 1, 1), management_mode=mode)
    db.session.add(c)
    if with_committee:
        db.session.add(OwnersCommittee(compound=c, kind=CommitteeKind.committee, term_no=1,
                                       elected_on=D(2019, 1, 1), term_end=D(2023, 12, 31),
                                       office_space=OfficeSpace.none))
    return c


def hand_built(county) -> None:
    """Township A: its compound plus 3 without a committee (coverage 1/4); B: 1/1.

    Targets as of 2020-10-15: coverage ≥60% by 2020-12-31 (factory), fee disclosure 100% by
    2020-12-31 (nobody published service items: 0%), signboards 100% by 2020-08-31 (a second
    directory revision on 2020-09-01 makes every board stale: 0%), no target for contracts.
    """
    for i in range(3):
        add_compound(county.a.township, f"无委会小区{i}")
    db.session.add_all([
        Target(campaign=county.campaign, indicator=Indicator.fee_disclosure,
               threshold=Decimal("100"), due_on=D(2020, 12, 31)),
        Target(campaign=county.campaign, indicator=Indicator.signboard_current,
               threshold=Decimal("100"), due_on=D(2020, 8, 31)),
        DirectoryRevision(county=county.county, number=2, effective_on=D(2020, 9, 1)),
    ])
    db.session.commit()


# ---------------------------------------------------------------- snapshots == indicators


@pytest.mark.parametrize("as_of", [D(2020, 6, 30), AS_OF, D(2021, 12, 31)])
def test_snapshot_stores_indicators_verbatim(county, as_of):
    hand_built(county)
    snapshot.refresh(county.campaign.id, as_of)
    townships, county_figures = stored(county.campaign, as_of)
    assert townships == ind.township_rates(as_of, county.campaign)
    assert county_figures == ind.county_rates(as_of, county.campaign)


def test_snapshot_records_the_change_mark_and_skips_when_current(county):
    mark = snapshot.current_mark()
    assert mark == db.session.scalar(sa.select(sa.func.max(ChangeLog.id)))  # factories logged
    first = snapshot.refresh(county.campaign.id, AS_OF)
    assert first["stored"] and first["change_mark"] == mark
    assert snapshot.refresh(county.campaign.id, AS_OF)["skipped"]  # nothing changed
    county.a.compound.households += 1
    db.session.commit()
    again = snapshot.refresh(county.campaign.id, AS_OF)
    assert not again["skipped"] and again["change_mark"] > mark
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IndicatorSnapshot)) == 1


def test_an_older_computation_never_replaces_a_newer_one(county):
    old = snapshot.compute(county.campaign.id, AS_OF)
    county.a.compound.households += 1
    db.session.commit()
    assert snapshot.store(county.campaign.id, AS_OF, snapshot.compute(county.campaign.id, AS_OF))
    assert not snapshot.store(county.campaign.id, AS_OF, old)
    assert snapshot.head(county.campaign.id, AS_OF)[0] > old.mark


def test_trend_dates():
    class Campaign:  # only the dates matter
        starts_on, ends_on = D(2020, 6, 1), D(2021, 12, 31)

    assert snapshot.trend_dates(Campaign, AS_OF) == [
        D(2020, 6, 30), D(2020, 7, 31), D(2020, 8, 31), D(2020, 9, 30), AS_OF]
    assert snapshot.trend_dates(Campaign, D(2020, 6, 30)) == [D(2020, 6, 30)]
    assert snapshot.trend_dates(Campaign, D(2020, 5, 1)) == [D(2020, 5, 1)]
    assert len(snapshot.trend_dates(Campaign, D(2021, 12, 31))) == 19
    assert snapshot.default_as_of(Campaign, D(2026, 1, 1)) == D(2021, 12, 31)
    assert snapshot.default_as_of(Campaign, D(2021, 3, 5)) == D(2021, 3, 5)


def test_percent_is_rounded_down_for_display():
    assert percent_text(ind.Rate(1999, 2000)) == "99.9%"   # never "100.0%" when short of it
    assert percent_text(ind.Rate(3, 5)) == "60.0%"
    assert percent_text(ind.Rate(1, 3)) == "33.3%"
    assert percent_text(ind.Rate(0, 0)) == "—"


# ---------------------------------------------------------------- the page


def test_page_figures_equal_indicators(county, login, jobs):
    hand_built(county)
    fill(county.campaign)
    data, body = page_data(login("bureau"), f"/dashboard/?as_of={AS_OF}")
    county_rates = ind.county_rates(AS_OF, county.campaign)
    township_rates = ind.township_rates(AS_OF, county.campaign)

    shown = cards(body)
    for item in data["indicators"]:
        rate = county_rates[item["key"]]
        assert (item["rate"]["numerator"], item["rate"]["denominator"]) == (
            rate.numerator, rate.denominator)
        colour, html = shown[item["key"]]
        assert percent_text(rate) in html
        assert f"{rate.numerator:,} / {rate.denominator:,}" in html
    table = cells(body)
    assert set(table) == {"county"} | {str(t) for t in (county.a.township.id,
                                                        county.b.township.id)}
    for key, by_township in township_rates.items():
        for tid, rate in by_township.items():
            assert percent_text(rate) in table[str(tid)][key][1]
        assert percent_text(county_rates[key]) in table["county"][key][1]
    # the trend's last point is the same figure
    for key, rate in county_rates.items():
        assert data["trend"]["counts"][key][-1] == [rate.numerator, rate.denominator]
    assert data["trend"]["dates"] == [d.isoformat() for d in snapshot.trend_dates(
        county.campaign, AS_OF)]
    assert data["snapshot"]["state"] == "fresh" and "数据更新于" in body
    assert len(jobs) == 0  # everything fresh: nothing queued
    # the JSON endpoint says the same
    assert login("supervisor").get(f"/dashboard/data?as_of={AS_OF}").get_json()[
        "indicators"] == data["indicators"]


def test_colours_and_days_left_against_targets(county, login, jobs):
    hand_built(county)
    fill(county.campaign)
    data, body = page_data(login("bureau"), f"/dashboard/?as_of={AS_OF}")
    shown = cards(body)
    # county: coverage 2/5 = 40% < 60%, due 2020-12-31: 77 days left
    assert shown["committee_coverage"][0] == "amber"
    assert "40.0%" in shown["committee_coverage"][1]
    assert "还有 77 天" in shown["committee_coverage"][1]
    assert "目标 ≥60%，2020-12-31 前" in shown["committee_coverage"][1]
    # fee disclosure 0% due 2020-12-31: pending; signboards 0% due 2020-08-31: 45 days late
    assert shown["fee_disclosure"][0] == "amber"
    assert shown["signboard_current"][0] == "red"
    assert "已超过完成时限 45 天" in shown["signboard_current"][1]
    # contracts: no target in the campaign, grey
    assert shown["contract_signed"][0] == "grey"
    assert "工作方案未设目标" in shown["contract_signed"][1]

    table = cells(body)
    a, b = str(county.a.township.id), str(county.b.township.id)
    assert table[a]["committee_coverage"][0] == "amber"    # 1/4 = 25%, not yet due
    assert table[b]["committee_coverage"][0] == "green"    # 1/1
    assert table[a]["signboard_current"][0] == "red"
    assert table[a]["contract_signed"][0] == "grey"

    # after the due date the same shortfall is red
    later = D(2021, 1, 5)
    fill(county.campaign, later)
    data, body = page_data(login("bureau"), f"/dashboard/?as_of={later}")
    shown = cards(body)
    assert shown["committee_coverage"][0] == "red"
    assert "已超过完成时限 5 天" in shown["committee_coverage"][1]
    assert cells(body)[b]["committee_coverage"][0] == "green"
    # …and every colour is office.indicators' status
    targets = ind.targets_for(county.campaign)
    for item in data["indicators"]:
        rate = ind.county_rates(later, county.campaign)[item["key"]]
        target = ind.target_on(targets.get(item["key"], []), later)
        expected = ind.status_against_target(rate, target, later) if target else None
        assert item["status"] == expected


def test_met_at_exactly_the_threshold_is_green(county, login, jobs):
    # A: 3 of 5 compounds covered = 60% exactly (the factory target is ≥60%)
    for i in range(2):
        add_compound(county.a.township, f"有委会{i}", with_committee=True)
    for i in range(2):
        add_compound(county.a.township, f"无委会{i}")
    db.session.commit()
    fill(county.campaign)
    _data, body = page_data(login("bureau"), f"/dashboard/?as_of={AS_OF}")
    cell = cells(body)[str(county.a.township.id)]["committee_coverage"]
    assert cell[0] == "green" and "60.0%" in cell[1]


# ---------------------------------------------------------------- scope


def test_township_clerk_sees_only_their_township(county, login, jobs):
    hand_built(county)
    fill(county.campaign)
    client = login("town_a")
    data, body = page_data(client, f"/dashboard/?as_of={AS_OF}")
    a = county.a.township
    assert data["township"] == {"id": a.id, "name": a.name}
    assert data["county"] is None
    assert [row["id"] for row in data["townships"]] == [a.id]
    assert county.b.township.name not in body and "全县" not in body
    mine = ind.township_rates(AS_OF, county.campaign)
    for item in data["indicators"]:
        rate = mine[item["key"]][a.id]
        assert (item["rate"]["numerator"], item["rate"]["denominator"]) == (
            rate.numerator, rate.denominator)
        if item["behind_url"]:
            assert f"township={a.id}" in item["behind_url"]
    for key, counts in data["trend"]["counts"].items():
        assert counts[-1] == [mine[key][a.id].numerator, mine[key][a.id].denominator]

    # the JSON endpoint is bounded the same way
    assert [r["id"] for r in client.get(f"/dashboard/data?as_of={AS_OF}").get_json()[
        "townships"]] == [a.id]
    # a drill-down into township B, or the county, lists none of B's compounds
    b_compound = county.b.compound
    for township in (county.b.township.id, None):
        query = f"?campaign={county.campaign.id}&as_of={AS_OF}&key=signboard_current"
        if township:
            query += f"&township={township}"
        listed = COMPOUND_ROW.findall(client.get("/dashboard/behind" + query)
                                      .get_data(as_text=True))
        assert str(b_compound.id) not in listed
    own = COMPOUND_ROW.findall(client.get(
        f"/dashboard/behind?campaign={county.campaign.id}&as_of={AS_OF}&key=signboard_current"
    ).get_data(as_text=True))
    assert sorted(own) == sorted(str(c.id) for c in db.session.scalars(
        sa.select(Compound).where(Compound.township_id == a.id)))


def test_who_sees_the_dashboard(app, county, login, jobs):
    fill(county.campaign)
    for user in ("admin", "bureau", "supervisor", "town_a"):
        client = login(user)
        assert client.get("/dashboard/").status_code == 200, user
        home = client.get("/").get_data(as_text=True)
        if user == "town_a":  # lands on 我的待办 (issue 11.9), the dashboard is a menu away
            assert "我的待办" in home and 'id="dashboard-data"' not in home
            continue
        assert 'id="dashboard-data"' in home, f"{user} lands on the dashboard"
        assert "工作看板" in home
    for user in ("liaison_a", "reviewer"):
        client = login(user)
        assert client.get("/dashboard/").status_code == 403, user
        assert client.get("/dashboard/data").status_code == 403, user
        assert client.get("/dashboard/behind?key=committee_coverage").status_code == 403
        assert 'id="dashboard-data"' not in client.get("/").get_data(as_text=True)
    assert app.test_client().get("/dashboard/").status_code == 302  # to the login page


def test_menu_entry_under_reports(county, login, jobs):
    fill(county.campaign)
    for user, shown in (("bureau", True), ("supervisor", True), ("town_a", True),
                        ("liaison_a", False), ("reviewer", False)):
        body = login(user).get("/").get_data(as_text=True)
        navbar = body[body.index('<header class="top"'):body.index("</header>")]
        assert ('href="/dashboard/"' in navbar) == shown, user
        if shown:
            assert "工作看板" in navbar and "统计报表" in navbar


# ---------------------------------------------------------------- drill-down


@pytest.mark.parametrize("key", COMPOUND_KEYS)
def test_drill_down_lists_exactly_the_compounds_behind(county, login, jobs, key):
    hand_built(county)
    add_compound(county.b.township, "自管小区", mode=ManagementMode.self, with_committee=True)
    db.session.commit()
    fill(county.campaign)
    client = login("bureau")
    data, body = page_data(client, f"/dashboard/?as_of={AS_OF}")
    table = cells(body)
    urls = {"county": next(i["behind_url"] for i in data["indicators"] if i["key"] == key)}
    for tid in (county.a.township.id, county.b.township.id):
        urls[tid] = url_of(table[str(tid)][key][1])
    for where, url in urls.items():
        assert url, (key, where)
        listed = COMPOUND_ROW.findall(client.get(url).get_data(as_text=True))
        query = ind.compounds_behind(key, AS_OF, county.campaign, met=False)
        if where != "county":
            query = query.where(Compound.township_id == where)
        expected = sorted(db.session.scalars(query))
        assert sorted(int(i) for i in listed) == expected, (key, where)
        if ind.INDICATORS[key].unit == "compound" and where != "county":
            rate = ind.township_rates(AS_OF, county.campaign, [key])[key][where]
            assert len(listed) == rate.denominator - rate.numerator


def test_drill_down_pages_through_every_compound(county, login, jobs):
    for i in range(57):
        add_compound(county.a.township, f"待组建{i:02d}")
    db.session.commit()
    client = login("bureau")
    url = (f"/dashboard/behind?campaign={county.campaign.id}&as_of={AS_OF}"
           f"&key=committee_coverage&township={county.a.township.id}")
    first = client.get(url).get_data(as_text=True)
    second = client.get(url + "&page=1").get_data(as_text=True)
    assert len(COMPOUND_ROW.findall(first)) == 50 and 'id="dash-behind-next"' in first
    assert len(COMPOUND_ROW.findall(second)) == 7 and 'id="dash-behind-next"' not in second
    listed = {int(i) for i in COMPOUND_ROW.findall(first) + COMPOUND_ROW.findall(second)}
    assert listed == set(db.session.scalars(
        ind.compounds_behind("committee_coverage", AS_OF, county.campaign, met=False)
        .where(Compound.township_id == county.a.township.id)))


def test_drill_down_rejects_what_is_not_about_compounds(county, login, jobs):
    client = login("bureau")
    assert client.get(f"/dashboard/behind?key=contact_reported&as_of={AS_OF}").status_code == 404
    assert client.get(f"/dashboard/behind?key=nonsense&as_of={AS_OF}").status_code == 404
    assert client.get("/dashboard/behind?key=committee_coverage&as_of=2020-13-01"
                      ).status_code == 404


# ---------------------------------------------------------------- recomputation


def queued(queue) -> list[tuple]:
    return [tuple(job.args) for job in queue.jobs]


def test_recompute_is_queued_when_data_changed_and_not_duplicated(county, login, jobs):
    fill(county.campaign)
    client = login("bureau")
    url = f"/dashboard/?as_of={AS_OF}"
    data, _ = page_data(client, url)
    assert data["snapshot"]["state"] == "fresh" and queued(jobs) == []

    county.a.compound.management_mode = ManagementMode.none  # an audited edit
    db.session.commit()
    data, body = page_data(client, url)
    assert data["snapshot"]["state"] == "stale" and data["snapshot"]["refresh"] == "queued"
    assert "正在后台重新计算" in body
    assert queued(jobs) == [(county.campaign.id, AS_OF.isoformat())]
    for _ in range(3):  # more views, another user, the JSON: still one job
        page_data(client, url)
        login("supervisor").get(f"/dashboard/data?as_of={AS_OF}")
    assert queued(jobs) == [(county.campaign.id, AS_OF.isoformat())]
    assert page_data(client, url)[0]["snapshot"]["refresh"] == "pending"
    status = client.get(f"/dashboard/status?as_of={AS_OF}").get_json()
    assert status["pending"] and not status["fresh"]

    assert run_jobs(jobs) == 1
    data, _ = page_data(client, url)
    assert data["snapshot"]["state"] == "fresh" and queued(jobs) == []
    assert client.get(f"/dashboard/status?as_of={AS_OF}").get_json()["fresh"]
    # the recomputed figures are office.indicators' figures after the edit
    _townships, county_figures = stored(county.campaign, AS_OF)
    assert county_figures == ind.county_rates(AS_OF, county.campaign)

    # another change after the job: exactly one more
    county.b.compound.households += 5
    db.session.commit()
    page_data(client, url)
    page_data(client, url)
    assert queued(jobs) == [(county.campaign.id, AS_OF.isoformat())]


def test_missing_dates_are_queued_once_each_latest_first(county, login, jobs):
    client = login("bureau")
    data, body = page_data(client, f"/dashboard/?as_of={AS_OF}")
    assert data["snapshot"]["state"] == "missing" and "已安排后台计算" in body
    dates = [d.isoformat() for d in snapshot.trend_dates(county.campaign, AS_OF)]
    assert [args[1] for args in queued(jobs)] == [dates[-1], *reversed(dates[:-1])]
    page_data(client, f"/dashboard/?as_of={AS_OF}")
    assert len(queued(jobs)) == len(dates)
    run_jobs(jobs)
    data, _ = page_data(client, f"/dashboard/?as_of={AS_OF}")
    assert data["snapshot"]["state"] == "fresh" and data["snapshot"]["months_missing"] == 0
    assert queued(jobs) == []


def test_past_months_are_not_recomputed_on_view_but_nightly(county, login, jobs):
    fill(county.campaign)
    county.a.compound.management_mode = ManagementMode.none
    db.session.commit()
    page_data(login("bureau"), f"/dashboard/?as_of={AS_OF}")
    assert queued(jobs) == [(county.campaign.id, AS_OF.isoformat())]  # the date shown only
    run_jobs(jobs)

    # The nightly refresh (as if run on AS_OF) brings the stale month-ends up to date.
    result = snapshot.refresh_all(on=AS_OF)
    assert result["queued"] == len(snapshot.trend_dates(county.campaign, AS_OF)) - 1
    run_jobs(jobs)
    mark = snapshot.current_mark()
    for day in snapshot.trend_dates(county.campaign, AS_OF):
        assert snapshot.head(county.campaign.id, day)[0] == mark
    assert snapshot.refresh_all(on=AS_OF)["queued"] == 0


def test_a_dead_job_does_not_block_the_next_one(county, login, jobs):
    fill(county.campaign)
    county.a.compound.households += 1
    db.session.commit()
    client = login("bureau")
    page_data(client, f"/dashboard/?as_of={AS_OF}")
    (job,) = jobs.jobs
    # As if it was lost with its worker: the job and the queue are gone, the key remains.
    jobs.connection.delete(job.key, jobs.key)
    assert queued(jobs) == []
    page_data(client, f"/dashboard/?as_of={AS_OF}")
    assert queued(jobs) == [(county.campaign.id, AS_OF.isoformat())]


def test_prune_keeps_month_ends_and_the_dates_shown(county, jobs):
    for day in (D(2020, 9, 30), D(2020, 10, 3), AS_OF):
        snapshot.refresh(county.campaign.id, day)
    assert snapshot.prune(D(2020, 10, 20), {(county.campaign.id, AS_OF)}) == 1
    left = set(db.session.scalars(sa.select(IndicatorSnapshot.as_of)))
    assert left == {D(2020, 9, 30), AS_OF}


def test_the_cron_job_function_runs(county, jobs, monkeypatch):
    from office.jobs.snapshot import refresh_dashboards

    monkeypatch.setattr(snapshot, "today", lambda: AS_OF)
    assert refresh_dashboards()["queued"] == len(snapshot.trend_dates(county.campaign, AS_OF))
    run_jobs(jobs)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IndicatorSnapshot)) == 5


def test_nightly_refresh_can_be_registered_with_rq_cron():
    """The line office/jobs/schedule.py needs (see office/jobs/snapshot.py's docstring)."""
    import fakeredis
    from rq.cron import CronScheduler

    from office.jobs.snapshot import SNAPSHOT_CRON, refresh_dashboards

    scheduler = CronScheduler(connection=fakeredis.FakeRedis(), logging_level="WARNING")
    job = scheduler.register(refresh_dashboards, "office-cron-test", cron=SNAPSHOT_CRON,
                             job_timeout=600)
    assert job.func_name == "office.jobs.snapshot.refresh_dashboards"
    when = job.next_enqueue_time
    assert when.hour == 18 and when.minute == 30  # 02:30 in Beijing


def test_a_test_app_queues_nothing_from_page_views_unless_asked(app, county, login, jobs,
                                                                monkeypatch):
    """Other test modules open "/" (the dashboard) without wanting jobs on the shared queue."""
    monkeypatch.delitem(app.config, "DASHBOARD_REFRESH_ON_VIEW")
    data, _ = page_data(login("bureau"), f"/dashboard/?as_of={AS_OF}")
    assert data["snapshot"]["state"] == "missing" and data["snapshot"]["refresh"] is None
    assert queued(jobs) == []

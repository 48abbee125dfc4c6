"""Dashboard benchmark (issue 4): the dashboard's data on a 200,000-compound county, read from
warm snapshots, and the snapshot computation itself (cold), on SQLite and PostgreSQL.

    python -m bench.dashboard                       # SQLite, and PostgreSQL when reachable
    python -m bench.dashboard --smoke               # 5,000 compounds, few repetitions (CI)
    python -m bench.dashboard --compounds 200000 --repeat 30 --cold 3 --pg postgresql+psycopg://...

Data: office.demo.seed.seed_demo (`flask office seed-demo`), kept between runs: SQLite in
bench/out/dashboard-<N>.db, PostgreSQL in the database given with --pg (default
office_bench_dash on 127.0.0.1; emptied and re-seeded when it holds other data). The
dashboard's date is the demo's 2020-10-15 (the campaign's month-ends June–September and that
day: five stored dates).

Measured, through Flask's test client (in process, no HTTP), authentication and permission
checks included, SQL statements counted per request with an engine event:

* warm: GET /dashboard/data (the JSON), GET /dashboard/ (the HTML page), both as a
  BureauClerk (county and 20 townships) and the JSON as a TownshipClerk (own township), and
  GET /dashboard/status (what the page polls) — every stored date fresh, nothing queued;
* cold: office.services.snapshot.refresh(force=True) of the dashboard's date — what the
  background job does: office.indicators for one date in one consistent read, then the write;
* informational: the first page of a drill-down (the compounds behind a township's figure,
  and behind the county's), computed live by office.indicators.compounds_behind.

Target (issue 4): the dashboard's data request (JSON and page) in < 150 ms, median and p95.
The table also gives the app's own CPU time per request (median), which a busy machine
inflates far less than the wall-clock figures.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.common import pg_database

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PASSWORD = "Bench-Passw0rd!"
BUREAU, TOWN = "bench_dash_bureau", "bench_dash_town"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1/office_bench_dash"
AS_OF = dt.date(2020, 10, 15)
TARGET_MS = 150


def _prepare_env() -> None:
    os.environ.setdefault("OFFICE_INSTANCE_DIR", tempfile.mkdtemp(prefix="office-bench-"))
    os.environ["OFFICE_LOGIN_RATE_LIMITED"] = "0"
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def _safe(url: str) -> str:
    import sqlalchemy as sa

    return sa.make_url(url).render_as_string(hide_password=True)


def make_app(url: str):
    from office import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False,
                       "TESTING": False})


# ---------------------------------------------------------------- data


def _state(app) -> tuple[bool, int]:
    """(schema present, compounds)."""
    import sqlalchemy as sa

    from office.models import db

    with app.app_context():
        insp = sa.inspect(db.engine)
        if not insp.has_table("alembic_version") or not insp.has_table("compound"):
            return False, 0
        return True, db.session.scalar(sa.text("SELECT count(*) FROM compound"))


def prepare(url: str, compounds: int, fresh: bool, log) -> None:
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from office.demo.seed import seed_demo
    from office.models import OfficeUser, Township, db
    from office.security import ensure_roles
    from office.services.users import create_user

    app = make_app(url)
    present, n = _state(app)
    if fresh or not present or n != compounds:
        engine = sa.create_engine(url)
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
        if url.startswith("sqlite:///"):
            Path(url[len("sqlite:///"):]).unlink(missing_ok=True)
        app = make_app(url)
        with app.app_context():
            started = time.perf_counter()
            upgrade()
            ensure_roles()
            counts = seed_demo(compounds=compounds, seed=2020)
            db.session.commit()
            log(f"  seeded {counts.get('compounds', 0):,} compounds in "
                f"{time.perf_counter() - started:.0f} s")
        analyze(url)
        app = make_app(url)
    else:
        log(f"  reusing {compounds:,} compounds in {_safe(url)}")
        with app.app_context():
            upgrade()  # a newer schema: migrate the kept data rather than re-seed it
    with app.app_context():
        ensure_roles()
        users = set(db.session.scalars(sa.select(OfficeUser.username)))
        if BUREAU not in users:
            create_user(BUREAU, "BureauClerk", PASSWORD)
        if TOWN not in users:
            first = db.session.scalar(sa.select(Township.name).order_by(Township.id).limit(1))
            create_user(TOWN, "TownshipClerk", PASSWORD, township=first)
        db.session.commit()
        db.engine.dispose()


def analyze(url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("VACUUM ANALYZE" if engine.dialect.name == "postgresql"
                             else "ANALYZE"))
    engine.dispose()


# ---------------------------------------------------------------- measuring


def _p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(0.95 * len(values)) - 1))]


def summary(times_ms: list[float], statements: list[int] | None = None) -> dict:
    result = {"n": len(times_ms), "median_ms": round(statistics.median(times_ms), 2),
              "p95_ms": round(_p95(times_ms), 2), "max_ms": round(max(times_ms), 2)}
    if statements is not None:
        result["statements"] = max(statements)
    return result


class Meter:
    """Requests through the test client, signed in as one user; SQL statements counted."""

    def __init__(self, app, username: str):
        import sqlalchemy as sa

        from office.models import db

        self.client = app.test_client()
        resp = self.client.post("/login/", data={"username": username, "password": PASSWORD})
        if resp.status_code != 302:
            raise SystemExit(f"bench: login failed for {username}")
        self.statements: list[str] = []
        self.app = app
        with app.app_context():
            self.engine = db.engine
        sa.event.listen(self.engine, "before_cursor_execute", self._record)

    def close(self):
        import sqlalchemy as sa

        sa.event.remove(self.engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, params, context, executemany):
        self.statements.append(statement)

    def get(self, url: str):
        self.statements = []
        cpu = time.process_time()
        started = time.perf_counter()
        resp = self.client.get(url)
        body = resp.get_data()
        elapsed = (time.perf_counter() - started) * 1000
        self.cpu_ms = (time.process_time() - cpu) * 1000
        if resp.status_code != 200:
            raise SystemExit(f"bench: {url} -> {resp.status_code}: {body[:300]!r}")
        return elapsed, list(self.statements), resp

    def measure(self, url: str, repeat: int, warmup: int = 2) -> dict:
        for _ in range(warmup):
            self.get(url)
        times, counts, cpu = [], [], []
        for _ in range(repeat):
            elapsed, seen, _resp = self.get(url)
            times.append(elapsed)
            counts.append(len(seen))
            cpu.append(self.cpu_ms)
        # The app's own CPU time (this process; not the PostgreSQL server's): a figure that a
        # busy machine inflates much less than the wall-clock time.
        return {"url": url, **summary(times, counts),
                "app_cpu_median_ms": round(statistics.median(cpu), 2)}


def run_backend(url: str, compounds: int, repeat: int, cold: int, fresh: bool, log) -> dict:
    import sqlalchemy as sa

    from office.models import Campaign, Compound, Township, db
    from office.services import snapshot

    prepare(url, compounds, fresh, log)
    app = make_app(url)
    results: dict = {}
    with app.app_context():
        campaign = db.session.scalars(sa.select(Campaign).order_by(Campaign.id)).first()
        campaign_id = campaign.id
        dates = snapshot.trend_dates(campaign, AS_OF)
        township = db.session.scalar(sa.select(Township.id).order_by(Township.id).limit(1))

        # cold: what the background job does for one date (office.indicators + the write)
        times = []
        for _ in range(cold):
            started = time.perf_counter()
            snapshot.refresh(campaign_id, AS_OF, force=True)
            times.append((time.perf_counter() - started) * 1000)
            log(f"  cold snapshot of {AS_OF}: {times[-1] / 1000:.1f} s")
        results["cold: snapshot of one date"] = summary(times)
        started = time.perf_counter()
        for day in dates[:-1]:  # computed as if missing, even when a previous run stored them
            snapshot.refresh(campaign_id, day, force=True)
        filled = time.perf_counter() - started
        results["cold: month-ends of the trend (first fill)"] = {
            "n": 1, "dates": len(dates) - 1, "total_s": round(filled, 1)}
        mark = snapshot.current_mark()
        assert all(snapshot.head(campaign_id, d)[0] >= mark for d in dates), "not warm"
        figures = db.session.scalar(sa.text("SELECT count(*) FROM indicator_figure"))
        results["stored figure rows"] = figures
        db.session.rollback()

    q = f"campaign={campaign_id}&as_of={AS_OF}"
    bureau = Meter(app, BUREAU)
    town = Meter(app, TOWN)
    try:
        data = bureau.get(f"/dashboard/data?{q}")[2].get_json()
        if data["snapshot"]["state"] != "fresh" or data["snapshot"]["refresh"]:
            raise SystemExit(f"bench: snapshot not warm: {data['snapshot']}")
        results["warm: data JSON (BureauClerk)"] = bureau.measure(f"/dashboard/data?{q}", repeat)
        results["warm: page HTML (BureauClerk)"] = bureau.measure(f"/dashboard/?{q}", repeat)
        results["warm: data JSON (TownshipClerk)"] = town.measure(f"/dashboard/data?{q}",
                                                                  repeat)
        results["warm: status poll"] = bureau.measure(f"/dashboard/status?{q}", repeat)
        behind = f"/dashboard/behind?{q}&key=committee_coverage"
        results["drill-down: 1 township, page 1 (live)"] = bureau.measure(
            f"{behind}&township={township}", max(3, repeat // 10), warmup=1)
        results["drill-down: county, page 1 (live)"] = bureau.measure(
            behind, max(3, repeat // 10), warmup=1)
    finally:
        bureau.close()
        town.close()
    with app.app_context():
        results["compounds"] = db.session.scalar(sa.select(sa.func.count()).select_from(Compound))
        db.engine.dispose()
    for name, r in results.items():
        if isinstance(r, dict) and "median_ms" in r:
            log(f"  {name}: median {r['median_ms']} ms, p95 {r['p95_ms']} ms, "
                f"{r.get('statements', '-')} SQL")
    return results


# ---------------------------------------------------------------- report


def verdicts(results: dict) -> list[str]:
    failures = []
    for name in ("warm: data JSON (BureauClerk)", "warm: page HTML (BureauClerk)",
                 "warm: data JSON (TownshipClerk)"):
        r = results[name]
        if r["median_ms"] >= TARGET_MS or r["p95_ms"] >= TARGET_MS:
            failures.append(f"{name}: median {r['median_ms']} ms / p95 {r['p95_ms']} ms "
                            f"(target < {TARGET_MS} ms)")
    return failures


def table(backend: str, results: dict) -> str:
    head = (f"{'measurement':<42} {'n':>3} {'median':>10} {'p95':>10} {'SQL/request':>12} "
            f"{'app CPU':>9}")
    lines = [f"== {backend}", head, "-" * len(head)]
    for name, r in results.items():
        if not isinstance(r, dict):
            continue
        if "total_s" in r:
            lines.append(f"{name:<42} {r['dates']:>3} {r['total_s']:>9.1f}s {'':>10} {'':>12}")
            continue
        unit, scale = ("s", 1000) if name.startswith("cold") else ("ms", 1)
        cpu = f"{r['app_cpu_median_ms']:.1f}ms" if "app_cpu_median_ms" in r else ""
        lines.append(f"{name:<42} {r['n']:>3} {r['median_ms'] / scale:>8.1f}{unit:>2} "
                     f"{r['p95_ms'] / scale:>8.1f}{unit:>2} {r.get('statements', ''):>12} "
                     f"{cpu:>9}")
    lines.append(f"(stored figure rows: {results.get('stored figure rows')}, "
                 f"compounds: {results.get('compounds'):,})")
    return "\n".join(lines)


def parse(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.dashboard",
                                description=__doc__.split("\n")[0])
    p.add_argument("--smoke", action="store_true", help="5,000 compounds, few repetitions")
    p.add_argument("--compounds", type=int, default=None, help="default 200000 (smoke: 5000)")
    p.add_argument("--repeat", type=int, default=None, help="timed warm requests (default 30)")
    p.add_argument("--cold", type=int, default=None, help="cold computations (default 3)")
    p.add_argument("--pg", default=os.environ.get("OFFICE_BENCH_PG_URL", DEFAULT_PG),
                   help="PostgreSQL URL (its database may be emptied); 'none' to skip")
    p.add_argument("--sqlite", default="", help="SQLite file (default bench/out/dashboard-<N>.db)"
                   "; 'none' to skip")
    p.add_argument("--fresh", action="store_true", help="re-seed even if the data is there")
    p.add_argument("--no-check", action="store_true", help="exit 0 even if a target is missed")
    ns = p.parse_args(argv)
    ns.compounds = ns.compounds or (5_000 if ns.smoke else 200_000)
    ns.repeat = ns.repeat or (5 if ns.smoke else 30)
    ns.cold = ns.cold or (1 if ns.smoke else 3)
    return ns


def run(argv=None) -> dict:
    _prepare_env()
    ns = parse(argv)
    OUT.mkdir(parents=True, exist_ok=True)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    backends = {}
    if ns.sqlite != "none":
        path = Path(ns.sqlite or OUT / f"dashboard-{ns.compounds}.db").resolve()
        backends["SQLite"] = f"sqlite:///{path}"
    if ns.pg and ns.pg != "none":
        if pg_database(ns.pg):
            backends["PostgreSQL"] = ns.pg
        else:
            log(f"PostgreSQL not reachable at {_safe(ns.pg)}: skipped")
    report = {"compounds": ns.compounds, "repeat": ns.repeat, "cold": ns.cold,
              "as_of": AS_OF.isoformat(), "backends": {}}
    failures = []
    for name, url in backends.items():
        log(f"{name}: {_safe(url)}")
        results = run_backend(url, ns.compounds, ns.repeat, ns.cold, ns.fresh, log)
        report["backends"][name] = results
        print(table(f"{name}, {ns.compounds:,} compounds, {ns.repeat} warm requests each",
                    results))
        print()
        failures += [f"{name}: {f}" for f in verdicts(results)]
    report["failures"] = failures
    (OUT / "dashboard.json").write_text(json.dumps(report, ensure_ascii=False, indent=2))
    if failures:
        print("Targets missed:\n  " + "\n  ".join(failures))
    else:
        print(f"All dashboard targets met (warm data and page < {TARGET_MS} ms, median and "
              "p95).")
    report["ok"] = not failures or ns.no_check
    return report


if __name__ == "__main__":
    sys.exit(0 if run(sys.argv[1:]).get("ok") else 1)

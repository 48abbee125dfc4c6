"""Excel export/import benchmark (issue 3).

    python -m bench.io                       # both, SQLite in a temporary directory
    python -m bench.io export --rows 200000
    python -m bench.io import --rows 10000
    python -m bench.io --db postgresql+psycopg://postgres@127.0.0.1/office_bench_io

From bench/__main__.py: ``from bench import io as io_bench; io_bench.run(argv)``; ``run``
takes an argv-style list (or None; unknown options are ignored) and returns the figures as a
dict with "export", "import" and "ok" (every target met).

Targets:
* export of 200,000 compounds ≤ 1.3 × the time bare xlsxwriter (constant_memory) takes to
  write the same cells in the same run, with a peak RSS < 150 MB for the export process;
* a 10,000-row compound file uploaded, validated and committed (one transaction, audited)
  in < 10 s.

The database given with --db is emptied (DROP SCHEMA public) and rebuilt from the migrations:
give it a database of its own. Each measurement runs in a fresh child process, so its peak
RSS is its own.
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import peak_rss_mb, pg_database

ROOT = Path(__file__).resolve().parent.parent
TOWNSHIPS = ["城关街道", "东山镇", "西山乡", "南湖街道", "北岗镇", "新华街道", "青山镇", "白沙乡",
             "石桥镇", "河东街道", "河西街道", "龙泉镇", "凤凰街道", "桃源乡", "柳林镇", "松岗镇",
             "梅园街道", "金桥镇", "银湖乡", "红旗农场"]
WORDS = ["幸福", "阳光", "锦绣", "翠苑", "华庭", "金色", "春晖", "御景", "和平", "滨江",
         "书香", "福园"]
KINDS = ["commercial", "old", "resettlement", "affordable", "mixed"]
MODES = ["company", "self", "entrusted", "none"]


def _parse(args) -> argparse.Namespace:
    if isinstance(args, argparse.Namespace):
        return args
    p = argparse.ArgumentParser(prog="python -m bench.io", description=__doc__.split("\n")[0])
    p.add_argument("what", nargs="?", choices=["all", "export", "import"], default="all")
    p.add_argument("--rows", type=int, default=None,
                   help="rows to export (default 200000) / import (default 10000)")
    p.add_argument("--export-rows", type=int, default=200_000)
    p.add_argument("--import-rows", type=int, default=10_000)
    p.add_argument("--db", default=os.environ.get("OFFICE_BENCH_DATABASE_URL", ""),
                   help="database URL (emptied!); default: SQLite in a temporary directory")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--workdir", help=argparse.SUPPRESS)
    ns, _unknown = p.parse_known_args(args)  # bench/__main__.py may pass other modules' options
    if ns.rows:
        if ns.what == "export":
            ns.export_rows = ns.rows
        elif ns.what == "import":
            ns.import_rows = ns.rows
    return ns


# ---------------------------------------------------------------- environment


def _env(workdir: Path, db: str) -> dict:
    env = dict(os.environ)
    env.update({"OFFICE_INSTANCE_DIR": str(workdir), "OFFICE_DATABASE_URL": db,
                "OFFICE_LOGIN_RATE_LIMITED": "0", "SECRET_KEY": "bench"})
    env.pop("OFFICE_REDIS_URL", None)
    return env


def _app(db: str):
    from office import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": db, "TESTING": True,
                       "WTF_CSRF_ENABLED": False, "SERVER_NAME": "localhost",
                       "OFFICE_IMPORT_MAX_ROWS": 100_000})


# ---------------------------------------------------------------- data


def _compound_rows(n: int, township_ids: list[int], company_ids: list[int], seed: int,
                   prefix: str = "") -> list[dict]:
    rnd = random.Random(seed)
    now = dt.datetime(2020, 7, 1)
    rows = []
    for i in range(n):
        mode = rnd.choice(MODES)
        year = rnd.randint(1985, 2019)
        rows.append({
            "township_id": township_ids[i % len(township_ids)],
            "name": f"{prefix}{rnd.choice(WORDS)}{rnd.choice(WORDS)}小区{i:06d}",
            "community": f"{rnd.choice(WORDS)}社区",
            "address": f"{rnd.choice(WORDS)}路{rnd.randint(1, 999)}号",
            "kind": rnd.choice(KINDS),
            "households": rnd.randint(20, 3000),
            "buildings": rnd.randint(1, 60),
            "built_year": year,
            "delivered_on": dt.date(year + 1, rnd.randint(1, 12), rnd.randint(1, 28)),
            "developer": f"{rnd.choice(WORDS)}置业有限公司",
            "management_mode": mode,
            "company_id": rnd.choice(company_ids) if mode == "company" else None,
            "version": 1, "created_at": now, "updated_at": now,
        })
    return rows


def _seed(db: str, compounds: int) -> None:
    """Schema from the migrations, one county, 20 townships, 300 companies, the compounds
    (bulk Core inserts: the seed is not what is measured), and an admin."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from office.models import County, PropertyCompany, Township, db as sadb
    from office.security import ensure_roles
    from office.services.uscc import complete
    from office.services.users import create_user

    if db.startswith("sqlite:///"):
        Path(db[len("sqlite:///"):]).unlink(missing_ok=True)
    if db.startswith("postgresql"):
        engine = sa.create_engine(db)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
    app = _app(db)
    with app.app_context():
        upgrade()
        ensure_roles()
        county = County(name="基准县", code="341199")
        sadb.session.add(county)
        sadb.session.flush()
        sadb.session.execute(sa.insert(Township), [
            {"county_id": county.id, "name": name, "kind": "farm" if name.endswith("场") else
             "street" if name.endswith("街道") else "township", "version": 1,
             "created_at": dt.datetime(2020, 1, 1), "updated_at": dt.datetime(2020, 1, 1)}
            for name in TOWNSHIPS])
        sadb.session.execute(sa.insert(PropertyCompany), [
            {"name": f"第{i:03d}物业服务有限公司", "uscc": complete(f"91341199MA2N{i:05d}"),
             "version": 1, "created_at": dt.datetime(2020, 1, 1),
             "updated_at": dt.datetime(2020, 1, 1)} for i in range(300)])
        sadb.session.commit()
        townships = list(sadb.session.scalars(sa.select(Township.id).order_by(Township.id)))
        companies = list(sadb.session.scalars(sa.select(PropertyCompany.id)))
        from office.models import Compound

        for start in range(0, compounds, 20_000):
            size = min(20_000, compounds - start)
            rows = _compound_rows(size, townships, companies, seed=start)
            for r in rows:
                r["name"] = f"{r['name']}-{start // 20_000}"
            sadb.session.execute(sa.insert(Compound), rows)
            sadb.session.commit()
        create_user("bench_admin", "Admin", "Bench-Passw0rd!")


# ---------------------------------------------------------------- measurements (children)


def _view(app, name: str):
    return next(v for v in app.appbuilder.baseviews if type(v).__name__ == name)


def _bare_write(path: str, cols, cells) -> None:
    """The same cells, already in memory as Python values, written by bare xlsxwriter."""
    import xlsxwriter

    from office.kit.io.export import DATE_FORMAT

    wb = xlsxwriter.Workbook(path, {"constant_memory": True})
    date_fmt = wb.add_format({"num_format": DATE_FORMAT})
    ws = wb.add_worksheet("住宅小区")
    ws.write_row(0, 0, [c.label for c in cols])
    for r, values in enumerate(cells, start=1):
        for c, v in enumerate(values):
            if v is None:
                continue
            if isinstance(v, dt.date):
                ws.write_datetime(r, c, v, date_fmt)
            else:
                ws.write(r, c, v)
    wb.close()


def _timed(fn) -> tuple[float, float]:
    t0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def _child_export(db: str, workdir: Path) -> dict:
    """Export, then bare xlsxwriter, twice each, interleaved; the best of each is compared
    (this machine is shared: one slow run should not decide). The peak RSS is read right after
    the first export, before the bare writer's in-memory cells exist."""
    from office.kit.columns import export_columns
    from office.kit.io.export import build_export, export_to_file
    from office.kit.io.views import _without_loaders
    from office.models import db as sadb

    app = _app(db)
    rss_app = peak_rss_mb()
    with app.app_context():
        view = _view(app, "CompoundView")
        cols = export_columns(view)
        filters = _without_loaders(view.datamodel.get_filters().get_joined_filters(
            view._base_filters))
        out = {}

        def export():
            path, out["rows"] = export_to_file(view.datamodel, cols, "住宅小区", filters,
                                               *view.base_order, directory=str(workdir))
            out["size"] = os.path.getsize(path)
            os.unlink(path)
            sadb.session.rollback()

        exports = [_timed(export)]
        rss_export = peak_rss_mb()
        stmt, plan = build_export(view.datamodel, cols, filters, *view.base_order)
        cells = []
        for r in sadb.session.execute(stmt):
            row = []
            for col, pos, _extra in plan:
                v = r[pos]
                if col.kind == "enum" and v is not None:
                    v = v.value
                elif col.kind == "decimal" and v is not None:
                    v = float(v)
                row.append(v)
            cells.append(row)
        sadb.session.rollback()
        bare_path = str(workdir / "bare.xlsx")
        bares = [_timed(lambda: _bare_write(bare_path, cols, cells))]
        exports.append(_timed(export))
        bares.append(_timed(lambda: _bare_write(bare_path, cols, cells)))
        os.unlink(bare_path)
    t_export, c_export = min(exports)
    t_bare, c_bare = min(bares)
    return {"rows": out["rows"], "columns": len(cols), "export_s": round(t_export, 2),
            "bare_xlsxwriter_s": round(t_bare, 2), "ratio": round(t_export / t_bare, 3),
            "cpu_export_s": round(c_export, 2), "cpu_bare_s": round(c_bare, 2),
            "runs_export_s": [round(t, 2) for t, _ in exports],
            "runs_bare_s": [round(t, 2) for t, _ in bares],
            "peak_rss_mb_export": round(rss_export, 1), "rss_mb_after_app_start":
            round(rss_app, 1), "file_mb": round(out["size"] / 1e6, 1)}


def _import_file(n: int, township_names: list[str], company_names: list[str]) -> bytes:
    import xlsxwriter

    rnd = random.Random(7)
    labels = {"commercial": "商品房小区", "old": "老旧小区", "resettlement": "安置小区",
              "affordable": "保障房小区", "mixed": "混合小区"}
    modes = {"company": "物业服务企业", "self": "居民自治", "entrusted": "社区托管",
             "none": "无物业管理"}
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = wb.add_worksheet("住宅小区")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, ["乡镇（街道、场）*", "名称*", "社区（村）", "地址", "类型*", "户数*",
                        "楼栋数", "建成年份", "交付日期", "建设单位", "管理方式*", "物业服务企业"])
    for i in range(n):
        mode = rnd.choice(MODES)
        year = rnd.randint(1985, 2019)
        ws.write_row(i + 1, 0, [
            township_names[i % len(township_names)], f"导入{rnd.choice(WORDS)}小区{i:06d}",
            f"{rnd.choice(WORDS)}社区", f"{rnd.choice(WORDS)}路{i}号", labels[rnd.choice(KINDS)],
            rnd.randint(20, 3000), rnd.randint(1, 60), year])
        ws.write_datetime(i + 1, 8, dt.datetime(year + 1, rnd.randint(1, 12), 1), date_fmt)
        ws.write_row(i + 1, 9, [f"{rnd.choice(WORDS)}置业有限公司", modes[mode],
                                rnd.choice(company_names) if mode == "company" else ""])
    wb.close()
    return out.getvalue()


def _child_import(db: str, workdir: Path, n: int) -> dict:
    import re

    import sqlalchemy as sa

    from office.models import ChangeLog, Compound, PropertyCompany, Township, db as sadb

    app = _app(db)
    with app.app_context():
        towns = list(sadb.session.scalars(sa.select(Township.name)))
        companies = list(sadb.session.scalars(sa.select(PropertyCompany.name)))
        before = sadb.session.scalar(sa.select(sa.func.count()).select_from(Compound))
        logs_before = sadb.session.scalar(sa.select(sa.func.count()).select_from(ChangeLog))
        sadb.session.remove()
    data = _import_file(n, towns, companies)
    client = app.test_client()
    with app.app_context():
        client.post("/login/", data={"username": "bench_admin", "password": "Bench-Passw0rd!"})
    t0, c0 = time.perf_counter(), time.process_time()
    with app.app_context():
        resp = client.post("/compoundview/import/", data={"file": (io.BytesIO(data), "bench.xlsx")},
                           content_type="multipart/form-data")
    t_validate, c_validate = time.perf_counter() - t0, time.process_time() - c0
    assert resp.status_code == 303, resp.get_data(as_text=True)[-2000:]
    token = re.search(r"/import/([\w-]+)/$", resp.headers["Location"]).group(1)
    t1, c1 = time.perf_counter(), time.process_time()
    with app.app_context():
        resp = client.post(f"/compoundview/import/{token}/commit", data={"mode": "add"})
    t_commit, c_commit = time.perf_counter() - t1, time.process_time() - c1
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/list/"), \
        resp.headers.get("Location")
    with app.app_context():
        added = sadb.session.scalar(sa.select(sa.func.count()).select_from(Compound)) - before
        logged = sadb.session.scalar(sa.select(sa.func.count()).select_from(ChangeLog)) - \
            logs_before
    return {"rows": n, "file_kb": len(data) // 1024, "upload_validate_s": round(t_validate, 2),
            "commit_s": round(t_commit, 2), "total_s": round(t_validate + t_commit, 2),
            "cpu_validate_s": round(c_validate, 2), "cpu_commit_s": round(c_commit, 2),
            "added": added, "audit_rows": logged, "peak_rss_mb": round(peak_rss_mb(), 1)}


# ---------------------------------------------------------------- driver


def _spawn(what: str, ns, workdir: Path, db: str) -> dict:
    cmd = [sys.executable, "-m", "bench.io", what, "--child", what, "--workdir", str(workdir),
           "--db", db, "--export-rows", str(ns.export_rows), "--import-rows",
           str(ns.import_rows)]
    out = subprocess.run(cmd, cwd=ROOT, env=_env(workdir, db), capture_output=True, text=True,
                         check=False)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode or not lines:
        raise RuntimeError(f"bench child {what} failed:\n{out.stderr[-4000:]}")
    return json.loads(lines[-1])


def run(args=None) -> dict:
    ns = _parse(args)
    if ns.child:
        db, workdir = ns.db, Path(ns.workdir)
        result = (_child_export(db, workdir) if ns.child == "export"
                  else _child_import(db, workdir, ns.import_rows))
        print(json.dumps(result, ensure_ascii=False))
        return result
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-io-") as tmp:
        workdir = Path(tmp)
        db = ns.db or f"sqlite:///{workdir / 'bench.db'}"
        if db.startswith("postgresql") and not pg_database(db):
            raise SystemExit(f"PostgreSQL not reachable: {db}")
        backend = db.split(":", 1)[0]
        if ns.what in ("all", "export"):
            t0 = time.perf_counter()
            _run_child_seed(workdir, db, ns.export_rows)
            print(f"[{backend}] seeded {ns.export_rows} compounds in "
                  f"{time.perf_counter() - t0:.1f}s", flush=True)
            r = results["export"] = _spawn("export", ns, workdir, db)
            r["ok"] = r["ratio"] <= 1.3 and r["peak_rss_mb_export"] < 150
            verdict = "OK" if r["ok"] else "MISSED"
            print(f"[{backend}] export {r['rows']} rows × {r['columns']} cols: {r['export_s']}s vs "
                  f"bare xlsxwriter {r['bare_xlsxwriter_s']}s → ×{r['ratio']} (best of "
                  f"{r['runs_export_s']} / {r['runs_bare_s']}; target ≤1.3; CPU "
                  f"{r['cpu_export_s']}s vs {r['cpu_bare_s']}s); "
                  f"peak RSS {r['peak_rss_mb_export']} MB (target <150; app alone "
                  f"{r['rss_mb_after_app_start']} MB); {r['file_mb']} MB file — {verdict}",
                  flush=True)
        if ns.what in ("all", "import"):
            _run_child_seed(workdir, db, 2_000)
            r = results["import"] = _spawn("import", ns, workdir, db)
            r["ok"] = r["total_s"] < 10 and r["added"] == r["rows"]
            verdict = "OK" if r["ok"] else "MISSED"
            print(f"[{backend}] import {r['rows']} rows: upload+validate {r['upload_validate_s']}s"
                  f" + commit {r['commit_s']}s = {r['total_s']}s (target <10); added "
                  f"{r['added']}, audit rows {r['audit_rows']}; CPU {r['cpu_validate_s']}s + "
                  f"{r['cpu_commit_s']}s; peak RSS {r['peak_rss_mb']} MB"
                  f" — {verdict}", flush=True)
    results["ok"] = all(r["ok"] for r in results.values())
    return results


def _run_child_seed(workdir: Path, db: str, compounds: int) -> None:
    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); from bench.io import _seed; "
            f"_seed({db!r}, {compounds:d})")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(workdir, db),
                         capture_output=True, text=True, check=False)
    if out.returncode:
        raise RuntimeError(f"seeding failed:\n{out.stderr[-4000:]}")


if __name__ == "__main__":
    run(sys.argv[1:])

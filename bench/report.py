"""Report benchmark (issue 4.7): the whole return for a 200,000-compound county against bare
xlsxwriter writing the same cells, and the return fanned out over 1 and 2 RQ workers.

    python -m bench.report                          # SQLite and PostgreSQL (when reachable)
    python -m bench.report --db pg --compounds 200000
    python -m bench.report --smoke                  # 3,000 compounds (CI)
    python -m bench report [...]                    # through bench/__main__.py: run(args)

Data: `flask --app run office seed-demo --compounds N` (office/demo/seed.py), kept between
runs: SQLite in bench/out/report/report-<N>.db, PostgreSQL in office_bench_report on
127.0.0.1 (--pg URL), then ANALYZE. Every measurement runs in a fresh process:

  ours     office.services.report.build.build_to_file (what `flask office report` and the RQ job
           run): wall and CPU time, peak RSS (VmHWM)
  capture  (untimed) the same build with every cell written recorded
  bare     those recorded cells written with bare xlsxwriter (constant_memory, write_row, no
           formats), loading them before the clock starts
  rq       with Redis (--redis, default redis://127.0.0.1:6379/14): a ReportRun fanned out per
           township (part jobs + a merge job, RQ dependencies) on 1 and on 2 real
           `rq worker` processes (OfficeWorker), enqueue to done; and the single-job run on 1

Targets: ours ≤ 1.5 × bare (wall, same run; --repeat takes medians); peak RSS < 200 MB.
The fan-out times are reported, not targeted. Exit status 1 when a target is missed.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pickle
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench.common import peak_rss_mb, pg_database

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "report"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1/office_bench_report"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"
AS_OF = "2020-09-30"
RATIO_TARGET, RSS_TARGET_MB = 1.5, 200


def _env(url: str, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OFFICE_")}
    env.update({"OFFICE_DATABASE_URL": url, "OFFICE_INSTANCE_DIR": str(OUT),
                "OFFICE_LOGIN_RATE_LIMITED": "0", "PYTHONPATH": str(ROOT)})
    env.update({k: str(v) for k, v in extra.items()})
    return env


def _child(mode: str, *args: str, env: dict) -> dict:
    """Run one measurement in a fresh process; its JSON answer."""
    cmd = [sys.executable, "-m", "bench.report", "--child", mode, *args]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{mode} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- data


def _count(url: str) -> int | None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("compound"):
                return None
            return conn.execute(sa.text("SELECT count(*) FROM compound")).scalar()
    except sa.exc.OperationalError:
        return None
    finally:
        engine.dispose()


def _flask(url: str, *args: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "flask", "--app", "run", *args], cwd=ROOT,
                          env=_env(url), capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{proc.stderr[-3000:]}")


def prepare(url: str, compounds: int, log) -> None:
    """Migrated, seeded (once) and analysed."""
    import sqlalchemy as sa

    if url.startswith("postgresql"):
        pg_database(url)
    _flask(url, "db", "upgrade")
    have = _count(url)
    if have != compounds:
        if have:
            raise SystemExit(f"{url} holds {have} compounds, not {compounds}: use an empty "
                             f"database (or delete {OUT}/report-{compounds}.db)")
        log(f"  seeding {compounds:,} compounds (flask office seed-demo) …")
        started = time.perf_counter()
        _flask(url, "office", "seed-demo", "--compounds", str(compounds))
        log(f"  seeded in {time.perf_counter() - started:.0f} s")
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("ANALYZE"))
    engine.dispose()


# ---------------------------------------------------------------- children (fresh processes)


def child_build(out: str) -> dict:
    from office import create_app
    from office.services.report.build import build_to_file

    app = create_app()
    with app.app_context():
        rss_before = peak_rss_mb()
        wall, cpu = time.perf_counter(), time.process_time()
        written = build_to_file(dt.date.fromisoformat(AS_OF), out, filled_by="基准测试")
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"wall": wall, "cpu": cpu, "rss_mb": peak_rss_mb(), "rss_app_mb": rss_before,
            "counts": written.counts, "size": written.size}


def child_capture(out: str, cells: str) -> dict:
    """Our build, recording every cell it writes: {sheet: [[values of a row], …]}."""
    from xlsxwriter.worksheet import Worksheet

    recorded: dict[str, dict[int, dict[int, object]]] = {}

    def recorder(name):
        original = getattr(Worksheet, name)

        def record(self, row, col, *args, **kwargs):
            value = args[0] if args else None
            if name == "write_formula":
                value = args[2] if len(args) > 2 else kwargs.get("value")
            if name != "write_blank" and isinstance(row, int):
                recorded.setdefault(self.name, {}).setdefault(row, {})[col] = value
            return original(self, row, col, *args, **kwargs)

        return record

    for name in ("write_string", "write_number", "write_formula", "write_blank"):
        setattr(Worksheet, name, recorder(name))

    from office.kit.io.rows import EXCEL_EPOCH, StreamedSheet

    append_row = StreamedSheet.append_row

    def record_row(self, row, cells):  # the detail sheets' data rows (office/kit/io/rows)
        cols = recorded.setdefault(self.name, {}).setdefault(row, {})
        for col, value, _style in cells:
            cols[col] = (value - EXCEL_EPOCH).days if type(value) is dt.date else value
        return append_row(self, row, cells)

    StreamedSheet.append_row = record_row
    result = child_build(out)
    sheets = {}
    for sheet, rows in recorded.items():
        last = max(rows)
        sheets[sheet] = [[rows.get(r, {}).get(c) for c in range(max(rows.get(r, {0: 0})) + 1)]
                         for r in range(last + 1)]
    with open(cells, "wb") as fh:
        pickle.dump(sheets, fh, protocol=pickle.HIGHEST_PROTOCOL)
    result["cells"] = sum(sum(v is not None for v in row) for rows in sheets.values()
                          for row in rows)
    return result


def child_bare(cells: str, out: str) -> dict:
    import xlsxwriter

    with open(cells, "rb") as fh:
        sheets = pickle.load(fh)
    wall, cpu = time.perf_counter(), time.process_time()
    wb = xlsxwriter.Workbook(out, {"constant_memory": True})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            ws.write_row(r, 0, row)
    wb.close()
    return {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}


# ---------------------------------------------------------------- RQ fan-out


def rq_timing(url: str, redis_url: str, workers: int, fanout: bool, log) -> dict:
    """Start `workers` real rq workers, run one ReportRun through them, stop them."""
    import redis as redis_lib
    from rq import Queue, Worker

    queue = f"office-bench-{uuid.uuid4().hex[:8]}"
    report_dir = OUT / "reports"
    env = _env(url, OFFICE_REDIS_URL=redis_url, OFFICE_QUEUE=queue,
               OFFICE_REPORT_DIR=report_dir)
    procs = [subprocess.Popen(
        [sys.executable, "-m", "rq.cli", "worker", "-w", "office.jobs.worker.OfficeWorker",
         "-u", redis_url, "--path", str(ROOT), "-n", f"{queue}-{i}", queue],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True) for i in range(workers)]
    conn = redis_lib.Redis.from_url(redis_url)
    try:
        deadline = time.monotonic() + 300
        while len(Worker.all(queue=Queue(queue, connection=conn))) < workers:
            if time.monotonic() > deadline:
                raise RuntimeError("rq workers did not start")
            time.sleep(0.5)
        result = _child("rq", url, redis_url, queue, "1" if fanout else "0",
                        env=_env(url, OFFICE_REPORT_DIR=report_dir))
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
        for key in conn.scan_iter(f"rq:*{queue}*"):
            conn.delete(key)
    log(f"    {workers} worker(s), {'fan-out' if fanout else 'single job'}: "
        f"{result['wall']:.1f} s")
    return result


def child_rq(url: str, redis_url: str, queue: str, fanout: str) -> dict:
    from office import create_app
    from office.models import ReportRun, ReportStatus, db
    from office.services.report.runs import start_run

    app = create_app({"REDIS_URL": redis_url, "QUEUE_NAME": queue, "REPORT_FANOUT": fanout})
    with app.app_context():
        started = time.perf_counter()
        run_id = start_run(dt.date.fromisoformat(AS_OF), "基准测试").id
        while True:
            db.session.expire_all()
            run = db.session.get(ReportRun, run_id)
            if run.status in (ReportStatus.done, ReportStatus.failed):
                break
            db.session.rollback()
            time.sleep(0.25)
        wall = time.perf_counter() - started
        if run.status != ReportStatus.done:
            raise RuntimeError(run.error)
    return {"wall": wall, "run": run_id}


# ---------------------------------------------------------------- the benchmark


def _parse(args: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.report")
    p.add_argument("--compounds", type=int, default=200_000)
    p.add_argument("--db", choices=["sqlite", "pg", "both"], default="both")
    p.add_argument("--pg", default=os.environ.get("OFFICE_BENCH_PG_URL", ""),
                   help="default office_bench_report (office_bench_report_<N> for other sizes)")
    p.add_argument("--redis", default=os.environ.get("OFFICE_BENCH_REDIS_URL", DEFAULT_REDIS),
                   help="'none' skips the RQ timings")
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--smoke", action="store_true", help="3,000 compounds")
    p.add_argument("--no-rq", action="store_true")
    return p.parse_args(args)


def _reachable_redis(url: str) -> bool:
    if url == "none":
        return False
    import redis as redis_lib

    try:
        return bool(redis_lib.Redis.from_url(url, socket_connect_timeout=2).ping())
    except Exception:
        return False


def measure(url: str, opts, log) -> dict:
    prepare(url, opts.compounds, log)
    work = Path(tempfile.mkdtemp(prefix="bench-report-"))
    env = _env(url)
    try:
        log("  capturing the cells our build writes (untimed) …")
        capture = _child("capture", str(work / "capture.xlsx"), str(work / "cells.pkl"),
                         env=env)
        ours, bare = [], []
        for i in range(opts.repeat):
            bare.append(_child("bare", str(work / "cells.pkl"), str(work / "bare.xlsx"),
                               env=env))
            (work / "ours.xlsx").unlink(missing_ok=True)
            ours.append(_child("build", str(work / "ours.xlsx"), env=env))
            log(f"  round {i + 1}: ours {ours[-1]['wall']:.1f} s (cpu {ours[-1]['cpu']:.1f} s, "
                f"peak RSS {ours[-1]['rss_mb']:.0f} MB), bare xlsxwriter "
                f"{bare[-1]['wall']:.1f} s (cpu {bare[-1]['cpu']:.1f} s)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = {
        "cells": capture["cells"], "rows": capture["counts"],
        "ours_wall": statistics.median(r["wall"] for r in ours),
        "ours_cpu": statistics.median(r["cpu"] for r in ours),
        "bare_wall": statistics.median(r["wall"] for r in bare),
        "bare_cpu": statistics.median(r["cpu"] for r in bare),
        "rss_mb": max(r["rss_mb"] for r in ours),
        "rss_app_mb": max(r["rss_app_mb"] for r in ours),
        "file_mb": ours[-1]["size"] / 1e6,
    }
    result["ratio"] = result["ours_wall"] / result["bare_wall"]
    result["ok"] = result["ratio"] <= RATIO_TARGET and result["rss_mb"] < RSS_TARGET_MB
    if not opts.no_rq and _reachable_redis(opts.redis):
        log("  RQ: the return through real rq workers …")
        result["rq_single_1"] = rq_timing(url, opts.redis, 1, False, log)["wall"]
        result["rq_fanout_1"] = rq_timing(url, opts.redis, 1, True, log)["wall"]
        result["rq_fanout_2"] = rq_timing(url, opts.redis, 2, True, log)["wall"]
    return result


def run(args: list[str]) -> dict:
    opts = _parse(args)
    if opts.smoke:
        opts.compounds = min(opts.compounds, 3000)
    if not opts.pg:  # one database per size: a smoke run never meets the 200,000 county
        opts.pg = DEFAULT_PG + ("" if opts.compounds == 200_000 else f"_{opts.compounds}")
    OUT.mkdir(parents=True, exist_ok=True)

    def log(message):
        print(message, flush=True)

    targets = []
    if opts.db in ("sqlite", "both"):
        targets.append(("sqlite", f"sqlite:///{OUT / f'report-{opts.compounds}.db'}"))
    if opts.db in ("pg", "both"):
        if pg_database(opts.pg):
            targets.append(("postgresql", opts.pg))
        else:
            log(f"PostgreSQL not reachable at {opts.pg}: skipped")
    results = {"compounds": opts.compounds, "as_of": AS_OF, "targets": {
        "ratio": RATIO_TARGET, "rss_mb": RSS_TARGET_MB}, "runs": {}}
    ok = True
    for name, url in targets:
        log(f"{name}: {opts.compounds:,} compounds")
        r = measure(url, opts, log)
        results["runs"][name] = r
        ok &= r["ok"]
        log(f"  => {r['cells']:,} cells; ours {r['ours_wall']:.1f} s vs bare xlsxwriter "
            f"{r['bare_wall']:.1f} s: {r['ratio']:.2f}× (target ≤ {RATIO_TARGET}×); "
            f"peak RSS {r['rss_mb']:.0f} MB (target < {RSS_TARGET_MB}); "
            f"{'OK' if r['ok'] else 'MISSED'}")
        if "rq_fanout_2" in r:
            log(f"  => RQ: single job on 1 worker {r['rq_single_1']:.1f} s; fan-out on 1 worker "
                f"{r['rq_fanout_1']:.1f} s, on 2 workers {r['rq_fanout_2']:.1f} s "
                f"({r['rq_fanout_1'] / r['rq_fanout_2']:.2f}× faster)")
    results["ok"] = ok
    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    (ROOT / "bench" / "out" / "report.json").write_text(json.dumps(results, indent=2,
                                                                   ensure_ascii=False))
    return results


def _main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        mode, rest = argv[1], argv[2:]
        sys.path.insert(0, str(ROOT))
        handler = {"build": child_build, "capture": child_capture, "bare": child_bare,
                   "rq": child_rq}[mode]
        print(json.dumps(handler(*rest), default=str))
        return 0
    return 0 if run(argv).get("ok") else 1


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))

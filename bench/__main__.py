"""`make bench` = `python -m bench`: every benchmark, with its figures and targets.

    python -m bench                  # all of them, 200,000 compounds, SQLite and PostgreSQL
    python -m bench --smoke          # every benchmark at a small size (minutes, not an hour)
    python -m bench grid [...]       # one of them, with its own options (--help):
                                     #   grid, io, dashboard, report, seed

    grid       grid data / list page against vanilla FAB (issue 3)       bench/grid.py
    io         xlsx export against bare xlsxwriter, 10,000-row import    bench/io.py
    dashboard  the dashboard's data from snapshots (issue 4)             bench/dashboard.py
    report     the return against bare xlsxwriter; 1 vs 2 rq workers     bench/report.py
    seed       seed-demo --compounds 200000 on SQLite < 120 s (issue 2)  bench/seed.py

Exit status 3 when a target is missed (see each module's docstring for its targets); an
error exits 1. CI runs `python -m bench --smoke` to keep the benchmarks working: at that size
a missed target is printed, not a failure.
"""
from __future__ import annotations

import importlib
import sys

TARGET_MISSED = 3
BENCHES = ("seed", "grid", "io", "dashboard", "report")
# `python -m bench --smoke`: each benchmark's own small size.
SMOKE = {"io": ["--export-rows", "2000", "--import-rows", "500"]}


def main(argv: list[str]) -> int:
    if argv and argv[0] in BENCHES:
        chosen, rest = [argv[0]], argv[1:]
    else:
        chosen, rest = list(BENCHES), argv
    ok = True
    for name in chosen:
        module = importlib.import_module(f"bench.{name}")
        args = rest if len(chosen) == 1 or "--smoke" not in rest else SMOKE.get(name, ["--smoke"])
        print(f"\n######## bench {name} {' '.join(args)}", flush=True)
        result = module.run(args) or {}
        ok &= result.get("ok", True) is not False
    return 0 if ok else TARGET_MISSED


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

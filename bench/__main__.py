"""`make bench` = `python -m bench`: every benchmark, with its figures and targets.

    python -m bench              # grid/list (200,000 compounds) and Excel export/import
    python -m bench --smoke      # small sizes, for CI
    python -m bench grid [--pg URL|none] [--compounds N] [--repeat N] [--fresh]
    python -m bench io [...]     # bench/io.py's own options

Exit status 1 when a target is missed (see each module's docstring for its targets).
"""
from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    what = argv[0] if argv and argv[0] in ("grid", "io") else "all"
    rest = argv[1:] if what != "all" else argv
    ok = True
    if what in ("all", "grid"):
        from bench import grid

        ok &= bool(grid.run(rest).get("ok"))
    if what in ("all", "io"):
        try:
            from bench import io as io_bench
        except ImportError:
            io_bench = None
        if io_bench is not None:
            io_args = rest if what == "io" else (
                ["--export-rows", "2000", "--import-rows", "500"] if "--smoke" in rest else [])
            result = io_bench.run(io_args) or {}
            ok &= result.get("ok", True) is not False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

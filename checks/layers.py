"""The house's layering, checked from the code's own imports (`make lint`).

Imports run one way, down:  views / jobs / cli / demo  →  services  →  kit  →  scope, roles,
queue, security  →  models.  Lazy imports inside functions count, and so do imports under
``if TYPE_CHECKING:`` (a type-only circle is still a circle to a reader).
Run: ``python -m checks.layers``.
"""
from __future__ import annotations

import sys

import grimp

ROOT = "office"

# layer -> what it may never import (each a package or module, with everything under it)
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "office.models": ("office.kit", "office.services", "office.views", "office.jobs",
                      "office.demo", "office.scope", "office.security", "office.queue",
                      "office.indicators", "office.cli", "office.roles"),
    "office.scope": ("office.kit", "office.services", "office.views", "office.jobs",
                     "office.demo", "office.security"),
    "office.roles": ("office.kit", "office.services", "office.views", "office.jobs",
                     "office.demo"),
    "office.queue": ("office.kit", "office.services", "office.views", "office.jobs",
                     "office.demo"),
    "office.security": ("office.kit", "office.services", "office.views", "office.jobs",
                        "office.demo"),
    "office.kit": ("office.services", "office.views", "office.jobs", "office.demo",
                   "office.cli"),
    "office.services": ("office.views", "office.jobs", "office.cli"),
}
# The application factory (office/__init__.py) sits on top: nothing below it imports it,
# except the worker that builds the app for its jobs.
FACTORY_IMPORTERS = ("office.jobs.worker", "office.cli")


def build_graph() -> grimp.ImportGraph:
    return grimp.build_graph(ROOT, cache_dir=None)


def _under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def wrong_way(graph) -> list[str]:
    problems = []
    for importer in sorted(graph.modules):
        imported = graph.find_modules_directly_imported_by(importer)
        for layer, banned in FORBIDDEN.items():
            if not _under(importer, layer):
                continue
            for target in sorted(imported):
                if any(_under(target, b) for b in banned) and not _under(target, layer):
                    problems.append(f"{importer} imports {target} ({layer} may not)")
        if ROOT in imported and importer != ROOT and not importer.startswith(
                FACTORY_IMPORTERS):
            problems.append(f"{importer} imports the application factory ({ROOT})")
    return problems


def cycles(graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    adj = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    counter = 0
    for root in sorted(adj):
        if root in index:
            continue
        work = [(root, iter(adj[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, it = work[-1]
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(adj[nxt])))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        m = stack.pop()
                        on_stack.discard(m)
                        comp.append(m)
                        if m == node:
                            break
                    if len(comp) > 1:
                        found.append(sorted(comp))
    return found


def check(graph=None) -> list[str]:
    graph = graph or build_graph()
    return wrong_way(graph) + [f"import circle: {' ↔ '.join(c)}" for c in cycles(graph)]


def main() -> int:
    problems = check()
    for line in problems:
        print(line)
    if problems:
        print(f"layering: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print("layering: imports run one way, no circles")
    return 0


if __name__ == "__main__":
    sys.exit(main())

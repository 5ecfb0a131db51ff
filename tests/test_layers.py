"""The layers point one way: ``gazefusion/`` (the core) imports neither ``study/`` nor
``analysis/``, and no module imports itself back through others (no import circle).

Every ``import`` and ``from ... import`` of every module is read with :mod:`ast` (module level and
inside functions alike: a lazy import is a dependency too). ``from package import name`` depends
on the submodule ``package.name`` when there is one, else on the package.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("gazefusion", "metrics", "study", "analysis")
#: What each top-level package may import of the others.
ALLOWED = {
    "metrics": set(),
    "gazefusion": {"metrics"},
    "study": {"gazefusion", "metrics"},
    "analysis": {"gazefusion", "metrics", "study"},
}


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for path in (REPO / pkg).rglob("*.py"):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def import_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports."""
    modules = _modules()

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = defaultdict(set)
    for mod, path in modules.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = mod.split(".") if is_package else mod.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                targets = [
                    f"{source}.{a.name}" if f"{source}.{a.name}" in modules else source for a in node.names
                ]
            else:
                continue
            for target in targets:
                found = resolve(target)
                if found and found != mod:
                    graph[mod].add(found)
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles = []
    counter = 0
    for root in sorted(set(graph) | {t for ts in graph.values() for t in ts}):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.append(top)
                    if top == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    return cycles


def test_packages_import_only_the_layers_below():
    wrong = sorted(
        f"{mod} imports {target}"
        for mod, targets in import_graph().items()
        for target in targets
        if target.split(".")[0] != mod.split(".")[0]
        and target.split(".")[0] not in ALLOWED[mod.split(".")[0]]
    )
    assert wrong == []


def test_there_is_no_import_circle():
    assert import_cycles(import_graph()) == []


def test_the_checks_see_a_planted_violation_and_circle():
    graph = {"gazefusion.a": {"study.b"}, "study.b": {"gazefusion.a"}}
    assert import_cycles(graph) == [["gazefusion.a", "study.b"]]
    assert "study" not in ALLOWED["gazefusion"]

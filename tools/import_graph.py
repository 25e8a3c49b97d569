"""The import graph of the ``workbench`` package, as figures to compare before and after.

Run ``.venv/bin/python tools/import_graph.py [PACKAGE_DIR]``: prints one JSON object
with the number of modules and import edges, every import cycle (strongly connected
components of more than one module, counting imports made inside functions and under
``TYPE_CHECKING`` separately), the longest chain of imports without a cycle, how many
imports sit inside functions, and the five largest modules by lines.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "workbench"


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(node: ast.ImportFrom, here: str, is_package: bool) -> list[str]:
    """The modules an ``from ... import ...`` names (relative imports resolved)."""
    if node.level:
        base = here.split(".") if is_package else here.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    # `from . import x` imports the submodule x when there is one (as import-linter
    # counts it), else the name x from the package itself.
    return [prefix] + [f"{prefix}.{a.name}" for a in node.names]


def _in_type_checking(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def _in_function(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return True
    return False


def edges(root: Path) -> tuple[dict[str, int], list[tuple[str, str, str]]]:
    """Modules (name -> lines) and edges (importer, imported, where: top/function/typing)."""
    modules = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    lines = {m: len(p.read_text().splitlines()) for m, p in modules.items()}
    found: set[tuple[str, str, str]] = set()
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        parents = {c: p for p in ast.walk(tree) for c in ast.iter_child_nodes(p)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                targets = _resolve(node, name, path.name == "__init__.py")
            else:
                continue
            where = (
                "typing"
                if _in_type_checking(node, parents)
                else "function"
                if _in_function(node, parents)
                else "top"
            )
            if isinstance(node, ast.ImportFrom):
                prefix, *subs = targets
                named = [t for t in subs if t in modules]
                targets = named if len(named) == len(subs) else [prefix, *named]
            for t in targets:
                if t in modules and t != name:
                    found.add((name, t, where))
    return lines, sorted(found)


def cycles(nodes: list[str], graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for start in nodes:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return sorted(out, key=len, reverse=True)


def longest_chain(nodes: list[str], graph: dict[str, set[str]]) -> list[str]:
    """The longest path of imports in the graph with each cycle collapsed to one node."""
    comps = cycles(nodes, graph)
    rep = {m: comp[0] for comp in comps for m in comp}
    dag: dict[str, set[str]] = {rep.get(n, n): set() for n in nodes}
    for v in nodes:
        for w in graph[v]:
            a, b = rep.get(v, v), rep.get(w, w)
            if a != b:
                dag[a].add(b)
    memo: dict[str, list[str]] = {}

    def walk(v: str) -> list[str]:
        if v not in memo:
            best = max((walk(w) for w in dag[v]), key=len, default=[])
            memo[v] = [v, *best]
        return memo[v]

    sys.setrecursionlimit(10_000)
    return max((walk(v) for v in dag), key=len, default=[])


def report(root: Path = ROOT) -> dict:
    lines, found = edges(root)
    nodes = sorted(lines)
    runtime: dict[str, set[str]] = {n: set() for n in nodes}
    for a, b, where in found:
        if where != "typing":
            runtime[a].add(b)
    comps = cycles(nodes, runtime)
    typed: dict[str, set[str]] = {n: set() for n in nodes}
    for a, b, _ in found:
        typed[a].add(b)
    return {
        "modules": len(nodes),
        "import_edges": sum(len(v) for v in runtime.values()),
        "imports_inside_functions": sum(1 for *_, w in found if w == "function"),
        "cycles": [len(c) for c in comps],
        "cycle_modules": comps,
        "cycles_counting_type_checking": [len(c) for c in cycles(nodes, typed)],
        "longest_chain": longest_chain(nodes, runtime),
        "largest_modules": sorted(lines.items(), key=lambda kv: -kv[1])[:5],
    }


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT
    print(json.dumps(report(root), indent=1))

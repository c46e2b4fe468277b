"""Imports run one way: no circles in experiments or analysis; the core imports no layer above.

The graph is read from the source with ``ast``: every ``import collabsim.…`` and
``from collabsim… import …`` at module level, inside functions and under
``TYPE_CHECKING`` (a circle hidden in a function is still a circle).
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

import collabsim

ROOT = Path(collabsim.__file__).resolve().parent

#: The model core: what a run needs. It must not import the layers built on it.
CORE = ("collabsim.model", "collabsim.services", "collabsim.agents", "collabsim.network",
        "collabsim.choice", "collabsim.rng", "collabsim.scenario", "collabsim.interventions",
        "collabsim.metrics", "collabsim.effects", "collabsim.runner")
ABOVE_CORE = ("collabsim.experiments", "collabsim.analysis", "collabsim.viz", "collabsim.cli")
NO_CYCLES_IN = ("collabsim.experiments", "collabsim.analysis")


def _module_name(path: Path) -> str:
    parts = ["collabsim", *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(name: str, modules: set[str]) -> str | None:
    """The module an imported name lives in (``a.b.c`` may be a name in module ``a.b``)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def import_graph() -> nx.DiGraph:
    """Modules of collabsim and the collabsim modules each imports (anywhere in its code)."""
    files = {_module_name(p): p for p in ROOT.rglob("*.py")}
    modules = set(files)
    g = nx.DiGraph()
    g.add_nodes_from(modules)
    for mod, path in files.items():
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*up, base] if base else up)
                targets = [f"{base}.{a.name}" for a in node.names] + [base]
            for t in targets:
                hit = _resolve(t, modules) if t.startswith("collabsim") else None
                if hit and hit != mod:
                    g.add_edge(mod, hit)
    return g


def _inside(mod: str, prefixes: tuple[str, ...]) -> bool:
    return any(mod == p or mod.startswith(p + ".") for p in prefixes)


def test_the_graph_sees_function_level_and_type_checking_imports():
    g = import_graph()
    # function-level (spec -> scenario in load paths) and TYPE_CHECKING imports are edges too
    assert g.has_edge("collabsim.experiments.store", "collabsim.experiments.spec")
    assert g.has_edge("collabsim.experiments.runners", "collabsim.runner")
    assert g.has_edge("collabsim.analysis.analyze", "collabsim.analysis.plots")


def test_no_import_cycles_in_experiments_and_analysis():
    g = import_graph()
    for prefix in NO_CYCLES_IN:
        # a package's __init__ re-exports lazily (PEP 562) and imports its modules only
        # under TYPE_CHECKING; its edges into the package are not dependencies of the modules
        sub = g.subgraph(m for m in g if _inside(m, (prefix,)) and m != prefix)
        cycles = list(nx.simple_cycles(sub))
        assert not cycles, f"import cycles in {prefix}: " + "; ".join(
            " -> ".join([*c, c[0]]) for c in cycles)


def test_experiments_and_analysis_do_not_import_each_other_in_a_circle():
    g = import_graph()
    layers = nx.DiGraph()
    for a, b in g.edges:
        pa = next((p for p in NO_CYCLES_IN if _inside(a, (p,))), None)
        pb = next((p for p in NO_CYCLES_IN if _inside(b, (p,))), None)
        if pa and pb and pa != pb:
            layers.add_edge(pa, pb)
    assert not list(nx.simple_cycles(layers)), sorted(layers.edges)


def test_the_model_core_imports_nothing_built_on_it():
    g = import_graph()
    bad = sorted((a, b) for a, b in g.edges if _inside(a, CORE) and _inside(b, ABOVE_CORE))
    assert not bad, "model core imports a layer built on it: " + ", ".join(
        f"{a} -> {b}" for a, b in bad)

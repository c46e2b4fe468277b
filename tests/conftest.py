"""Shared fixtures of the test suite.

Only fixtures live here (no helpers to import): test modules in different
folders share basenames (``unit/test_cli.py``, ``integration/test_cli.py``).
"""

from __future__ import annotations

import pytest

from collabsim import CollabModel
from collabsim.scenario import list_presets

#: The licensing presets (DESIGN §1.1); licensing-specific assertions are kept to these.
LICENSING_PRESETS = ("pbg", "pbg_repaired", "spp_irt")

#: Every shipped preset (``scenarios/*.toml``) and experiment spec (``experiments/*.toml``).
#: Tests that go over shipped files take them from here (the ``shipped_preset`` and
#: ``shipped_spec`` parameters), not from a glob, so a deleted file fails its tests
#: instead of silently dropping them; ``tests/unit/test_shipped_files.py`` checks that
#: these lists are exactly what is shipped.
SHIPPED_PRESETS = ("jcoc", "jcoc_no_socialisation", "jcoc_siloed", "pbg", "pbg_repaired",
                   "spp_irt")
SHIPPED_SPECS = ("jcoc_roles_socialisation", "pbg_preparedness_grid", "pbg_regulation_timing",
                 "success_factors_sobol")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise ``shipped_preset`` / ``shipped_spec`` over the pinned lists."""
    for name, values in (("shipped_preset", SHIPPED_PRESETS), ("shipped_spec", SHIPPED_SPECS)):
        if name in metafunc.fixturenames:
            metafunc.parametrize(name, values)


_SHARED_SCOPES = ("class", "module", "package")

#: The modules that take 40 s or more in all, longest first (seconds of wall time of each
#: module on the 2-core machine, ``make test``, 2026-12-03 afternoon, a slow phase of the
#: machine: the whole suite 771 s; the same code in a fast phase about half). ``make test``
#: hands them to the workers in this order (``--no-loadscope-reorder``) before every other
#: module, so the last files the workers pick up are short and they finish together. A
#: module missing here that holds ``slow`` tests goes right after them.
HEAVY_MODULES = (
    "tests/integration/test_shipped_specs.py",    # ~165: every spec swept, analysed, reported
    "tests/integration/test_facts_grid.py",       # ~165: the fact-3 factorial, fact 6
    "tests/integration/test_facts_pbg.py",        # ~160
    "tests/integration/test_facts_spp.py",        # ~150
    "tests/integration/test_tutorials.py",        # ~135: three notebooks executed
    "tests/integration/test_sweep.py",            # ~125: pools and clusters, workers killed
    "tests/integration/test_bench_quick.py",      # ~105: make bench --quick
    "tests/integration/test_viz_browser.py",      # ~100: Chromium against the Solara server
    "tests/regression/test_stylized_fact5.py",    # ~95
    "tests/integration/test_analyze_fact4.py",    # ~85: a Sobol sweep of 128 runs (2 workers)
    "tests/integration/test_posterior_cli.py",    # ~80
    "tests/integration/test_viz.py",              # ~80
    "tests/integration/test_analyze_cli.py",      # ~75
    "tests/integration/test_cli.py",              # ~75
    "tests/integration/test_viz_compare.py",      # ~70
    "tests/integration/test_calibrate.py",        # ~60: ABC of the shipped spec, cut small
    "tests/integration/test_dask_cluster.py",     # ~50: a scheduler and worker processes
    "tests/integration/test_report.py",           # ~50
    "tests/integration/test_docking.py",          # ~40
)


@pytest.hookimpl(tryfirst=True)  # before xdist adds the group to the node ids
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Order the tests so the longest work starts first, and mark shared-fixture groups.

    ``make test`` runs ``pytest -n 3 --dist loadfile --no-loadscope-reorder``:
    each test file goes whole to one worker, so module fixtures and the fact
    tests' cached runs are computed once, and the files go out in this order.
    (``--dist loadgroup`` with ``xdist_group`` marks did not keep a group on
    one worker with the installed pytest-xdist: a module's fixture was computed
    on both; the marks are kept for ``loadgroup`` users.) :data:`HEAVY_MODULES`
    run first, longest first, then any other module holding ``slow`` tests,
    then modules with shared fixtures, so the workers finish together.
    """
    def module(item: pytest.Item) -> str:
        return item.nodeid.split("::", 1)[0]

    for item in items:
        if item.get_closest_marker("xdist_group") is not None:
            continue
        info = getattr(item, "_fixtureinfo", None)
        defs = [d[-1] for d in info.name2fixturedefs.values() if d] if info else []
        if any(d.scope in _SHARED_SCOPES or (d.scope == "session" and d.baseid == module(item))
               for d in defs):
            item.add_marker(pytest.mark.xdist_group(module(item)))
    slow = {module(it) for it in items if it.get_closest_marker("slow")}
    grouped = {module(it) for it in items if it.get_closest_marker("xdist_group")}

    def rank(it: pytest.Item) -> tuple[int, int]:
        m = module(it)
        if m in HEAVY_MODULES:
            return 0, HEAVY_MODULES.index(m)
        if m in slow:
            return 1, 0
        return (2 if m in grouped else 3), 0

    items.sort(key=rank)  # stable: each module's tests keep their order


@pytest.fixture(scope="session")
def shipped_presets() -> tuple[str, ...]:
    """The pinned list of shipped presets."""
    return SHIPPED_PRESETS


@pytest.fixture(scope="session")
def shipped_specs() -> tuple[str, ...]:
    """The pinned list of shipped experiment specs."""
    return SHIPPED_SPECS


@pytest.fixture(scope="session")
def licensing_presets() -> tuple[str, ...]:
    """The licensing presets, checked to be shipped."""
    missing = set(LICENSING_PRESETS) - set(list_presets())
    assert not missing, f"licensing presets missing: {missing}"
    return LICENSING_PRESETS


@pytest.fixture
def small_model():
    """Factory of small, fast models: ``small_model("pbg", seed=1, **overrides_as_kwargs)``."""

    def make(scenario: str = "pbg", seed: int = 1, n_citizens: int = 1000,
             overrides: dict | None = None, **flat) -> CollabModel:
        return CollabModel(scenario, seed=seed, n_citizens=n_citizens, overrides=overrides,
                           **flat)

    return make


@pytest.fixture(scope="module")
def mid_run_pbg() -> CollabModel:
    """A PBG model (10,000 citizens) 60 days into the joint arrangement.

    Beliefs, commitments and queues have diverged from their initial values,
    so agreement tests compare the two decision paths on varied inputs.
    Module-scoped: tests that use it may change officers' efforts only.
    """
    model = CollabModel("pbg", seed=20260, n_citizens=10_000)
    model.run(model.config.collaboration_start + 60)
    return model

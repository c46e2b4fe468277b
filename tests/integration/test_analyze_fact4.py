"""Stylized fact 4 on the shipped Sobol experiment, at a reduced sample size.

DESIGN §3 fact 4: facilitative leadership, open communication, simpler
workflows and competent staff each raise performance — the sensitivity analysis
ranks them and finds none negligible. The shipped
``experiments/success_factors_sobol.toml`` is run as shipped except for a
smaller Saltelli base sample, one replication and half a year after the start
(128 runs forked from one history, about 30 s on two cores), then analysed by the
same path as ``collabsim analyze``; each factor's total-order index on the
service's speed after the start (mean processing days) must be clearly above zero. Speed, not
permits: in pbg_repaired the desks have capacity to spare, so permits follow
applications and supply-side factors show in how fast files move before they
show in how many.
(At this size the 95 % CIs are as wide as the larger indices, so the threshold
is on ST itself; the full-size spec is what ``collabsim analyze`` judges by its
CIs.)

Known deviation, pinned here: since the joint arrangement's gains were tied to
the named drivers (honest effects), facilitative leadership acts only through
innovation (scaled by partner communication), the speed of the trust cycle and
the offices' choices at unregulated stages; on pbg_repaired's speed its ST is
about 0.01, so fact 4 holds for open communication, simpler workflows and
competent staff but not for facilitative leadership (docs/ODD.md §8). The pin
fails, on purpose, once a mechanism gives it weight: then move it back among
the factors that must matter.
"""

from __future__ import annotations

import tomllib

import pytest

from collabsim.analysis.analyze import analyze
from collabsim.analysis.facts import FOUR_FACTORS

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("fact4")]  # one Sobol sweep

N_BASE = 16          # Saltelli base sample (shipped: 64): 16 × (6 + 2) = 128 runs
ST_MIN = 0.05        # "clearly above zero": at least 5 % of the outcome's variance
OUTCOME = "mean_processing_days_after"


_CACHE: dict[str, object] = {}


@pytest.fixture(scope="module")
def sobol(tmp_path_factory):
    # kept in the worker process: a module fixture is set up again whenever the worker
    # interleaves another module's tests between this module's
    if "analysis" in _CACHE:
        return _CACHE["analysis"]
    from collabsim.experiments import load_experiment, run_experiment
    from collabsim.experiments.spec import EXPERIMENT_DIR

    spec = EXPERIMENT_DIR / "success_factors_sobol.toml"
    if not spec.is_file():
        pytest.skip("experiments/success_factors_sobol.toml is not shipped")
    raw = tomllib.loads(spec.read_text())
    raw["sampler"]["n"] = min(raw["sampler"]["n"], N_BASE)
    raw["replications"] = 1  # fewer citizens would drown the factors in noise (tried: 5,000)
    # a year before the start and half a year after (the spec: three years after). At a
    # year after the sweep took twice as long for the same verdicts; at half a year ST is
    # 0.12 (communication), 0.77 (workflows), 0.08 (staff) and 0.00 (leadership)
    raw["steps"] = 545
    out = tmp_path_factory.mktemp("fact4") / "sobol"
    run_experiment(load_experiment(raw, base_dir=spec.parent), out, runner="processes",
                   workers=2)
    _CACHE["analysis"] = analyze(out, network=False, formats=("png",))
    return _CACHE["analysis"]


#: The factor fact 4 names that the model does not (yet) reproduce, see the module docstring.
NOT_REPRODUCED = ("facilitative leadership",)


def total_order(sobol) -> tuple[dict[str, tuple[float, float]], str]:
    table = sobol.tables["sensitivity"]
    table = table[table.outcome == OUTCOME].set_index("parameter")
    measured = {}
    for factor, (names, _) in FOUR_FACTORS.items():
        column = next(c for c in table.index if c.split(".")[-1] in names)
        measured[factor] = float(table.loc[column, "ST"]), float(table.loc[column, "ST_conf"])
    shown = ", ".join(f"{f} {st:.3f} ± {ci:.3f}" for f, (st, ci) in measured.items())
    print(f"fact 4, ST ± 95 % CI half-width on {OUTCOME}: {shown}")
    return measured, shown


def test_three_success_factors_have_total_order_index_above_zero(sobol):
    measured, shown = total_order(sobol)
    small = [f for f, (st, _) in measured.items() if st <= ST_MIN and f not in NOT_REPRODUCED]
    assert not small, f"ST ≤ {ST_MIN} for {', '.join(small)} ({shown})"


def test_known_deviation_facilitative_leadership_is_negligible(sobol):
    measured, shown = total_order(sobol)
    for factor in NOT_REPRODUCED:
        assert measured[factor][0] <= ST_MIN, (
            f"{factor} now matters (ST > {ST_MIN}): fact 4 may hold in full; update this "
            f"test and docs/ODD.md §8 ({shown})")


def test_fact4_reported_in_the_stylized_facts(sobol):
    rows = sobol.tables["stylized_fact_tests"]
    rows = rows[rows.fact == 4]
    assert len(rows) == 4 and rows.evidence.str.contains("ST = ").all()
    reproduced = rows[~rows.part.str.startswith(NOT_REPRODUCED)]
    assert "does not hold" not in set(reproduced.status), rows[["part", "status", "evidence"]]

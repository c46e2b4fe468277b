"""Experiment specs: loading, checks against the scenario schema, designs and seeds."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collabsim.cli import main
from collabsim.experiments import SpecError, load_experiment
from collabsim.experiments.spec import EXPERIMENT_DIR, schema_leaf
from collabsim.rng import replicate_seeds

BASE = """
name = "t"
scenarios = ["pbg"]
replications = 2
root_seed = 11
steps = 30
n_citizens = 100
"""

GRID = BASE + """
[sampler]
method = "grid"

[parameters."agencies.*.leader_commitment"]
levels = [0.3, 0.8]

[parameters."agencies.*.regulation_ready"]
levels = [false, true]
"""


def write(tmp_path: Path, text: str, name: str = "spec.toml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


def cli_error(capsys, path: Path) -> list[str]:
    """Run `collabsim sweep --dry-run`; expect exit 2; return the error lines."""
    assert main(["sweep", str(path), "--dry-run"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err and all(line.startswith("error: ") for line in err)
    return err


# ------------------------------------------------------------------ bad specs
@pytest.mark.parametrize("text, expect", [
    (GRID.replace('root_seed = 11', 'root_seed = 11\nreplicates = 3'),
     ["replicates: unknown key; allowed:", "replications"]),
    (GRID.replace('levels = [0.3, 0.8]', 'levels = [0.3, 1.5]'),
     ['parameters."agencies.*.leader_commitment": levels', "outside the schema's range 0–1"]),
    (GRID.replace('method = "grid"', 'method = "halton"'),
     ["sampler.method: unknown sampler 'halton'; allowed: grid, lhs, sobol, morris"]),
    (GRID.replace('"agencies.*.leader_commitment"', '"agencies.*.leader_comitment"'),
     ["agencies.*.leader_comitment: unknown key 'leader_comitment'", "leader_commitment"]),
    (GRID.replace('"agencies.*.leader_commitment"', '"agencies.dinas.leader_commitment"'),
     ["not in scenario pbg: agencies.dinas does not exist", "pupr"]),
    (GRID.replace('"agencies.*.leader_commitment"', '"licensing.stages.9.service_days"'),
     ["licensing.stages has 6 item(s), no item 9"]),
    (GRID.replace('"agencies.*.leader_commitment"', '"agencies.*"'),
     ["agencies.* is a table, not a value"]),
    (GRID + '\n[parameters."citizens.need_rate"]\nbounds = [0.0, 0.001]\n',
     ["a grid over bounds needs points = N"]),
    (BASE + '[sampler]\nmethod = "sobol"\nn = 100\n'
            '[parameters."agencies.*.resources"]\nbounds = [0.2, 0.9]\n',
     ["sampler.n: must be a power of two", "try 64 or 128", "(got 100)"]),
    (BASE + 'metrics = ["levy_target_share", "levy_share"]\n' + GRID[len(BASE):],
     ["metrics: unknown metric 'levy_share'; allowed:", "levy_target_share"]),
    (BASE + '[sampler]\nmethod = "lhs"\nn = 8\n'
            '[parameters."agencies.*.regulation_ready"]\nbounds = [0, 1]\n',
     ["bounds need a numeric key"]),
    (GRID.replace('levels = [false, true]', 'levels = [false, "yes"]'),
     ["level 'yes' is not a bool"]),
    (GRID.replace('["pbg"]', '["pbgg"]'), ["scenarios.0: pbgg: no such scenario file or preset"]),
    (GRID.replace('steps = 30', 'steps = 30\nparameters_from = "start"'),
     ["parameters_from: 'start' needs the collaboration start inside the run",
      "scenario pbg starts it on day 365 of 30"]),
    (GRID.replace('steps = 30', 'steps = 400\nparameters_from = "start"')
         .replace('"agencies.*.regulation_ready"', '"citizens.n"')
         .replace('levels = [false, true]', 'levels = [100, 200]'),
     ['parameters."citizens.n": citizens.n shapes the whole run', "allowed: agency"]),
    (GRID.replace('steps = 30', 'steps = 400\nparameters_from = "start"')
         .replace('"agencies.*.regulation_ready"', '"burn_in_days"')
         .replace('levels = [false, true]', 'levels = [10, 20]'),
     ["parameters.burn_in_days: burn_in_days shapes the whole run"]),
    (GRID.replace('steps = 30', 'steps = 30\nparameters_from = "middle"'),
     ["parameters_from: Input should be 'beginning' or 'start' (got 'middle')"]),
])
def test_bad_spec_one_line_error_exit_2(tmp_path, capsys, text, expect):
    path = write(tmp_path, text)
    err = cli_error(capsys, path)
    assert len(err) == 1, err
    assert str(path) in err[0]
    for fragment in expect:
        assert fragment in err[0], err[0]


def test_value_a_base_scenario_rejects_is_named(tmp_path, capsys):
    # min_service_days 3 > service_days 2 of stage 0: valid for the schema's bounds,
    # invalid for this scenario (cross-field rule), caught when the spec loads.
    text = GRID + '\n[parameters."licensing.stages.0.min_service_days"]\nlevels = [0.5, 3.0]\n'
    err = cli_error(capsys, write(tmp_path, text))
    assert "value 3.0 is invalid for scenario pbg" in err[0]
    assert "min_service_days must not exceed service_days" in err[0]


def test_not_toml(tmp_path, capsys):
    err = cli_error(capsys, write(tmp_path, "name = \n"))
    assert "not valid TOML" in err[0]


def test_missing_spec_file(tmp_path, capsys):
    err = cli_error(capsys, tmp_path / "nope.toml")
    assert "no such experiment spec" in err[0]


def test_spec_error_is_collabsim_error():
    with pytest.raises(SpecError) as exc:
        load_experiment({"name": "x", "scenarios": ["pbg"], "root_seed": 1,
                         "sampler": {"method": "morris", "trajectories": 4, "num_levels": 3},
                         "parameters": {"agencies.*.resources": {"bounds": [0.1, 0.9]}}})
    assert "sampler.num_levels: must be even (got 3)" in exc.value.problems[0]


# ---------------------------------------------------------------- schema paths
def test_schema_leaf_bounds_and_kinds():
    leaf = schema_leaf("agencies.*.leader_commitment")
    assert (leaf.kind, leaf.low, leaf.high) == ("float", 0.0, 1.0)
    assert schema_leaf("licensing.joint_stages").kind == "int"
    assert schema_leaf("licensing.stages.1.service_days").high == 365
    assert schema_leaf("citizens.social_network.kind").choices == ("small_world", "random",
                                                                     "none")
    with pytest.raises(ValueError, match="unknown key 'nope'"):
        schema_leaf("citizens.nope")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lo=st.floats(-1, 2), width=st.floats(0.01, 1))
def test_bounds_checked_against_schema(lo, width):
    hi = lo + width
    spec = {"name": "p", "scenarios": ["pbg"], "root_seed": 1, "steps": 10, "n_citizens": 50,
            "metrics": ["backlog"], "sampler": {"method": "lhs", "n": 4},
            "parameters": {"agencies.*.resources": {"bounds": [lo, hi]}}}
    if lo >= 0 and hi <= 1:
        exp = load_experiment(spec)
        x = exp.design()["agencies.*.resources"]
        assert ((x >= lo) & (x <= hi)).all()
    else:
        with pytest.raises(SpecError, match="outside the schema's range 0–1"):
            load_experiment(spec)


# ---------------------------------------------------------------------- designs
def test_grid_design_order_and_common_seeds(tmp_path):
    exp = load_experiment(write(tmp_path, GRID))
    d = exp.design()
    assert list(d.columns[:5]) == ["run_id", "scenario", "sample", "replicate", "seed"]
    assert len(d) == exp.n_runs == 4 * 2
    assert d["run_id"].tolist() == list(range(8))
    # the last parameter varies fastest; replicates innermost
    assert d["agencies.*.leader_commitment"].tolist() == [0.3] * 4 + [0.8] * 4
    assert d["agencies.*.regulation_ready"].tolist() == [False, False, True, True] * 2
    seeds = replicate_seeds(11, 2)
    assert d["seed"].tolist() == seeds * 4
    assert d["seed"].dtype == "int64"


def test_independent_seeds(tmp_path):
    exp = load_experiment(write(tmp_path, GRID.replace("steps = 30", 'steps = 30\nseeds = '
                                                       '"independent"')))
    d = exp.design()
    assert d["seed"].tolist() == replicate_seeds(11, 8)


def test_sobol_design_is_salibs_in_salibs_order(tmp_path):
    from SALib.sample import sobol

    from collabsim.experiments.samplers import sampler_seed

    text = BASE + """
    [sampler]
    method = "sobol"
    n = 8

    [parameters."agencies.*.facilitative_leadership"]
    bounds = [0.2, 0.9]

    [parameters."licensing.joint_stages"]
    bounds = [2, 6]
    """
    exp = load_experiment(write(tmp_path, text))
    problem = exp.problem()
    assert problem["names"] == ["agencies.*.facilitative_leadership", "licensing.joint_stages"]
    assert problem["bounds"] == [[0.2, 0.9], [2.0, 7.0]]  # integers: [low, high + 1), floored
    x = sobol.sample(problem, 8, calc_second_order=False,
                     seed=np.random.default_rng(sampler_seed(exp.spec.sampler, 11)))
    d = exp.design()
    assert len(d) == 8 * (2 + 2) * 2
    first = d[d["replicate"] == 0]
    np.testing.assert_array_equal(first[problem["names"]].to_numpy(), x)
    assert first["sample"].tolist() == list(range(len(x)))
    p = exp.parameters[1]
    values = {p.value(v) for v in x[:, 1]}
    assert values <= {2, 3, 4, 5, 6}


def test_morris_and_lhs_sizes(tmp_path):
    text = BASE + """
    [sampler]
    method = "morris"
    trajectories = 3
    num_levels = 4

    [parameters."agencies.*.staff_competence"]
    bounds = [0.3, 0.9]

    [parameters."agencies.*.communication_openness"]
    bounds = [0.2, 0.9]
    """
    exp = load_experiment(write(tmp_path, text))
    assert len(exp.points()) == 3 * (2 + 1)
    lhs = load_experiment(write(tmp_path, text.replace('method = "morris"', 'method = "latin"')
                                .replace("trajectories = 3\n    num_levels = 4", "n = 7")))
    assert lhs.sampler == "lhs" and len(lhs.points()) == 7


def test_same_spec_same_design_and_hash(tmp_path):
    a = load_experiment(write(tmp_path, GRID, "a.toml"))
    b = load_experiment(write(tmp_path, GRID.replace('name = "t"', 'name = "renamed"'), "b.toml"))
    assert a.design_hash() == b.design_hash() and a.spec_hash() == b.spec_hash()
    c = load_experiment(write(tmp_path, GRID.replace("replications = 2", "replications = 3"),
                              "c.toml"))
    assert c.spec_hash() != a.spec_hash()


def test_multi_key_parameter_and_set(tmp_path):
    text = BASE + """
    [set]
    collaboration_start = 20
    warmup_days = 5

    [sampler]
    method = "grid"

    [parameters.levy_regulation]
    keys = ["agencies.pupr.regulation_ready", "agencies.bapenda.regulation_ready"]
    levels = [false, true]
    """
    exp = load_experiment(write(tmp_path, text))
    assert exp.scenarios[0].collaboration_start == 20
    p = exp.parameters[0]
    assert p.overrides(True) == {"agencies.pupr.regulation_ready": True,
                                 "agencies.bapenda.regulation_ready": True}


@pytest.mark.parametrize("spec", sorted(EXPERIMENT_DIR.glob("*.toml")), ids=lambda p: p.stem)
def test_shipped_specs_load(spec):
    exp = load_experiment(spec)
    assert exp.n_runs > 0
    if exp.sampler in ("sobol", "morris"):
        assert exp.problem()["names"] == [p.name for p in exp.parameters]


def test_dry_run_prints_design_size(tmp_path, capsys):
    assert main(["sweep", str(write(tmp_path, GRID)), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "8 runs = 1 scenario(s) × 4 point(s) (grid) × 2 replication(s)" in out
    assert "histories" not in out  # parameters from the beginning: nothing shared
    forked = GRID.replace("steps = 30", 'steps = 400\nparameters_from = "start"')
    assert main(["sweep", str(write(tmp_path, forked, "f.toml")), "--dry-run"]) == 0
    assert "the runs share 2 histories up to it" in capsys.readouterr().out  # one per seed


# ------------------------------------------- every problem at once (issue 10, item 3)
MANY_PROBLEMS = """
scenarios = ["pbg"]
replicates = 3
steps = 30
n_citizens = 100
metrics = ["backlog", "levy_share"]

[set]
"agencies.PUPR.resources" = 0.5

[sampler]
method = "halton"

[parameters."agencies.*.leader_comitment"]
levels = [0.3, 0.8]

[parameters."agencies.*.resources"]
levels = [0.3, 1.5]

[parameters."agencies.*.regulation_ready"]
levels = [false, "yes"]
"""


def test_every_problem_of_a_spec_is_reported_at_once(tmp_path, capsys):
    path = write(tmp_path, MANY_PROBLEMS)
    err = cli_error(capsys, path)
    expected = [
        "name: Field required",
        "replicates: unknown key",
        "sampler.method: unknown sampler 'halton'",
        "set: agencies.PUPR.resources: not in scenario pbg: agencies.PUPR does not exist",
        "agencies.*.leader_comitment: unknown key 'leader_comitment'",
        "levels [0.3, 1.5] outside the schema's range 0–1",
        "level 'yes' is not a bool",
        "metrics: unknown metric 'levy_share'",
    ]
    assert len(err) == len(expected), err
    assert all(str(path) in line for line in err)
    for fragment in expected:
        assert sum(fragment in line for line in err) == 1, (fragment, err)


def test_problems_behind_a_bad_set_and_a_bad_scenario_are_listed_too(tmp_path, capsys):
    text = GRID.replace('["pbg"]', '["pbg", "pbgg"]') + '\n[set]\n"citizens.need_rate" = 5\n'
    text = text.replace("levels = [0.3, 0.8]", "levels = [0.3, 1.8]")
    err = cli_error(capsys, write(tmp_path, text))
    assert any("scenarios.1: pbgg: no such scenario" in line for line in err), err
    assert any("outside the schema's range 0–1" in line for line in err), err


def test_root_seed_defaults_to_0_and_is_written_down(tmp_path):
    exp = load_experiment(write(tmp_path, GRID.replace("root_seed = 11\n", "")))
    assert exp.spec.root_seed == 0
    assert exp.spec_dict()["root_seed"] == 0  # the manifest's copy of the spec
    assert exp.design()["seed"].tolist() == replicate_seeds(0, 2) * 4

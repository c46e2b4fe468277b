"""Calibration specs: the shipped one loads; bad specs give one line per problem, exit 2."""

import tomllib

import pytest

from collabsim.calibration.spec import CALIBRATION_DIR, CalibrationError, load_calibration
from collabsim.cli import main


def _spec(**changes):
    raw = tomllib.loads((CALIBRATION_DIR / "jambi.toml").read_text())
    for k, v in changes.items():
        if v is None:
            raw.pop(k, None)
        else:
            raw[k] = v
    return raw


def test_shipped_spec_loads():
    cal = load_calibration("jambi")
    assert cal.fit_scenarios == ["pbg", "spp_irt"]
    assert "pbg_levy_target_share_after" in cal.fitted
    assert not any(p.held_out for p in cal.fitted_patterns)
    assert {p.name for p in cal.patterns if p.held_out} <= {p.name for p in cal.patterns}
    assert cal.runs_per_particle == 2 * 2
    over = cal.overrides({"pbg_value_of_time": 30.0, "spp_permit_value": 700.0,
                          "beta_citizen": 0.02}, "spp_irt")
    assert over == {"licensing.permit_value": 700.0, "choice.beta_citizen": 0.02}


@pytest.mark.parametrize(("change", "needle"), [
    ({"replicatons": 2}, "replicatons: unknown key; allowed: name, description, patterns"),
    ({"priors": {"licensing.value_of_tme": {"bounds": [1, 2]}}},
     "licensing.value_of_tme: unknown key 'value_of_tme' in licensing"),
    ({"priors": {"x": {"keys": ["licensing.unregulated.challenge_risk"], "bounds": [0.1, 1.5]}}},
     "bounds [0.1, 1.5] outside the schema's range 0–1"),
    ({"priors": {"x": {"keys": ["licensing.value_of_time"], "bounds": [1, 2],
                       "distribution": "normal"}}}, "priors.x.distribution"),
    ({"priors": {"x": {"keys": ["licensing.value_of_time"], "bounds": [0, 2],
                       "distribution": "loguniform"}}}, "loguniform prior needs low > 0"),
    ({"priors": {"x": {"keys": ["licensing.value_of_time"], "bounds": [1, 2],
                       "scenarios": ["jcoc"]}}}, "'jcoc' is not a scenario of the spec"),
    ({"priors": {"x": {"keys": ["agencies.dinkes.resources"], "bounds": [0.1, 0.9],
                       "scenarios": ["pbg"]}}}, "not in scenario pbg"),
    ({"fit": ["pbg_informal_share_after"]}, "is held out"),
    ({"fit": ["no_such_pattern"]}, "fit: unknown pattern 'no_such_pattern'; allowed:"),
    ({"scenarios": ["pbg", "no_such_preset"]}, "scenarios.1:"),
])
def test_bad_specs_are_one_line_naming_file_and_key(change, needle):
    with pytest.raises(CalibrationError) as err:
        load_calibration(_spec(**change))
    assert any(needle in line for line in err.value.problems), err.value.problems
    assert all("\n" not in line and line.startswith("<calibration>") for line in
               err.value.problems)


def test_unknown_metric_in_patterns_is_named(tmp_path):
    (tmp_path / "patterns.toml").write_text(
        '[patterns.a]\nscenario = "pbg"\ndescription = "d"\n'
        'measure = {metric = "permits_per_fortnight"}\nobserved = 1\ntolerance = 1\n'
        'source = "CASE_FACTS x"\nheld_out = false\n')
    with pytest.raises(CalibrationError) as err:
        load_calibration(_spec(scenarios=["pbg"], priors={"choice.beta_citizen": {
            "bounds": [0.005, 0.02]}}), base_dir=tmp_path)
    assert len(err.value.problems) == 1
    assert "patterns.a.measure.metric: unknown summary outcome 'permits_per_fortnight'" in \
        err.value.problems[0]


def test_cli_bad_spec_exits_2_with_one_line_per_problem(tmp_path, capsys):
    f = tmp_path / "bad.toml"
    f.write_text('name = "bad"\nscenarios = ["pbg"]\n[priors."licensing.permit_value"]\n'
                 'bounds = [100, 200]\nshape = 2\n')
    assert main(["calibrate", str(f), "--dry-run"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f'error: {f}: priors."licensing.permit_value".shape: unknown key; '
                   "allowed: keys, scenarios, distribution, bounds"]


def test_cli_dry_run_and_missing_spec(capsys):
    assert main(["calibrate", "jambi", "--dry-run"]) == 0
    assert "6 parameters" in capsys.readouterr().out
    assert main(["calibrate", "no_such_spec", "--dry-run"]) == 2
    assert "no such calibration spec; shipped: jambi" in capsys.readouterr().err


def test_calibrate_without_pyabc_names_the_extra(monkeypatch, capsys):
    import collabsim.cli as cli

    real = cli._installed
    monkeypatch.setattr(cli, "_installed", lambda m: m != "pyabc" and real(m))
    assert main(["calibrate", "jambi", "--budget", "1000"]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: collabsim calibrate needs the calibrate extra: pip install 'collabsim[calibrate]'")
    assert main(["calibrate", "jambi", "--dry-run"]) == 0  # checking a spec needs no pyabc

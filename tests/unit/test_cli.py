"""Bad input on the command line: one line per problem, exit status 2, no traceback."""

from __future__ import annotations

import sys

import pytest

from collabsim.cli import main
from collabsim.scenario import list_presets


def _fails(capsys, argv: list[str], *fragments: str) -> list[str]:
    """Run the CLI in process; check status 2 and 'error:' lines naming the fragments."""
    status = main(argv)
    out, err = capsys.readouterr()
    assert status == 2, (status, out, err)
    assert "Traceback" not in err and "Traceback" not in out
    lines = err.strip().splitlines()
    assert lines and all(line.startswith("error: ") for line in lines), err
    for frag in fragments:
        assert frag in err, (frag, err)
    return lines


def test_validate_accepts_every_preset(capsys):
    presets = list_presets()
    assert main(["validate", *presets]) == 0
    out = capsys.readouterr().out
    assert out.count(": ok (") == len(presets)


@pytest.fixture
def scenario_file(tmp_path):
    def write(body: str, name: str = "mine.toml") -> str:
        f = tmp_path / name
        f.write_text(body)
        return str(f)
    return write


@pytest.mark.parametrize("command", ["validate", "run"])
def test_unknown_key_in_a_file(capsys, scenario_file, command, tmp_path):
    f = scenario_file('extends = "pbg"\n[agencies.pupr]\nleader_comitment = 0.5\n')
    extra = ["--out", str(tmp_path / "out")] if command == "run" else []
    (_line,) = _fails(capsys, [command, f, *extra], f, "agencies.pupr.leader_comitment",
                     "unknown key", "allowed: name, leader_commitment")
    assert not (tmp_path / "out").exists()


def test_out_of_range_value_in_a_file(capsys, scenario_file):
    f = scenario_file('extends = "pbg"\n[citizens]\nneed_rate = 0.5\n')
    _fails(capsys, ["validate", f], f, "citizens.need_rate", "less than or equal to 0.1",
           "0.5")


def test_wrong_type_in_a_file(capsys, scenario_file):
    f = scenario_file('extends = "pbg"\n[agencies.pupr]\nregulation_ready = "soon"\n')
    _fails(capsys, ["validate", f], f, "agencies.pupr.regulation_ready", "valid boolean")


def test_missing_file(capsys, tmp_path):
    missing = str(tmp_path / "nowhere.toml")
    _fails(capsys, ["validate", missing], missing, "no such scenario file or preset",
           "presets: ", "pbg")


def test_extends_cycle(capsys, scenario_file):
    a = scenario_file('extends = "b.toml"\nname = "a"\n', "a.toml")
    scenario_file('extends = "a.toml"\nname = "b"\n', "b.toml")
    _fails(capsys, ["validate", a], a, "extends: cycle a.toml -> b.toml -> a.toml")


def test_every_problem_of_several_files_is_listed(capsys, scenario_file, tmp_path):
    bad = scenario_file('extends = "pbg"\n[choice]\nbeta_citizen = -1\n')
    lines = _fails(capsys, ["validate", "pbg", bad, str(tmp_path / "gone.toml")],
                   "choice.beta_citizen", "gone.toml")
    assert len(lines) == 2


@pytest.mark.parametrize(("assignment", "fragments"), [
    ("agencies.pupr.leader_commitment", ["--set agencies.pupr.leader_commitment",
                                         "expected KEY.PATH=VALUE"]),
    ("licensing.stages.7.fee=10", ["licensing.stages.7.fee", "not an index of a list of 6"]),
    ("licensing.stages.first.fee=10", ["licensing.stages.first.fee", "not an index"]),
    ("agencies.pupr.bogus=1", ["agencies.pupr.bogus", "unknown key", "allowed:"]),
    ("agencies.*.resources=2", ["agencies.pupr.resources", "agencies.*.resources",
                                "less than or equal to 1"]),
    ("choice.beta_citizen=high", ["choice.beta_citizen", "valid number", "high"]),
    ("nothing.*.x=1", ["nothing", "unknown key"]),
])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_bad_set(capsys, command, assignment, fragments, tmp_path):
    extra = ["--out", str(tmp_path / "out")] if command == "run" else []
    _fails(capsys, [command, "pbg", "--set", assignment, *extra], *fragments)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("option", "value"), [("--steps", "0"), ("--citizens", "5")])
def test_bad_counts(capsys, option, value, tmp_path):
    _fails(capsys, ["run", "pbg", option, value, "--out", str(tmp_path / "o")], option,
           "must be at least")


def test_compare_rejects_bad_input_before_running(capsys, tmp_path):
    out = tmp_path / "cmp"
    _fails(capsys, ["compare", "pbg", "pbg", "--replications", "1", "--out", str(out)],
           "names must differ")
    _fails(capsys, ["compare", "pbg", "--replications", "0", "--out", str(out)],
           "--replications")
    _fails(capsys, ["compare", "pbg", "--set", "agencies.x.y", "--out", str(out)],
           "expected KEY.PATH=VALUE")
    assert not out.exists()


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["run"])  # missing scenario: argparse's own message
    assert exc.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


# --- commands that need an optional stack name the extra to install ------------------------

@pytest.fixture
def no_server(monkeypatch):
    """Fail the test instead of starting a server (os.execve / Popen) if a check is missed."""
    import os
    import subprocess

    def refuse(*args, **kwargs):
        raise AssertionError(f"a server was started: {args[:2]}")

    monkeypatch.setattr(os, "execve", refuse)
    monkeypatch.setattr(subprocess, "Popen", refuse)


@pytest.mark.parametrize(("argv", "missing", "what", "extra"), [
    (["viz", "--no-browser"], "solara", "collabsim viz", "viz"),
    (["analyze", "{tmp}"], "ema_workbench", "collabsim analyze", "ema"),
    (["report", "{tmp}", "-o", "{tmp}/r.html"], "ema_workbench", "collabsim report", "ema"),
    (["sweep", "pbg_preparedness_grid", "--dask-local", "1", "--out", "{tmp}/s"],
     "distributed", "collabsim sweep --dask-local", "dask"),
    (["sweep", "pbg_preparedness_grid", "--scheduler", "tcp://127.0.0.1:1", "--out", "{tmp}/s"],
     "distributed", "collabsim sweep --scheduler", "dask"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_a_missing_extra_is_one_line_naming_it(capsys, monkeypatch, no_server, tmp_path, argv,
                                               missing, what, extra):
    monkeypatch.setitem(sys.modules, missing, None)  # `import missing` now fails
    lines = _fails(capsys, [a.format(tmp=tmp_path) for a in argv])
    assert lines == [f"error: {what} needs the {extra} extra: pip install 'collabsim[{extra}]'"]
    assert not (tmp_path / "s").exists()


def test_an_unforeseen_missing_extra_is_named_too(capsys, monkeypatch):
    import collabsim.cli as cli

    def needs_dask(args):
        import distributed  # noqa: F401

    monkeypatch.setitem(sys.modules, "distributed", None)
    monkeypatch.setattr(cli, "cmd_validate", needs_dask)
    lines = _fails(capsys, ["validate", "pbg"])
    assert lines == ["error: collabsim validate needs the dask extra: "
                     "pip install 'collabsim[dask]'"]

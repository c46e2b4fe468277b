"""The closed scenario schema and the one validated path in (files, extends, overrides)."""

from __future__ import annotations

import tomllib

import annotated_types as at
import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from collabsim import CollabModel
from collabsim.metrics import UNDEFINED_WHEN_EMPTY
from collabsim.scenario import (
    Scenario,
    ScenarioError,
    apply_overrides,
    dump_scenario,
    list_presets,
    load_scenario,
    parse_assignment,
)
from collabsim.scenario.io import keyed_tables, new_entry_keys
from collabsim.scenario.schema import (
    AgencyParams,
    ChoiceParams,
    CitizenParams,
    CollaborationParams,
    District,
    LicensingParams,
)

PRESETS = list_presets()


def _bounded_fields() -> list[tuple[str, type, float, float]]:
    """(key path in pbg, type, ge, le) of every bounded number without cross-field rules."""
    prefixes = {AgencyParams: "agencies.pupr", ChoiceParams: "choice",
                CollaborationParams: "collaboration", LicensingParams: "licensing",
                CitizenParams: "citizens"}
    out = []
    for model, prefix in prefixes.items():
        for name, f in model.model_fields.items():
            ge = [m.ge for m in f.metadata if isinstance(m, at.Ge)]
            le = [m.le for m in f.metadata if isinstance(m, at.Le)]
            tp = f.annotation if f.annotation in (int, float) else None
            if f.annotation == int | None:
                tp = int
            if ge and le and tp is not None and name not in ("n", "capacity_reference"):
                out.append((f"{prefix}.{name}", tp, ge[0], le[0]))
    return out


BOUNDED = _bounded_fields()


def _get(sc: Scenario, path: str):
    node = sc
    for part in path.split("."):
        node = node[int(part) if part.isdigit() else part] if isinstance(node, dict | list) \
            else getattr(node, part)
    return node


def test_bounded_fields_were_found():
    # Guards the property tests below against silently testing nothing.
    paths = {p for p, *_ in BOUNDED}
    assert {"agencies.pupr.leader_commitment", "choice.beta_citizen",
            "citizens.need_rate", "licensing.joint_stages"} <= paths
    assert len(BOUNDED) > 40


# ------------------------------------------------------------------ presets
@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_loads_and_round_trips_through_toml(name, tmp_path):
    sc = load_scenario(name)
    assert isinstance(sc, Scenario) and sc.name == name
    text = dump_scenario(sc)
    assert "extends" not in tomllib.loads(text)  # fully resolved
    assert load_scenario(tomllib.loads(text)) == sc
    f = tmp_path / f"{name}.toml"
    f.write_text(text)
    assert load_scenario(f) == sc
    assert load_scenario(sc) == sc


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_runs_a_few_steps(name):
    model = CollabModel(name, seed=1, n_citizens=500)
    df = model.run(5)
    assert len(df) == 5 and model.day == 5
    assert set(df.columns[df.isna().any()]) <= UNDEFINED_WHEN_EMPTY


def test_presets_include_the_licensing_cases(licensing_presets):
    for name in licensing_presets:
        assert load_scenario(name).licensing is not None


def test_extends_inherits_and_overrides(tmp_path):
    base, rep = load_scenario("pbg"), load_scenario("pbg_repaired")
    assert rep.agencies["pupr"].leader_commitment == 0.8
    assert rep.agencies["pupr"].regulation_ready is True
    assert rep.agencies["dpmptsp"].regulation_ready is True  # inherited from pbg
    assert rep.licensing == base.licensing
    assert rep.agencies["pupr"].staff_competence == base.agencies["pupr"].staff_competence
    # A user file can extend a preset by name, from anywhere.
    f = tmp_path / "mine.toml"
    f.write_text('extends = "pbg"\nname = "mine"\n[licensing]\npermit_value = 1300\n')
    mine = load_scenario(f)
    assert mine.licensing.permit_value == 1300
    assert mine.licensing.stages == base.licensing.stages


# ---------------------------------------------------------------- overrides
def test_an_override_changes_the_value_and_the_run():
    base = load_scenario("pbg")
    sc = load_scenario("pbg", overrides={"agencies.pupr.leader_commitment": 0.9})
    assert base.agencies["pupr"].leader_commitment == 0.3
    assert sc.agencies["pupr"].leader_commitment == 0.9
    assert sc.agencies["bapenda"] == base.agencies["bapenda"]
    a = CollabModel(base, seed=4, n_citizens=1000).run(60)
    b = CollabModel(sc, seed=4, n_citizens=1000).run(60)
    # A committed leader's recognition raises officers' effort (DESIGN §2).
    assert b["mean_officer_effort"].mean() > a["mean_officer_effort"].mean()


def test_overrides_via_model_keywords_are_the_same_path():
    m = CollabModel("pbg", seed=1, n_citizens=200, leader_commitment=0.7,
                    overrides={"agencies.pupr.resources": 0.1})
    assert all(a.leader_commitment == 0.7 for a in m.config.agencies.values())
    assert m.config.agencies["pupr"].resources == 0.1
    with pytest.raises(ScenarioError, match="unknown parameter"):
        CollabModel("pbg", seed=1, n_citizens=200, leader_commitmnt=0.7)
    with pytest.raises(ScenarioError, match=r"agencies\.\w+\.resources"):
        CollabModel("pbg", seed=1, n_citizens=200, resources=1.2)


def test_wildcard_override_sets_every_agency():
    sc = load_scenario("pbg", {"agencies.*.resources": 0.25, "licensing.stages.0.fee": 10})
    assert [a.resources for a in sc.agencies.values()] == [0.25] * len(sc.agencies)
    assert sc.licensing.stages[0].fee == 10
    assert sc.licensing.stages[1].fee == 0


def test_wildcard_over_a_list_sets_every_item():
    sc = load_scenario("pbg", {"licensing.stages.*.rework_prob": 0.0})
    assert [s.rework_prob for s in sc.licensing.stages] == [0.0] * 6


def test_overrides_do_not_touch_the_input_tree():
    tree = {"agencies": {"a": {"resources": 0.5}}}
    out = apply_overrides(tree, {"agencies.*.resources": 0.1})
    assert tree["agencies"]["a"]["resources"] == 0.5
    assert out["agencies"]["a"]["resources"] == 0.1


@pytest.mark.parametrize(("text", "expected"), [
    ("a.b=0.9", ("a.b", 0.9)), ("a.b = 3", ("a.b", 3)), ("a=true", ("a", True)),
    ("a=waive", ("a", "waive")), ('a="x y"', ("a", "x y")), ("a=[1, 2]", ("a", [1, 2])),
])
def test_parse_assignment(text, expected):
    assert parse_assignment(text) == expected


@pytest.mark.parametrize("text", ["abc", "=1", " = 2"])
def test_parse_assignment_rejects_missing_key_or_equals(text):
    with pytest.raises(ScenarioError, match=r"expected KEY\.PATH=VALUE"):
        parse_assignment(text)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(("overrides", "fragments"), [
    ({"agencies.pupr.leader_comitment": 0.5},
     ["agencies.pupr.leader_comitment", "unknown key", "allowed:", "leader_commitment"]),
    ({"agencies.pupr.leader_commitment": 1.5},
     ["agencies.pupr.leader_commitment", "less than or equal to 1", "1.5"]),
    ({"agencies.pupr.leader_commitment": "high"},
     ["agencies.pupr.leader_commitment", "valid number", "high"]),
    ({"citizens.social_network.kind": "maybe"},
     ["citizens.social_network.kind", "'random' or 'none'"]),
    ({"licensing.stages.9.fee": 1}, ["licensing.stages.9.fee", "not an index of a list of 6"]),
    ({"steps.x": 1}, ["steps.x", "is a value, not a table"]),
    ({"nothing.*.x": 1}, ["nothing", "unknown key", "allowed: name, description"]),
    ({"citizens.social_network.degree": 5}, ["citizens.social_network", "even"]),
    ({"licensing.stages.0.agency": "police"},
     ["licensing.stages.0.agency", "unknown agency", "allowed: bapenda, dpmptsp, pupr"]),
    ({"licensing.stages.0.min_service_days": 9}, ["licensing.stages.0", "min_service_days"]),
    ({"warmup_days": 400}, ["warmup_days must not exceed collaboration_start"]),
])
def test_bad_values_name_the_key_path_and_what_is_allowed(overrides, fragments):
    with pytest.raises(ScenarioError) as err:
        load_scenario("pbg", overrides)
    text = "\n".join(err.value.problems)
    for frag in fragments:
        assert frag in text, (frag, text)


def test_file_errors_name_the_file(tmp_path):
    f = tmp_path / "typo.toml"
    f.write_text('extends = "pbg"\n[agencies.pupr]\nleader_comitment = 0.5\n')
    with pytest.raises(ScenarioError) as err:
        load_scenario(f)
    (line,) = err.value.problems
    assert line.startswith(str(f)) and "agencies.pupr.leader_comitment: unknown key" in line


def test_missing_file_lists_the_presets(tmp_path):
    with pytest.raises(ScenarioError) as err:
        load_scenario(tmp_path / "nope.toml")
    (line,) = err.value.problems
    assert "nope.toml" in line and "no such scenario file or preset" in line
    assert all(p in line for p in PRESETS)


def test_extends_cycle_is_an_error_not_a_recursion(tmp_path):
    (tmp_path / "a.toml").write_text('extends = "b.toml"\nname = "a"\n')
    (tmp_path / "b.toml").write_text('extends = "a.toml"\nname = "b"\n')
    with pytest.raises(ScenarioError) as err:
        load_scenario(tmp_path / "a.toml")
    assert "extends: cycle a.toml -> b.toml -> a.toml" in err.value.problems[0]


def test_invalid_toml_is_reported(tmp_path):
    f = tmp_path / "broken.toml"
    f.write_text("name = \n")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_scenario(f)


def test_all_problems_are_reported_at_once():
    with pytest.raises(ScenarioError) as err:
        load_scenario("pbg", {"agencies.*.resources": -1, "choice.beta_citizen": 2})
    assert len(err.value.problems) == 3 + 1


# ------------------------------------------------- no silent typos (issue 10, item 2)
def test_keyed_tables_are_found_by_walking_the_schema():
    tables = keyed_tables()
    assert tables["agencies"] is AgencyParams and tables["mobility.districts"] is District
    assert "name" in new_entry_keys(AgencyParams)
    assert new_entry_keys(District)[0] == "population"  # required by the schema itself


@pytest.mark.parametrize(("preset", "override", "fragments"), [
    ("pbg", "agencies.PUPR.regulation_ready",
     ["pbg.toml: override agencies.PUPR.regulation_ready", "unknown agency 'PUPR'",
      "known: bapenda, dpmptsp, pupr"]),
    ("pbg", "agencies.dinas.leader_commitment", ["unknown agency 'dinas'"]),
    ("jcoc", "mobility.districts.Kota_Baru.cctv",
     ["override mobility.districts.Kota_Baru.cctv", "unknown district 'Kota_Baru'",
      "kota_baru"]),
])
def test_an_override_never_adds_an_agency_or_district(preset, override, fragments):
    with pytest.raises(ScenarioError) as err:
        load_scenario(preset, {override: True if "regulation" in override else 0.5})
    (line,) = err.value.problems
    for frag in fragments:
        assert frag in line, (frag, line)


def test_a_misspelt_key_path_is_named_as_typed():
    with pytest.raises(ScenarioError) as err:
        load_scenario("pbg", {"no.such.key": 1})
    (line,) = err.value.problems
    assert "pbg.toml: override no.such.key: unknown key 'no'" in line
    assert "allowed: name, description" in line


_NEW_AGENCY = ('[agencies.dinas]\nname = "Dinas"\nleader_commitment = 0.5\n'
               "facilitative_leadership = 0.5\ncommunication_openness = 0.5\n"
               "role_clarity = 0.5\nstaff_competence = 0.5\nn_officers = 2\n")


def test_a_file_table_naming_an_unknown_agency_is_an_error(tmp_path):
    f = tmp_path / "typo.toml"
    f.write_text('extends = "pbg"\n[agencies.PUPR]\nregulation_ready = true\n')
    with pytest.raises(ScenarioError) as err:
        load_scenario(f)
    (line,) = err.value.problems
    assert line.startswith(f"{f}: agencies.PUPR: not an agency of pbg")
    assert "known: bapenda, dpmptsp, pupr" in line and "a new agency must set name" in line


def test_a_file_adds_an_agency_only_as_a_complete_table(tmp_path):
    f = tmp_path / "four.toml"
    f.write_text('extends = "pbg"\n' + _NEW_AGENCY)
    sc = load_scenario(f)
    assert list(sc.agencies) == ["dpmptsp", "pupr", "bapenda", "dinas"]
    assert sc.agencies["dinas"].n_officers == 2
    # Drop any one key the schema requires of a new agency: an error naming it.
    for key in AgencyParams.new_entry_requires:
        body = "".join(line + "\n" for line in _NEW_AGENCY.splitlines()
                       if not line.startswith(f"{key} ="))
        f.write_text('extends = "pbg"\n' + body)
        with pytest.raises(ScenarioError, match=rf"agencies\.dinas: .*missing: {key}\)"):
            load_scenario(f)


def test_a_new_district_in_a_file_must_give_its_population(tmp_path):
    f = tmp_path / "d.toml"
    f.write_text('extends = "jcoc"\n[mobility.districts.Kota_Baru]\ncctv = 0.5\n')
    with pytest.raises(ScenarioError) as err:
        load_scenario(f)
    (line,) = err.value.problems
    assert "mobility.districts.Kota_Baru: not a district of jcoc" in line
    assert "kota_baru" in line and "missing: population" in line


def test_a_raw_tree_defines_agencies_like_a_root_file():
    tree = load_scenario("pbg").model_dump(exclude_none=True)
    tree["agencies"]["extra"] = {"resources": 0.5}
    with pytest.raises(ScenarioError, match=r"<dict>: agencies\.extra: a new agency must set"):
        load_scenario(tree)


@pytest.mark.parametrize("value", ["yes", "true", 1, 0, "soon"])
def test_booleans_are_strict_in_overrides(value):
    with pytest.raises(ScenarioError) as err:
        load_scenario("pbg", {"agencies.pupr.regulation_ready": value})
    (line,) = err.value.problems
    assert "agencies.pupr.regulation_ready" in line and "true or false" in line


@pytest.mark.parametrize("key", ["agencies.pupr.regulation_ready",
                                 "licensing.stages.0.needs_regulation",
                                 "licensing.legacy_regulation_in_force"])
def test_booleans_are_strict_in_files(tmp_path, key):
    table, _, leaf = key.rpartition(".")
    head = table.replace(".0", "")
    f = tmp_path / "b.toml"
    if ".0" in table:  # a list item: give the whole list, first stage changed
        stages = load_scenario("pbg").model_dump()["licensing"]["stages"]
        stages[0][leaf] = "yes"
        f.write_text('extends = "pbg"\n' + tomli_w.dumps({"licensing": {"stages": stages}}))
    else:
        f.write_text(f'extends = "pbg"\n[{head}]\n{leaf} = "yes"\n')
    with pytest.raises(ScenarioError) as err:
        load_scenario(f)
    (line,) = err.value.problems
    assert key in line and "valid boolean" in line


def test_a_tables_own_rule_names_the_override_below_it():
    with pytest.raises(ScenarioError) as err:
        load_scenario("pbg", {"citizens.social_network.degree": 5})
    (line,) = err.value.problems
    assert "citizens.social_network (set by override citizens.social_network.degree)" in line


def test_set_true_and_false_still_parse_to_booleans():
    for text, expected in (("true", True), ("false", False)):
        key, value = parse_assignment(f"agencies.pupr.regulation_ready={text}")
        sc = load_scenario("pbg", {key: value})
        assert sc.agencies["pupr"].regulation_ready is expected


def test_schema_validates_assignment():
    sc = load_scenario("pbg")
    with pytest.raises(ValidationError):
        sc.agencies["pupr"].leader_commitment = 2.0


# ------------------------------------------------------- property-based tests
@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), field=st.sampled_from(BOUNDED))
def test_any_value_within_bounds_is_accepted(data, field):
    path, tp, lo, hi = field
    if tp is int:
        value = data.draw(st.integers(int(lo), int(hi)))
    else:
        value = data.draw(st.floats(lo, hi, allow_nan=False))
    sc = load_scenario("pbg", {path: value})
    assert _get(sc, path) == value


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), field=st.sampled_from(BOUNDED))
def test_any_value_out_of_bounds_is_rejected_with_its_path(data, field):
    path, tp, lo, hi = field
    above = data.draw(st.booleans())
    step = data.draw(st.integers(1, 10**6) if tp is int
                     else st.floats(1e-6, 1e6, allow_nan=False))
    if tp is float:
        step *= max(1.0, abs(hi if above else lo))  # stay representable next to 1e9
    value = hi + step if above else lo - step
    with pytest.raises(ScenarioError) as err:
        load_scenario("pbg", {path: value})
    (line,) = err.value.problems
    assert path in line
    assert ("less than or equal" if above else "greater than or equal") in line

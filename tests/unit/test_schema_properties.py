"""Valid input never crashes: every value the schema accepts runs (issue 10, item 9).

The fields are found by walking the schema (every bounded number, boolean and
choice, with the ``ge``/``le`` bounds pydantic holds), not retyped, so a field
added to the schema is exercised without touching this file. Each value either
validates and then simulates — short runs of few citizens, with the
collaboration start inside the run — with the books balanced, or the schema
refuses it with one line per problem.
"""

from __future__ import annotations

import math
import typing
from dataclasses import dataclass
from typing import Any, Literal

import annotated_types as at
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from collabsim import CollabModel
from collabsim.metrics import UNDEFINED_WHEN_EMPTY, summarise
from collabsim.scenario import Scenario, ScenarioError, list_presets, load_scenario
from collabsim.scenario.schema import unwrap_optional, walk_schema

STEPS = 40          # days per run: short, with the collaboration start inside
MAX_CITIZENS = 300  # small populations keep every run well under a second

#: Drawn together by ``_run_settings`` (not field by field), for the reasons given.
DRAWN_APART = {
    "citizens.n": "the population is kept small (≤ MAX_CITIZENS) so the runs stay fast",
    "steps": "every run is STEPS days",
    "burn_in_days": "simulated before day 0: kept as short as the run (≤ STEPS days)",
    "collaboration_start": "drawn inside the run, with warmup_days below it",
    "warmup_days": "must not exceed collaboration_start (a cross-field rule)",
}

#: Metrics that may be NaN by design (no completed file in a window: nothing to average).
MAY_BE_NAN = UNDEFINED_WHEN_EMPTY


@dataclass(frozen=True)
class Leaf:
    """A field the property tests vary: its key path and the values it allows."""

    path: str
    kind: str                     # "int", "float", "bool" or "choice"
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] = ()
    optional: bool = False

    def edges(self) -> list[Any]:
        """The values at the edges: both bounds, zero inside them, the choices."""
        if self.kind == "bool":
            return [False, True]
        if self.kind == "choice":
            return list(self.choices)
        cast = int if self.kind == "int" else float
        values = [cast(self.low), cast(self.high)]
        if self.low < 0 < self.high:
            values.append(cast(0))
        if self.kind == "int" and self.high - self.low >= 2:
            values.append(int(self.low) + 1)
        return values

    def values(self) -> st.SearchStrategy[Any]:
        """Edges often, anything within the bounds otherwise."""
        edges = st.sampled_from(self.edges())
        if self.kind == "int":
            inner = st.integers(int(self.low), int(self.high))
        elif self.kind == "float":
            inner = st.floats(self.low, self.high, allow_nan=False, allow_infinity=False)
        else:
            inner = edges
        out = st.one_of(edges, inner)
        return st.one_of(st.none(), out) if self.optional else out


def _model_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Key paths of every leaf field below ``model`` (``*`` for table keys and list items)."""
    paths = []
    for name, info in model.model_fields.items():
        tp = unwrap_optional(info.annotation)
        origin = typing.get_origin(tp)
        inner = typing.get_args(tp)[-1] if origin in (dict, list) else tp
        step = f"{prefix}{name}" + (".*" if origin in (dict, list) else "")
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            paths += _model_paths(inner, f"{step}.")
        else:
            paths.append(f"{prefix}{name}")
    return paths


def _leaf(path: str) -> Leaf | None:
    """The Leaf at a key path, from the schema walker and the field's pydantic metadata."""
    tp, info = walk_schema(path)
    optional = info is not None and unwrap_optional(info.annotation) is not info.annotation
    if tp is bool:
        return Leaf(path, "bool")
    if typing.get_origin(tp) is Literal:
        return Leaf(path, "choice", choices=typing.get_args(tp))
    if tp not in (int, float) or info is None:
        return None
    lows = [m.ge for m in info.metadata if isinstance(m, at.Ge)]
    highs = [m.le for m in info.metadata if isinstance(m, at.Le)]
    if not lows or not highs:
        return None
    return Leaf(path, tp.__name__, lows[0], highs[0], optional=optional)


def schema_leaves() -> list[Leaf]:
    """Every bounded number, boolean and choice of the schema, but those drawn apart."""
    leaves = (_leaf(p) for p in _model_paths(Scenario) if p not in DRAWN_APART)
    return [lf for lf in leaves if lf is not None]


LEAVES = schema_leaves()
PRESETS = list_presets()
_SCENARIOS = {name: load_scenario(name) for name in PRESETS}


def _applies(leaf: Leaf, preset: str) -> bool:
    """Whether the preset has the service a leaf belongs to."""
    sc = _SCENARIOS[preset]
    service = leaf.path.split(".")[0]
    return not ((service == "licensing" and sc.licensing is None)
                or (service == "mobility" and sc.mobility is None))


def test_the_walk_finds_every_kind_of_field():
    # Guards the properties below against silently varying nothing.
    paths = {lf.path for lf in LEAVES}
    for expected in ("agencies.*.n_officers", "agencies.*.patrol_officers",
                     "agencies.*.regulation_ready", "licensing.stages.*.fee",
                     "licensing.stages.*.service_days", "choice.beta_officer",
                     "officers.productivity", "citizens.capacity_reference",
                     "licensing.joint_stages", "mobility.districts.*.population",
                     "mobility.checkpoints.*.officers_needed", "mobility.campaigns.*.reach",
                     "citizens.social_network.degree", "licensing.levy_annual_target"):
        assert expected in paths, expected
    assert len(LEAVES) > 80
    joint = next(lf for lf in LEAVES if lf.path == "licensing.joint_stages")
    assert joint.optional and (joint.low, joint.high) == (1, 20)


# ----------------------------------------------------------------- running and checking
def _refused(err: ScenarioError, preset: str) -> None:
    """A refusal is one line per problem, naming the file and a key path."""
    assert err.problems
    for line in err.problems:
        assert "\n" not in line and line.startswith(str(_origin(preset))), line


def _origin(preset: str) -> str:
    from collabsim.scenario.io import PRESET_DIR

    return str((PRESET_DIR / f"{preset}.toml").resolve())


def _check_run(model: CollabModel, df: Any) -> None:
    """The run finished and its books balance."""
    assert len(df) == STEPS and model.day == STEPS
    values = df.to_numpy(dtype=float)
    nan_cols = [c for c in df.columns[df.isna().any()] if c not in MAY_BE_NAN]
    assert not nan_cols, f"NaN in {nan_cols}"
    assert not np.isinf(values).any(), df.columns[np.isinf(values).any(axis=0)].tolist()
    negative = [c for c in df.columns if (df[c] < 0).any()]
    assert not negative, f"negative values in {negative}"
    for col in ("within_service_level", "informal_share", "informed_share", "mean_trust",
                "mean_commitment", "mean_officer_effort", "compliance_rate", "awareness_rate",
                "enforcement_coverage"):
        if col in df:
            assert df[col].dropna().between(0, 1).all(), col
    if model.licensing is not None:
        t = model.licensing.totals
        assert all(v >= 0 for v in t.values()), t
        # Every file submitted is issued, rejected, abandoned or still in process.
        assert t["submitted"] == (t["issued"] + t["rejected"] + t["abandoned"]
                                  + model.licensing.backlog())
        if model.config.burn_in_days == 0:  # the totals count the burn-in's files too
            assert df["applications_submitted"].sum() == t["submitted"]
    if model.mobility is not None:
        n = model.population.n
        assert (df["trips"] <= n).all()
        assert (df["violations_detected"] <= df["violations"]).all()
        assert (df["violations"] <= df["trips"]).all()
    summary = summarise(df, model.config.collaboration_start, model.config.warmup_days)
    assert not any(isinstance(v, float) and math.isinf(v) for v in summary.values())


def _simulate(preset: str, overrides: dict[str, Any], seed: int) -> str:
    """Load with the overrides; simulate what validates and check the run; say which."""
    try:
        sc = load_scenario(preset, overrides)
    except ScenarioError as err:
        _refused(err, preset)
        return "refused by the schema"
    model = CollabModel(sc, seed=seed)
    _check_run(model, model.run(STEPS))
    return "simulated"


@st.composite
def _run_settings(draw: st.DrawFn) -> dict[str, Any]:
    start = draw(st.sampled_from([0, 1, STEPS // 2, STEPS - 1]) | st.integers(0, STEPS - 1))
    return {"citizens.n": draw(st.sampled_from([10, MAX_CITIZENS]) |
                               st.integers(10, MAX_CITIZENS)),
            "collaboration_start": start,
            "burn_in_days": draw(st.sampled_from([0, 1, STEPS]) | st.integers(0, STEPS)),
            "warmup_days": draw(st.sampled_from([0, start]) | st.integers(0, start))}


# ------------------------------------------------------------------------- properties
_SETTINGS = {"citizens.n": 120, "collaboration_start": STEPS // 2, "warmup_days": 5,
             "burn_in_days": 10}


def _edge_cases() -> list[tuple[str, str, Any]]:
    """Every leaf at each of its edges, on the first preset it applies to of pbg and jcoc."""
    cases = []
    for leaf in LEAVES:
        preset = next((p for p in ("pbg", "jcoc") if _applies(leaf, p)), None)
        if preset is not None:
            cases += [(preset, leaf.path, v) for v in leaf.edges()]
    return cases


@pytest.mark.parametrize(("preset", "path", "value"), _edge_cases(),
                         ids=lambda v: str(v) if not isinstance(v, float) else f"{v:g}")
def test_every_field_at_its_edges_runs_or_is_refused(preset, path, value):
    _simulate(preset, {**_SETTINGS, path: value}, seed=1)


@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data(), preset=st.sampled_from(PRESETS), seed=st.integers(0, 2**32 - 1))
def test_any_valid_combination_runs(data, preset, seed):
    leaves = [lf for lf in LEAVES if _applies(lf, preset)]
    chosen = data.draw(st.lists(st.sampled_from(leaves), min_size=1, max_size=25,
                                unique_by=lambda lf: lf.path), label="fields")
    overrides = {lf.path: data.draw(lf.values(), label=lf.path) for lf in chosen}
    overrides.update(data.draw(_run_settings(), label="run"))
    assume(overrides)
    event(_simulate(preset, overrides, seed))

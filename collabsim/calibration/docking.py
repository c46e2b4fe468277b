"""Docking the licensing pipeline against an independent queueing simulator (``ciw``).

Axtell et al. (1996) "align" two simulations of the same conceptual model: if
they agree on the outputs that matter, neither carries an implementation error
the other lacks. With citizens' choices fixed (everyone with a need applies the
day it arises, nobody goes informal or abandons a file) and the collaboration
cycle frozen (no innovation, no new-system learning errors, trust, shared
understanding and commitment held at their initial values), collabsim's
licensing pipeline is a queueing network. This module

1. builds that **docked configuration** of collabsim through the one validated
   override path (:func:`docked_overrides`, :func:`docked_scenario`; no code of
   the model is changed or subclassed),
2. derives the **queueing network** from the scenario alone, by the equations of
   docs/ODD.md §7.4, §7.7 and §7.8 (:func:`pipeline_network`): arrivals from the
   population's need rate and size, stages, officers as servers, rework as
   feedback, rejection as exit (and a new application the next day), hand-offs
   as delays,
3. simulates it in ``ciw`` (:func:`run_ciw`) and collabsim (:func:`run_collabsim`),
   both warmed up before measuring, and compares throughput (permits issued per
   month) and mean processing days (submission to issue) over replications with
   confidence intervals (:func:`dock`, :func:`compare`).

Two readings of time are offered for the ciw twin (``time_model``):

* ``"daily"`` (the docking twin): collabsim's day is kept. A file's residence at
  a stage, a hand-off and a rework end at the first whole day on or after the
  time they are due; desks work once a day (at day + ½) through a ciw
  ``Slotted`` schedule whose places are the day's capacity
  ``Σ_j productivity · competence_j · effort_j · FTE_j · staff share`` plus the
  carried fraction; counselling sessions are slots on their session days. The
  two simulators then describe the same stochastic process and must agree.
* ``"continuous"`` (the textbook reading): each desk officer is a ciw server with
  service time Exponential (or Deterministic) at the officer's mean rate
  ``productivity · competence · E[effort] · FTE · staff share`` files/day, files
  arrive as a Poisson stream, sessions are slots at the continuous times the
  session credit crosses a whole number. It differs from the day step by the
  time a file spends in service at a desk (collabsim completes a ready file on
  the day it is ready when capacity allows) and by the instant a session is held:
  :func:`expected_continuous_offset` derives that offset, the comparison measures it.

Run ``python -m collabsim.calibration.docking spp_irt pbg`` for the comparison
table (docs/calibration.md, "Docking against an independent queueing simulator").
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy import stats

try:
    import ciw
except ImportError as exc:  # pragma: no cover - the optional extra is missing
    raise ImportError("the docking twin needs ciw: pip install 'collabsim[calibrate]'") from exc

from collabsim.metrics import DAYS_PER_MONTH
from collabsim.scenario import Scenario, load_scenario

__all__ = [
    "SILOED_NEVER",
    "Comparison",
    "DeskSpec",
    "DockingResult",
    "EffortSpec",
    "Measured",
    "PipelineNetwork",
    "StageSpec",
    "check_docked",
    "compare",
    "dock",
    "docked_overrides",
    "docked_scenario",
    "expected_continuous_offset",
    "format_table",
    "main",
    "mmc_mean_sojourn",
    "need_rate_for_load",
    "pipeline_network",
    "run_ciw",
    "run_collabsim",
]

Arrangement = Literal["siloed", "joint"]
TimeModel = Literal["daily", "continuous"]

#: ``collaboration_start`` of a docked siloed run: a day no run reaches (the schema's maximum).
SILOED_NEVER = 36_500
#: Days of collabsim's processing-days window (``mean_processing_days`` is a 30-day mean).
WINDOW = 30
#: ciw time of collabsim's day 0 (day ``d`` is ciw's ``[d + T0, d + T0 + 1)``): ciw treats a
#: waiting file's unset service end (``False``) as due at time 0, so nothing may wait at 0.
T0 = 1.0


# ----------------------------------------------------------------- the docked configuration
def docked_overrides(arrangement: Arrangement = "siloed",
                     identical_officers: bool = True) -> dict[str, Any]:
    """The ``--set`` overrides that turn a licensing scenario into its queueing network.

    Citizens' choices are fixed: every need is met by an application on the day it
    arises (``decision_rate`` 1, an apply utility of 10⁶ kRp against a logit β of
    1/kRp, so ``P(apply) = 1`` exactly in floating point), nobody abandons
    (``reconsider_rate`` 0) and patience never runs out (3,650 days). The
    collaboration cycle is frozen: no innovation, no new-system learning errors,
    no trust, shared-understanding or commitment updates, every regulation in
    force (no office decides to hold a file). Word of mouth, outreach and the
    social network are switched off: with fixed choices they change beliefs
    nobody acts on, and cost time. Officers still choose their effort every day
    (the twin draws the same logit).

    Args:
        arrangement: ``"siloed"`` (letters, the siloed staff share, for the whole
            run) or ``"joint"`` (the joint arrangement from day 0, over ties of
            frozen quality).
        identical_officers: Give every officer its agency's mean competence and
            intrinsic commitment (``competence_sd = commitment_sd = 0``). The twin
            draws the spread as collabsim does when it is kept, but a spread drawn
            once per run makes the desks' capacity, and the queues, differ much
            between replications, widening both simulators' intervals.

    Returns:
        Dotted key paths to values, for :func:`collabsim.scenario.load_scenario`.
    """
    if arrangement not in ("siloed", "joint"):
        raise ValueError(f"arrangement must be 'siloed' or 'joint', not {arrangement!r}")
    spread = {"officers.competence_sd": 0.0, "officers.commitment_sd": 0.0}
    return {
        **(spread if identical_officers else {}),
        "citizens.decision_rate": 1.0,
        "citizens.reconsider_rate": 0.0,
        "citizens.patience_days": 3650.0,
        "choice.beta_citizen": 1.0,
        "licensing.permit_value": 1.0e6,
        "citizens.word_of_mouth_rate": 0.0,
        "citizens.outreach_rate": 0.0,
        "citizens.forget_rate": 0.0,
        "citizens.social_network.kind": "none",
        "licensing.innovation_rate": 0.0,
        "collaboration.siloed_innovation": 0.0,
        "collaboration.transition_rework": 0.0,
        "collaboration.trust_gain": 0.0,
        "collaboration.trust_loss": 0.0,
        "collaboration.understanding_gain": 0.0,
        "collaboration.commitment_speed": 0.0,
        "licensing.legacy_regulation_in_force": True,
        "agencies.*.regulation_ready": True,
        "burn_in_days": 0,
        "warmup_days": 0,
        "collaboration_start": 0 if arrangement == "joint" else SILOED_NEVER,
    }


def check_docked(scenario: Scenario) -> list[str]:
    """What keeps a scenario from being a queueing network (empty when it is docked).

    Args:
        scenario: A validated scenario.

    Returns:
        One line per problem (a choice left free, a cycle not frozen, a feature
        the twin does not model).
    """
    cit, col, lic = scenario.citizens, scenario.collaboration, scenario.licensing
    if lic is None:
        return ["the scenario has no [licensing] service"]
    want = {k: v for k, v in docked_overrides("siloed", identical_officers=False).items()
            if k not in ("collaboration_start", "agencies.*.regulation_ready",
                         "citizens.social_network.kind", "citizens.word_of_mouth_rate",
                         "citizens.outreach_rate", "citizens.forget_rate")}
    problems = []
    flat = {
        "citizens.decision_rate": cit.decision_rate,
        "citizens.reconsider_rate": cit.reconsider_rate,
        "citizens.patience_days": cit.patience_days,
        "choice.beta_citizen": scenario.choice.beta_citizen,
        "licensing.permit_value": lic.permit_value,
        "licensing.innovation_rate": lic.innovation_rate,
        "collaboration.siloed_innovation": col.siloed_innovation,
        "collaboration.transition_rework": col.transition_rework,
        "collaboration.trust_gain": col.trust_gain,
        "collaboration.trust_loss": col.trust_loss,
        "collaboration.understanding_gain": col.understanding_gain,
        "collaboration.commitment_speed": col.commitment_speed,
        "licensing.legacy_regulation_in_force": lic.legacy_regulation_in_force,
        "burn_in_days": scenario.burn_in_days,
        "warmup_days": scenario.warmup_days,
    }
    for key, value in want.items():
        if flat[key] != value:
            problems.append(f"{key} = {flat[key]!r}, docked needs {value!r}")
    if scenario.collaboration_start not in (0, SILOED_NEVER):
        problems.append(f"collaboration_start = {scenario.collaboration_start}: docked runs "
                        f"are joint from day 0 or siloed throughout ({SILOED_NEVER})")
    if scenario.collaboration_start == 0:
        problems += [f"agencies.{k}.regulation_ready = false (the joint arrangement would "
                     "hold files)" for k, a in scenario.agencies.items()
                     if not a.regulation_ready]
    if lic.joint_stages is not None:
        problems.append("licensing.joint_stages is set (consolidation is not modelled)")
    if scenario.interventions:
        problems.append("the scenario has interventions")
    if scenario.mobility is not None or scenario.services:
        problems.append("the scenario has services besides licensing")
    if any(a.patrol_officers for a in scenario.agencies.values()):
        problems.append("agencies have patrol officers (not part of the pipeline)")
    return problems


# ----------------------------------------------------------------------- the network
@dataclass(frozen=True)
class EffortSpec:
    """Officers' daily effort choice (docs/ODD.md §7.3), as the twin draws it.

    ``U(e) = (recognition_weight·c_agency + intrinsic_weight·c_officer)·competence·e
    − effort_cost·e²``, chosen by logit with rationality ``beta`` (1/effort-utility).
    """

    levels: tuple[float, ...]
    cost: float
    recognition_weight: float
    intrinsic_weight: float
    beta: float

    def probabilities(self, agency_commitment: float, intrinsic: np.ndarray,
                      competence: np.ndarray) -> np.ndarray:
        """Logit probabilities of each effort level, shape ``(n_officers, n_levels)``."""
        lv = np.asarray(self.levels)
        reward = self.recognition_weight * agency_commitment + self.intrinsic_weight * intrinsic
        u = (reward * competence)[:, None] * lv[None, :] - self.cost * lv[None, :] ** 2
        u = self.beta * u
        u -= u.max(axis=1, keepdims=True)
        e = np.exp(u)
        return e / e.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class DeskSpec:
    """One agency's licensing desk: its officers as servers (docs/ODD.md §7.4).

    Officer ``j`` completes ``productivity · competence_j · effort_j · fte_j ·
    staff_share`` files a day (files/day); the agency's daily capacity is the sum.
    """

    key: str
    fte: tuple[float, ...]
    staff_share: float
    productivity: float
    competence_mean: float
    competence_sd: float
    intrinsic_mean: float
    intrinsic_sd: float
    commitment: float
    guidance: float

    @property
    def heads(self) -> int:
        """Desk officers (servers), the last possibly part-time."""
        return len(self.fte)


@dataclass(frozen=True)
class StageSpec:
    """One workflow stage as a queueing station.

    A file arriving at the stage first resides ``handoff_days`` (+ ``bounce_days``
    with probability ``loss_prob``) + ``service_days`` days (an infinite-server
    delay), then waits for its owner's desk (``batch_places == 0``) or for a
    session (``batch_places > 0``). A completion is rejected with ``reject_prob``,
    else reworked with the rework chance of docs/ODD.md §7.8 (back after
    ``rework_days`` to the same desk or session), else passed on.
    """

    name: str
    desk: int
    service_days: float
    handoff_days: float
    loss_prob: float
    bounce_days: float
    rework_prob: float
    rework_days: float
    reject_prob: float
    batch_places: float = 0.0
    sessions_per_day: float = 0.0

    @property
    def batched(self) -> bool:
        """Whether the stage works in sessions."""
        return self.batch_places > 0


@dataclass(frozen=True)
class PipelineNetwork:
    """The docked licensing pipeline as a queueing network (derived by :func:`pipeline_network`).

    Attributes:
        stages: The workflow's stages, in order.
        desks: The agencies' desks (indexed by ``StageSpec.desk``).
        effort: The officers' effort choice.
        citizens: Population size (persons).
        need_rate: Chance per idle citizen per day of a new need (1/day).
        reapply_days: Days from a rejection to the new application (days).
        arrangement: ``"siloed"`` or ``"joint"``.
    """

    stages: tuple[StageSpec, ...]
    desks: tuple[DeskSpec, ...]
    effort: EffortSpec
    citizens: int
    need_rate: float
    reapply_days: float = 1.0
    arrangement: Arrangement = "siloed"

    def mean_efforts(self, competence: np.ndarray, intrinsic: np.ndarray,
                     desk: int) -> np.ndarray:
        """Expected effort of each of a desk's officers under the logit (share of full effort)."""
        d = self.desks[desk]
        p = self.effort.probabilities(d.commitment, intrinsic, competence)
        return p @ np.asarray(self.effort.levels)

    def mean_rates(self, desk: int) -> np.ndarray:
        """Each officer's mean output at the desk's mean competence (files/day)."""
        d = self.desks[desk]
        comp = np.full(d.heads, d.competence_mean)
        intr = np.full(d.heads, d.intrinsic_mean)
        return (d.productivity * comp * self.mean_efforts(comp, intr, desk)
                * np.asarray(d.fte) * d.staff_share)

    def mean_quality(self, desk: int) -> float:
        """The desk's mean competence × effort weighted by officer time, in [0, 1]."""
        d = self.desks[desk]
        comp = np.full(d.heads, d.competence_mean)
        e = self.mean_efforts(comp, np.full(d.heads, d.intrinsic_mean), desk)
        w = np.asarray(d.fte)
        return float((comp * e * w).sum() / w.sum()) if w.sum() > 0 else 0.0

    def rework_chance(self, stage: int, quality: float) -> float:
        """Rework chance of a completion at ``stage`` by staff of ``quality`` (docs/ODD.md §7.8).

        ``clip(ρ_s·(1.5 − õ_a)·(1.5 − Q_a), 0, 0.95)`` (the learning-error term is
        frozen at zero).
        """
        s = self.stages[stage]
        g = self.desks[s.desk].guidance
        return float(np.clip(s.rework_prob * (1.5 - g) * (1.5 - quality), 0.0, 0.95))

    def routing(self) -> list[dict[str, float]]:
        """Routing chances per stage at the desks' mean quality.

        Returns:
            Per stage: ``reject`` and ``rework`` chances per completion, ``visits``
            (expected completions of a file reaching the stage), ``pass`` (chance a
            file reaching it passes) and ``reach`` (chance an application reaches it).
        """
        out, reach = [], 1.0
        for i, s in enumerate(self.stages):
            w = self.rework_chance(i, self.mean_quality(s.desk))
            rej, rw = s.reject_prob, (1 - s.reject_prob) * w
            visits = 1.0 / (1.0 - rw)
            passed = (1 - rej) * (1 - w) * visits
            out.append({"reject": rej, "rework": rw, "visits": visits, "reach": reach,
                        "pass": passed})
            reach *= passed
        return out

    def issue_chance(self) -> float:
        """Chance that one application ends in a permit (the rest are rejected)."""
        r = self.routing()
        return r[-1]["reach"] * r[-1]["pass"]

    def station_loads(self, submissions_per_day: float) -> dict[str, float]:
        """Utilisation of each desk and session stage at a submission rate (files/day)."""
        r = self.routing()
        work: dict[str, float] = {}
        for i, s in enumerate(self.stages):
            need = submissions_per_day * r[i]["reach"] * r[i]["visits"]
            if s.batched:
                work[f"sessions: {s.name}"] = need / (s.batch_places * s.sessions_per_day)
            else:
                key = f"desk: {self.desks[s.desk].key}"
                work[key] = work.get(key, 0.0) + need / self.mean_rates(s.desk).sum()
        return work


def _tie_quality(sc: Scenario, a: str, b: str, joint: bool) -> float:
    """``q'(a, b)``, how well ``b`` takes up what ``a`` sends (docs/ODD.md §7.7), frozen."""
    if a == b:
        return 1.0
    if not joint:
        return 0.0
    oa, ob = sc.agencies[a].communication_openness, sc.agencies[b].communication_openness
    su = sc.collaboration.initial_shared_understanding
    q = 0.5 * (oa + ob) * (0.5 + 0.5 * su)
    return q * (0.5 + 0.5 * sc.agencies[b].leader_commitment)


def pipeline_network(scenario: Scenario) -> PipelineNetwork:
    """Derive the queueing network of a docked scenario from its parameters alone.

    The mapping (docs/calibration.md, "Docking"): with ``s = n / capacity_reference``
    each agency has ``N_a = n_officers·s`` desk FTE, as ``⌈N_a⌉`` officers of whom
    all but the last work full time and the last the fraction left; each puts
    ``θ_a`` of its time on the service (siloed: ``siloed_staff_share``; joint:
    ``resources·(½ + ½·leader_commitment)``, commitment frozen). Hand-offs
    between agencies take ``δ = δ_silo(1 − q') + δ_joint·q'`` days and bounce with
    ``ψ = ψ_silo(1 − q') + ψ_min·q'`` (``b`` days more); a batched stage holds
    ``sessions_per_year/365·θ_a`` sessions a day of ``batch_size·s`` places.

    Args:
        scenario: A docked scenario (see :func:`check_docked`).

    Returns:
        The network.

    Raises:
        ValueError: if the scenario is not docked.
    """
    problems = check_docked(scenario)
    if problems:
        raise ValueError("not a docked scenario: " + "; ".join(problems))
    lic = scenario.licensing
    assert lic is not None
    joint = scenario.collaboration_start == 0
    col = scenario.collaboration
    scale = scenario.citizens.n / scenario.citizens.capacity_reference
    keys = list(scenario.agencies)
    front = lic.stages[0].agency
    desks = []
    for k in keys:
        a = scenario.agencies[k]
        n = a.n_officers * scale
        heads = int(np.ceil(n - 1e-9))
        share = (a.resources * (0.5 + 0.5 * a.leader_commitment) if joint
                 else col.siloed_staff_share)
        o = a.communication_openness
        guidance = o if k == front or not joint else (
            o + (1 - o) * scenario.agencies[front].communication_openness
            * _tie_quality(scenario, front, k, joint))
        desks.append(DeskSpec(
            key=k, fte=tuple(float(min(1.0, n - j)) for j in range(heads)), staff_share=share,
            productivity=scenario.officers.productivity, competence_mean=a.staff_competence,
            competence_sd=scenario.officers.competence_sd, intrinsic_mean=a.intrinsic_commitment,
            intrinsic_sd=scenario.officers.commitment_sd, commitment=a.leader_commitment,
            guidance=guidance))
    stages = []
    for i, st in enumerate(lic.stages):
        prev = lic.stages[i - 1].agency if i else st.agency
        q = _tie_quality(scenario, prev, st.agency, joint)
        moved = prev != st.agency
        share = desks[keys.index(st.agency)].staff_share
        stages.append(StageSpec(
            name=st.name, desk=keys.index(st.agency), service_days=st.service_days,
            handoff_days=(col.siloed_handoff_days * (1 - q) + col.joint_handoff_days * q
                          if moved else 0.0),
            loss_prob=(col.siloed_loss_prob * (1 - q) + col.joint_min_loss_prob * q
                       if moved else 0.0),
            bounce_days=col.bounce_days, rework_prob=st.rework_prob, rework_days=st.rework_days,
            reject_prob=st.reject_prob,
            batch_places=st.batch_size * scale if st.batch_size > 0 else 0.0,
            sessions_per_day=(st.sessions_per_year / 365.0 * share if st.batch_size > 0
                              else 0.0)))
    op = scenario.officers
    effort = EffortSpec(tuple(op.effort_levels), op.effort_cost, op.recognition_weight,
                        op.intrinsic_weight, scenario.choice.beta_officer)
    return PipelineNetwork(tuple(stages), tuple(desks), effort, scenario.citizens.n,
                           scenario.citizens.need_rate,
                           arrangement="joint" if joint else "siloed")


def need_rate_for_load(network: PipelineNetwork, load: float) -> float:
    """The need rate at which the busiest desk or session stage runs at ``load`` (1/day).

    Every rejected application comes back the next day, so submissions are
    ``new needs ÷ P(issue)``; a station's utilisation is its expected completions
    per day over its mean capacity (files/day; sessions: places × sessions/day).

    Args:
        network: The pipeline (its own need rate is ignored).
        load: Target utilisation of the bottleneck, in (0, 1).

    Returns:
        ``citizens.need_rate`` (per idle citizen per day), computed for a nearly
        idle population (``n`` citizens).
    """
    if not 0 < load < 1:
        raise ValueError(f"load must lie in (0, 1), not {load}")
    worst = max(network.station_loads(1.0).values())
    return load / worst * network.issue_chance() / network.citizens


def docked_scenario(preset: str | Scenario, *, arrangement: Arrangement = "siloed",
                    n_citizens: int | None = None, load: float | None = 0.7,
                    days: int = 730, identical_officers: bool = True,
                    overrides: Mapping[str, Any] | None = None) -> Scenario:
    """A licensing preset in its docked configuration.

    Args:
        preset: A preset name, scenario file or Scenario.
        arrangement: ``"siloed"`` or ``"joint"`` (see :func:`docked_overrides`).
        n_citizens: Population (persons; capacities scale with it); default the preset's.
        load: If given, ``citizens.need_rate`` is set so the bottleneck station runs
            at this utilisation (:func:`need_rate_for_load`); ``None`` keeps the
            preset's (which may saturate the pipeline once everyone applies).
        days: Run length, ``steps`` (days).
        identical_officers: See :func:`docked_overrides`.
        overrides: Further ``--set`` overrides, applied with the docked ones.

    Returns:
        The validated docked scenario.
    """
    ov: dict[str, Any] = {**docked_overrides(arrangement, identical_officers),
                          "steps": int(days)}
    if n_citizens is not None:
        ov["citizens.n"] = int(n_citizens)
    ov.update(overrides or {})
    sc = load_scenario(preset, ov)
    if load is not None and "citizens.need_rate" not in (overrides or {}):
        rate = need_rate_for_load(pipeline_network(sc), load)
        sc = load_scenario(sc, {"citizens.need_rate": rate})
    return sc


# ----------------------------------------------------------------------- measurements
@dataclass(frozen=True)
class Measured:
    """What one run measured over its window.

    Attributes:
        permits_per_month: Permits issued in the window per month (permits/month,
            a month = 365.25/12 days).
        mean_processing_days: Mean days from submission to issue of the permits
            issued in the window (days; NaN without one).
        issued: Permits issued in the window.
        submitted: Applications submitted in the window (new and renewed).
    """

    permits_per_month: float
    mean_processing_days: float
    issued: int
    submitted: int


def _check_window(warmup_days: int, measure_days: int) -> None:
    if warmup_days < 0 or measure_days <= 0 or measure_days % WINDOW:
        raise ValueError(f"warmup_days must be ≥ 0 and measure_days a positive multiple of "
                         f"{WINDOW} (got {warmup_days}, {measure_days})")


def run_collabsim(scenario: Scenario, seed: int, warmup_days: int,
                  measure_days: int) -> Measured:
    """Run collabsim on a docked scenario and measure days ``[warmup, warmup + measure)``.

    The mean processing days is recovered exactly from the model's own metrics:
    ``mean_processing_days`` on day ``t`` is the mean over permits issued on days
    ``t − 29 … t``, so the 30-day blocks of the window, weighted by the permits
    issued in each, give the mean over the window's permits.

    Args:
        scenario: A docked scenario (:func:`docked_scenario`).
        seed: Root seed of the run.
        warmup_days: Days simulated before measuring (days).
        measure_days: Days measured, a multiple of 30 (days).

    Returns:
        The run's measurements.
    """
    from collabsim.model import CollabModel

    _check_window(warmup_days, measure_days)
    problems = check_docked(scenario)
    if problems:
        raise ValueError("not a docked scenario: " + "; ".join(problems))
    model = CollabModel(scenario, seed=seed)
    df = model.run(warmup_days + measure_days)
    win = df.iloc[warmup_days: warmup_days + measure_days]
    issued = win["permits_issued"].to_numpy(dtype=float)
    means = win["mean_processing_days"].to_numpy(dtype=float)
    blocks = issued.reshape(-1, WINDOW).sum(axis=1)
    block_means = means[WINDOW - 1:: WINDOW]
    ok = blocks > 0
    total = float(blocks.sum())
    mean = float((blocks[ok] * block_means[ok]).sum() / total) if total else float("nan")
    return Measured(total / measure_days * DAYS_PER_MONTH, mean, int(total),
                    int(win["applications_submitted"].sum()))


# ------------------------------------------------------------------------- the ciw twin
class _Shared:
    """Mixin: ciw deep-copies distributions per node; ours share the twin and must not be."""

    def __deepcopy__(self, memo: dict) -> Any:
        return self


class _Twin:
    """State of one ciw run: officers, daily capacities, files, the measurements."""

    def __init__(self, net: PipelineNetwork, seed: int, horizon: int, time_model: TimeModel,
                 service: str):
        self.net = net
        self.time_model = time_model
        self.service = service
        self.rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x0D0C]))
        self.horizon = horizon
        self.sim: Any = None
        self.files = 0
        self.issued: list[tuple[float, float]] = []
        self.submissions: list[float] = []
        self.desk_waiting: dict[int, dict[int, int]] = {}
        n_days = horizon + 2
        self.capacity, self.quality, self.rates, self.mean_quality = [], [], [], []
        for d in net.desks:
            h = d.heads
            comp = np.clip(d.competence_mean + d.competence_sd * self.rng.standard_normal(h),
                           0, 1)
            intr = np.clip(d.intrinsic_mean + d.intrinsic_sd * self.rng.standard_normal(h),
                           0, 1)
            fte = np.asarray(d.fte)
            p = net.effort.probabilities(d.commitment, intr, comp)
            levels = np.asarray(net.effort.levels)
            e_bar = p @ levels
            self.rates.append(d.productivity * comp * e_bar * fte * d.staff_share)
            w = fte.sum()
            self.mean_quality.append(float((comp * e_bar * fte).sum() / w) if w else 0.0)
            if time_model == "daily":
                cdf = np.cumsum(p, axis=1)
                u = self.rng.random((n_days, h))
                idx = np.minimum((u[:, :, None] >= cdf[None, :, :]).sum(axis=2),
                                 len(levels) - 1)
                eff = levels[idx]
                out = d.productivity * comp * eff * fte * d.staff_share
                self.capacity.append(out.sum(axis=1))
                self.quality.append((comp * eff * fte).sum(axis=1) / w if w
                                    else np.zeros(n_days))

    # -- state
    def in_system(self) -> int:
        """Citizens with a file in process or about to apply again."""
        return sum(nd.number_of_individuals for nd in self.sim.transitive_nodes)

    def open_file(self, ind: Any, now: float) -> None:
        """A new application at stage 0."""
        self.files += 1
        ind.stage = 0
        ind.submitted = now
        ind.file_no = self.files
        self.submissions.append(now)

    def any_desk_ready(self, day: int) -> bool:
        """Whether any desk had a ready file at its work on ``day``."""
        return any(v > 0 for v in self.desk_waiting.get(day, {}).values())

    def quality_on(self, desk: int, t: float) -> float:
        """The desk's competence × effort at ciw time ``t``."""
        if self.time_model == "daily":
            return float(self.quality[desk][int(math.floor(t) - T0)])
        return self.mean_quality[desk]


class _NewNeeds(_Shared, ciw.dists.Distribution):
    """Daily batch of new applications: citizens hit today who are idle (finite source).

    Draws as collabsim's population does: ``k ~ Binomial(n, p)`` hits with
    replacement, distinct ones kept, of which the idle are a hypergeometric share.
    """

    def __init__(self, twin: _Twin):
        self.twin = twin

    def sample(self, t: float | None = None, ind: Any = None) -> int:
        tw, net = self.twin, self.twin.net
        rng = tw.rng
        k = int(rng.binomial(net.citizens, min(max(net.need_rate, 0.0), 1.0)))
        if k == 0:
            return 0
        hits = int(np.unique(rng.integers(0, net.citizens, k)).size)
        busy = tw.in_system()
        idle = net.citizens - busy
        if idle <= 0:
            return 0
        return int(rng.hypergeometric(idle, busy, hits)) if busy else hits


class _Daily(_Shared, ciw.dists.Distribution):
    """Inter-arrival of the daily batches: day 0 (ciw time ``T0``), then one day apart (days)."""

    def __init__(self) -> None:
        self.first = True

    def sample(self, t: float | None = None, ind: Any = None) -> float:
        if self.first:
            self.first = False
            return T0
        return 1.0


class _PoissonNeeds(_Shared, ciw.dists.Distribution):
    """Inter-arrival of single applications at rate ``p × idle citizens`` (days)."""

    def __init__(self, twin: _Twin):
        self.twin = twin
        self.first = True

    def sample(self, t: float | None = None, ind: Any = None) -> float:
        tw = self.twin
        idle = tw.net.citizens - (tw.in_system() if tw.sim is not None else 0)
        rate = tw.net.need_rate * max(idle, 0)
        gap = float(tw.rng.exponential(1.0 / rate)) if rate > 0 else float("inf")
        if self.first:
            self.first = False
            return T0 + gap
        return gap


class _Residence(_Shared, ciw.dists.Distribution):
    """A file's time before it can be worked at a stage, or before it comes back.

    ``kind`` is ``"stage"`` (hand-off with its bounce chance, then service days),
    ``"rework"`` (rework days) or ``"reapply"`` (days to the new application). In
    the daily reading the file is released at the first whole day ``d' ≥ ready``
    with ``ready = day + delay (+ service days)`` summed in collabsim's day count
    as collabsim sums it (the same floating-point value), and not before the next
    day when it comes from today's work (today's ready files were gathered before
    the work).
    """

    def __init__(self, twin: _Twin, stage: int, kind: str):
        self.twin, self.stage, self.kind = twin, stage, kind

    def _delay(self) -> tuple[float, float]:
        tw = self.twin
        if self.kind == "reapply":
            return tw.net.reapply_days, 0.0
        s = tw.net.stages[self.stage]
        if self.kind == "rework":
            return s.rework_days, 0.0
        delay = s.handoff_days
        if s.loss_prob > 0 and tw.rng.random() < s.loss_prob:
            delay += s.bounce_days
        return delay, s.service_days

    def sample(self, t: float | None = None, ind: Any = None) -> float:
        assert t is not None
        delay, service = self._delay()
        if self.twin.time_model == "continuous":
            return float(delay + service)
        day = math.floor(t) - T0
        ready = day + delay + service
        return float(max(math.ceil(ready) + T0, math.ceil(t)) - t)


class _OfficerService(_Shared, ciw.dists.Distribution):
    """Continuous reading: the time the officer who takes the file needs for it (days)."""

    def __init__(self, twin: _Twin, desk: int):
        self.twin, self.desk = twin, desk

    def sample(self, t: float | None = None, ind: Any = None) -> float:
        rate = float(self.twin.rates[self.desk][ind.server.id_number - 1])
        if self.twin.service == "deterministic":
            return 1.0 / rate
        return float(self.twin.rng.exponential(1.0 / rate))


class _DailyDesk(ciw.Slotted):
    """A desk worked once a day (at day + ½): ``⌊capacity + carry⌋`` places, zero service time.

    Collabsim's rule (docs/ODD.md §7.4): ``k = min(⌊C_a + carry⌋, waiting)`` files,
    then ``carry = min(C − k, 1)`` if every waiting file was served, else ``C − k``,
    and every carry back to 0 on a day no desk had a ready file. The places of a
    day are computed when its slot is first asked for, after every desk's work of
    the day before.
    """

    def __init__(self, twin: _Twin, desk: int):
        self.schedule_type = "slotted"
        self.capacitated = False
        self.preemption = False
        self.offset = 0.0
        self.c = 0
        self.twin, self.desk = twin, desk
        self.node: Any = None

    def initialise(self) -> None:
        self.day = -1
        self.carry = 0.0
        self.last: tuple[float, int, int] | None = None  # capacity, served, waiting
        self._size: int | None = None
        self.get_next_slot()

    def get_next_slot(self) -> None:
        if self.day >= 0 and self.node is not None:
            waiting = self.node.number_of_individuals
            served = self.node.number_in_service
            self.twin.desk_waiting.setdefault(self.day, {})[self.desk] = waiting
            self.last = (self._cap, served, waiting)
        self.day += 1
        self.next_slot_date = self.day + T0 + 0.5
        self._size = None

    @property
    def slot_size(self) -> int:
        if self._size is None:
            if self.last is not None:
                cap, served, waiting = self.last
                if not self.twin.any_desk_ready(self.day - 1):
                    self.carry = 0.0
                elif served == waiting:
                    self.carry = min(cap - served, 1.0)
                else:
                    self.carry = cap - served
            self._cap = float(self.twin.capacity[self.desk][self.day]) + self.carry
            self._size = int(self._cap)
        return self._size


def _session_calendar(twin: _Twin, s: StageSpec, horizon: int) -> tuple[list[float], list[int]]:
    """Session times and places of a batched stage over the horizon.

    Credit starts at a uniform phase and gains ``sessions_per_day`` a day; a
    session is held the day it reaches 1 (daily reading: at that day + ½;
    continuous: at the instant it crosses the whole number) with ``⌊places +
    carry⌋`` places, the fraction carried.
    """
    credit = float(twin.rng.random())
    places_carry = 0.0
    times, sizes = [], []
    rate = s.sessions_per_day
    for day in range(horizon + 1):
        before = credit
        credit += rate
        if credit < 1.0:
            continue
        credit -= 1.0
        places = s.batch_places + places_carry
        k = int(places)
        places_carry = places - k
        if twin.time_model == "daily":
            times.append(T0 + day + 0.5)
        else:  # day d's credit accrues over [d, d + 1)
            times.append(T0 + day + (1.0 - before) / rate)
        sizes.append(k)
    if not times:
        times, sizes = [T0 + horizon + 10.0], [0]
    return times, sizes


def _oldest_application(individuals: list, t: float) -> Any:
    """Collabsim's order at a desk or session: oldest application first, then file number."""
    return min(individuals, key=lambda i: (i.submitted, i.file_no))


class _Routing(ciw.routing.NetworkRouting):
    """Where a file goes next: by its stage and the outcome of its completion."""

    def __init__(self, twin: _Twin, layout: dict[str, Any]):
        self.twin = twin
        self.layout = layout

    def initialise(self, simulation: Any) -> None:
        self.simulation = simulation

    def initialise_individual(self, ind: Any) -> None:
        self.twin.open_file(ind, self.simulation.current_time)

    def _to(self, node_id: int) -> Any:
        return self.simulation.nodes[node_id]

    def next_node(self, ind: Any, node_id: int) -> Any:
        tw, lay = self.twin, self.layout
        now = self.simulation.current_time
        role, s = lay["role"][node_id]
        if role in ("stage", "rework"):
            return self._to(lay["work"][s])
        if role == "reapply":
            tw.open_file(ind, now)
            return self._to(lay["stage"][0])
        # a completion at a desk or session
        stage = tw.net.stages[ind.stage]
        q = tw.quality_on(stage.desk, now)
        u = float(tw.rng.random())
        rej = stage.reject_prob
        rw = tw.net.rework_chance(ind.stage, q)
        if u < rej:
            return self._to(lay["reapply"])
        if u < rej + rw * (1 - rej):
            return self._to(lay["rework"][ind.stage])
        if ind.stage == len(tw.net.stages) - 1:
            tw.issued.append((now, ind.submitted))
            return self.simulation.nodes[-1]
        ind.stage += 1
        return self._to(lay["stage"][ind.stage])

    def next_node_for_rerouting(self, ind: Any, node_id: int) -> Any:
        return self.next_node(ind, node_id)

    def next_node_for_jockeying(self, ind: Any, node_id: int) -> Any:
        return self.simulation.nodes[-1]


def _build(net: PipelineNetwork, twin: _Twin, horizon: int) -> Any:
    """The ciw simulation of the network (nodes: stages, reworks, work stations, reapply)."""
    S = len(net.stages)
    role: dict[int, tuple[str, int]] = {}
    lay: dict[str, Any] = {"role": role, "stage": {}, "rework": {}, "work": {}}
    servers: list[Any] = []
    service: list[Any] = []
    discipline: list[Any] = []

    def add(kind: str, s: int, n_servers: Any, dist: Any) -> int:
        servers.append(n_servers)
        service.append(dist)
        discipline.append(_oldest_application if kind == "work" else ciw.disciplines.FIFO)
        node_id = len(servers)
        role[node_id] = (kind, s)
        return node_id

    for s in range(S):
        lay["stage"][s] = add("stage", s, float("inf"), _Residence(twin, s, "stage"))
    for s in range(S):
        lay["rework"][s] = add("rework", s, float("inf"), _Residence(twin, s, "rework"))
    desk_node: dict[int, int] = {}
    schedules: list[tuple[int, Any]] = []
    for s, st in enumerate(net.stages):
        if st.batched:
            times, sizes = _session_calendar(twin, st, horizon)
            lay["work"][s] = add("work", s, ciw.Slotted(slots=times, slot_sizes=sizes),
                                 ciw.dists.Deterministic(0.0))
            continue
        if st.desk not in desk_node:
            if twin.time_model == "daily":
                sched = _DailyDesk(twin, st.desk)
                desk_node[st.desk] = add("work", s, sched, ciw.dists.Deterministic(0.0))
                schedules.append((desk_node[st.desk], sched))
            else:
                desk_node[st.desk] = add("work", s, net.desks[st.desk].heads,
                                         _OfficerService(twin, st.desk))
        lay["work"][s] = desk_node[st.desk]
    lay["reapply"] = add("reapply", -1, float("inf"), _Residence(twin, -1, "reapply"))
    n_nodes = len(servers)
    if twin.time_model == "daily":
        first = _Daily()
        batch = _NewNeeds(twin)
    else:
        first = _PoissonNeeds(twin)
        batch = ciw.dists.Deterministic(1)
    arrivals = [first if i == lay["stage"][0] else None for i in range(1, n_nodes + 1)]
    batches = [batch if i == lay["stage"][0] else ciw.dists.Deterministic(1)
               for i in range(1, n_nodes + 1)]
    network = ciw.create_network(
        arrival_distributions=arrivals, service_distributions=service,
        number_of_servers=servers, routing=_Routing(twin, lay),
        batching_distributions=batches, service_disciplines=discipline)
    sim = ciw.Simulation(network)
    twin.sim = sim
    for node_id, sched in schedules:
        sched.node = sim.nodes[node_id]
    return sim


def run_ciw(network: PipelineNetwork, seed: int, warmup_days: int, measure_days: int,
            time_model: TimeModel = "daily", service: str = "exponential") -> Measured:
    """Simulate the pipeline in ciw and measure days ``[warmup, warmup + measure)``.

    Args:
        network: The queueing network (:func:`pipeline_network`).
        seed: Seed of the run (ciw's own streams and the twin's).
        warmup_days: Days simulated before measuring (days).
        measure_days: Days measured, a multiple of 30 (days).
        time_model: ``"daily"`` (collabsim's day kept) or ``"continuous"``.
        service: Continuous reading only: officers' service times ``"exponential"``
            or ``"deterministic"`` at their mean rate.

    Returns:
        The run's measurements (a permit issued at time ``t`` counts on day ``⌊t⌋``;
        processing days are issue day − submission day in the daily reading,
        issue time − submission time in the continuous one).
    """
    _check_window(warmup_days, measure_days)
    if time_model not in ("daily", "continuous"):
        raise ValueError(f"time_model must be 'daily' or 'continuous', not {time_model!r}")
    horizon = warmup_days + measure_days
    ciw.seed(int(seed))
    twin = _Twin(network, seed, horizon, time_model, service)
    sim = _build(network, twin, horizon)
    sim.simulate_until_max_time(T0 + horizon)
    lo, hi = T0 + warmup_days, T0 + horizon
    daily = time_model == "daily"
    took = [(math.floor(t) if daily else t) - sub for t, sub in twin.issued if lo <= t < hi]
    n_sub = sum(1 for t in twin.submissions if lo <= t < hi)
    mean = float(np.mean(took)) if took else float("nan")
    return Measured(len(took) / measure_days * DAYS_PER_MONTH, mean, len(took), n_sub)


def expected_continuous_offset(network: PipelineNetwork) -> float:
    """Mean days the continuous reading adds to a permit's processing time (days).

    Two terms, before queueing (which adds to them as desks fill):

    * **officers' service**: collabsim completes a ready file at a desk the day it
      is ready when capacity allows, an officer-server holds it for a service
      time: the expected completions at each desk stage times the desk's mean
      service time (the mean of ``1/r̄_j`` over its officers);
    * **session instants**: a continuous session is held at the instant its credit
      crosses the whole number, on average half-way through its day, and the file
      moves on from that instant; the day step moves it on from the day itself:
      ½ day per expected completion at a batched stage.

    A completion count is that of a file which passes the stage: geometric, with
    mean ``1/(1 − P(rework))``.
    """
    r = network.routing()
    total = 0.0
    for i, s in enumerate(network.stages):
        if s.batched:
            total += 0.5 * r[i]["visits"]
            continue
        total += r[i]["visits"] * float(np.mean(1.0 / network.mean_rates(s.desk)))
    return total


def mmc_mean_sojourn(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean time in an M/M/c queue (days): ``1/μ + C(c, λ/μ)/(cμ − λ)`` (Erlang C).

    Args:
        arrival_rate: λ (files/day).
        service_rate: μ of each server (files/day).
        servers: c.

    Returns:
        The mean sojourn time W (days); ``inf`` when ``λ ≥ cμ``.
    """
    lam, mu, c = arrival_rate, service_rate, int(servers)
    if lam >= c * mu:
        return float("inf")
    a = lam / mu
    rho = a / c
    head = sum(a**k / math.factorial(k) for k in range(c))
    tail = a**c / math.factorial(c) / (1 - rho)
    erlang_c = tail / (head + tail)
    return 1.0 / mu + erlang_c / (c * mu - lam)


# ------------------------------------------------------------------------- comparison
@dataclass(frozen=True)
class Comparison:
    """One metric in both simulators: replication means, 95 % CIs, and their difference.

    Attributes:
        metric: ``"permits_per_month"`` or ``"mean_processing_days"``.
        collabsim: Per-replication values from collabsim.
        ciw: Per-replication values from ciw.
        level: Confidence level of the intervals.
    """

    metric: str
    collabsim: tuple[float, ...]
    ciw: tuple[float, ...]
    level: float = 0.95

    @staticmethod
    def _ci(x: Sequence[float], level: float) -> tuple[float, float, float]:
        a = np.asarray(x, dtype=float)
        a = a[np.isfinite(a)]
        m = float(a.mean())
        h = float(stats.t.ppf(0.5 + level / 2, a.size - 1) * a.std(ddof=1) / np.sqrt(a.size))
        return m, m - h, m + h

    @property
    def collabsim_ci(self) -> tuple[float, float, float]:
        """Mean and t interval of collabsim's replications."""
        return self._ci(self.collabsim, self.level)

    @property
    def ciw_ci(self) -> tuple[float, float, float]:
        """Mean and t interval of ciw's replications."""
        return self._ci(self.ciw, self.level)

    def difference(self, level: float | None = None) -> tuple[float, float, float]:
        """The difference collabsim − ciw with its Welch interval (unequal variances)."""
        lv = self.level if level is None else level
        a = np.asarray(self.collabsim, float)
        b = np.asarray(self.ciw, float)
        a, b = a[np.isfinite(a)], b[np.isfinite(b)]
        va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
        se = math.sqrt(va + vb)
        dof = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1)) if se else 1.0
        d = float(a.mean() - b.mean())
        h = float(stats.t.ppf(0.5 + lv / 2, dof) * se)
        return d, d - h, d + h

    def p_value(self) -> float:
        """Welch's two-sided t test of equal means."""
        return float(stats.ttest_ind(self.collabsim, self.ciw, equal_var=False,
                                     nan_policy="omit").pvalue)

    def agrees(self, level: float | None = None) -> bool:
        """Whether the difference's interval at ``level`` covers 0."""
        _, lo, hi = self.difference(level)
        return lo <= 0.0 <= hi


@dataclass
class DockingResult:
    """A docking of one preset: configuration, sizes, and the comparisons.

    Attributes:
        preset: The preset docked.
        arrangement: ``"siloed"`` or ``"joint"``.
        time_model: The ciw reading of time.
        network: The queueing network simulated by ciw.
        scenario: The docked collabsim scenario.
        replications: Replications per simulator.
        warmup_days: Days before measuring (days).
        measure_days: Days measured (days).
        comparisons: Throughput and processing days.
        loads: Utilisation of each station at the scenario's need rate.
        seconds: Wall time of collabsim's and ciw's runs (s).
    """

    preset: str
    arrangement: str
    time_model: str
    network: PipelineNetwork
    scenario: Scenario
    replications: int
    warmup_days: int
    measure_days: int
    comparisons: list[Comparison]
    loads: dict[str, float] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def agrees(self, level: float | None = None) -> bool:
        """Whether every metric agrees (difference interval covers 0)."""
        return all(c.agrees(level) for c in self.comparisons)


def compare(collabsim_runs: Sequence[Measured], ciw_runs: Sequence[Measured],
            level: float = 0.95) -> list[Comparison]:
    """Throughput and mean processing days of two sets of replications."""
    return [Comparison(m, tuple(getattr(r, m) for r in collabsim_runs),
                       tuple(getattr(r, m) for r in ciw_runs), level)
            for m in ("permits_per_month", "mean_processing_days")]


def dock(preset: str | Scenario, *, replications: int = 10, warmup_days: int = 360,
         measure_days: int = 720, arrangement: Arrangement = "siloed", load: float = 0.7,
         n_citizens: int | None = None, seed: int = 1, time_model: TimeModel = "daily",
         service: str = "exponential", identical_officers: bool = True,
         network: PipelineNetwork | None = None,
         overrides: Mapping[str, Any] | None = None) -> DockingResult:
    """Dock a licensing preset: the same network in collabsim and ciw, replicated.

    Replication ``r`` runs collabsim with seed ``1000·seed + r`` and ciw with seed
    ``1000·seed + 500 + r`` (independent streams: the simulators share no draws).

    Args:
        preset: A licensing preset name, scenario file or Scenario.
        replications: Runs per simulator.
        warmup_days: Days simulated before measuring (days), by both.
        measure_days: Days measured (days), a multiple of 30.
        arrangement: ``"siloed"`` or ``"joint"``.
        load: Utilisation of the bottleneck station (sets ``citizens.need_rate``).
        n_citizens: Population (persons), default the preset's.
        seed: Root seed.
        time_model: ciw's reading of time (``"daily"`` docks; ``"continuous"`` measures
            the continuous-time offset).
        service: Officers' service times in the continuous reading.
        identical_officers: See :func:`docked_overrides`.
        network: A network to give ciw instead of the one derived from the scenario
            (e.g. a deliberately wrong mapping, which the comparison should reject).
        overrides: Further overrides of the docked scenario.

    Returns:
        The docking result.
    """
    sc = docked_scenario(preset, arrangement=arrangement, n_citizens=n_citizens, load=load,
                         days=warmup_days + measure_days,
                         identical_officers=identical_officers, overrides=overrides)
    net = network if network is not None else pipeline_network(sc)
    t0 = time.perf_counter()
    ours = [run_collabsim(sc, 1000 * seed + r, warmup_days, measure_days)
            for r in range(replications)]
    t1 = time.perf_counter()
    theirs = [run_ciw(net, 1000 * seed + 500 + r, warmup_days, measure_days, time_model,
                      service) for r in range(replications)]
    t2 = time.perf_counter()
    lam = net.need_rate * net.citizens / net.issue_chance()
    name = preset if isinstance(preset, str) else preset.name
    return DockingResult(str(name), arrangement, time_model, net, sc, replications, warmup_days,
                         measure_days, compare(ours, theirs), net.station_loads(lam),
                         {"collabsim": t1 - t0, "ciw": t2 - t1})


# ----------------------------------------------------------------------------- table
_LABELS = {"permits_per_month": "permits issued / month",
           "mean_processing_days": "mean processing days"}


def format_table(results: Sequence[DockingResult]) -> str:
    """The comparison as a Markdown table (means with 95 % intervals; Welch difference)."""
    def ci(t: tuple[float, float, float]) -> str:
        return f"{t[0]:.2f} [{t[1]:.2f}, {t[2]:.2f}]"

    lines = ["| workflow | arrangement | metric | collabsim | ciw ({}) | difference | "
             "Welch p | agree |".format(results[0].time_model if results else "daily"),
             "|---|---|---|---|---|---|---|---|"]
    for res in results:
        for c in res.comparisons:
            d = c.difference()
            lines.append(f"| {res.preset} | {res.arrangement} | {_LABELS[c.metric]} | "
                         f"{ci(c.collabsim_ci)} | {ci(c.ciw_ci)} | {d[0]:+.2f} "
                         f"[{d[1]:+.2f}, {d[2]:+.2f}] | {c.p_value():.2f} | "
                         f"{'yes' if c.agrees() else 'NO'} |")
    notes = []
    for res in results:
        loads = ", ".join(f"{k} {v:.2f}" for k, v in res.loads.items())
        notes.append(f"{res.preset}: {res.scenario.citizens.n:,} citizens, need rate "
                     f"{res.scenario.citizens.need_rate:.3g}/day, {res.replications} "
                     f"replications each, warm-up {res.warmup_days} d, measured "
                     f"{res.measure_days} d; loads: {loads}; wall time collabsim "
                     f"{res.seconds.get('collabsim', 0):.1f} s, ciw "
                     f"{res.seconds.get('ciw', 0):.1f} s")
        if res.time_model == "continuous":
            notes.append(f"{res.preset}: expected offset (continuous − daily) "
                         f"{expected_continuous_offset(res.network):.2f} days")
    return "\n".join([*lines, "", *notes])


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m collabsim.calibration.docking PRESET...``: print the comparison table."""
    ap = argparse.ArgumentParser(prog="python -m collabsim.calibration.docking",
                                 description="Dock the licensing pipeline against ciw.")
    ap.add_argument("presets", nargs="+", help="licensing presets, e.g. spp_irt pbg")
    ap.add_argument("--replications", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=360, help="days before measuring")
    ap.add_argument("--measure", type=int, default=720, help="days measured (multiple of 30)")
    ap.add_argument("--arrangement", choices=("siloed", "joint"), default="siloed")
    ap.add_argument("--time", choices=("daily", "continuous"), default="daily",
                    help="ciw's reading of time")
    ap.add_argument("--service", choices=("exponential", "deterministic"),
                    default="exponential", help="officers' service times (continuous)")
    ap.add_argument("--load", type=float, default=0.7, help="bottleneck utilisation")
    ap.add_argument("--citizens", type=int, default=None)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--officer-spread", action="store_true",
                    help="keep the presets' spread of officers' competence and commitment")
    args = ap.parse_args(argv)
    results = []
    for p in args.presets:
        results.append(dock(p, replications=args.replications, warmup_days=args.warmup,
                            measure_days=args.measure, arrangement=args.arrangement,
                            load=args.load, n_citizens=args.citizens, seed=args.seed,
                            time_model=args.time, service=args.service,
                            identical_officers=not args.officer_spread))
    print(format_table(results))
    return 0 if all(r.agrees() for r in results) or args.time == "continuous" else 1


if __name__ == "__main__":
    sys.exit(main())

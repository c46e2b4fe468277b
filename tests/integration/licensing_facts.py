"""Shared design of the licensing stylized-fact tests (facts 1, 2, 3 and 6 of DESIGN §3).

The tests are in ``test_facts_spp.py`` (the estimator's controls and fact 1),
``test_facts_pbg.py`` (fact 2) and ``test_facts_grid.py`` (facts 3 and 6): three
files, so ``pytest --dist loadfile`` spreads them over the workers; the runs each
needs are cached here per worker process.

Every effect is a difference against a counterfactual on common random numbers
(:mod:`collabsim.effects`): the collaboration's effect is factual − never-joint
on the same seed; an initial condition's effect is repaired − not repaired on
the same seed. Each check is

* **paired**: one-sided Wilcoxon signed-rank on the per-seed differences,
  p < ``ALPHA`` (0.01), over ``N_REPS`` = 8 replications (fact 6: ``N_REPS_FACT6`` = 10);
* **big enough**: the mean effect must pass a stated margin, not just a sign;
* **falsifiable**: each fact has a *mechanism-off twin* — the same scenario
  with the mechanism the fact is about removed — on which the very same check
  must fail, and a seed-noise control (a preset against itself on another root
  seed) and a placebo (a joint arrangement without its drivers) that must show
  no effect.

Runs use 5,000 citizens: capacities scale continuously with the population
(tests/unit/test_licensing.py pins per-capita staffing), so the presets' facts
are those of the 10,000-citizen presets at half the cost. With 8 pairs the
smallest one-sided Wilcoxon p is 3.9e-3 (one pair against, the smallest, 7.8e-3);
per-agent common random numbers (collabsim.rng.AgentDraws) cut the variance of the
paired differences 2–16× against independent seeds (benchmarks/crn.py), and an
effect of 2 standard deviations of the paired differences (d_z = 2) is detected at
α = 0.01 with power 0.95 (d_z = 1.5: 0.78; simulated, normal differences). The
facts' effects are larger: every pair of facts 1–3 is on the effect's side (p =
3.9e-3), with the mean effect 2–8× its margin. Fact 6's longer wait is the one
effect near the noise (+0.018 informal share, one pair of 8 against, p = 7.8e-3),
so fact 6 keeps 10 pairs (p = 9.8e-4 for all on its side; d_z = 1.5 at power 0.93).

Arms that differ only from some day on are copies of one run taken that morning
(:func:`collabsim.effects.run_forked`, bit-identical to separate runs): the
collaboration's pairs on the start day, fact 3's factorial on the start day, fact
6's arms on day 0, so each seed's burn-in is simulated once per family.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
from scipy import stats

from collabsim.effects import collaboration_effects, run_forked
from collabsim.rng import replicate_seeds
from collabsim.scenario import load_scenario

N_REPS = 8
N_REPS_FACT6 = 10
N_CITIZENS = 5_000
ROOT_SEED = 20260
ALPHA = 0.01
SEEDS = replicate_seeds(ROOT_SEED, N_REPS)
SEEDS_FACT6 = replicate_seeds(ROOT_SEED, N_REPS_FACT6)  # SEEDS and two more

APPS = "applications_submitted_per_month_after"
PERMITS = "permits_issued_per_month_after"
LEVY = "levy_target_share_after"
INFORMAL = "informal_share_after"

#: A joint arrangement with none of the named drivers: no communication (openness 0, so
#: every tie's quality is 0), commitment frozen, and the staff share it supplies equal to
#: the siloed one (resources · (½ + ½·0.8) = 0.6 for the presets' leaders at 0.8).
NO_DRIVERS = {"agencies.*.communication_openness": 0.0, "collaboration.commitment_speed": 0.0,
              "agencies.*.leader_commitment": 0.8, "agencies.*.resources": 0.6 / 0.9}


@dataclass
class Check:
    """The verdict of one statistical check and what it saw."""

    holds: bool
    text: str

    def __bool__(self) -> bool:
        return self.holds


def shifts(d: np.ndarray, reference: float, margin: float, direction: str,
           alpha: float = ALPHA) -> Check:
    """Per-seed differences ``d`` shift in ``direction`` by at least ``margin`` × ``reference``.

    Holds when the one-sided Wilcoxon signed-rank p < ALPHA *and* the mean
    difference passes ``margin`` (relative to the counterfactual mean ``reference``).
    """
    d = np.asarray(d, float)
    d = d[~np.isnan(d)]
    alt = "greater" if direction == "up" else "less"
    p = stats.wilcoxon(d, alternative=alt).pvalue if np.any(d != 0) else 1.0
    need = margin * abs(reference)
    big = d.mean() >= need if direction == "up" else d.mean() <= -need
    lo, hi = stats.ttest_1samp(d, 0.0).confidence_interval() if d.size > 1 and np.ptp(d) else (
        d.mean(), d.mean())
    text = (f"mean {d.mean():+.3f} [95 % CI {lo:+.3f}, {hi:+.3f}] (need "
            f"{'+' if direction == 'up' else '-'}{need:.3f}), Wilcoxon p = {p:.2g}, n = {d.size}")
    print(text)  # the figures, for the record (pytest -s)
    return Check(bool(p < alpha and big), text)


def below(x: np.ndarray, threshold: float, alpha: float = ALPHA) -> Check:
    """Values lie below ``threshold`` (one-sample Wilcoxon, p < alpha)."""
    x = np.asarray(x, float)
    p = stats.wilcoxon(x - threshold, alternative="less").pvalue
    text = f"mean {x.mean():.3f} vs {threshold}, p = {p:.2g}"
    print(text)
    return Check(bool(p < alpha), text)


@cache
def effects(preset: str, overrides: tuple = ()) -> object:
    """Factual vs never-joint of ``preset`` over the common seeds (cached per module)."""
    return collaboration_effects(preset, replications=N_REPS, root_seed=ROOT_SEED,
                                 overrides=dict(overrides) or None, n_citizens=N_CITIZENS)


def forked_summaries(scenario, arms: dict, seeds: tuple = tuple(SEEDS), **kw) -> dict:
    """Per arm, the summaries of :func:`collabsim.effects.run_forked` over the common seeds.

    Returns:
        Arm name to a frame with one row per seed.
    """
    rows: dict = {name: [] for name in arms}
    for seed in seeds:
        for name, res in run_forked(scenario, seed, arms, n_citizens=N_CITIZENS, **kw).items():
            rows[name].append(res.summary)
    return {name: pd.DataFrame(r, index=list(seeds)) for name, r in rows.items()}


@cache
def siloed(preset: str, changes: tuple = ()) -> dict[tuple, pd.DataFrame]:
    """The siloed year (day 0 to the collaboration start), unchanged and with each change.

    Each change is an intervention on day 0, after the common burn-in: every arm
    is a copy of one run taken that morning (:func:`collabsim.effects.run_forked`,
    bit-identical to a separate run with the intervention), so all start the
    year from the same steady state on the same seed and the paired difference
    is the change's effect over the year (fact 6), not a different history of
    the burn-in. A mechanism-off twin is an arm too (its switch made on day 0 in
    both of its arms).

    Returns:
        Change (``()`` for none) to summaries, one row per seed.
    """
    sc = load_scenario(preset)
    return forked_summaries(sc, {(): {}, **{c: dict(c) for c in changes}},
                            seeds=tuple(SEEDS_FACT6), day=0, steps=sc.collaboration_start)


def key(d: dict) -> tuple:
    return tuple(sorted(d.items()))


def assert_before_window_at_steady_state(preset: str) -> None:
    """Never-joint runs: after − before is seed noise, not warm-up (burn-in, DESIGN §3).

    No consistent drift across seeds (two-sided Wilcoxon p > 0.01) and a mean change
    under 8 % of the level (without the burn-in SPP-IRT drifted +8 % and PBG −11 %).
    """
    c = effects(preset).pairs.query("arm == 'counterfactual'")
    for m in ("applications_submitted_per_month", "permits_issued_per_month"):
        d = c[f"{m}_after"] - c[f"{m}_before"]
        p = stats.wilcoxon(d).pvalue
        rel = abs(d.mean()) / c[f"{m}_before"].mean()
        assert p > ALPHA and rel < 0.08, (preset, m, d.mean(), p)


def collaboration_rise(res, metric: str, direction: str = "up", margin: float = 0.05,
                       alpha: float = ALPHA) -> Check:
    ref = res.effect(metric)["counterfactual"]
    return shifts(res.differences(metric), ref, margin, direction, alpha)


FACTORS = ("leader_commitment", "resources", "regulation_ready")


def repaired(factor: str) -> dict:
    """Overrides setting one initial condition of every agency to pbg_repaired's value."""
    rep = load_scenario("pbg_repaired")
    return {f"agencies.{k}.{factor}": getattr(a, factor) for k, a in rep.agencies.items()}


LEVELS = tuple((a, b, c) for a in (False, True) for b in (False, True) for c in (False, True))

#: Fact 3's mechanism-off twin: no legal risk in charging without the rule, and everyone
#: pays. With commitment and resources repaired and no regulation it is the factorial's
#: cell (True, True, False) with this switched on as well.
LEVY_TWIN = {"licensing.unregulated.challenge_risk": 0.0,
             "licensing.unregulated.audit_risk": 1.0,
             "licensing.unregulated.unpaid_share": 0.0}


@cache
def factorial() -> dict[tuple[bool, bool, bool] | str, pd.DataFrame]:
    """The 2 × 2 × 2 factorial of pbg's and pbg_repaired's conditions (fact 3).

    Every cell is a copy of the one pbg run per seed, taken on the collaboration
    start with its conditions repaired that day (:func:`collabsim.effects.run_forked`):
    the cells share the siloed steady state and every draw before it, so a
    factor's paired difference is what repairing it as the collaboration begins
    does, from a common steady state. One more arm, ``"levy twin"``: the cell
    without the regulation (True, True, False) with :data:`LEVY_TWIN`.
    """
    arms: dict = {}
    for levels in LEVELS:
        overrides: dict = {}
        for factor, fixed in zip(FACTORS, levels, strict=True):
            if fixed:
                overrides.update(repaired(factor))
        arms[levels] = overrides
    arms["levy twin"] = {**arms[(True, True, False)], **LEVY_TWIN}
    return forked_summaries("pbg", arms)


def cell(levels: tuple[bool, bool, bool]) -> pd.DataFrame:
    """Summaries of one cell of :func:`factorial` (one row per seed)."""
    return factorial()[levels]


#: Inputs no fact names, each moved by the same factor (±20 %).
UNTARGETED = ("choice.beta_citizen", "licensing.value_of_time", "licensing.permit_value",
              "citizens.need_rate", "officers.productivity", "citizens.patience_days",
              "citizens.learning_rate", "citizens.word_of_mouth_rate")


def moved(preset: str, factor: float) -> tuple:
    """Every untargeted input of ``preset`` times ``factor`` (as an override key)."""
    sc = load_scenario(preset)
    out = {}
    for path in UNTARGETED:
        section, name = path.rsplit(".", 1)
        obj = sc
        for part in section.split("."):
            obj = getattr(obj, part)
        out[path] = getattr(obj, name) * factor
    return key(out)


def moved_effects(preset: str, factor: float, n: int = N_REPS):
    """Collaboration effects of ``preset`` with its untargeted inputs moved (a screen).

    On 8 pairs, as facts 1–3: every pair is on the effect's side (p = 3.9e-3 against the
    screen's α = 0.05), the mean effect 9× (spp_irt permits) and 2.6× (pbg applications)
    its margin; 10 pairs gave the same verdicts.
    """
    return collaboration_effects(preset, replications=n, root_seed=ROOT_SEED + 7,
                                 overrides=dict(moved(preset, factor)), n_citizens=N_CITIZENS)

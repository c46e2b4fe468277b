"""ABC-SMC with pyabc: priors, a distance over observed bands, a budget, resumable generations.

The machinery is generic — a ``simulate(params) -> {statistic: value}`` callable, priors and
:class:`Target` bands — so the toy model of the tests and the collabsim model run through the
same code. Every generation is one ``ABCSMC.run(max_nr_populations=1)`` on a freshly loaded
history (``ABCSMC.load`` from ``abc.db``, SQLite): a fresh calibration and a resumed one take
the same path, and a killed calibration continues from its last finished generation.

The budget counts model runs (particles × runs per particle), all sessions together, the
prior sample pyabc draws to set the first threshold included. A generation is not started when
the last generation's acceptance rate says it would not fit in what is left, and a started one
is cut off at the budget (pyabc's ``max_eval``; the Dask sampler does not honour it, so there
the budget is only checked between generations). pyabc is the optional extra ``calibrate``.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from collabsim.calibration.patterns import Pattern, compute_pattern, pattern_deviation
from collabsim.calibration.spec import Calibration, Prior
from collabsim.rng import MAX_SEED, replicate_seeds

__all__ = [
    "AbcProgress",
    "BandDistance",
    "CollabSimulator",
    "GenerationInfo",
    "Target",
    "make_sampler",
    "particle_seed",
    "pyabc_prior",
    "run_abc",
    "targets_of",
]

SEED_KEY = "seed"
FAILED_KEY = "runs_failed"


@dataclass(frozen=True)
class Target:
    """An observed band a statistic is fitted to.

    Attributes:
        name: The statistic's key in the simulator's output.
        low: Lower end of the observation.
        high: Upper end (= low for a single value).
        tolerance: The error scale (same unit).
    """

    name: str
    low: float
    high: float
    tolerance: float


def targets_of(patterns: Sequence[Pattern]) -> list[Target]:
    """The targets of patterns."""
    return [Target(p.name, p.low, p.high, p.spec.tolerance) for p in patterns]


class BandDistance:
    """Root sum of squared deviations, each in tolerances outside its observed band.

    Args:
        targets: The fitted targets.
        nan_penalty: The deviation of an undefined (NaN or missing) statistic.
    """

    def __init__(self, targets: Sequence[Target], nan_penalty: float = 5.0):
        self.targets = list(targets)
        self.nan_penalty = float(nan_penalty)

    def deviations(self, x: Mapping[str, Any]) -> dict[str, float]:
        """Each target's deviation (tolerances) for simulated statistics ``x``."""
        return {t.name: pattern_deviation(float(x.get(t.name, math.nan)), t.low, t.high,
                                          t.tolerance, self.nan_penalty)
                for t in self.targets}

    def __call__(self, x: Mapping[str, Any], x_0: Mapping[str, Any] | None = None) -> float:
        """The distance of ``x`` to the observations (``x_0`` is ignored: bands are here)."""
        return float(math.sqrt(sum(d * d for d in self.deviations(x).values())))


def particle_seed(root_seed: int, params: Mapping[str, float]) -> int:
    """A particle's model seed, derived from the root seed and its parameter values.

    The same parameters give the same seed, so an accepted particle can be re-run
    exactly (``posterior.parquet`` stores it).
    """
    text = repr((int(root_seed), sorted((k, float(v)) for k, v in params.items())))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little") % (MAX_SEED + 1)


def pyabc_prior(priors: Sequence[Prior]) -> Any:
    """The pyabc ``Distribution`` of the priors (uniform or log-uniform on their bounds)."""
    from pyabc import RV, Distribution

    rvs = {}
    for p in priors:
        if p.distribution == "loguniform":
            rvs[p.name] = RV("loguniform", p.low, p.high)
        else:
            rvs[p.name] = RV("uniform", p.low, p.high - p.low)
    return Distribution(**rvs)


class CollabSimulator:
    """A particle's runs: each fitted scenario × replications, patterns averaged.

    Picklable, so pyabc's multicore and Dask samplers can ship it.

    Args:
        calibration: The loaded calibration.
        patterns: The patterns to compute (default: the fitted ones).
        scenarios: The scenarios to run (default: those of ``patterns``).
    """

    def __init__(self, calibration: Calibration, patterns: Sequence[Pattern] | None = None,
                 scenarios: Sequence[str] | None = None):
        self.calibration = calibration
        self.patterns = list(patterns if patterns is not None else calibration.fitted_patterns)
        used = {p.scenario for p in self.patterns}
        self.scenarios = list(scenarios if scenarios is not None
                              else [s for s in calibration.scenarios if s in used])

    @property
    def runs_per_call(self) -> int:
        """Model runs per call."""
        return self.calibration.spec.replications * len(self.scenarios)

    def __call__(self, params: Mapping[str, float], seed: int | None = None) -> dict[str, float]:
        """Run the particle; its mean pattern values, its seed and its failed runs.

        Args:
            params: Parameter values by prior name.
            seed: The particle's seed (default: :func:`particle_seed` of the parameters).
        """
        from collabsim.runner import run
        from collabsim.scenario import resolve

        cal = self.calibration
        params = {k: float(v) for k, v in dict(params).items()}
        seed = particle_seed(cal.spec.root_seed, params) if seed is None else int(seed)
        values: dict[str, list[float]] = {p.name: [] for p in self.patterns}
        failed = 0
        for name in self.scenarios:
            mine = [p for p in self.patterns if p.scenario == name]
            try:
                sc = resolve(cal.scenarios[name].model_dump(exclude_none=True),
                             cal.overrides(params, name), f"calibration {cal.name}")
            except Exception:  # an invalid combination of values is a failed particle
                failed += cal.spec.replications
                continue
            for s in replicate_seeds(seed, cal.spec.replications):
                try:
                    res = run(sc, s, cal.spec.steps, cal.spec.n_citizens)
                except Exception:  # failures are data: NaN patterns
                    failed += 1
                    continue
                for p in mine:
                    values[p.name].append(compute_pattern(p, res))
        out: dict[str, float] = {}
        for k, v in values.items():
            arr = np.asarray(v, dtype=float)
            arr = arr[~np.isnan(arr)]
            out[k] = float(arr.mean()) if arr.size else math.nan
        out[SEED_KEY] = seed
        out[FAILED_KEY] = failed
        return out


class _Model:
    """What pyabc calls: parameters in, statistics out (picklable)."""

    def __init__(self, simulate: Callable[[Mapping[str, float]], Mapping[str, float]]):
        self.simulate = simulate

    def __call__(self, pars: Any) -> dict[str, float]:
        return dict(self.simulate({k: float(v) for k, v in dict(pars).items()}))


def make_sampler(kind: str = "sequential", workers: int | None = None,
                 client: Any = None) -> Any:
    """A pyabc sampler.

    Args:
        kind: ``sequential`` (pyabc's single-core sampler), ``processes`` (its
            multicore evaluation-parallel sampler) or ``dask`` (its Dask sampler).
        workers: Processes for ``processes`` (default: the CPUs).
        client: The ``distributed.Client`` for ``dask``.

    Returns:
        The sampler, honouring ``max_eval`` where pyabc can.
    """
    from pyabc.sampler import (
        DaskDistributedSampler,
        MulticoreEvalParallelSampler,
        SingleCoreSampler,
    )

    if kind == "sequential" or (kind == "processes" and workers == 1):
        return SingleCoreSampler(check_max_eval=True)
    if kind == "processes":
        return MulticoreEvalParallelSampler(n_procs=workers, check_max_eval=True)
    if kind == "dask":
        return DaskDistributedSampler(dask_client=client, batch_size=1)
    raise ValueError(f"unknown sampler kind {kind!r}; allowed: sequential, processes, dask")


@dataclass
class GenerationInfo:
    """One finished generation, for the progress display and the manifest.

    Attributes:
        t: Generation index (0, 1, ...).
        epsilon: Its acceptance threshold (distance).
        accepted: Particles accepted.
        evaluated: Particles evaluated.
        runs_used: Model runs recorded so far, all sessions.
        elapsed: Seconds since this session started.
    """

    t: int
    epsilon: float
    accepted: int
    evaluated: int
    runs_used: int
    elapsed: float


#: Called after each generation with its :class:`GenerationInfo`.
AbcProgress = Callable[[GenerationInfo], None]


@dataclass
class AbcOutcome:
    """What a call of :func:`run_abc` did.

    Attributes:
        db: The history's SQLAlchemy address.
        generations: Generations in the history.
        runs_used: Model runs recorded, all sessions.
        stopped: Why it stopped (``generations``, ``budget``, ``epsilon``, ``sample``).
        new_generations: Generations run in this session.
        resumed: Whether the history existed before.
    """

    db: str
    generations: int
    runs_used: int
    stopped: str
    new_generations: list[GenerationInfo] = field(default_factory=list)
    resumed: bool = False


def _holds_run(db_path: Path) -> bool:
    """Whether a SQLite file holds a pyabc run to continue (an empty or foreign file does not)."""
    import sqlite3

    if not db_path.is_file() or db_path.stat().st_size == 0:
        return False
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as con:
            return con.execute("select count(*) from abc_smc").fetchone()[0] > 0
    except sqlite3.Error:
        return False


def _history_state(history: Any) -> tuple[int, int]:
    """(generations, particles evaluated) recorded in a history."""
    n = int(history.n_populations)
    total = history.total_nr_simulations
    return n, int(total or 0)


def run_abc(simulate: Callable[[Mapping[str, float]], Mapping[str, float]],
            priors: Sequence[Prior], targets: Sequence[Target], db_path: str | Path, *,
            population_size: int, max_generations: int, budget: int,
            runs_per_particle: int = 1, min_epsilon: float = 0.0, nan_penalty: float = 5.0,
            sampler_factory: Callable[[], Any] | None = None, seed: int = 0,
            progress: AbcProgress | None = None, show_bar: bool = False) -> AbcOutcome:
    """Run (or continue) an ABC-SMC calibration into a SQLite history.

    Args:
        simulate: Parameters (by prior name) to statistics (by target name).
        priors: The priors.
        targets: The observed bands.
        db_path: The SQLite file (created, or continued when it holds generations).
        population_size: Particles per generation.
        max_generations: Generations in all (a resumed history counts its own).
        budget: Maximum model runs, all sessions together.
        runs_per_particle: Model runs one call of ``simulate`` makes.
        min_epsilon: Stop once a generation's threshold is at or below this.
        nan_penalty: Deviation of an undefined statistic (tolerances).
        sampler_factory: Makes the pyabc sampler (default: single-core).
        seed: Seeds NumPy's global generator, which pyabc's proposals use (each
            generation gets ``seed + t``; only the single-core sampler is then
            reproducible: pyabc's worker processes reseed themselves).
        progress: Called after each generation.
        show_bar: Show pyabc's per-generation progress bar (a terminal).

    Returns:
        The :class:`AbcOutcome`.
    """
    import logging

    from pyabc import ABCSMC
    from pyabc.epsilon import MedianEpsilon

    logging.getLogger("ABC").setLevel(logging.WARNING)
    logging.getLogger("pyabc").setLevel(logging.WARNING)
    db_path = Path(db_path)
    db = f"sqlite:///{db_path.resolve()}"
    prior = pyabc_prior(priors)
    distance = BandDistance(targets, nan_penalty)
    observed = {t.name: (t.low + t.high) / 2 for t in targets}
    budget_particles = max(0, budget // max(1, runs_per_particle))
    sampler_factory = sampler_factory or (lambda: make_sampler("sequential"))
    resumed = _holds_run(db_path)
    news: list[GenerationInfo] = []
    started = time.monotonic()
    stopped = "generations"
    while True:
        abc = ABCSMC(_Model(simulate), prior, distance, population_size=population_size,
                     sampler=sampler_factory(), eps=MedianEpsilon(median_multiplier=1))
        history = abc.load(db, 1) if _holds_run(db_path) else abc.new(db, observed)
        n_gen, used = _history_state(history)
        if n_gen >= max_generations:
            stopped = "generations"
            break
        if n_gen and history.get_all_populations()["epsilon"].iloc[-1] <= min_epsilon:
            stopped = "epsilon"
            break
        left = budget_particles - used
        if n_gen == 0:
            left -= population_size  # the prior sample pyabc draws first
        if n_gen:
            pops = history.get_all_populations()
            last = pops[pops.t == pops.t.max()].iloc[0]
            need = population_size * max(1.0, float(last["samples"]) / population_size)
        else:
            need = population_size
        if left < population_size or left < need:
            stopped = "budget"
            break
        if hasattr(abc.sampler, "show_progress"):
            abc.sampler.show_progress = show_bar
        np.random.seed((seed + n_gen) % (2**32))
        abc.run(max_nr_populations=1, min_acceptance_rate=population_size / left)
        n_after, used_after = _history_state(history)
        if n_after == n_gen:  # the generation was cut off at the budget (not ok): nothing kept
            stopped = "budget"
            break
        pops = history.get_all_populations()
        row = pops[pops.t == pops.t.max()].iloc[0]
        info = GenerationInfo(int(row["t"]), float(row["epsilon"]), population_size,
                              int(row["samples"]), used_after * runs_per_particle,
                              time.monotonic() - started)
        news.append(info)
        if progress is not None:
            progress(info)
    final = ABCSMC(_Model(simulate), prior, distance, population_size=population_size,
                   sampler=make_sampler("sequential")).load(db, 1)
    n_gen, used = _history_state(final)
    return AbcOutcome(db, n_gen, used * runs_per_particle, stopped, news, resumed)

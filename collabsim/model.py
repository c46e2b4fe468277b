"""CollabModel: inter-agency collaboration in local government, as a ``mesa.Model``.

One step is one day. ``step()`` reads like a methods section: agencies commit
officers and officers choose effort; each service steps (citizens decide,
files move); information spreads; the collaboration cycle updates; data is
collected.

A new model first simulates ``burn_in_days`` siloed days (numbered below 0,
not recorded) so that queues, beliefs and knowledge start day 0 at their siloed
steady state: before/after differences and effects are then not mixed with the
model filling up (DESIGN §3).
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from copy import deepcopy
from functools import partial
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd

from collabsim import metrics
from collabsim.agents import Agency, CitizenPopulation, CitizenViews, Officer, OfficerCorps
from collabsim.interventions import Event, Timeline, daily_costs
from collabsim.network import build_collaboration_network, build_social_network, sorted_unique
from collabsim.rng import AgentDraws, entropy_seed, stream
from collabsim.scenario import Scenario, ScenarioError, load_scenario
from collabsim.services import SERVICES

__all__ = ["DEFAULT_PRESET", "FLAT_PARAMETERS", "CollabModel"]

DEFAULT_PRESET = "pbg"

#: Flat keyword parameters (for ``mesa.batch_run`` and SolaraViz) and the
#: scenario key paths they set; ``*`` means every agency.
FLAT_PARAMETERS: dict[str, str] = {
    "leader_commitment": "agencies.*.leader_commitment",
    "facilitative_leadership": "agencies.*.facilitative_leadership",
    "resources": "agencies.*.resources",
    "regulation_ready": "agencies.*.regulation_ready",
    "communication_openness": "agencies.*.communication_openness",
    "role_clarity": "agencies.*.role_clarity",
    "staff_competence": "agencies.*.staff_competence",
    "joint_stages": "licensing.joint_stages",
    "beta_citizen": "choice.beta_citizen",
    "collaboration_start": "collaboration_start",
    "need_rate": "citizens.need_rate",
    "socialisation_reach": "mobility.campaigns.*.reach",
    "outreach_rate": "citizens.outreach_rate",
}


class CollabModel(mesa.Model):
    """Agencies, officers and citizens collaborating to deliver public services.

    Args:
        scenario: A :class:`~collabsim.scenario.Scenario`, a preset name or a
            path to a TOML file (default: the ``pbg`` preset).
        seed: Root seed of every random stream (drawn from entropy and kept in
            ``self.seed`` when omitted).
        n_citizens: Number of citizens, overriding ``citizens.n``; capacities
            scale with it.
        overrides: Dotted key paths to values, validated with the scenario.
        preset: A preset name (flat alternative to ``scenario`` for batch runs).
        **kwargs: Flat parameters, see :data:`FLAT_PARAMETERS`.
    """

    def __init__(self, scenario: Scenario | str | Path | None = None, *, seed: int | None = None,
                 n_citizens: int | None = None, overrides: Mapping[str, Any] | None = None,
                 preset: str | None = None, **kwargs: Any):
        self.config = self._configure(scenario, preset, n_citizens, overrides, kwargs)
        self.seed = int(seed) if seed is not None else entropy_seed()
        super().__init__(rng=self.seed)
        self.day = 0  # days simulated so far; our own clock (Mesa 4 drops model.steps)
        self._streams: dict[str, np.random.Generator] = {}
        self._draws = AgentDraws(self.seed)
        self._stream_mode = self.config.random_numbers == "stream"
        cfg = self.config
        self.scale = cfg.citizens.n / cfg.citizens.capacity_reference
        self.build_agencies()
        self.build_officers()
        self.build_citizens()
        self.build_services()
        self.levy_target_per_year = (cfg.licensing.levy_annual_target * self.scale
                                     if cfg.licensing else 0.0)
        self.officer_time = np.zeros(self.officers.n)
        self._officer_ids = np.arange(0)
        self.events: list[Event] = []
        self.timeline = Timeline(cfg)
        self.costs_today = dict.fromkeys(("staff", "campaigns", "interventions",
                                          "officer_days"), 0.0)
        self.datacollector = _DataCollector(model_reporters=self.reporters())
        self.burn_in(cfg.burn_in_days)

    # ------------------------------------------------------------ building
    @staticmethod
    def _configure(scenario, preset, n_citizens, overrides, flat) -> Scenario:
        unknown = sorted(set(flat) - set(FLAT_PARAMETERS))
        if unknown:
            raise ScenarioError([f"CollabModel: unknown parameter(s) {', '.join(unknown)}; "
                                 f"allowed: {', '.join(FLAT_PARAMETERS)}"])
        if scenario is not None and type(scenario).__module__.startswith("mesa."):
            # Mesa's SolaraViz hands a model's `scenario` property (Mesa's own flat
            # Scenario object, not ours) back to __init__ on Reset: not a collabsim input.
            scenario = None
        merged = {FLAT_PARAMETERS[k]: v for k, v in flat.items()}
        merged.update(overrides or {})
        if n_citizens is not None:
            merged["citizens.n"] = int(n_citizens)
        source = scenario if scenario is not None else (preset or DEFAULT_PRESET)
        return load_scenario(source, merged)

    def stream(self, name: str) -> np.random.Generator:
        """The named random stream of a subsystem (see :mod:`collabsim.rng`)."""
        if name not in self._streams:
            self._streams[name] = stream(self.seed, name)
        return self._streams[name]

    def reseed(self, seed: int) -> None:
        """Draw the rest of the run from ``seed``: every stream and per-agent draw, state kept.

        For continuations of one state under other random numbers (copies of a
        model taken on a day, each reseeded): what a run's outcome owes to its
        history up to that day, and what to the draws after it
        (``benchmarks/crn_floor.py``). ``model.seed`` becomes ``seed``.
        """
        self.seed = int(seed)
        self._streams = {}
        self._draws = AgentDraws(self.seed)

    def uniforms(self, name: str, ids: np.ndarray, slot: int = 0) -> np.ndarray:
        """Today's uniforms of agents ``ids`` in decision ``name`` (per-agent CRN).

        With ``random_numbers = "agent"`` (the default) each agent's number
        depends only on the seed, the decision, the day, the agent and ``slot``
        (:class:`~collabsim.rng.AgentDraws`); with ``"stream"`` they are the next
        ``len(ids)`` draws of the stream ``name``.
        """
        if self._stream_mode:
            return self.stream(name).random(len(ids))
        if isinstance(ids, np.ndarray) and ids.shape == (0,):
            return np.zeros(0)  # nobody decides: what the draws return for no agents
        return self._draws.uniforms(name, self.day, ids, slot)

    def decision_key(self, name: str, slot: int = 0) -> np.uint64:
        """Today's 64-bit key of decision ``name`` in agent mode.

        Agent ``i``'s uniform in the decision is
        :func:`~collabsim._kernels.splitmix_uniforms` of ``i`` under this key, as
        :meth:`uniforms` returns it (for compiled rules that draw as they go).
        """
        return np.uint64(self._draws.key(name, self.day, slot))

    def day_stream(self, name: str) -> np.random.Generator:
        """A generator of decision ``name`` for today only (the stream itself in stream mode)."""
        if self._stream_mode:
            return self.stream(name)
        return self._draws.day_stream(name, self.day)

    def sample(self, name: str, p: float, cap: float) -> np.ndarray:
        """Citizens each reached with probability ``p`` today, for a rate a policy changes.

        In agent mode the candidates are a day's draw at rate ``max(p, cap)``,
        each accepted when its own mark is below ``p / max(p, cap)``: the
        citizens reached at a lower rate are a subset of those reached at a
        higher one on the same seed and day (coupled, O(reached)). ``cap`` is
        the highest rate the process can have. In stream mode it is
        ``population.sample(p, stream(name))``.
        """
        if self._stream_mode:
            return self.population.sample(p, self.stream(name))
        if p <= 0:
            return np.zeros(0, dtype=np.int64)
        c = min(max(p, cap), 1.0)
        g = self._draws.day_draws(name, self.day)  # used here, before any other draw
        k = int(g.binomial(self.population.n, c))
        cand = g.integers(0, self.population.n, k)
        return sorted_unique(cand[g.random(k) * c < p])

    def build_agencies(self) -> None:
        """Create the agencies and the collaboration network between them."""
        cfg = self.config
        self.agency_list: list[Agency] = []
        for i, (key, p) in enumerate(cfg.agencies.items()):
            self.agency_list.append(Agency(self, key, i, p, p.n_officers * self.scale))
        self.agency_index = {a.key: a.index for a in self.agency_list}
        c = cfg.collaboration
        self.collaboration_graph = build_collaboration_network(
            {a.key: {"name": a.label, "index": a.index} for a in self.agency_list},
            c.initial_trust, c.initial_shared_understanding)

    def build_officers(self) -> None:
        """Create every agency's desk and patrol officers around its competence means."""
        cfg = self.config
        rng = self.stream("officers.init")
        agencies = self.agency_list
        heads = [int(np.ceil(a.n_officers - 1e-9)) for a in agencies]
        desk = np.repeat([a.index for a in agencies], heads)
        # full-time equivalents: every desk officer full time but an agency's last, who
        # works the fraction left (2.5 officers = 2 full + 1 half): capacity is continuous
        # in resources and population, without rounding cliffs
        desk_fte = np.concatenate([np.minimum(1.0, a.n_officers - np.arange(h))
                                   for a, h in zip(agencies, heads, strict=True)] or [[]])
        patrol = np.repeat([a.index for a in agencies], [a.n_patrol for a in agencies])
        agency_of = np.concatenate([desk, patrol]).astype(int)
        duty = np.concatenate([np.zeros(desk.size), np.ones(patrol.size)])
        comp_mean = np.array([cfg.agencies[a.key].staff_competence for a in agencies])
        comm_mean = np.array([cfg.agencies[a.key].intrinsic_commitment for a in agencies])
        op = cfg.officers
        competence = np.clip(comp_mean[agency_of] + op.competence_sd
                             * rng.standard_normal(agency_of.size), 0.0, 1.0)
        commitment = np.clip(comm_mean[agency_of] + op.commitment_sd
                             * rng.standard_normal(agency_of.size), 0.0, 1.0)
        fte = np.concatenate([desk_fte, np.ones(patrol.size)])
        self.officers = OfficerCorps(agency_of, competence, commitment, op,
                                     cfg.choice.beta_officer, duty, fte)
        for i, (a, d) in enumerate(zip(agency_of, duty, strict=True)):
            agency = agencies[a]
            (agency.patrol if d else agency.officers).append(Officer(self, i, agency))

    def build_citizens(self) -> None:
        """Create the citizens (array rows) and their social network.

        Their ``mesa.Agent`` views (``self.citizens``) are made on demand, all of
        them when Mesa's registry is read (:attr:`agents`, :attr:`agents_by_type`):
        creating a million agents up front took 4 of a 1M-citizen model's 8 s
        build and is never needed to simulate (see :class:`CitizenViews`).
        """
        cit = self.config.citizens
        sn = cit.social_network
        indptr, indices = build_social_network(cit.n, sn.kind, sn.degree, sn.rewire_prob,
                                               self.stream("network.social"))
        self.population = CitizenPopulation(cit.n, indptr, indices)
        self.citizens = CitizenViews(self, cit.n)

    @property
    def agents(self):
        """Mesa's registry of every agent (citizens' views created first if need be)."""
        self._materialise_citizens()
        return mesa.Model.agents.fget(self)

    @agents.setter
    def agents(self, value) -> None:
        mesa.Model.agents.fset(self, value)

    @property
    def agents_by_type(self):
        """Mesa's agents by type (citizens' views created first if need be)."""
        self._materialise_citizens()
        return mesa.Model.agents_by_type.fget(self)

    @property
    def agent_types(self) -> list[type]:
        """Mesa's agent types (citizens' views created first if need be)."""
        self._materialise_citizens()
        return mesa.Model.agent_types.fget(self)

    def _materialise_citizens(self) -> None:
        views = self.__dict__.get("citizens")
        if views is not None:
            views.materialise()

    # ------------------------------------------------------- interventions
    def reconfigure(self, new: Scenario) -> None:
        """Carry a changed scenario into the running model (the interventions' one door).

        Values read from the configuration each day take effect by replacing it
        (the officers' ``[officers]`` parameters too, which the corps holds);
        state-bearing ones move the running state: an agency's attributes, its
        leader's commitment (the agency's commitment shifts by the same amount),
        staff competence (its officers' competence shifts), desk officers and
        patrol officers (hired with a training lag, or retired), and the
        workflow stages' parameters (stages matched by name).
        """
        old = self.config
        for agency in self.agency_list:
            before, after = old.agencies[agency.key], new.agencies[agency.key]
            if before != after:
                self._update_agency(agency, before, after)
        for service in self.services:
            params = self.service_params(service.name, new)
            if params is not None:
                service.reconfigure(params)
        # the officers' choice and output read their parameters each day (effort cost,
        # recognition and intrinsic weights, productivity); the spreads act at hiring
        self.officers.params = new.officers
        self.config = new
        self.levy_target_per_year = (new.licensing.levy_annual_target * self.scale
                                     if new.licensing else 0.0)

    def _update_agency(self, agency: Agency, before, after) -> None:
        o = self.officers
        mine = o.agency_of == agency.index
        agency.commitment = float(np.clip(
            agency.commitment + after.leader_commitment - before.leader_commitment, 0, 1))
        for name in ("leader_commitment", "facilitative_leadership", "resources",
                     "regulation_ready", "communication_openness", "role_clarity",
                     "staff_competence"):
            setattr(agency, name, getattr(after, name))
        if after.regulation_ready and not before.regulation_ready:
            self.log("regulation_in_force", agency=agency.key)
        for attr, mean in (("competence", "staff_competence"),
                           ("commitment", "intrinsic_commitment")):
            shift = getattr(after, mean) - getattr(before, mean)
            if shift:
                values = getattr(o, attr if attr != "competence" else "base_competence")
                values[mine] = np.clip(values[mine] + shift, 0, 1)
        if after.n_officers != before.n_officers:
            self.staff_desk(agency, after.n_officers * self.scale, after)
        if after.patrol_officers != before.patrol_officers:
            self.staff_patrol(agency, after.patrol_officers, after)

    def _hire(self, agency: Agency, k: int, duty: int, params) -> list[int]:
        """Add ``k`` officers to an agency (drawn around its means), in training from today."""
        rng = self.day_stream(f"officers.hiring.{agency.key}.{duty}")
        op = self.config.officers
        comp = np.clip(params.staff_competence + op.competence_sd * rng.standard_normal(k), 0, 1)
        comm = np.clip(params.intrinsic_commitment + op.commitment_sd
                       * rng.standard_normal(k), 0, 1)
        ids = self.officers.add(agency.index, comp, comm, duty, self.day)
        for i in ids:
            (agency.patrol if duty else agency.officers).append(Officer(self, int(i), agency))
        self.officer_time = np.concatenate([self.officer_time, np.zeros(k)])
        if self.mobility is not None:
            self.mobility.officer_post = np.concatenate([self.mobility.officer_post,
                                                         np.full(k, -1)])
        self.log("officers_hired", agency=agency.key, n=k)
        return list(ids)

    def staff_desk(self, agency: Agency, fte: float, params) -> None:
        """Set an agency's desk staff to ``fte`` full-time equivalents (hire or retire)."""
        heads = int(np.ceil(fte - 1e-9))
        if heads > len(agency.officers):
            self._hire(agency, heads - len(agency.officers), 0, params)
        elif heads < len(agency.officers):
            self.log("officers_retired", agency=agency.key, n=len(agency.officers) - heads)
        for rank, officer in enumerate(agency.officers):
            self.officers.fte[officer.index] = float(np.clip(fte - rank, 0.0, 1.0))
        agency.n_officers = fte

    def staff_patrol(self, agency: Agency, n: int, params) -> None:
        """Set the patrol officers an agency can field to ``n`` (hire, or withdraw the rest)."""
        if n > len(agency.patrol):
            self._hire(agency, n - len(agency.patrol), 1, params)
        elif n < len(agency.patrol):
            self.log("officers_retired", agency=agency.key, n=len(agency.patrol) - n)
        agency.n_patrol = n

    def build_services(self) -> None:
        """Build every registered service the scenario configures, in registry order.

        Each is also an attribute named after it (``model.licensing``, None when
        absent); ``self.services`` lists those present, in the order they step.
        """
        self.services = []
        for spec in SERVICES.values():
            params = self.service_params(spec.name)
            service = spec.cls(self, params) if params is not None else None
            setattr(self, spec.name, service)
            if service is not None:
                self.services.append(service)

    def service_params(self, name: str, config: Scenario | None = None) -> Any:
        """The parameters of service ``name`` in ``config`` (default: the current one)."""
        cfg = config or self.config
        spec = SERVICES[name]
        if spec.builtin:
            return getattr(cfg, name, None)
        raw = cfg.services.get(name)
        return None if raw is None else spec.params_model.model_validate(raw)

    @property
    def metrics(self) -> list:
        """The metrics declared by the services present, then the model's own."""
        return metrics.declared_metrics([s.name for s in self.services])

    def reporters(self) -> dict[str, Any]:
        """Model reporters, derived from the declared metrics (plus the day)."""
        return {"day": _day, **metrics.reporters_of(self.metrics)}

    # ---------------------------------------------------------------- step
    @property
    def joint(self) -> bool:
        """Whether the joint arrangement is in force today."""
        return self.day >= self.config.collaboration_start

    def step(self) -> None:
        """Simulate one day: today's interventions first, then the day, then the record."""
        self.timeline.apply(self)
        if self.day == self.config.collaboration_start:
            self.log("collaboration_start")
        self.simulate_day()
        self.costs_today = daily_costs(self)
        self.datacollector.collect(self)
        self.day += 1

    def log(self, kind: str, **params: Any) -> None:
        """Record an event of the recorded run (see :class:`~collabsim.interventions.Event`)."""
        if self.day >= 0:
            self.events.append(Event(self.day, kind, params))

    def simulate_day(self) -> None:
        """One day of the model's processes, in order (no data collected)."""
        self.commit_officers()
        self.choose_efforts()
        for service in self.services:
            service.step(self.day)
        self.spread_information()
        self.update_collaboration()

    def burn_in(self, days: int) -> None:
        """Simulate ``days`` siloed days before day 0, unrecorded (days −days … −1).

        At a quarter, half and three quarters of it each service may *settle* its
        beliefs at what the burn-in has shown since the last settling
        (:meth:`LicensingService.settle_beliefs`: expected days set to the
        processing days realised): the population's mean belief moves slowly
        (word of mouth averages it, only experience and public information move
        it), so this fixed-point iteration brings beliefs near their siloed
        steady state whatever the parameters, and the last quarter relaxes them.
        Every service then opens its accounts (counts, revenue, fines) at zero, so
        day-0 totals count only recorded days while queues and beliefs carry over.
        """
        self.day = -int(days)
        settle = {-int(days) * k // 4 for k in (1, 2, 3)} - {0}
        while self.day < 0:
            if self.day in settle:
                for service in self.services:
                    getattr(service, "settle_beliefs", lambda: None)()
            self.simulate_day()
            self.day += 1
        for service in self.services:
            service.open_accounts()

    @property
    def officer_active(self) -> np.ndarray:
        """Officers working the service today at all (``officer_time > 0``)."""
        return self.officer_time > 0

    def commit_officers(self) -> None:
        """Each agency puts a share of its desk officers' time on the service today.

        Every desk officer works ``fte × share`` of the day on the service, the
        share from :meth:`Agency.available_share`: capacity changes smoothly with
        resources and commitment.
        """
        share = self.config.collaboration.siloed_staff_share
        avail = np.array([a.available_share(self.joint, share) for a in self.agency_list])
        o = self.officers
        self.officer_time = np.where(o.duty == 0, o.fte * avail[o.agency_of], 0.0) \
            if o.n else np.zeros(0)

    def choose_efforts(self) -> None:
        """Every officer chooses today's effort (vectorised logit); new hires train first."""
        self.officers.train(self.day, self.config.officers.training_days)
        commitment = np.array([a.commitment for a in self.agency_list])
        ids = self._officer_ids
        if ids.size != self.officers.n:  # np.arange(n), kept until officers are hired
            ids = self._officer_ids = np.arange(self.officers.n)
            ids.flags.writeable = False
        self.officers.choose_efforts(commitment, self.uniforms("officers.effort", ids))

    def spread_information(self) -> None:
        """Word of mouth over the social network, and the agencies' public information."""
        cit = self.config.citizens
        talk = self.population.talk(cit.word_of_mouth_rate, self.stream("citizens.word_of_mouth"))
        for service in self.services:
            # a service that can work the conversations in listener order gets them so
            # (the same result; city scale), any other in draw order
            in_order = getattr(service, "hear_in_order", None)
            if in_order is not None:
                in_order(talk.order, talk.ordered_listeners, talk.ordered_speakers)
            else:
                service.hear(talk.listeners, talk.speakers)
            service.inform()

    def update_collaboration(self) -> None:
        """In the joint arrangement, commitment drifts with the trust on the ties in use.

        Only ties that have carried work (a hand-off, a request, a failure) count:
        an untried partnership teaches nothing.
        """
        if not self.joint:
            return
        g = self.collaboration_graph
        speed = self.config.collaboration.commitment_speed
        adj = g._adj  # g.edges(a.key, data=True), in its order, without the view's cost
        for a in self.agency_list:
            used = [d["trust"] for d in adj[a.key].values() if d["handoffs"] or d["failures"]]
            a.update_commitment(used, speed)

    def run(self, steps: int | None = None) -> pd.DataFrame:
        """Simulate ``steps`` days (default: the scenario's ``steps``).

        Returns:
            The model-level time series so far (one row per day).
        """
        for _ in range(self.config.steps if steps is None else int(steps)):
            self.step()
        return self.datacollector.get_model_vars_dataframe()


def _day(m: CollabModel) -> int:
    return m.day


class _DataCollector(mesa.DataCollector):
    """Mesa's DataCollector, without deep-copying each day's scalars.

    Every model reporter here is a function returning a number; Mesa deep-copies
    each value it records (some 40 a day), about a sixth of a licensing day at
    10,000 citizens. Numbers are immutable, so they are kept as they are; any
    other value, agent reporters and reporters of another kind go through
    Mesa's own :meth:`collect` (and the records are the same either way).
    """

    _SCALARS = (int, float, bool, str, type(None), np.generic)

    _fast: bool | None = None
    _columns: tuple[dict, list] | None = None

    def collect(self, model):
        """Record today's value of every model reporter."""
        fast = self._fast
        if fast is None and self._validated:  # Mesa validates on the first collect
            fast = self._fast = (not self.agent_reporters and not self.agenttype_reporters
                                 and all(isinstance(r, types.FunctionType | partial)
                                         for r in self.model_reporters.values()))
        if not fast:
            return super().collect(model)
        if hasattr(self, "_collection_steps"):
            self._collection_steps.append(model.time)
        columns = self._columns
        if columns is None or columns[0] is not self.model_vars:
            # (reporter, its column), rebuilt if the columns are replaced. The column
            # lists themselves, not their bound ``append``: a deep copy of the model (a
            # forked counterfactual) copies lists but not builtin methods, which would
            # keep appending to the original's columns.
            columns = self._columns = (self.model_vars, [
                (r, self.model_vars[var]) for var, r in self.model_reporters.items()])
        scalars = self._SCALARS
        for reporter, column in columns[1]:
            value = reporter(model)
            column.append(value if isinstance(value, scalars) else deepcopy(value))
        return None

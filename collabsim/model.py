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

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd

from collabsim import metrics
from collabsim.agents import Agency, Citizen, CitizenPopulation, Officer, OfficerCorps
from collabsim.network import build_collaboration_network, build_social_network
from collabsim.rng import entropy_seed, stream
from collabsim.scenario import Scenario, ScenarioError, load_scenario
from collabsim.services import LicensingService, MobilityService

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
        cfg = self.config
        self.scale = cfg.citizens.n / cfg.citizens.capacity_reference
        self.build_agencies()
        self.build_officers()
        self.build_citizens()
        self.licensing = (LicensingService(self, cfg.licensing)
                          if cfg.licensing is not None else None)
        self.mobility = (MobilityService(self, cfg.mobility)
                         if cfg.mobility is not None else None)
        self.services = [s for s in (self.licensing, self.mobility) if s is not None]
        self.levy_target_per_year = (cfg.licensing.levy_annual_target * self.scale
                                     if cfg.licensing else 0.0)
        self.officer_time = np.zeros(self.officers.n)
        self.datacollector = mesa.DataCollector(model_reporters=self.reporters())
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
        """Create the citizens (array rows plus agent views) and their social network."""
        cit = self.config.citizens
        sn = cit.social_network
        indptr, indices = build_social_network(cit.n, sn.kind, sn.degree, sn.rewire_prob,
                                               self.stream("network.social"))
        self.population = CitizenPopulation(cit.n, indptr, indices)
        Citizen.create_agents(self, cit.n, list(range(cit.n)))

    def reporters(self) -> dict[str, Any]:
        """Model reporters for every service present, plus the collaboration's."""
        out: dict[str, Any] = {"day": _day}
        if self.licensing is not None:
            out.update(metrics.licensing_reporters())
        if self.mobility is not None:
            out.update(metrics.mobility_reporters())
        out.update(metrics.collaboration_reporters())
        return out

    # ---------------------------------------------------------------- step
    @property
    def joint(self) -> bool:
        """Whether the joint arrangement is in force today."""
        return self.day >= self.config.collaboration_start

    def step(self) -> None:
        """Simulate one day."""
        self.simulate_day()
        self.datacollector.collect(self)
        self.day += 1

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

        Every service then opens its accounts (counts, revenue, fines) at zero, so
        day-0 totals count only recorded days while queues and beliefs carry over.
        """
        self.day = -int(days)
        while self.day < 0:
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
        """Every officer chooses today's effort (vectorised logit)."""
        commitment = np.array([a.commitment for a in self.agency_list])
        self.officers.choose_efforts(commitment,
                                     self.stream("officers.effort").random(self.officers.n))

    def spread_information(self) -> None:
        """Word of mouth over the social network, and the agencies' public information."""
        cit = self.config.citizens
        listeners, speakers = self.population.conversations(
            cit.word_of_mouth_rate, self.stream("citizens.word_of_mouth"))
        for service in self.services:
            service.hear(listeners, speakers)
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
        for a in self.agency_list:
            used = [d["trust"] for _, _, d in g.edges(a.key, data=True)
                    if d["handoffs"] or d["failures"]]
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

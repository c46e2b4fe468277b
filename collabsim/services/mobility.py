"""Mobility control (JCOC): an operations centre, checkpoints, socialisation, travel choice.

One step is one day. In order:

1. **Deployment**: each partner agency contributes patrol officers according to
   its commitment. The operations centre plans where every contingent goes
   (it knows every checkpoint and every contingent, and spreads officers so no
   point is empty); without a centre each agency plans alone from a partial
   view, filling the points it knows. Officers whose role is unclear
   (``1 − role_clarity``; with a centre, also poor communication on the tie)
   end up at a checkpoint of their own choosing: overlaps (several agencies at
   one point, more than needed) and gaps (points nobody staffs) follow.
2. **Detection**: a violating trip is stopped at a checkpoint on its route
   with ``1 − (1 − detection_per_officer)^staff`` (staff = Σ competence ×
   effort there, counted up to the post's need: officers beyond it add
   nothing), or by CCTV where an operations centre acts on the cameras.
3. **Travel choice** (logit, β = ``beta_citizen``): ``U_travel = need −
   restricted·[aware·(rule_weight + P̂(detected)·sanction) +
   norm_weight·(share of ties who stayed home yesterday)]``, ``U_stay = 0``;
   essential workers are exempt from the restriction terms. Unaware citizens
   do not weigh the rule or the sanction (Becker 1968 needs a known rule).
4. **Enforcement**: detected violators are warned (education phase: they
   become aware) or fined; they and their ties update their perceived risk.
5. **Collaboration**: a contingent that mostly lands where the plan needs it
   is a small win on its tie to the centre; an absent contingent, or one
   mostly at over-staffed points, is a failure.

Socialisation campaigns and word of mouth raise awareness (see :meth:`inform`
and :meth:`hear`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx
import numpy as np

from collabsim.choice import choose_with_uniforms
from collabsim.network import (
    communication_quality,
    update_trust_on_failure,
    update_trust_on_success,
)

if TYPE_CHECKING:
    from collabsim.model import CollabModel
    from collabsim.scenario.schema import MobilityParams

__all__ = ["MobilityService"]

BASELINE, EDUCATION, ENFORCEMENT, LIFTED = "baseline", "education", "enforcement", "lifted"


class MobilityService:
    """Mobility control over a city of districts (vectorised over citizens)."""

    name = "mobility"

    def __init__(self, model: CollabModel, params: MobilityParams):
        self.model = model
        self.params = params
        self.district_keys = list(params.districts)
        self.district_graph = self._build_city()
        self._routes = self._route_matrix()
        pop = np.array([d.population for d in params.districts.values()], dtype=float)
        self.gravity = pop / pop.sum()
        self.cctv = np.array([d.cctv for d in params.districts.values()])
        n = model.population.n
        rng = model.stream("mobility.init")
        self.home = self._assign_homes(n, rng)
        self.essential = rng.random(n) < params.essential_share
        self.need = (params.trip_need + params.trip_need_sd * rng.standard_normal(n)
                     + params.essential_extra_need * self.essential)
        self.aware = rng.random(n) < params.initial_awareness
        self.belief_detect = np.full(n, params.initial_detection_belief, dtype=np.float64)
        self.stayed = np.zeros(n, dtype=bool)
        self.cp_district = np.array([self.district_keys.index(c.district)
                                     for c in params.checkpoints], dtype=int)
        self.cp_needed = np.array([c.officers_needed for c in params.checkpoints], dtype=int)
        self.cp_entry = np.array([c.kind == "entry" for c in params.checkpoints], dtype=bool)
        n_cp = len(params.checkpoints)
        self.cp_staff = np.zeros(n_cp)
        self.cp_officers = np.zeros(n_cp, dtype=int)
        self.cp_agencies = np.zeros(n_cp, dtype=int)
        self.officer_post = np.full(model.officers.n, -1, dtype=int)
        self.detect_od = np.zeros((len(self.district_keys),) * 2)
        self.today = dict.fromkeys(("trips", "violations", "detected", "non_essential"), 0)
        self.fines = 0.0
        self._baseline_trips: list[int] = []
        self.deployed = 0
        self.available = int((model.officers.duty == 1).sum())

    # ----------------------------------------------------------- the city
    def _build_city(self) -> nx.Graph:
        """District graph: nodes are district indices with name, population and position."""
        g = nx.Graph()
        for i, (key, d) in enumerate(self.params.districts.items()):
            g.add_node(i, key=key, population=d.population, pos=(d.x, d.y), cctv=d.cctv)
        idx = {k: i for i, k in enumerate(self.district_keys)}
        g.add_edges_from((idx[a], idx[b]) for a, b in self.params.roads)
        return g

    def _route_matrix(self) -> np.ndarray:
        """``R[o, d, k]`` = 1 if the shortest route from o to d passes district k."""
        n = len(self.district_keys)
        r = np.zeros((n, n, n), dtype=bool)
        paths = dict(nx.all_pairs_shortest_path(self.district_graph))
        for o in range(n):
            for d in range(n):
                r[o, d, paths.get(o, {}).get(d, [o, d])] = True
        return r

    def _assign_homes(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Citizens spread over districts in proportion to population (largest remainder)."""
        share = self.gravity * n
        counts = np.floor(share).astype(int)
        rest = n - counts.sum()
        counts[np.argsort(-(share - counts), kind="stable")[:rest]] += 1
        home = np.repeat(np.arange(len(counts)), counts).astype(np.int16)
        rng.shuffle(home)
        return home

    def district_population(self) -> np.ndarray:
        """Simulated citizens living in each district."""
        return np.bincount(self.home, minlength=len(self.district_keys))

    # ------------------------------------------------------------ timeline
    def phase(self, day: int) -> str:
        """``baseline``, ``education``, ``enforcement`` or ``lifted`` on ``day``."""
        p = self.params
        if day < p.restriction_start:
            return BASELINE
        if day >= p.restriction_start + p.restriction_days:
            return LIFTED
        if day < p.restriction_start + p.education_days:
            return EDUCATION
        return ENFORCEMENT

    @property
    def centre(self):
        """The agency running the operations centre today, or None (siloed)."""
        m = self.model
        key = self.params.operations_centre
        if not key or not m.joint:
            return None
        return m.agency_list[m.agency_index[key]]

    # ---------------------------------------------------------- deployment
    def contribution(self, agency) -> int:
        """Patrol officers an agency fields today: ``round(patrol · commitment)``.

        Commitment and involvement of every agency is the key factor (DESIGN §1.2).
        """
        return round(agency.n_patrol * agency.commitment)

    def adherence(self, agency) -> float:
        """Chance an officer ends up where the plan puts it.

        ``role_clarity``, and with a centre also ``½ + ½·q`` with ``q`` the
        communication quality of the agency's tie to the centre (the request
        travels over the collaboration network).
        """
        centre = self.centre
        if centre is None or agency is centre:
            return agency.role_clarity
        tie = self.model.collaboration_graph.edges[centre.key, agency.key]
        q = communication_quality(centre.communication_openness, agency.communication_openness,
                                  tie["shared_understanding"])
        return agency.role_clarity * (0.5 + 0.5 * q)

    def _plan_slots(self, visible: np.ndarray, spread: bool) -> np.ndarray:
        """Checkpoint posts in plan order, entry points first.

        ``spread`` (the centre's plan, seeing every contingent) fills posts
        round by round — one officer at every point, then a second … — so a
        short-handed operation leaves no point empty. An agency planning alone
        fills the points it knows to their full need, one after the other.
        """
        order = np.lexsort((np.arange(visible.size), ~self.cp_entry[visible]))
        cps = visible[order]
        if not spread:
            return np.repeat(cps, self.cp_needed[cps])
        rounds = [cps[self.cp_needed[cps] > r] for r in range(int(self.cp_needed.max()))]
        return np.concatenate(rounds) if rounds else cps

    def deploy(self) -> None:
        """Place today's patrol officers at checkpoints (planned, then role confusion)."""
        m = self.model
        rng = m.stream("mobility.deployment")
        n_cp = self.cp_needed.size
        self.officer_post[:] = -1
        if n_cp == 0:
            return
        centre = self.centre
        plan = self._plan_slots(np.arange(n_cp), spread=True) if centre is not None else None
        cursor = 0
        for agency in m.agency_list:
            k = self.contribution(agency)
            if k == 0:
                continue
            ids = np.array([o.index for o in agency.patrol[:k]], dtype=int)
            if plan is not None:
                slots = plan[cursor: cursor + k]
                cursor += slots.size
                extra = k - slots.size  # more officers than the plan needs: sent anywhere
                posts = np.concatenate([slots, rng.integers(0, n_cp, extra)])
            else:
                seen = np.flatnonzero(rng.random(n_cp) < self.params.siloed_view)
                if seen.size == 0:
                    seen = rng.integers(0, n_cp, 1)
                posts = np.resize(self._plan_slots(seen, spread=False), k)
            confused = rng.random(k) >= self.adherence(agency)
            posts[confused] = rng.integers(0, n_cp, int(confused.sum()))
            self.officer_post[ids] = posts
        self._tally_posts()

    def _tally_posts(self) -> None:
        o = self.model.officers
        on = self.officer_post >= 0
        posts = self.officer_post[on]
        n_cp = self.cp_needed.size
        self.cp_officers = np.bincount(posts, minlength=n_cp)
        self.cp_staff = np.bincount(posts, weights=(o.competence * o.effort)[on], minlength=n_cp)
        pairs = np.unique(np.stack([posts, o.agency_of[on]]), axis=1) if posts.size else \
            np.zeros((2, 0), dtype=int)
        self.cp_agencies = np.bincount(pairs[0], minlength=n_cp)
        self.deployed = int(on.sum())

    def gaps(self) -> np.ndarray:
        """Checkpoints nobody staffs."""
        return self.cp_officers == 0

    def overlaps(self) -> np.ndarray:
        """Checkpoints with more officers than needed, from more than one agency."""
        return (self.cp_officers > self.cp_needed) & (self.cp_agencies > 1)

    def update_ties(self) -> None:
        """Each partner's day is a small win or a failure for its tie to the centre.

        A failure when the agency fielded nobody or most of its officers stood
        at over-staffed points; a small win otherwise.
        """
        m = self.model
        centre = self.centre
        if centre is None:
            return
        c = m.config.collaboration
        over = self.overlaps()
        for agency in m.agency_list:
            if agency is centre or not agency.patrol:
                continue
            posts = self.officer_post[[o.index for o in agency.patrol]]
            posts = posts[posts >= 0]
            tie = m.collaboration_graph.edges[centre.key, agency.key]
            if posts.size == 0 or over[posts].mean() > 0.5:
                update_trust_on_failure(tie, c.trust_loss)
            else:
                facil = 0.5 * (centre.facilitative_leadership + agency.facilitative_leadership)
                update_trust_on_success(tie, facil, c.trust_gain, c.understanding_gain)

    # ------------------------------------------------------------ detection
    def update_detection(self) -> None:
        """Chance a violating trip between each pair of districts is detected today."""
        p = self.params
        # staff beyond a post's need adds nothing (crowded posts): overlaps waste officers
        crowding = np.minimum(1.0, self.cp_needed / np.maximum(self.cp_officers, 1))
        effective = self.cp_staff * crowding
        staff_by_district = np.bincount(self.cp_district, weights=effective,
                                        minlength=len(self.district_keys))
        miss = (1.0 - p.detection_per_officer) ** staff_by_district
        if self.centre is not None:
            miss = miss * (1.0 - self.cctv * p.cctv_detection)
        log_miss = np.log(np.clip(miss, 1e-12, 1.0))
        self.detect_od = 1.0 - np.exp(self._routes @ log_miss)

    # -------------------------------------------------------------- choice
    def norm(self, idx: np.ndarray | None = None) -> np.ndarray:
        """Share of each citizen's ties who stayed home yesterday (0 without ties)."""
        pop = self.model.population
        if pop.indices.size == 0:
            return np.zeros(pop.n if idx is None else idx.size)
        stayed = self.stayed[pop.indices].astype(np.float32)
        sums = np.add.reduceat(np.append(stayed, 0), pop.indptr[:-1])
        share = np.divide(sums, pop.degree, out=np.zeros(pop.n, dtype=np.float32),
                          where=pop.degree > 0)
        return share if idx is None else share[idx]

    def travel_utilities(self, restricted: bool, norm: np.ndarray) -> np.ndarray:
        """Vectorised ``(n, 2)`` utilities of travel / stay (kRp); see module docstring."""
        p = self.params
        u = np.zeros((self.need.size, 2), dtype=np.float64)
        u[:, 0] = self.need
        if restricted:
            bound = ~self.essential
            pressure = (self.aware * (p.rule_weight + self.belief_detect * p.sanction)
                        + p.norm_weight * norm)
            u[:, 0] -= bound * pressure
        return u

    def step(self, day: int) -> None:
        """Advance mobility control by one day."""
        self.today = dict.fromkeys(self.today, 0)
        phase = self.phase(day)
        restricted = phase in (EDUCATION, ENFORCEMENT)
        if restricted:
            self.deploy()
        else:
            self._stand_down()
        self.update_detection()
        rng = self.model.stream("mobility.travel")
        u = self.travel_utilities(restricted, self.norm() if restricted else 0.0)
        go = choose_with_uniforms(u, self.model.config.choice.beta_citizen,
                                  rng.random(u.shape[0])) == 0
        self.stayed = ~go
        travellers = np.flatnonzero(go)
        self.today["trips"] = int(travellers.size)
        self.today["non_essential"] = int((~self.essential).sum())
        if phase == BASELINE:
            self._baseline_trips.append(travellers.size)
        if restricted:
            self.enforce(travellers[~self.essential[travellers]], phase)
            self.update_ties()

    def _stand_down(self) -> None:
        self.officer_post[:] = -1
        self._tally_posts()

    def enforce(self, violators: np.ndarray, phase: str) -> None:
        """Stop some violating trips: warn (education) or fine (enforcement); beliefs update."""
        p = self.params
        rng = self.model.stream("mobility.detection")
        self.today["violations"] = int(violators.size)
        if violators.size == 0:
            return
        dest = self._destinations(violators.size, rng)
        caught = rng.random(violators.size) < self.detect_od[self.home[violators], dest]
        hit, missed = violators[caught], violators[~caught]
        lam = self.model.config.citizens.learning_rate
        self.belief_detect[hit] += lam * (1.0 - self.belief_detect[hit])
        self.belief_detect[missed] -= p.undetected_learning * self.belief_detect[missed]
        self.aware[hit] = True
        self.today["detected"] = int(hit.size)
        if phase == ENFORCEMENT:
            self.fines += p.fine * hit.size
        self._tell_ties(hit)

    def _destinations(self, k: int, rng: np.random.Generator) -> np.ndarray:
        """Destination districts of ``k`` trips, drawn by population (gravity)."""
        return np.minimum(np.searchsorted(np.cumsum(self.gravity), rng.random(k)),
                          len(self.gravity) - 1)

    def _tell_ties(self, caught: np.ndarray) -> None:
        """The ties of people caught hear of it: perceived risk rises; some learn the rule."""
        if caught.size == 0:
            return
        pop = self.model.population
        w = self.model.config.citizens.word_of_mouth_weight
        starts, ends = pop.indptr[caught], pop.indptr[caught + 1]
        lengths = ends - starts
        if lengths.sum() == 0:
            return
        offs = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
        ties = pop.indices[np.arange(lengths.sum()) + offs]
        self.belief_detect[ties] += w * (1.0 - self.belief_detect[ties])
        rng = self.model.stream("mobility.awareness.caught")
        told = rng.random(ties.size) < self.params.awareness_transmission
        self.aware[ties[told]] = True

    # ----------------------------------------------------------- information
    def hear(self, listeners: np.ndarray, speakers: np.ndarray) -> None:
        """Word of mouth: perceived risk blends; aware ties spread awareness."""
        if listeners.size == 0:
            return
        w = self.model.config.citizens.word_of_mouth_weight
        self.belief_detect[listeners] += w * (self.belief_detect[speakers]
                                              - self.belief_detect[listeners])
        rng = self.model.stream("mobility.awareness")
        told = rng.random(listeners.size) < self.params.awareness_transmission
        self.aware[listeners] |= self.aware[speakers] & told

    def inform(self) -> None:
        """Running socialisation campaigns make some unaware citizens aware."""
        day = self.model.day
        rng = self.model.stream("mobility.campaigns")
        for c in self.params.campaigns:
            if not c.start <= day < c.start + c.days:
                continue
            reached = self.model.population.sample(c.reach, rng)
            if c.channel == "local" and c.districts:
                keep = np.isin(self.home[reached],
                               [self.district_keys.index(d) for d in c.districts])
                reached = reached[keep]
            self.aware[reached] = True

    # ------------------------------------------------------------- metrics
    def mobility_index(self) -> float:
        """Trips today ÷ mean daily trips in the baseline period (so far)."""
        base = np.mean(self._baseline_trips) if self._baseline_trips else 0.0
        return self.today["trips"] / base if base > 0 else 1.0

    def compliance_rate(self) -> float:
        """Share of non-essential citizens who did not violate today (1 without restrictions)."""
        n = self.today["non_essential"]
        return 1.0 - self.today["violations"] / n if n else 1.0

    def awareness_rate(self) -> float:
        """Share of citizens aware of the rules."""
        return float(self.aware.mean())

    def enforcement_coverage(self) -> float:
        """Σ min(officers, needed) ÷ Σ needed over checkpoints (0 when nobody is deployed)."""
        need = self.cp_needed.sum()
        return float(np.minimum(self.cp_officers, self.cp_needed).sum() / need) if need else 0.0

    def perceived_risk(self) -> float:
        """Citizens' mean perceived chance that a violating trip is detected."""
        return float(self.belief_detect.mean())

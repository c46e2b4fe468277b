"""Mobility control (JCOC): an operations centre, agencies with functions, travel choice.

One step is one day. Agencies bring what only they can do; which agency holds
which function is scenario data (``[mobility.functions]``, CASE_FACTS "Who does
what"): running the CCTV, acting on captures, fining authority, health checks,
route management, local outreach. In order:

1. **Deployment**: each partner agency fields ``round(patrol · commitment)``
   patrol officers. The operations centre plans where every contingent goes:
   it knows every checkpoint, every contingent and its functions, so it first
   puts one officer with fining authority and one health-check officer at as
   many posts as it can, then spreads the rest so no point is empty. Without a
   centre each agency plans alone from a partial view, filling the points it
   knows. Officers whose role is unclear (``1 − role_clarity``; with a centre,
   also poor communication on the tie) end up at a checkpoint of their own
   choosing: overlaps, gaps, and posts without fining authority follow.
2. **Detection**: a violating trip passing a post is stopped with
   ``1 − (1 − detection_per_officer)^strength``; a stop is a fine only where an
   officer with fining authority stands, a warning elsewhere. Strength is
   Σ competence × effort (up to the post's need), stronger with a health check
   at the post and with route management funnelling traffic into the posts.
   CCTV captures lead to a fine only when a unit acting on captures receives
   the request over its tie and acts (commitment × communication × staff ×
   role clarity); an unanswered capture is a loudspeaker warning.
3. **Travel choice** (logit, β = ``beta_citizen``): ``U_travel = need −
   restricted·[aware·(rule_weight + P̂(fined)·sanction) +
   norm_weight·(share of ties who stayed home yesterday)]``, ``U_stay = 0``;
   essential workers are exempt from the restriction terms. Unaware citizens
   do not weigh the rule or the sanction (Becker 1968 needs a known rule).
4. **Enforcement**: stopped violators become aware; fined ones (enforcement
   phase only) and their ties raise their perceived risk.
5. **Collaboration**: a contingent that mostly lands where the plan needs it
   is a small win on its tie to the centre; an absent contingent, or one
   mostly at over-staffed points, is a failure.

Socialisation: media campaigns reach only citizens with media access; local
campaigns reach residents through the district heads, as far as that agency is
committed. Awareness spreads by word of mouth only once the rules are announced
(a campaign has started or the restrictions have), so the baseline (including
a burn-in before day 0) is stationary. See :meth:`inform` and :meth:`hear`.
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
from collabsim.services.registry import Metric, count_today, value_of

if TYPE_CHECKING:
    from collabsim.agents import Agency
    from collabsim.model import CollabModel
    from collabsim.scenario.schema import MobilityParams

__all__ = ["MobilityService"]

BASELINE, EDUCATION, ENFORCEMENT, LIFTED = "baseline", "education", "enforcement", "lifted"
#: Functions officers carry to the post where they stand; the centre plans them first.
POST_FUNCTIONS = ("fining", "health_check")
_COUNTS = ("trips", "violations", "detected", "non_essential", "fined", "warned",
           "captures", "acted_on", "reached")


def any_of(chances: np.ndarray) -> float:
    """Chance that at least one of independent events happens: ``1 − Π(1 − p)``."""
    return float(1.0 - np.prod(1.0 - np.asarray(chances, dtype=float)))


#: Restriction phases and their codes in the ``restriction_phase`` column.
PHASE_CODES = {"baseline": 0, "education": 1, "enforcement": 2, "lifted": 3}


def _phase(m) -> float:
    return PHASE_CODES[m.mobility.phase(m.day)]


def _fines(m) -> float:
    return m.mobility.fines


def _gaps(m) -> float:
    mob = m.mobility
    return int(mob.gaps().sum()) if mob.phase(m.day) in (EDUCATION, ENFORCEMENT) else 0


def _overlaps(m) -> float:
    return int(m.mobility.overlaps().sum())


def _deployed(m) -> float:
    return m.mobility.deployed


def _no_fining(m) -> float:
    return int(m.mobility.posts_without_fining().sum())


def _count(key: str, name: str, label: str, unit: str, **kw) -> Metric:
    return Metric(name, count_today("mobility", key), label, unit, phases=True, **kw)


def _val(method: str, label: str, unit: str, **kw) -> Metric:
    return Metric(method, value_of("mobility", method), label, unit, phases=True, **kw)


#: What mobility control reports each day (declared once; see the registry).
MOBILITY_METRICS: tuple[Metric, ...] = (
    Metric("restriction_phase", _phase, "restriction phase", "0–3"),
    Metric("trips", count_today("mobility", "trips"), "trips", "trips / day", total_after=True),
    Metric("violations", count_today("mobility", "violations"), "violating trips",
           "trips / day"),
    _count("detected", "violations_detected", "violations detected", "trips / day"),
    _val("mobility_index", "mobility index", "trips ÷ baseline trips", headline=True),
    _val("compliance_rate", "compliance", "0–1, while rules are in force", headline=True,
         undefined_when_empty=True),
    _val("awareness_rate", "awareness of the rules", "0–1", headline=True),
    _val("perceived_risk", "perceived risk of being fined", "0–1"),
    _val("enforcement_coverage", "enforcement coverage", "0–1"),
    Metric("checkpoint_gaps", _gaps, "checkpoints unstaffed", "checkpoints", phases=True),
    Metric("checkpoint_overlaps", _overlaps, "checkpoints over-staffed", "checkpoints",
           phases=True),
    Metric("officers_deployed", _deployed, "officers deployed", "officers"),
    Metric("fines_collected", _fines, "fines collected since day 0", "kRp", final=True),
    _count("fined", "fines_issued", "fines issued", "fines / day"),
    _count("warned", "warnings_issued", "warnings issued", "warnings / day"),
    _count("captures", "cctv_captures", "CCTV captures", "captures / day"),
    _count("acted_on", "cctv_acted_on", "CCTV captures acted on", "captures / day"),
    _count("reached", "campaign_reached", "citizens reached by campaigns", "persons / day"),
    Metric("posts_without_fining", _no_fining, "posts without fining authority", "posts",
           phases=True),
)


class MobilityService:
    """Mobility control over a city of districts (vectorised over citizens)."""

    name = "mobility"
    metrics = MOBILITY_METRICS

    @staticmethod
    def derived_summaries(df, start: int, warmup: int) -> dict[str, float]:
        """Nothing beyond the declared metrics (phase means come from the declarations)."""
        return {}

    def reconfigure(self, params: MobilityParams) -> None:
        """Take changed parameters from an intervention (read day by day from ``params``)."""
        self.params = params

    def __init__(self, model: CollabModel, params: MobilityParams):
        self.model = model
        self.params = params
        self.district_keys = list(params.districts)
        self.district_graph = self._build_city()
        self._routes = self._route_matrix().astype(float)
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
        access = np.array([d.media_access for d in params.districts.values()])
        self.media = model.stream("mobility.media").random(n) < access[self.home]
        self.belief_detect = np.full(n, params.initial_detection_belief, dtype=np.float64)
        self.stayed = np.zeros(n, dtype=bool)
        self.holds = self._function_table()
        self.cp_district = np.array([self.district_keys.index(c.district)
                                     for c in params.checkpoints], dtype=int)
        self.cp_needed = np.array([c.officers_needed for c in params.checkpoints], dtype=int)
        self.cp_entry = np.array([c.kind == "entry" for c in params.checkpoints], dtype=bool)
        n_cp = len(params.checkpoints)
        self.post_order = np.lexsort((np.arange(n_cp), ~self.cp_entry))
        self.cp_staff = np.zeros(n_cp)
        self.cp_officers = np.zeros(n_cp, dtype=int)
        self.cp_agencies = np.zeros(n_cp, dtype=int)
        self.cp_function = {f: np.zeros(n_cp, dtype=bool) for f in POST_FUNCTIONS}
        self.officer_post = np.full(model.officers.n, -1, dtype=int)
        n_d = len(self.district_keys)
        self.fine_od = np.zeros((n_d, n_d))
        self.warn_od = np.zeros((n_d, n_d))
        self.capture_od = np.zeros((n_d, n_d))
        self.act_chance = 0.0
        self.today = dict.fromkeys(_COUNTS, 0)
        self.fines = 0.0
        self._baseline_trips: list[int] = []
        self.deployed = 0
        self.available = int((model.officers.duty == 1).sum())
        starts = [c.start for c in params.campaigns] + [params.restriction_start]
        self.announced_day = min(starts)

    def _function_table(self) -> dict[str, np.ndarray]:
        """Per function, a mask over agencies (scenario order) of those holding it."""
        m = self.model
        table = {}
        for function, keys in self.params.functions:
            mask = np.zeros(len(m.agency_list), dtype=bool)
            mask[[m.agency_index[k] for k in keys]] = True
            table[function] = mask
        return table

    def holders(self, function: str) -> list[Agency]:
        """The agencies holding ``function`` (scenario order)."""
        return [a for a in self.model.agency_list if self.holds[function][a.index]]

    def open_accounts(self) -> None:
        """Start the recorded run's accounts at zero (after a burn-in): fines, today's counts.

        Beliefs, awareness and the baseline trip counts carry over.
        """
        self.fines = 0.0
        self.today = dict.fromkeys(_COUNTS, 0)

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
        """``baseline``, ``education``, ``enforcement`` or ``lifted`` on ``day``.

        Days before 0 (a burn-in) are baseline days.
        """
        p = self.params
        if day < p.restriction_start:
            return BASELINE
        if day >= p.restriction_start + p.restriction_days:
            return LIFTED
        if day < p.restriction_start + p.education_days:
            return EDUCATION
        return ENFORCEMENT

    def rules_announced(self, day: int) -> bool:
        """Whether the rules exist to be talked about: a campaign or the restrictions began."""
        return day >= self.announced_day

    @property
    def centre(self) -> Agency | None:
        """The agency running the operations centre today, or None (siloed)."""
        m = self.model
        key = self.params.operations_centre
        if not key or not m.joint:
            return None
        return m.agency_list[m.agency_index[key]]

    def tie_quality(self, a: Agency, b: Agency) -> float:
        """Communication quality ``q`` of the tie between two agencies (1 within one)."""
        if a is b:
            return 1.0
        tie = self.model.collaboration_graph.edges[a.key, b.key]
        return communication_quality(a.communication_openness, b.communication_openness,
                                     tie["shared_understanding"])

    # ---------------------------------------------------------- deployment
    def contribution(self, agency: Agency) -> int:
        """Patrol officers an agency fields today: ``round(patrol · commitment)``.

        Commitment and involvement of every agency is the key factor (DESIGN §1.2).
        """
        return round(agency.n_patrol * agency.commitment)

    def adherence(self, agency: Agency) -> float:
        """Chance an officer ends up where the plan puts it.

        ``role_clarity``, and with a centre also ``½ + ½·q`` with ``q`` the
        communication quality of the agency's tie to the centre (the request
        travels over the collaboration network).
        """
        centre = self.centre
        if centre is None or agency is centre:
            return agency.role_clarity
        return agency.role_clarity * (0.5 + 0.5 * self.tie_quality(centre, agency))

    def coordination_reach(self, agency: Agency) -> float:
        """Chance a joint task reaches ``agency`` and is done where the others need it.

        ``adherence`` with a centre; without one the agency plans from its own
        partial view, ``role_clarity · siloed_view``.
        """
        if self.centre is None:
            return agency.role_clarity * self.params.siloed_view
        return self.adherence(agency)

    def _plan_slots(self, visible: np.ndarray, needs: np.ndarray, spread: bool) -> np.ndarray:
        """Checkpoint posts in plan order (``visible`` already entry points first).

        ``spread`` (the centre's plan, seeing every contingent) fills posts
        round by round — one officer at every point, then a second … — so a
        short-handed operation leaves no point empty. An agency planning alone
        fills the points it knows to their full need, one after the other.
        """
        if not spread:
            return np.repeat(visible, needs[visible])
        top = int(needs[visible].max()) if visible.size else 0
        rounds = [visible[needs[visible] > r] for r in range(top)]
        return np.concatenate(rounds) if rounds else visible[:0]

    def _function_posts(self, left: dict[int, int]) -> tuple[dict[int, list[int]], np.ndarray]:
        """The centre's first step: one officer of each post function at as many posts as it can.

        For each function of :data:`POST_FUNCTIONS`, the holders fielding officers
        take turns to put one at each post (entry points first) that does not yet
        have the function. Returns the posts per agency and the remaining needs.
        """
        needs = self.cp_needed.copy()
        taken: dict[int, list[int]] = {a: [] for a in left}
        for function in POST_FUNCTIONS:
            holders = [a for a in left if self.holds[function][a]]
            covered = np.zeros(needs.size, dtype=bool)
            for a in holders:
                covered[taken[a]] = True
            turn = 0
            for c in self.post_order:
                if covered[c] or needs[c] == 0:
                    continue
                free = [a for a in holders if left[a] > 0]
                if not free:
                    break
                a = free[turn % len(free)]
                turn += 1
                taken[a].append(int(c))
                left[a] -= 1
                needs[c] -= 1
        return taken, needs

    def central_plan(self, fielded: dict[int, int], rng: np.random.Generator
                     ) -> dict[int, np.ndarray]:
        """Posts per agency under the centre: post functions first, then a round-robin fill."""
        left = dict(fielded)
        taken, needs = self._function_posts(left)
        slots = self._plan_slots(self.post_order, needs, spread=True)
        n_cp = needs.size
        cursor, out = 0, {}
        for a, k in left.items():
            part = slots[cursor: cursor + k]
            cursor += part.size
            extra = rng.integers(0, n_cp, k - part.size)  # beyond the plan: sent anywhere
            out[a] = np.concatenate([np.array(taken[a], dtype=int), part, extra]).astype(int)
        return out

    def known_posts(self, rng: np.random.Generator) -> np.ndarray:
        """Checkpoints an agency planning alone knows of today (entry points first).

        Each with chance ``siloed_view``; one drawn uniformly if it knows none.
        """
        n_cp = self.cp_needed.size
        seen = np.flatnonzero(rng.random(n_cp) < self.params.siloed_view)
        if seen.size == 0:
            seen = rng.integers(0, n_cp, 1)
        return seen[np.lexsort((seen, ~self.cp_entry[seen]))]

    def siloed_plan(self, known: np.ndarray, k: int) -> np.ndarray:
        """Posts of one agency planning alone: the points it knows, each to full need."""
        return np.resize(self._plan_slots(known, self.cp_needed, spread=False), k)

    def deploy(self) -> None:
        """Place today's patrol officers at checkpoints (planned, then role confusion)."""
        m = self.model
        rng = m.day_stream("mobility.deployment")
        n_cp = self.cp_needed.size
        self.officer_post[:] = -1
        if n_cp == 0:
            return
        fielded = {a.index: k for a in m.agency_list if (k := self.contribution(a)) > 0}
        plan = self.central_plan(fielded, rng) if self.centre is not None else None
        every_post = np.arange(n_cp)
        for a, k in fielded.items():
            agency = m.agency_list[a]
            ids = np.array([o.index for o in agency.patrol[:k]], dtype=int)
            if plan is not None:  # the centre shares the list of every checkpoint
                known, posts = every_post, plan[a]
            else:
                known = self.known_posts(rng)
                posts = self.siloed_plan(known, k)
            # officers unclear about their role go to a post of their own choosing,
            # among the posts their agency knows of
            confused = rng.random(k) >= self.adherence(agency)
            posts[confused] = known[rng.integers(0, known.size, int(confused.sum()))]
            self.officer_post[ids] = posts
        self._tally_posts()

    def _tally_posts(self) -> None:
        o = self.model.officers
        on = self.officer_post >= 0
        posts = self.officer_post[on]
        n_cp = self.cp_needed.size
        self.cp_officers = np.bincount(posts, minlength=n_cp)
        self.cp_staff = np.bincount(posts, weights=(o.competence * o.effort)[on], minlength=n_cp)
        n_ag = len(self.model.agency_list)  # agencies at each post: distinct (post, agency)
        present = np.bincount(posts * n_ag + o.agency_of[on], minlength=n_cp * n_ag) > 0
        self.cp_agencies = present.reshape(n_cp, n_ag).sum(axis=1)
        for f in POST_FUNCTIONS:
            carries = self.holds[f][o.agency_of[on]]
            self.cp_function[f] = np.bincount(posts[carries], minlength=n_cp) > 0
        self.deployed = int(on.sum())

    def gaps(self) -> np.ndarray:
        """Checkpoints nobody staffs."""
        return self.cp_officers == 0

    def overlaps(self) -> np.ndarray:
        """Checkpoints with more officers than needed, from more than one agency."""
        return (self.cp_officers > self.cp_needed) & (self.cp_agencies > 1)

    def posts_without_fining(self) -> np.ndarray:
        """Staffed checkpoints where no officer has fining authority (stops only warn)."""
        return (self.cp_officers > 0) & ~self.cp_function["fining"]

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
    def fielded_strength(self, agency: Agency) -> float:
        """Σ competence × effort of the agency's officers posted today (persons)."""
        ids = [o.index for o in agency.patrol]
        if not ids:
            return 0.0
        o = self.model.officers
        on = self.officer_post[ids] >= 0
        return float((o.competence[ids] * o.effort[ids])[on].sum())

    def diversion(self) -> float:
        """Route management in force, in [0, 1]: ``1 − Π(1 − c_a·reach_a)`` over holders.

        Diversions and closures help only where they feed the checkpoints the
        others staff (``reach_a`` = :meth:`coordination_reach`).
        """
        return any_of([a.commitment * self.coordination_reach(a)
                       for a in self.holders("route_management")])

    def camera_coverage(self) -> float:
        """Cameras watched today, in [0, 1]: ``1 − Π(1 − c_a)`` over the CCTV holders."""
        return any_of([a.commitment for a in self.holders("cctv")])

    def capture_response(self) -> float:
        """Chance a CCTV capture is acted on by a unit holding ``act_on_captures``.

        The request travels from the camera operator ``s`` (the most committed
        CCTV holder) to each acting unit ``a``, which acts with
        ``c_a · q_sa · reach_a · S_a/(S_a + h)``: its commitment, the tie's
        communication quality, whether the capture reaches the right unit
        (:meth:`coordination_reach`) and its staff (``S_a`` =
        :meth:`fielded_strength`, ``h`` = ``capture_staff_half``). Units combine
        as independent chances.
        """
        cams = self.holders("cctv")
        if not cams:
            return 0.0
        source = max(cams, key=lambda a: a.commitment)
        h = self.params.capture_staff_half
        chances = []
        for a in self.holders("act_on_captures"):
            s = self.fielded_strength(a)
            chances.append(a.commitment * self.tie_quality(source, a)
                           * self.coordination_reach(a) * s / (s + h))
        return any_of(chances)

    def post_strength(self) -> np.ndarray:
        """Effective stopping strength of each checkpoint today (persons).

        ``Σ κe · min(1, η/n) · (1 + g_health·H_c) · (1 + g_route·D)``: staff beyond
        a post's need adds nothing (overlaps waste officers), a health check at
        the post and route management funnelling traffic into the posts add to it.
        """
        p = self.params
        crowding = np.minimum(1.0, self.cp_needed / np.maximum(self.cp_officers, 1))
        screening = 1.0 + p.screening_gain * self.cp_function["health_check"]
        return self.cp_staff * crowding * screening * (1.0 + p.diversion_gain * self.diversion())

    def _route_chance(self, log_miss_by_district: np.ndarray) -> np.ndarray:
        """``1 − exp(Σ_{k on route} log miss_k)`` for every origin–destination pair."""
        return 1.0 - np.exp(self._routes @ log_miss_by_district)

    def update_detection(self) -> None:
        """Chances that a violating trip between each pair of districts is stopped today.

        ``fine_od``: stopped at a post with fining authority; ``warn_od``: stopped
        at a post without; ``capture_od``: captured by a CCTV camera.
        """
        p = self.params
        n_d = len(self.district_keys)
        log_d = np.log1p(-min(p.detection_per_officer, 1.0 - 1e-12))
        strength = self.post_strength() * log_d
        fining = self.cp_function["fining"]
        log_f = np.bincount(self.cp_district, weights=strength * fining, minlength=n_d)
        log_w = np.bincount(self.cp_district, weights=strength * ~fining, minlength=n_d)
        capture = np.clip(self.cctv * p.cctv_detection * self.camera_coverage(), 0.0, 1 - 1e-12)
        self.fine_od = self._route_chance(log_f)
        self.warn_od = self._route_chance(log_w)
        self.capture_od = self._route_chance(np.log1p(-capture))
        self.act_chance = self.capture_response()

    # -------------------------------------------------------------- choice
    def norm(self, idx: np.ndarray | None = None) -> np.ndarray:
        """Share of each citizen's ties who stayed home yesterday (0 without ties)."""
        pop = self.model.population
        if pop.indices.size == 0:
            return np.zeros(pop.n if idx is None else idx.size)
        # the ties' choices into one kept buffer (float32, a 0 at the end so that
        # reduceat may start past the last tie): no array of ties allocated per day
        buf = getattr(self, "_ties_buffer", None)
        if buf is None or buf.size != pop.indices.size + 1:
            buf = self._ties_buffer = np.zeros(pop.indices.size + 1, dtype=np.float32)
        buf[:-1] = self.stayed[pop.indices]
        sums = np.add.reduceat(buf, pop.indptr[:-1])
        share = np.divide(sums, pop.degree, out=np.zeros(pop.n, dtype=np.float32),
                          where=pop.tied)
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
        self.today = dict.fromkeys(_COUNTS, 0)
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
        """Stop some violating trips: warn or fine; beliefs and awareness update.

        Each citizen owns its slot of today's uniforms (common random numbers
        across scenarios): destination, checkpoint stop, CCTV capture, response.
        """
        p = self.params
        n = self.need.size
        rng = self.model.stream("mobility.detection")
        u = rng.random((4, n))[:, violators]
        self.today["violations"] = int(violators.size)
        if violators.size == 0:
            return
        dest = np.minimum(np.searchsorted(np.cumsum(self.gravity), u[0]),
                          len(self.gravity) - 1)
        o = self.home[violators]
        pf, pw = self.fine_od[o, dest], self.warn_od[o, dest]
        at_fining_post = u[1] < pf
        at_other_post = ~at_fining_post & (u[1] < pf + (1.0 - pf) * pw)
        captured = u[2] < self.capture_od[o, dest]
        acted = captured & (u[3] < self.act_chance)
        stopped = at_fining_post | at_other_post | captured
        fined = (at_fining_post | acted) if phase == ENFORCEMENT else np.zeros_like(stopped)
        self.learn_from_stops(violators, stopped, fined)
        self.today.update(detected=int(stopped.sum()), fined=int(fined.sum()),
                          warned=int((stopped & ~fined).sum()), captures=int(captured.sum()),
                          acted_on=int(acted.sum()))
        self.fines += p.fine * int(fined.sum())

    def learn_from_stops(self, violators: np.ndarray, stopped: np.ndarray,
                         fined: np.ndarray) -> None:
        """Stopped violators learn the rule; fined ones and their ties raise perceived risk.

        ``P̂ += λ(1 − P̂)`` when fined; ``P̂ −= u_L·P̂`` for a trip nobody stopped;
        a warning (stopped, not fined) leaves ``P̂`` as it was.
        """
        lam = self.model.config.citizens.learning_rate
        hit, missed = violators[fined], violators[~stopped]
        self.belief_detect[hit] += lam * (1.0 - self.belief_detect[hit])
        self.belief_detect[missed] -= (self.params.undetected_learning
                                       * self.belief_detect[missed])
        self.aware[violators[stopped]] = True
        self._tell_ties(violators[stopped], fined[stopped])

    def _tell_ties(self, stopped: np.ndarray, fined: np.ndarray | None = None) -> None:
        """The ties of people stopped hear of it: some learn the rule; of a fine, risk rises."""
        if stopped.size == 0:
            return
        fined = np.ones(stopped.size, dtype=bool) if fined is None else fined
        pop = self.model.population
        w = self.model.config.citizens.word_of_mouth_weight
        starts, ends = pop.indptr[stopped], pop.indptr[stopped + 1]
        lengths = ends - starts
        if lengths.sum() == 0:
            return
        offs = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
        ties = pop.indices[np.arange(lengths.sum()) + offs]
        of_fine = np.repeat(fined, lengths)
        heard = ties[of_fine]
        self.belief_detect[heard] += w * (1.0 - self.belief_detect[heard])
        told = (self.model.uniforms("mobility.awareness.caught", ties)
                < self.params.awareness_transmission)
        self.aware[ties[told]] = True

    # ----------------------------------------------------------- information
    def hear(self, listeners: np.ndarray, speakers: np.ndarray) -> None:
        """Word of mouth: perceived risk blends; once rules are announced, awareness spreads."""
        self.hear_in_order(*self.model.population.in_listener_order(listeners, speakers))

    def hear_in_order(self, order: np.ndarray | None, listeners: np.ndarray,
                      speakers: np.ndarray) -> None:
        """:meth:`hear` of conversations given in ``order`` (None: draw order).

        The same result as in draw order (see
        :class:`~collabsim.agents.citizen.Conversations`): the day's draw of who
        becomes aware is taken in ``order`` too.
        """
        if listeners.size == 0:
            return
        w = self.model.config.citizens.word_of_mouth_weight
        self.belief_detect[listeners] += w * (self.belief_detect[speakers]
                                              - self.belief_detect[listeners])
        if not self.rules_announced(self.model.day):
            return  # nothing to tell before there are rules: the baseline stays stationary
        rng = self.model.stream("mobility.awareness")
        told = rng.random(listeners.size) < self.params.awareness_transmission
        if order is not None:
            told = told[order]  # each conversation's own draw (a bool gather: cheap)
        self.aware[listeners] |= self.aware[speakers] & told

    def local_reach(self) -> float:
        """How far local campaigns get, in [0, 1]: ``1 − Π(1 − c_a)`` over the holders.

        The holders are the agencies with ``local_outreach`` (district and ward heads).
        """
        return any_of([a.commitment for a in self.holders("local_outreach")])

    def inform(self) -> None:
        """Running campaigns make some unaware citizens aware (counted in ``today["reached"]``).

        A media campaign reaches each citizen with media access with chance
        ``reach``; a local campaign reaches each resident of its districts (all
        if none listed) with ``reach · local_reach``.
        """
        day = self.model.day
        for i, c in enumerate(self.params.campaigns):
            if not c.start <= day < c.start + c.days:
                continue
            name = f"mobility.campaigns.{i}"
            if c.channel == "media":
                reached = self.model.sample(name, c.reach, cap=c.reach)
                reached = reached[self.media[reached]]
            else:
                reached = self.model.sample(name, c.reach * self.local_reach(), cap=c.reach)
                if c.districts:
                    keep = np.isin(self.home[reached],
                                   [self.district_keys.index(d) for d in c.districts])
                    reached = reached[keep]
            self.today["reached"] += int((~self.aware[reached]).sum())
            self.aware[reached] = True

    # ------------------------------------------------------------- metrics
    def mobility_index(self) -> float:
        """Trips today ÷ mean daily trips in the baseline period (so far)."""
        base = np.mean(self._baseline_trips) if self._baseline_trips else 0.0
        return self.today["trips"] / base if base > 0 else 1.0

    def compliance_rate(self) -> float:
        """Share of non-essential citizens who did not violate today.

        NaN while no restriction is in force: compliance is undefined without rules.
        """
        n = self.today["non_essential"]
        if not n or self.phase(self.model.day) not in (EDUCATION, ENFORCEMENT):
            return float("nan")
        return 1.0 - self.today["violations"] / n

    def awareness_rate(self) -> float:
        """Share of citizens aware of the rules."""
        return float(self.aware.mean())

    def enforcement_coverage(self) -> float:
        """Σ min(officers, needed) ÷ Σ needed over checkpoints (0 when nobody is deployed)."""
        need = self.cp_needed.sum()
        return float(np.minimum(self.cp_officers, self.cp_needed).sum() / need) if need else 0.0

    def perceived_risk(self) -> float:
        """Citizens' mean perceived chance that a violating trip is fined."""
        return float(self.belief_detect.mean())

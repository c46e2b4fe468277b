"""Citizens: members of the public, vectorised.

The state of all citizens lives in NumPy arrays (owned by the population and by
each service), so 100,000 and more citizens are practical. Each
:class:`Citizen` agent is a view onto one row and keeps a readable per-agent
version of every decision, used as the reference in tests that check it agrees
with the vectorised path.

The views are made on demand (:class:`CitizenViews`): the model never needs
them to simulate, and creating a million ``mesa.Agent`` objects costs about
4 s and 0.6 GB. A view is created and registered with Mesa the first time it
is asked for (``model.citizens[i]``), and all of them at once when Mesa's own
agent registry is read (``model.agents``, ``model.agents_by_type``), so Mesa's
tools see every citizen as before.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import mesa
import numpy as np

from collabsim.choice import choose_with_uniforms
from collabsim.network import sorted_unique

__all__ = ["Citizen", "CitizenPopulation", "CitizenViews", "Conversations"]


class Conversations:
    """One day's word-of-mouth conversations (:meth:`CitizenPopulation.talk`).

    ``listeners`` and ``speakers`` are in draw order (what
    :meth:`CitizenPopulation.conversations` returns); ``order`` is None, or at
    city scale a stable sort of the conversations by block of listener, with
    ``ordered_listeners = listeners[order]`` and ``ordered_speakers =
    speakers[order]`` (the draw-order speakers are then put together only when
    read). A service's word of mouth may work the conversations in ``order``
    with the same result as in draw order, provided it takes its own
    per-conversation draws in ``order`` too (``draws[order]``): every read
    happens before the writes, and a listener heard twice keeps the value of its
    last conversation either way (the sort is stable, and a listener's
    conversations share its block).
    """

    __slots__ = ("_speakers", "listeners", "order", "ordered_listeners", "ordered_speakers")

    def __init__(self, listeners: np.ndarray, speakers: np.ndarray | None,
                 order: np.ndarray | None = None, ordered_listeners: np.ndarray | None = None,
                 ordered_speakers: np.ndarray | None = None):
        self.listeners = listeners
        self._speakers = speakers
        self.order = order
        self.ordered_listeners = listeners if order is None else ordered_listeners
        self.ordered_speakers = speakers if order is None else ordered_speakers

    @property
    def speakers(self) -> np.ndarray:
        """The speakers in draw order (``speakers[i]`` is who ``listeners[i]`` heard)."""
        if self._speakers is None:
            sp = np.empty_like(self.ordered_speakers)
            sp[self.order] = self.ordered_speakers
            self._speakers = sp
        return self._speakers


class CitizenPopulation:
    """The citizens' shared state: their number and social network.

    Args:
        n: Number of citizens.
        indptr: CSR row pointers of the social network.
        indices: CSR column indices of the social network.
    """

    def __init__(self, n: int, indptr: np.ndarray, indices: np.ndarray):
        self.n = n
        self.indptr = indptr
        self.indices = indices
        self.degree = np.diff(indptr)
        self.tied = self.degree > 0  # citizens with at least one tie
        # Each citizen's first tie and degree side by side: a conversation reads
        # both with one memory access (at city scale these gathers miss the cache).
        # (Two int32 read as one int64: NumPy gathers 1-D items much faster than rows.)
        small = indptr.size and indptr[-1] < 2**31
        rows = np.stack([indptr[:-1], self.degree], axis=1).astype(
            np.int32 if small else np.int64)
        self._rows = rows.view(np.int64).ravel() if small else rows
        self._all_tied = bool(n and (self.degree > 0).all())
        # listeners are sorted into blocks of 2**shift neighbouring citizens (at most
        # 65,536 blocks: a 16-bit key, which NumPy sorts stably by radix in O(k))
        self._block_shift = max(0, int(max(n - 1, 1)).bit_length() - 16)
        self._today: Conversations | None = None

    #: Conversations a day from which they are worked in listener order (see
    #: :class:`Conversations`); below it the state arrays sit in cache anyway.
    ORDERED_FROM = 50_000

    def conversations(self, rate: float, rng: np.random.Generator
                      ) -> tuple[np.ndarray, np.ndarray]:
        """Today's word-of-mouth conversations: who listens to which tie.

        Each citizen talks with probability ``rate`` to one tie drawn uniformly
        from its ties (citizens without ties do not talk). The cost is
        proportional to the number of conversations, not to the population.

        Returns:
            ``(listeners, speakers)`` index arrays of equal length.
        """
        c = self.talk(rate, rng)
        return c.listeners, c.speakers

    def talk(self, rate: float, rng: np.random.Generator) -> Conversations:
        """Today's conversations (:meth:`conversations`), kept in listener order at city scale.

        The same draws and the same conversations; from :attr:`ORDERED_FROM` a
        day the network's gathers are made in listener order (see
        :class:`Conversations`) and the draw-order speakers only put together
        if a service asks for them.
        """
        k = int(rng.binomial(self.n, rate)) if rate > 0 else 0
        self._today = None
        if k == 0 or self.indices.size == 0:
            empty = np.zeros(0, dtype=np.int64)
            return Conversations(empty, empty)
        listeners = rng.integers(0, self.n, k)
        if k >= self.ORDERED_FROM and self._all_tied and self._rows.ndim == 1:
            # At city scale each conversation's reads of the network (and the
            # services' reads of the state arrays) miss the cache when made in the
            # random order the listeners are drawn in; sorted stably by block of
            # listener they run through memory nearly in sequence. Each conversation
            # keeps its own draw: rng.random(k)[order].
            order = np.argsort((listeners >> self._block_shift).astype(np.uint16),
                               kind="stable")
            ls = listeners[order]
            rows = self._rows[ls].view(np.int32).reshape(-1, 2)
            pick = (rng.random(listeners.size)[order] * rows[:, 1]).astype(np.int64)
            ss = self.indices[rows[:, 0] + pick].astype(np.int64)
            self._today = Conversations(listeners, None, order, ls, ss)
            return self._today
        rows = self._rows[listeners]
        if rows.ndim == 1:
            rows = rows.view(np.int32).reshape(-1, 2)
        deg = rows[:, 1]
        if not self._all_tied:
            keep = deg > 0
            listeners, rows, deg = listeners[keep], rows[keep], deg[keep]
        pick = (rng.random(listeners.size) * deg).astype(np.int64)
        speakers = self.indices[rows[:, 0] + pick].astype(np.int64)
        return Conversations(listeners, speakers)

    def in_listener_order(self, listeners: np.ndarray, speakers: np.ndarray
                          ) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
        """Today's conversations in listener order: ``(order, listeners[order], speakers[order])``.

        For the arrays :meth:`conversations` returned today at city scale; any
        others (a smaller day, arrays made elsewhere) come back as given, with
        ``order`` None. See :class:`Conversations` for what a service must do
        to work them in this order.
        """
        c = self._today
        if c is not None and c.listeners is listeners and c._speakers is speakers:
            return c.order, c.ordered_listeners, c.ordered_speakers
        return None, listeners, speakers

    def sample(self, p: float, rng: np.random.Generator) -> np.ndarray:
        """Citizens each hit with probability ``p`` today (thinned, O(hits))."""
        k = int(rng.binomial(self.n, min(max(p, 0.0), 1.0))) if p > 0 else 0
        if not k:
            return np.zeros(0, dtype=np.int64)
        return sorted_unique(rng.integers(0, self.n, k))


class CitizenViews(Sequence):
    """The citizens as ``mesa.Agent`` views, created lazily (``model.citizens``).

    Why lazy rather than in bulk: the simulation reads only the arrays, so at
    city scale (633,650 or 1,000,000 citizens) creating every agent up front
    was most of the build time (about 4 µs and 0.6 KB per agent, no matter how
    it is batched: Mesa's registration is per object). ``views[i]`` creates
    ``Citizen(model, i)`` on first access and keeps it; :meth:`materialise`
    creates every missing one (the model calls it before Mesa's registry is
    read). Unique ids are reserved at build time (``first_id + i``), so they
    do not depend on the order in which views are made, and agents created
    later (hired officers) get the same ids as when citizens were eager.

    Args:
        model: The model whose citizens these are.
        n: Number of citizens.
    """

    def __init__(self, model: mesa.Model, n: int):
        self.model = model
        self.n = int(n)
        self.first_id = model.agent_id_counter
        model.agent_id_counter += self.n
        self._views: list[Citizen | None] = [None] * self.n
        self._made = 0

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self.n))]
        i = int(i)
        if i < 0:
            i += self.n
        if not 0 <= i < self.n:
            raise IndexError(f"citizen {i} out of range (0..{self.n - 1})")
        view = self._views[i]
        if view is None:
            view = self._make(i)
        return view

    def __iter__(self) -> Iterator[Citizen]:
        for i in range(self.n):
            yield self[i]

    @property
    def materialised(self) -> int:
        """How many views exist so far."""
        return self._made

    def materialise(self) -> None:
        """Create every view not made yet (in index order)."""
        if self._made == self.n:
            return
        for i, view in enumerate(self._views):
            if view is None:
                self._make(i)

    def _make(self, i: int) -> Citizen:
        model = self.model
        counter = model.agent_id_counter
        try:
            model.agent_id_counter = self.first_id + i  # its reserved id
            view = Citizen(model, i)
        finally:
            model.agent_id_counter = counter
        self._views[i] = view
        self._made += 1
        return view


class Citizen(mesa.Agent):
    """One citizen: a view onto row ``index`` of the model's citizen arrays.

    Made on demand by :class:`CitizenViews` (``model.citizens[index]``);
    creating one by hand registers a second view of the same row.
    """

    def __init__(self, model: mesa.Model, index: int):
        super().__init__(model)
        self.index = index

    # --- licensing ---------------------------------------------------------
    @property
    def licensing_state(self) -> str:
        """``idle``, ``needing`` (deciding) or ``applied`` (file in process)."""
        lic = self.model.licensing
        return ("idle", "needing", "applied")[int(lic.state[self.index])]

    @property
    def expected_days(self) -> float:
        """Belief of how long a permit takes; unit days."""
        return float(self.model.licensing.belief_days[self.index])

    @property
    def detection_belief(self) -> float:
        """Belief that informal activity is detected; in [0, 1]."""
        return float(self.model.licensing.belief_detect[self.index])

    @property
    def informed(self) -> bool:
        """Whether the citizen knows how to apply."""
        return bool(self.model.licensing.informed[self.index])

    def licensing_utilities(self) -> dict[str, float]:
        """Utilities of apply / informal / wait, written out (unit kRp).

        ``U_apply = permit_value − fee − value_of_time·E[days] − hassle·stages
        − information_gap·(1 − informed)``; ``U_informal = −P(detected)·penalty``;
        ``U_wait = wait_utility``.
        """
        lic = self.model.licensing
        p = lic.params
        u_apply = (p.permit_value - lic.expected_fee()
                   - p.value_of_time * self.expected_days
                   - p.hassle_per_stage * lic.n_stages
                   - p.information_gap_cost * (0.0 if self.informed else 1.0))
        u_informal = -self.detection_belief * p.informal_penalty
        return {"apply": u_apply, "informal": u_informal, "wait": p.wait_utility}

    def choose_licensing_action(self, uniform: float) -> str:
        """Readable per-citizen choice among apply / informal / wait.

        Args:
            uniform: The uniform draw the vectorised path uses for this citizen.

        Returns:
            ``"apply"``, ``"informal"`` or ``"wait"``.
        """
        u = self.licensing_utilities()
        options = list(u)
        pick = choose_with_uniforms(np.array([[u[o] for o in options]]),
                                    self.model.config.choice.beta_citizen,
                                    np.array([uniform]))[0]
        return options[pick]

    def continue_utilities(self, elapsed: float) -> dict[str, float]:
        """Utilities of keeping a file in process versus abandoning it (kRp).

        ``U_continue = permit_value − fee − value_of_time·remaining`` with
        ``remaining = max(E[days] − elapsed, ½·elapsed)`` (a file that is late
        is expected to stay late); ``U_abandon = −P(detected)·penalty`` (build or
        produce informally). Sunk costs are ignored, as a rational chooser does.
        """
        lic = self.model.licensing
        p = lic.params
        remaining = max(self.expected_days - elapsed, 0.5 * elapsed)
        return {"continue": p.permit_value - lic.expected_fee() - p.value_of_time * remaining,
                "abandon": -self.detection_belief * p.informal_penalty}

    # --- mobility ----------------------------------------------------------
    def travel_utilities(self, restricted: bool, norm: float) -> dict[str, float]:
        """Utilities of travel / stay today, written out (unit kRp).

        ``U_travel = need − restricted·(1 − essential)·[aware·(rule_weight +
        P̂(detected)·sanction) + norm_weight·norm]``, ``U_stay = 0``, where
        ``norm`` is the share of the citizen's ties who stayed home yesterday.
        An unaware citizen does not weigh a rule it does not know.
        """
        mob = self.model.mobility
        p = mob.params
        i = self.index
        u_travel = float(mob.need[i])
        if restricted and not mob.essential[i]:
            aware = 1.0 if mob.aware[i] else 0.0
            u_travel -= aware * (p.rule_weight + float(mob.belief_detect[i]) * p.sanction)
            u_travel -= p.norm_weight * norm
        return {"travel": u_travel, "stay": 0.0}

    def choose_travel(self, uniform: float, restricted: bool, norm: float) -> str:
        """Readable per-citizen travel choice (reference for the vectorised path).

        Returns:
            ``"travel"`` or ``"stay"``.
        """
        u = self.travel_utilities(restricted, norm)
        pick = choose_with_uniforms(np.array([[u["travel"], u["stay"]]]),
                                    self.model.config.choice.beta_citizen,
                                    np.array([uniform]))[0]
        return ("travel", "stay")[pick]

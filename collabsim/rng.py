"""Random streams: one root seed, one independent stream per named subsystem.

Every random draw in collabsim comes from a stream named after the mechanism
that uses it (``"citizens.needs"``, ``"network.handoff"`` ...). Streams are
derived with :class:`numpy.random.SeedSequence` keyed by the CRC-32 of the
name, so switching one mechanism off (or adding a new one) does not shift the
draws of any other: the idea Starsim uses for its random processes.

Within a stream, a draw's position still depends on how many draws came
before it, so one changed decision would shift every later draw. Decisions
whose number depends on the state (who decides today, which files are worked)
therefore draw from :class:`AgentDraws` instead: counter-based uniforms keyed
by ``(seed, decision, day, agent, slot)``, so every citizen and officer owns
its slot in every decision (per-agent common random numbers, as in Starsim's
per-agent slots). A policy change then leaves everyone it does not touch
deciding the same way. Processes drawn for a fixed population at a fixed rate
(needs, conversations) are aligned by their stream alone and stay there.
"""

from __future__ import annotations

import zlib

import numpy as np

from collabsim._kernels import agent_uniforms, splitmix_key

__all__ = ["AgentDraws", "entropy_seed", "replicate_seeds", "stream"]

MAX_SEED = 2**63 - 1
_MASK = 2**64 - 1
_M1, _M2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB


def _mix(x: int) -> int:
    """SplitMix64's finaliser on one Python integer (a bijection of 64-bit words)."""
    x &= _MASK
    x = ((x ^ (x >> 30)) * _M1) & _MASK
    x = ((x ^ (x >> 27)) * _M2) & _MASK
    return x ^ (x >> 31)


class AgentDraws:
    """Per-agent common random numbers: the uniform of agent ``i`` in decision ``name`` on a day.

    ``uniforms(name, day, ids, slot)[j]`` is SplitMix64's output number
    ``ids[j] + 1`` of the sequence seeded by a hash of ``(seed, name, day,
    slot)``: it depends on nothing else, so it is the same whoever else draws
    that day and in whatever order. One compiled call computes the day's key
    and the numbers (:func:`collabsim._kernels.agent_uniforms`: about 1 µs a
    call and a few ns per agent), paid only for the agents that actually decide.

    Args:
        seed: The run's root seed.
    """

    def __init__(self, seed: int):
        self.seed = int(seed)
        self._base: dict[str, np.uint64] = {}
        self._reused: np.random.Generator | None = None

    def key(self, name: str, day: int, slot: int = 0) -> int:
        """The 64-bit key of decision ``name`` on ``day`` (``slot`` numbers repeated draws).

        ``mix(mix(base + day) + slot)`` modulo 2**64, ``base`` the decision's
        :meth:`base` (compiled: :func:`collabsim._kernels.splitmix_key`).
        """
        return int(splitmix_key(self.base(name), day, slot))

    def base(self, name: str) -> np.uint64:
        """Decision ``name``'s key before the day and slot: ``mix(mix(seed) ^ crc32(name))``."""
        base = self._base.get(name)
        if base is None:
            base = self._base[name] = np.uint64(
                _mix(_mix(self.seed) ^ zlib.crc32(name.encode())))
        return base

    def uniforms(self, name: str, day: int, ids: np.ndarray, slot: int = 0) -> np.ndarray:
        """Uniforms on [0, 1) for agents ``ids`` (non-negative integers) in a decision today.

        Args:
            name: The decision's stable name, e.g. ``"citizens.choice"``.
            day: The model day (negative during the burn-in).
            ids: The deciding agents' indices; a repeated index gets the same number.
            slot: Which of an agent's draws in this decision today (0, 1, …).

        Returns:
            ``float64`` array shaped like ``ids``, 53 random bits each.
        """
        base = self.base(name)
        if type(ids) is np.ndarray and ids.dtype == np.int64 and ids.ndim == 1:
            return agent_uniforms(ids, base, day, slot)  # the model's case, one call
        a = np.asarray(ids)
        flat = a.reshape(-1).astype(np.int64, copy=False)
        return agent_uniforms(flat, base, day, slot).reshape(a.shape)

    def day_draws(self, name: str, day: int) -> np.random.Generator:
        """:meth:`day_stream` for a caller that uses it at once: one generator, re-keyed.

        The same numbers as ``day_stream(name, day)``, without building a generator
        (most of the cost of a day's small draw). The generator is this object's own and
        is re-keyed by the next call: use it before calling again.
        """
        g = self._reused
        if g is None:
            g = self._reused = np.random.Generator(np.random.Philox(key=np.zeros(2, np.uint64)))
        g.bit_generator.state = {
            "bit_generator": "Philox",
            "state": {"counter": np.zeros(4, dtype=np.uint64), "key": self._philox_key(name, day)},
            "buffer": np.zeros(4, dtype=np.uint64), "buffer_pos": 4, "has_uint32": 0,
            "uinteger": 0}
        return g

    def _philox_key(self, name: str, day: int) -> np.ndarray:
        """The Philox key of decision ``name`` on ``day``: its 64-bit key and the seed."""
        return np.array([self.key(name, day), self.seed & _MASK], dtype=np.uint64)

    def day_stream(self, name: str, day: int) -> np.random.Generator:
        """A generator for decision ``name`` on ``day`` alone (nothing carries to other days).

        For draws that are not any one agent's (which posts a plan leaves open, the
        candidates of a thinned population sample): a changed count today does not
        shift tomorrow's draws.
        """
        return np.random.Generator(np.random.Philox(key=self._philox_key(name, day)))


def stream(seed: int, name: str) -> np.random.Generator:
    """Return the generator of the subsystem ``name`` for the run seeded ``seed``.

    Args:
        seed: The run's root seed (a non-negative integer).
        name: The subsystem's stable name, e.g. ``"licensing.rework"``.

    Returns:
        A PCG64 generator independent of every other name's generator.
    """
    ss = np.random.SeedSequence(int(seed), spawn_key=(zlib.crc32(name.encode()),))
    return np.random.Generator(np.random.PCG64(ss))


def replicate_seeds(root_seed: int, n: int) -> list[int]:
    """Derive ``n`` replicate seeds from a root seed (deterministic, written down).

    Args:
        root_seed: The experiment's root seed.
        n: How many run seeds to derive.

    Returns:
        A list of ``n`` distinct non-negative 63-bit integers.
    """
    if n <= 0:
        return []
    state = np.random.SeedSequence(int(root_seed)).generate_state(2 * n, dtype=np.uint32)
    pairs = state.reshape(n, 2).astype(np.uint64)
    seeds = ((pairs[:, 0] << np.uint64(31)) ^ pairs[:, 1]) & np.uint64(MAX_SEED)
    return [int(s) for s in seeds]


def entropy_seed() -> int:
    """Draw a fresh root seed from OS entropy, for runs the user did not seed.

    The seed is stored on the model (``model.seed``) so even such a run can be
    repeated.
    """
    return int(np.random.SeedSequence().generate_state(1, dtype=np.uint64)[0] & MAX_SEED)

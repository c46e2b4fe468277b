"""Compiled inner loops (Numba) for the model's hottest small operations.

At the presets' 10,000 citizens a simulated day is a few hundred NumPy calls on
arrays of one to a few thousand elements, so the cost is the calls, not the
arithmetic (about 1 µs each). The loops here do in one compiled call what
took ten to twenty NumPy calls, with the same floating-point operations in the
same order, so a run gives bit-for-bit the results it gave before (the
regression baselines check this).

Compiled once per machine and cached beside this file (``cache=True``); a
process then pays about 0.2 s and 80 MB once to load Numba and the cache
(:func:`warm` does it ahead of time).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["splitmix_uniforms", "warm", "word_of_mouth"]

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_ONE = np.uint64(1)
_S11, _S27, _S30, _S31 = np.uint64(11), np.uint64(27), np.uint64(30), np.uint64(31)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


@njit(cache=True, nogil=True)
def splitmix_uniforms(ids: np.ndarray, key: np.uint64) -> np.ndarray:  # pragma: no cover - compiled
    """SplitMix64 output number ``ids[j] + 1`` of the sequence keyed ``key``, as a uniform.

    Args:
        ids: Non-negative agent indices (int64, one dimension).
        key: The decision's 64-bit key for the day (:meth:`collabsim.rng.AgentDraws.key`).

    Returns:
        ``float64`` uniforms on [0, 1), 53 random bits each.
    """
    out = np.empty(ids.size)
    for j in range(ids.size):
        x = (np.uint64(ids[j]) + _ONE) * _GAMMA + key
        x = (x ^ (x >> _S30)) * _M1
        x = (x ^ (x >> _S27)) * _M2
        x = x ^ (x >> _S31)
        out[j] = (x >> _S11) * _TO_UNIT
    return out


@njit(cache=True, nogil=True)
def word_of_mouth(listeners: np.ndarray, speakers: np.ndarray, passes_on: np.ndarray,
                  w: float, day: float, state: np.ndarray, waiting_state: int,
                  file_of: np.ndarray, submitted: np.ndarray, belief_days: np.ndarray,
                  belief_detect: np.ndarray, informed: np.ndarray
                  ) -> None:  # pragma: no cover - compiled
    """A day's conversations: listeners move toward what their speakers tell (in place).

    For conversation ``j`` (listener ``i``, speaker ``s``): the speaker tells
    its expected days, or, if its file is waiting, ``max(expected, days waited
    so far)``; ``belief_days[i] += w · (told − belief_days[i])``, the same for
    ``belief_detect`` toward the speaker's, and ``informed[i] |= informed[s]
    & passes_on[j]``. As with NumPy's fancy indexing, every conversation reads
    the values from before today's conversations, and where a citizen listens
    twice the last conversation's result stands.

    Args:
        listeners: Listening citizens, one per conversation.
        speakers: Their speakers.
        passes_on: Whether the speaker would pass the procedure on in this conversation.
        w: Weight of a tie's word (``word_of_mouth_weight``, 0–1).
        day: Today (days).
        state: Every citizen's licensing state.
        waiting_state: The state of a citizen whose file is in process.
        file_of: Every citizen's current file (index into ``submitted``).
        submitted: Each file's submission day.
        belief_days: Every citizen's expected processing days (days; updated).
        belief_detect: Every citizen's belief in detection (probability; updated).
        informed: Whether each citizen knows the procedure (updated).
    """
    k = listeners.size
    days = np.empty(k)
    detect = np.empty(k)
    heard = np.empty(k, dtype=np.bool_)
    for j in range(k):
        i = listeners[j]
        s = speakers[j]
        told = belief_days[s]
        if state[s] == waiting_state:
            elapsed = day - submitted[file_of[s]]
            if elapsed > told:
                told = elapsed
        b = belief_days[i]
        days[j] = b + w * (told - b)
        b = belief_detect[i]
        detect[j] = b + w * (belief_detect[s] - b)
        heard[j] = informed[i] | (informed[s] & passes_on[j])
    for j in range(k):
        i = listeners[j]
        belief_days[i] = days[j]
        belief_detect[i] = detect[j]
        informed[i] = heard[j]


def warm() -> None:
    """Load (or compile) every kernel now rather than on the first simulated day.

    A process pays this once: about 0.2 s from the cache, a few seconds to compile
    on a machine's first run. Benchmarks call it so a per-day cost excludes it.
    """
    ids = np.zeros(1, dtype=np.int64)
    splitmix_uniforms(ids, np.uint64(1))
    x, b = np.zeros(1), np.zeros(1, dtype=np.bool_)
    word_of_mouth(ids, ids, b, 0.5, 0.0, np.zeros(1, dtype=np.int8), 2, ids, x, x, x.copy(),
                  b.copy())

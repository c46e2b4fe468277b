"""Random streams: one root seed, one independent stream per named subsystem.

Every random draw in collabsim comes from a stream named after the mechanism
that uses it (``"citizens.needs"``, ``"network.handoff"`` ...). Streams are
derived with :class:`numpy.random.SeedSequence` keyed by the CRC-32 of the
name, so switching one mechanism off (or adding a new one) does not shift the
draws of any other: the idea Starsim uses for its random processes.
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["entropy_seed", "replicate_seeds", "stream"]

MAX_SEED = 2**63 - 1


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

"""Random-utility (multinomial logit) choice shared by every decision in the model.

``P(a) = exp(β·U_a) / Σ_b exp(β·U_b)`` with β the degree of rationality
(McFadden's random utility; the quantal response of McKelvey & Palfrey 1995):
β = 0 chooses uniformly at random, β → ∞ maximises strictly.

The functions work on one decision maker (a 1-D vector of utilities) or on many
at once (a 2-D array, one row per decision maker), so the readable per-agent
methods and the vectorised population paths call the very same code.
"""

from __future__ import annotations

import numpy as np

from collabsim._kernels import LOGIT_MAX_OPTIONS, logit_choice

__all__ = ["choose", "choose_with_uniforms", "logit_probabilities"]


def logit_probabilities(utilities: np.ndarray, beta: float) -> np.ndarray:
    """Multinomial-logit choice probabilities.

    Args:
        utilities: Array of shape ``(n_options,)`` or ``(n_agents, n_options)``
            in the decision's utility unit.
        beta: Rationality, in 1/(utility unit); ``beta >= 0``.

    Returns:
        Probabilities of the same shape, each row summing to 1.
    """
    u = np.asarray(utilities, dtype=float) * beta
    u = u - u.max(axis=-1, keepdims=True)  # stable softmax
    e = np.exp(u)
    return e / e.sum(axis=-1, keepdims=True)


def choose_with_uniforms(utilities: np.ndarray, beta: float, uniforms: np.ndarray) -> np.ndarray:
    """Pick options by inverse-CDF sampling with given uniforms in [0, 1).

    Splitting the uniforms from the choice lets a per-agent method and the
    vectorised path consume exactly the same random numbers.

    Args:
        utilities: ``(n_agents, n_options)`` utilities.
        beta: Rationality, in 1/(utility unit).
        uniforms: ``(n_agents,)`` uniform draws.

    Returns:
        ``(n_agents,)`` integer indices of the chosen options.
    """
    u = np.atleast_2d(utilities)
    if u.ndim == 2 and 2 <= u.shape[-1] <= LOGIT_MAX_OPTIONS:
        # one compiled call (hot path: a dozen NumPy calls on a few rows each, several
        # times a day); two options by one sigmoid, more as the NumPy lines below
        w = np.ascontiguousarray(uniforms, dtype=float).reshape(-1)
        if w.size != u.shape[0]:  # the compiled loop reads one uniform a row, unchecked
            raise ValueError(f"choose_with_uniforms: {u.shape[0]} rows of utilities but "
                             f"{w.size} uniforms")
        return logit_choice(np.ascontiguousarray(u, dtype=float), float(beta), w)
    p = logit_probabilities(u, beta)
    cdf = np.cumsum(p, axis=-1)
    idx = (np.asarray(uniforms)[:, None] >= cdf).sum(axis=-1)
    return np.minimum(idx, p.shape[-1] - 1)


def choose(utilities: np.ndarray, beta: float, rng: np.random.Generator) -> np.ndarray:
    """Draw logit choices for each row of ``utilities``.

    Args:
        utilities: ``(n_agents, n_options)`` utilities.
        beta: Rationality, in 1/(utility unit).
        rng: The generator of the deciding subsystem.

    Returns:
        ``(n_agents,)`` integer indices of the chosen options.
    """
    u2 = np.atleast_2d(utilities)
    return choose_with_uniforms(u2, beta, rng.random(u2.shape[0]))

"""Posterior plots: marginals against the priors, and pairwise scatter of the particles."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from collabsim.calibration.spec import Prior

__all__ = ["plot_marginals", "plot_pairs"]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _log_axis(axis, set_scale) -> None:
    """A log axis labelled at its major ticks only (minor labels overlap)."""
    from matplotlib.ticker import NullFormatter

    set_scale("log")
    axis.set_minor_formatter(NullFormatter())


def _prior_density(pr: Prior, x: np.ndarray) -> np.ndarray:
    inside = (x >= pr.low) & (x <= pr.high)
    if pr.distribution == "loguniform":
        dens = 1.0 / (np.maximum(x, 1e-300) * (np.log(pr.high) - np.log(pr.low)))
    else:
        dens = np.full_like(x, 1.0 / (pr.high - pr.low))
    return np.where(inside, dens, 0.0)


def plot_marginals(post: pd.DataFrame, priors: list[Prior], path: str | Path) -> Path:
    """Weighted posterior histogram of each parameter with its prior density.

    Args:
        post: One row per particle: the parameters and ``weight``.
        priors: The priors (their names are the columns).
        path: The PNG to write.

    Returns:
        The path written.
    """
    plt = _pyplot()
    n = len(priors)
    cols = min(3, n)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    for ax, pr in zip(axes.flat, priors, strict=False):
        edges = (np.geomspace(pr.low, pr.high, 21) if pr.distribution == "loguniform"
                 else np.linspace(pr.low, pr.high, 21))
        ax.hist(post[pr.name], bins=edges, weights=post["weight"], density=True,
                color="tab:blue", alpha=0.7, label="posterior")
        grid = (np.geomspace(pr.low, pr.high, 200) if pr.distribution == "loguniform"
                else np.linspace(pr.low, pr.high, 200))
        ax.plot(grid, _prior_density(pr, grid), color="black", lw=1.2, ls="--",
                label=f"prior ({pr.distribution})")
        if pr.distribution == "loguniform":
            _log_axis(ax.xaxis, ax.set_xscale)
        ax.set_xlabel(pr.name)
        ax.set_ylabel("density")
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=8)
    fig.suptitle("Posterior marginals (weighted particles) against the priors")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_pairs(post: pd.DataFrame, priors: list[Prior], path: str | Path) -> Path:
    """Pairwise scatter of the particles (size by weight), the prior box as axes limits.

    Args:
        post: One row per particle: the parameters and ``weight``.
        priors: The priors.
        path: The PNG to write.

    Returns:
        The path written.
    """
    plt = _pyplot()
    n = len(priors)
    fig, axes = plt.subplots(n, n, figsize=(2.3 * n + 1, 2.3 * n + 1), squeeze=False)
    size = 8 + 60 * post["weight"] / post["weight"].max()
    for i, pi in enumerate(priors):
        for j, pj in enumerate(priors):
            ax = axes[i][j]
            if i == j:
                ax.hist(post[pi.name], bins=15, weights=post["weight"], color="tab:blue",
                        alpha=0.7)
                ax.set_xlim(pi.low, pi.high)
            else:
                ax.scatter(post[pj.name], post[pi.name], s=size, alpha=0.5, color="tab:blue",
                           linewidths=0)
                ax.set_xlim(pj.low, pj.high)
                ax.set_ylim(pi.low, pi.high)
                if pj.distribution == "loguniform":
                    _log_axis(ax.xaxis, ax.set_xscale)
                if pi.distribution == "loguniform":
                    _log_axis(ax.yaxis, ax.set_yscale)
            if i == n - 1:
                ax.set_xlabel(pj.name, fontsize=8)
            if j == 0:
                ax.set_ylabel(pi.name, fontsize=8)
            ax.tick_params(labelsize=7)
    fig.suptitle("Posterior particles, pairwise (axes span the priors)")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path

"""The network layer: social network construction and the trust cycle's rules."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from collabsim.network import (
    build_collaboration_network,
    build_social_network,
    commitment_target,
    communication_quality,
    social_graph_to_networkx,
    update_trust_on_failure,
    update_trust_on_success,
)
from collabsim.rng import stream

N, K, P = 2000, 6, 0.1
SEEDS = (1, 2, 3)
#: Tolerance on average clustering: seed-to-seed spread of a 2,000-node
#: Watts–Strogatz graph's clustering is about ±0.01; we average three graphs.
CLUSTERING_TOL = 0.02


def _edges(indptr: np.ndarray, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    src = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    return src, indices.astype(np.int64)


@pytest.fixture(scope="module")
def small_worlds():
    return [build_social_network(N, "small_world", K, P, stream(s, "network.social"))
            for s in SEEDS]


def test_small_world_has_no_self_loops_and_is_symmetric(small_worlds):
    for indptr, indices in small_worlds:
        src, dst = _edges(indptr, indices)
        assert not (src == dst).any()
        a = {(int(u), int(v)) for u, v in zip(src, dst, strict=True)}
        assert all((v, u) in a for u, v in a)
        # Multiplicities match both ways too.
        fwd = np.sort(src * N + dst)
        bwd = np.sort(dst * N + src)
        np.testing.assert_array_equal(fwd, bwd)


def test_small_world_matches_networkx_watts_strogatz(small_worlds):
    ours = [social_graph_to_networkx(*g) for g in small_worlds]
    ref = [nx.watts_strogatz_graph(N, K, P, seed=s) for s in SEEDS]
    mean_deg = np.mean([len(g[1]) / N for g in small_worlds])
    ref_deg = np.mean([2 * g.number_of_edges() / N for g in ref])
    assert mean_deg == pytest.approx(ref_deg, abs=0.02)
    c_ours = np.mean([nx.average_clustering(g) for g in ours])
    c_ref = np.mean([nx.average_clustering(g) for g in ref])
    # Watts & Strogatz (1998): C(p) ≈ C(0)(1 − p)³ with C(0) = 3(k − 2)/(4(k − 1)) = 0.6.
    assert c_ref == pytest.approx(0.6 * (1 - P) ** 3, abs=CLUSTERING_TOL)
    assert c_ours == pytest.approx(c_ref, abs=CLUSTERING_TOL)
    # Small world: paths stay short while clustering stays high.
    assert nx.is_connected(ours[0])
    lattice = N / (2 * K)  # a ring lattice's mean path length
    lengths = [np.mean(list(nx.single_source_shortest_path_length(ours[0], s).values()))
               for s in range(0, N, 100)]
    assert np.mean(lengths) < lattice / 5


def test_small_world_duplicate_ties_are_rare(small_worlds):
    # Our construction does not re-draw a rewired end that hits an existing
    # neighbour (networkx does), so a few duplicate ties may appear.
    for indptr, indices in small_worlds:
        src, dst = _edges(indptr, indices)
        pairs = src * N + dst
        assert np.unique(pairs).size >= 0.995 * pairs.size


def test_random_network_has_the_requested_mean_degree():
    indptr, indices = build_social_network(N, "random", K, 0.0, stream(1, "network.social"))
    src, dst = _edges(indptr, indices)
    assert not (src == dst).any()
    assert len(indices) / N == pytest.approx(K, abs=0.3)  # sd of mean degree ≈ 0.08
    g = social_graph_to_networkx(indptr, indices)
    assert nx.average_clustering(g) < 0.02  # Erdős–Rényi: C ≈ k/n = 0.003


@pytest.mark.parametrize(("kind", "degree", "n"), [("none", 6, 100), ("small_world", 0, 100),
                                                   ("random", 6, 1)])
def test_no_ties(kind, degree, n):
    indptr, indices = build_social_network(n, kind, degree, 0.1, stream(1, "x"))
    assert indptr.shape == (n + 1,) and indices.size == 0


def test_unknown_kind_is_an_error():
    with pytest.raises(ValueError, match="unknown social network kind"):
        build_social_network(10, "scale_free", 2, 0.1, stream(1, "x"))


def test_collaboration_network_ties_every_pair_with_initial_trust():
    g = build_collaboration_network({"a": {"name": "A"}, "b": {}, "c": {}}, 0.4, 0.3)
    assert g.number_of_edges() == 3
    assert g.nodes["a"]["name"] == "A"
    for _, _, d in g.edges(data=True):
        assert d == {"trust": 0.4, "shared_understanding": 0.3, "handoffs": 0, "failures": 0}


def test_communication_quality_known_answers():
    assert communication_quality(1.0, 1.0, 1.0) == pytest.approx(1.0)
    assert communication_quality(1.0, 1.0, 0.0) == pytest.approx(0.5)
    assert communication_quality(0.4, 0.8, 0.5) == pytest.approx(0.6 * 0.75)
    assert communication_quality(0.0, 0.0, 1.0) == 0.0


def test_small_wins_raise_trust_faster_under_facilitative_leadership():
    slow = {"trust": 0.4, "shared_understanding": 0.3, "handoffs": 0, "failures": 0}
    fast = dict(slow)
    update_trust_on_success(slow, facilitative=0.0, gain=0.1, understanding_gain=0.05)
    update_trust_on_success(fast, facilitative=1.0, gain=0.1, understanding_gain=0.05)
    assert slow["trust"] == pytest.approx(0.4 + 0.1 * 0.6)
    assert fast["trust"] == pytest.approx(0.4 + 0.2 * 0.6)
    assert fast["shared_understanding"] > slow["shared_understanding"] > 0.3
    assert slow["handoffs"] == fast["handoffs"] == 1


def test_trust_stays_in_unit_interval_over_long_histories():
    tie = {"trust": 0.5, "shared_understanding": 0.5, "handoffs": 0, "failures": 0}
    rng = np.random.default_rng(0)
    for win in rng.random(5000) < 0.5:
        if win:
            update_trust_on_success(tie, 1.0, 0.5, 0.5)  # max speed in the schema's bounds
        else:
            update_trust_on_failure(tie, 1.0)
        assert 0.0 <= tie["trust"] <= 1.0
        assert 0.0 <= tie["shared_understanding"] <= 1.0
    assert tie["handoffs"] + tie["failures"] == 5000


def test_failure_erodes_trust_proportionally():
    tie = {"trust": 0.5, "shared_understanding": 0.5, "handoffs": 0, "failures": 0}
    update_trust_on_failure(tie, 0.04)
    assert tie["trust"] == pytest.approx(0.48)
    assert tie["failures"] == 1


def test_commitment_target_is_mean_of_leader_and_trust():
    assert commitment_target(0.8, [0.2, 0.4]) == pytest.approx(0.55)
    assert commitment_target(0.8, []) == 0.8

"""Docking the licensing pipeline against ciw (collabsim.calibration.docking).

The statistical tests: per workflow, the same docked network is run 8 times in
each simulator (warm-up 180 days, 360 days measured, 10,000 citizens, the
bottleneck at 70 % load); for throughput and mean processing days Welch's
two-sided t test of equal means must not reject at α = 0.01 (the 99 % interval
of the difference covers 0; four comparisons, so a family-wise error of at most
4 %). A deliberately wrong mapping must be rejected by the same test. Seeds are
fixed, so the tests are deterministic.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

pytest.importorskip("ciw")

from collabsim.calibration import docking as dk
from collabsim.choice import logit_probabilities
from collabsim.model import CollabModel

REPS, WARMUP, MEASURE = 8, 180, 360
ALPHA = 0.01


@pytest.fixture(scope="module", params=["spp_irt", "pbg"])
def docked(request):
    """One docking per workflow (collabsim's runs are reused by both tests below)."""
    return dk.dock(request.param, replications=REPS, warmup_days=WARMUP, measure_days=MEASURE)


def test_workflow_agrees_with_ciw(docked):
    """Throughput and mean processing days agree within the 99 % Welch interval."""
    for c in docked.comparisons:
        assert c.agrees(1 - ALPHA), (docked.preset, c.metric, c.difference(1 - ALPHA),
                                     c.collabsim_ci, c.ciw_ci)
        assert c.p_value() > ALPHA
    # the window saw real traffic: dozens of permits per replication
    assert min(docked.comparisons[0].collabsim) * MEASURE / dk.DAYS_PER_MONTH > 50


def _wrong(net: dk.PipelineNetwork, preset: str) -> dk.PipelineNetwork:
    if preset == "pbg":  # rework not fed back: a reworked file would just pass
        return replace(net, stages=tuple(replace(s, rework_prob=0.0) for s in net.stages))
    # counselling sessions at full staffing (the health office's staff share forgotten)
    share = net.desks[next(s.desk for s in net.stages if s.batched)].staff_share
    return replace(net, stages=tuple(replace(s, sessions_per_day=s.sessions_per_day / share)
                                     for s in net.stages))


def test_a_wrong_mapping_is_detected(docked):
    """The same test rejects a mis-mapped network: the docking has power."""
    bad = _wrong(docked.network, docked.preset)
    theirs = [dk.run_ciw(bad, 1000 + 500 + r, WARMUP, MEASURE) for r in range(REPS)]
    ours = [dk.Measured(t, m, 0, 0) for t, m in zip(docked.comparisons[0].collabsim,
                                                    docked.comparisons[1].collabsim,
                                                    strict=True)]
    days = dk.compare(ours, theirs)[1]
    assert not days.agrees(1 - ALPHA), days.difference(1 - ALPHA)
    assert days.p_value() < ALPHA


def test_no_queue_processing_days_are_exact_in_both():
    """Without rework, rejection, loss or queueing every permit takes the designed days.

    PBG with desks that never fill: each stage takes ⌈hand-off + service days⌉
    whole days (collabsim's day step), in collabsim and in the daily ciw twin
    alike; the joint arrangement's fractional hand-offs exercise the rounding.
    """
    ov = {"licensing.stages.*.rework_prob": 0.0, "licensing.stages.*.reject_prob": 0.0,
          "collaboration.siloed_loss_prob": 0.0, "collaboration.joint_min_loss_prob": 0.0,
          "officers.productivity": 100.0, "citizens.need_rate": 3e-5}
    for arrangement in ("siloed", "joint"):
        sc = dk.docked_scenario("pbg", arrangement=arrangement, load=None, days=300,
                                overrides=ov)
        net = dk.pipeline_network(sc)
        designed = sum(math.ceil(s.handoff_days + s.service_days) for s in net.stages)
        ours = dk.run_collabsim(sc, 3, 60, 240)
        theirs = dk.run_ciw(net, 4, 60, 240)
        assert ours.issued > 30 and theirs.issued > 30
        assert ours.mean_processing_days == theirs.mean_processing_days == designed
    assert designed == 52  # 2 + ⌈6.05 + 14⌉ + 3 + ⌈6.01 + 2⌉ + ⌈6.05 + 2⌉ + ⌈6.01 + 1⌉


def _single_desk(servers: int, lam: float) -> dk.PipelineNetwork:
    n = 1_000_000  # arrivals p·(idle citizens): Poisson at λ to within 10⁻⁵
    raw = {"name": "mmc", "citizens": {"n": n, "capacity_reference": n},
           "officers": {"effort_levels": [1.0, 1.0], "productivity": 2.0,
                        "competence_sd": 0.0, "commitment_sd": 0.0},
           "collaboration": {"siloed_staff_share": 0.625},
           "agencies": {"desk": {"name": "desk", "leader_commitment": 0.5,
                                 "facilitative_leadership": 0.5, "communication_openness": 0.5,
                                 "role_clarity": 0.5, "staff_competence": 0.8,
                                 "n_officers": servers}},
           "licensing": {"stages": [{"name": "work", "agency": "desk", "service_days": 0.0,
                                     "min_service_days": 0.0, "rework_prob": 0.0}]}}
    sc = dk.docked_scenario(raw, load=None, overrides={"citizens.need_rate": lam / n})
    return dk.pipeline_network(sc)


def test_officers_as_servers_give_the_mmc_mean():
    """One desk of c officers, continuous reading: the M/M/c mean time in system.

    Each officer serves ``productivity·competence·effort·FTE·staff share`` =
    2 · 0.8 · 1 · 1 · 0.625 = 1 file/day; at λ = 1.5/day with c = 3 Erlang C gives
    W = 1/μ + C(3, 1.5)/(3μ − λ) ≈ 1.158 days.
    """
    net = _single_desk(3, 1.5)
    assert np.allclose(net.mean_rates(0), 1.0)
    w = dk.mmc_mean_sojourn(1.5, 1.0, 3)
    assert w == pytest.approx(1.0 + (0.2368 / 1.5), abs=1e-3)
    x = np.array([dk.run_ciw(net, s, 30, 900, "continuous").mean_processing_days
                  for s in range(5)])
    half = 4.604 * x.std(ddof=1) / np.sqrt(x.size)  # t(0.995, 4): a 99 % interval
    assert abs(x.mean() - w) <= half, (x.mean(), half, w)
    assert abs(x.mean() / w - 1) < 0.04
    # the interval is sharp enough to see a mapping that forgot the staff share (μ = 1.6)
    assert abs(dk.mmc_mean_sojourn(1.5, 1.6, 3) - w) > 5 * half


def test_mapping_matches_the_model_it_docks():
    """The network derived from the scenario equals what collabsim's model computes.

    Fractional FTE (PBG at 5,000 citizens: 1.5, 3.5 and 1 desk officers), staff
    shares, hand-off delays and losses, guidance openness, session rates and the
    effort logit, in both arrangements.
    """
    for arrangement in ("siloed", "joint"):
        for preset in ("pbg", "spp_irt"):
            sc = dk.docked_scenario(preset, arrangement=arrangement, n_citizens=5000,
                                    identical_officers=False, days=10)
            net = dk.pipeline_network(sc)
            m = CollabModel(sc, seed=5)
            m.commit_officers()
            lic = m.licensing
            o = m.officers
            guidance = lic.guidance_openness()
            for a, desk in enumerate(net.desks):
                mine = o.agency_of == a
                assert np.allclose(o.fte[mine], desk.fte)
                assert np.allclose(m.officer_time[mine], np.asarray(desk.fte) * desk.staff_share)
                assert guidance[a] == pytest.approx(desk.guidance)
                p = net.effort.probabilities(desk.commitment, o.commitment[mine],
                                             o.competence[mine])
                u = (np.asarray(net.effort.levels)[None, :] * o.competence[mine][:, None]
                     * (sc.officers.recognition_weight * m.agency_list[a].commitment
                        + sc.officers.intrinsic_weight * o.commitment[mine])[:, None]
                     - sc.officers.effort_cost * np.asarray(net.effort.levels)[None, :] ** 2)
                assert np.allclose(p, logit_probabilities(u, sc.choice.beta_officer))
            for s, stage in enumerate(net.stages):
                if s:
                    a, b = net.stages[s - 1].desk, stage.desk
                    delay, loss = lic.handoff_terms(a, b) if a != b else (0.0, 0.0)
                    assert (stage.handoff_days, stage.loss_prob) == (delay, loss)
                if stage.batched:
                    assert stage.sessions_per_day == lic.session_rate(s)
                    assert stage.batch_places == lic.stages[s].batch_size * m.scale
    pbg = dk.pipeline_network(dk.docked_scenario("pbg", n_citizens=5000, days=10))
    assert [d.fte for d in pbg.desks] == [(1.0, 0.5), (1.0, 1.0, 1.0, 0.5), (1.0,)]


def test_docked_configuration_is_checked():
    """A scenario with a free choice or a live cycle is refused, naming the key."""
    sc = dk.docked_scenario("pbg", days=30, load=None,
                            overrides={"citizens.decision_rate": 0.5})
    assert any("decision_rate" in p for p in dk.check_docked(sc))
    with pytest.raises(ValueError, match="decision_rate"):
        dk.pipeline_network(sc)
    assert dk.check_docked(dk.docked_scenario("spp_irt", days=30)) == []

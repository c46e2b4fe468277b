"""Performance shortcuts give exactly what they replace: caches, unwrapped reductions, fast paths.

Every shortcut in the daily loop must leave a run's numbers bit for bit as they
were; these tests pin each one against the plain computation it stands for,
including after the change that must invalidate a cache.
"""

from __future__ import annotations

import numpy as np
import pytest

from collabsim import CollabModel
from collabsim.network import build_collaboration_network, mean_of, tie_data
from collabsim.services.licensing import _percentile_linear


def test_percentile_is_numpys_bit_for_bit() -> None:
    rng = np.random.default_rng(0)
    for trial in range(3000):
        n = int(rng.integers(1, 300)) if trial % 3 else int(rng.integers(1, 12))
        kind = trial % 4
        if kind == 0:
            d = rng.random(n) * 100
        elif kind == 1:
            d = rng.integers(0, 200, n).astype(float)  # ties, whole days
        elif kind == 2:
            d = rng.integers(-5, 5, n) + rng.random(n) * 1e-3
        else:
            d = np.round(rng.normal(50, 30, n), 1)
        for q in (90, 50, 10, 100, 0):
            expected = float(np.percentile(d, q))
            got = _percentile_linear(d, q)
            assert got == expected and np.signbit(got) == np.signbit(expected)


def test_mean_of_and_tie_data_are_np_mean_and_edge_order() -> None:
    rng = np.random.default_rng(1)
    for n in range(1, 40):
        x = rng.random(n).tolist()
        assert mean_of(x) == float(np.mean(x))
    assert mean_of([1, 2, 4]) == float(np.mean([1, 2, 4]))
    g = build_collaboration_network({k: {} for k in "abcde"}, 0.3, 0.4)
    for i, (_, _, d) in enumerate(g.edges(data=True)):
        d["trust"] = float(i)
    assert [d["trust"] for d in tie_data(g)] == [d["trust"] for _, _, d in g.edges(data=True)]
    assert all(a is b for a, b in zip(tie_data(g), (d for _, _, d in g.edges(data=True)),
                                      strict=True))


def _plain_window_stats(lic) -> dict[str, float]:
    """The windowed metrics as they were computed before the cache."""
    dur = np.concatenate([np.zeros(0), *lic._durations])
    dly = np.concatenate([np.zeros(0), *lic._delays])
    nan = float("nan")
    sla = lic.params.service_level_days
    return {
        "mean": float(np.mean(dur)) if dur.size else nan,
        "p90": float(np.percentile(dur, 90)) if dur.size else nan,
        "within": float((dur <= sla).mean()) if dur.size else nan,
        "delay": float(np.mean(dly)) if dly.size else nan,
    }


@pytest.mark.parametrize("preset", ["pbg", "spp_irt"])
def test_window_statistics_follow_the_window(preset: str) -> None:
    """Cached window statistics are recomputed whenever a day with values enters or leaves."""
    m = CollabModel(preset, seed=3, n_citizens=4000, overrides={"burn_in_days": 40})
    lic = m.licensing
    for day in range(160):
        m.step()
        np.testing.assert_array_equal(lic._recent["durations"],
                                      np.concatenate([np.zeros(0), *lic._durations]))
        np.testing.assert_array_equal(lic._recent["delays"],
                                      np.concatenate([np.zeros(0), *lic._delays]))
        want = _plain_window_stats(lic)
        got = {"mean": lic.mean_processing_days(), "p90": lic.p90_processing_days(),
               "within": lic.within_service_level(), "delay": lic.handoff_delay()}
        np.testing.assert_equal(got, want)
        if day == 80:  # a changed service level is not served from the cache
            lic.params = lic.params.model_copy(update={"service_level_days": 5.0})
            np.testing.assert_equal(lic.within_service_level(),
                                    _plain_window_stats(lic)["within"])


def test_unwrapped_reporters_equal_numpy_means() -> None:
    m = CollabModel("pbg", seed=2, n_citizens=3000, overrides={"burn_in_days": 60})
    m.run(40)
    lic = m.licensing
    assert lic.informed_share() == float(lic.informed.mean())
    assert lic.mean_expected_days() == float(lic.belief_days.mean())
    f = lic.files
    assert lic.backlog() == int((f.status[: f.n] == 0).sum())
    assert lic.stalled_files() == int(f.blocked[: f.n].sum())
    from collabsim.metrics import mean_commitment, mean_officer_effort, mean_trust

    assert mean_trust(m) == float(np.mean([d["trust"] for _, _, d
                                           in m.collaboration_graph.edges(data=True)]))
    assert mean_commitment(m) == float(np.mean([a.commitment for a in m.agency_list]))
    assert mean_officer_effort(m) == float(m.officers.effort.mean())


def _plain_stage_arrays(lic) -> dict[str, np.ndarray]:
    st = lic.stages
    return {k: np.array([getattr(s, k) for s in st])
            for k in ("agency", "service_days", "fee", "levy", "needs_regulation",
                      "rework_prob", "rework_days", "reject_prob")} | {
        "batched": np.array([s.batch_size > 0 for s in st])}


def _assert_stage_arrays_current(lic) -> None:
    got = lic.stage_arrays()._asdict()
    want = _plain_stage_arrays(lic)
    assert got.keys() == want.keys()
    for k, v in want.items():
        np.testing.assert_array_equal(got[k], v)
        assert got[k].dtype == v.dtype, k


def test_stage_arrays_follow_every_workflow_change() -> None:
    """The cached stage table is rebuilt after innovation, a merge and an intervention."""
    from dataclasses import replace

    m = CollabModel("pbg", seed=1, n_citizens=2000, overrides={"burn_in_days": 0})
    lic = m.licensing
    _assert_stage_arrays_current(lic)
    first = lic.stage_arrays()
    assert lic.stage_arrays() is first  # kept while the workflow stands
    with pytest.raises(ValueError):
        first.reject_prob[0] = 0.5  # read-only: no caller can corrupt it
    lic.stages[1] = replace(lic.stages[1], service_days=1.0, rework_prob=0.9)  # innovation
    _assert_stage_arrays_current(lic)
    params = lic.params.model_copy(deep=True)  # an intervention on a stage
    name = lic.stages[0].name
    stages = [s.model_copy(update={"reject_prob": 0.25}) if s.name == name else s
              for s in params.stages]
    lic.reconfigure(params.model_copy(update={"stages": stages}))
    assert lic.stages[0].reject_prob == 0.25
    _assert_stage_arrays_current(lic)
    lic.consolidate_workflow(3)  # a merge (_remap)
    assert lic.n_stages == 3
    _assert_stage_arrays_current(lic)
    lic.stages = list(lic.stages[:2])  # a workflow replaced wholesale
    _assert_stage_arrays_current(lic)


def test_innovation_skip_never_skips_a_possible_improvement() -> None:
    """The chance is at most its base (leadership × commitment × rate) in every state."""
    for preset in ("pbg_repaired", "spp_irt"):
        m = CollabModel(preset, seed=4, n_citizens=2000, overrides={"burn_in_days": 0})
        lic = m.licensing
        for _ in range(400):
            m.step()
            for a in m.agency_list:
                base = (lic.params.innovation_rate * a.facilitative_leadership
                        * a.commitment)
                assert lic.innovation_chance(a) <= base


def test_empty_uniforms_are_what_the_draws_return_for_nobody() -> None:
    m = CollabModel("pbg", seed=1, n_citizens=500, overrides={"burn_in_days": 0})
    empty = np.zeros(0, dtype=np.int64)
    got = m.uniforms("citizens.choice", empty, 1)
    want = m._draws.uniforms("citizens.choice", m.day, empty, 1)
    assert got.dtype == want.dtype and got.shape == want.shape == (0,)


@pytest.mark.parametrize("preset", ["pbg", "jcoc"])
def test_word_of_mouth_in_listener_order_is_the_same(preset: str, monkeypatch) -> None:
    """Conversations worked in listener order leave every state array as in draw order."""
    from collabsim.agents.citizen import CitizenPopulation

    def run(ordered_from: int) -> CollabModel:
        monkeypatch.setattr(CitizenPopulation, "ORDERED_FROM", ordered_from)
        m = CollabModel(preset, seed=5, n_citizens=3000, overrides={"burn_in_days": 20})
        m.run(60)
        return m

    plain, ordered = run(10**12), run(1)
    for name in ("licensing", "mobility"):
        a, b = getattr(plain, name), getattr(ordered, name)
        if a is None:
            continue
        for attr in ("belief_days", "belief_detect", "informed", "aware", "state"):
            if hasattr(a, attr):
                np.testing.assert_array_equal(getattr(a, attr), getattr(b, attr))
    assert plain.datacollector.get_model_vars_dataframe().equals(
        ordered.datacollector.get_model_vars_dataframe())


def test_conversations_in_order_match_draw_order(monkeypatch) -> None:
    from collabsim.agents.citizen import CitizenPopulation
    from collabsim.network import build_social_network

    n = 20_000
    indptr, indices = build_social_network(n, "small_world", 6, 0.1, np.random.default_rng(1))
    pop = CitizenPopulation(n, indptr, indices)
    monkeypatch.setattr(CitizenPopulation, "ORDERED_FROM", 10**12)
    plain = pop.conversations(0.3, np.random.default_rng(7))
    assert pop.in_listener_order(*plain)[0] is None  # a small day: draw order
    monkeypatch.setattr(CitizenPopulation, "ORDERED_FROM", 1)
    listeners, speakers = pop.conversations(0.3, np.random.default_rng(7))
    np.testing.assert_array_equal(listeners, plain[0])
    np.testing.assert_array_equal(speakers, plain[1])
    order, ls, ss = pop.in_listener_order(listeners, speakers)
    np.testing.assert_array_equal(ls, listeners[order])
    np.testing.assert_array_equal(ss, speakers[order])
    assert (np.diff(ls >> pop._block_shift) >= 0).all()  # blocks in order
    # stable: a listener's conversations keep their draw order
    np.testing.assert_array_equal(order, np.argsort(listeners >> pop._block_shift,
                                                    kind="stable"))
    # other arrays, or yesterday's conversations, are worked as given
    assert pop.in_listener_order(listeners.copy(), speakers)[0] is None
    pop.conversations(0.3, np.random.default_rng(8))
    assert pop.in_listener_order(listeners, speakers)[0] is None


def test_talk_puts_draw_order_together_only_when_read(monkeypatch) -> None:
    from collabsim.agents.citizen import CitizenPopulation
    from collabsim.network import build_social_network

    n = 20_000
    indptr, indices = build_social_network(n, "small_world", 6, 0.1, np.random.default_rng(2))
    pop = CitizenPopulation(n, indptr, indices)
    plain = pop.conversations(0.3, np.random.default_rng(11))
    monkeypatch.setattr(CitizenPopulation, "ORDERED_FROM", 1)
    talk = pop.talk(0.3, np.random.default_rng(11))
    assert talk._speakers is None  # not put together yet
    np.testing.assert_array_equal(talk.ordered_listeners, plain[0][talk.order])
    np.testing.assert_array_equal(talk.ordered_speakers, plain[1][talk.order])
    np.testing.assert_array_equal(talk.listeners, plain[0])
    np.testing.assert_array_equal(talk.speakers, plain[1])
    assert pop.in_listener_order(talk.listeners, talk.speakers)[0] is talk.order


def test_a_service_without_ordered_hearing_gets_draw_order(monkeypatch) -> None:
    """The model hands the day's conversations in draw order to a service that only has hear."""
    from collabsim.agents.citizen import CitizenPopulation

    monkeypatch.setattr(CitizenPopulation, "ORDERED_FROM", 1)
    m = CollabModel("pbg", seed=1, n_citizens=2000, overrides={"burn_in_days": 0})
    heard = []

    class Listener:
        def hear(self, listeners, speakers):
            heard.append((listeners, speakers))

        def inform(self):
            pass

        def step(self, day):
            pass

    m.services.append(Listener())
    rng_state = m.stream("citizens.word_of_mouth").bit_generator.state
    m.spread_information()
    m.stream("citizens.word_of_mouth").bit_generator.state = rng_state
    m.population._today = None
    want = CitizenPopulation.conversations(m.population, m.config.citizens.word_of_mouth_rate,
                                           m.stream("citizens.word_of_mouth"))
    (got,) = heard
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])


def test_sorted_unique_is_np_unique() -> None:
    from collabsim.network import sorted_unique as _sorted_unique

    rng = np.random.default_rng(3)
    for n in (0, 1, 2, 3, 10, 1000):
        for hi in (1, 5, 10**6):
            x = rng.integers(0, hi, n)
            got, want = _sorted_unique(x), np.unique(x)
            np.testing.assert_array_equal(got, want)
            assert got.dtype == want.dtype


def test_kept_officer_ids_follow_hiring() -> None:
    m = CollabModel("pbg", seed=1, n_citizens=2000, overrides={"burn_in_days": 0})
    m.run(3)
    n = m.officers.n
    np.testing.assert_array_equal(m._officer_ids, np.arange(n))
    agency = m.agency_list[0]
    m.staff_desk(agency, agency.n_officers + 2, m.config.agencies[agency.key])
    assert m.officers.n == n + 2
    m.step()
    np.testing.assert_array_equal(m._officer_ids, np.arange(n + 2))


def test_collector_columns_follow_a_replaced_table() -> None:
    m = CollabModel("pbg", seed=1, n_citizens=1000, overrides={"burn_in_days": 0})
    m.run(3)
    dc = m.datacollector
    assert all(len(v) == 3 for v in dc.model_vars.values())
    dc.model_vars = {k: [] for k in dc.model_vars}  # e.g. a reset of the records
    m.step()
    assert all(len(v) == 1 for v in dc.model_vars.values())
    assert dc.model_vars["day"] == [3]


def test_a_deep_copied_model_records_into_its_own_columns() -> None:
    """A forked model (copy.deepcopy, as counterfactuals fork) appends to its own table only."""
    import copy

    m = CollabModel("pbg", seed=1, n_citizens=1000, overrides={"burn_in_days": 0})
    m.run(3)
    fork = copy.deepcopy(m)
    fork.run(2)
    assert all(len(v) == 3 for v in m.datacollector.model_vars.values())
    assert all(len(v) == 5 for v in fork.datacollector.model_vars.values())
    m.run(1)
    assert all(len(v) == 4 for v in m.datacollector.model_vars.values())
    assert all(len(v) == 5 for v in fork.datacollector.model_vars.values())

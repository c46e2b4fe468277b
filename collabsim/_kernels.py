"""Compiled inner loops (Numba) for the model's hottest small operations.

At the presets' 10,000 citizens a simulated day is a few hundred NumPy calls on
arrays of one to a few thousand elements, so the cost is the calls, not the
arithmetic (about 1 µs each). The loops here do in one compiled call what
took ten to twenty NumPy calls, with the same floating-point operations in the
same order, so a run gives bit-for-bit the results it gave before (the
regression baselines check this, and ``tests/unit/test_kernels.py`` checks each
loop against the NumPy formulation it replaced). The logit choice
(:func:`logit_choice`) calls the C library's ``exp``, as NumPy does on a machine
without AVX-512; where NumPy uses its own AVX-512 ``exp`` the two may differ in
the last bit, which moves a choice only when a uniform falls within that bit of
a boundary (about 1e-16 a choice).

Compiled once per machine and cached beside this file (``cache=True``); a
process then pays about 0.3 s and 80 MB once to load Numba and the cache
(:func:`warm` does it ahead of time).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "agent_uniforms",
    "desk_queue",
    "desk_strength",
    "logit_choice",
    "ready_files",
    "splitmix_key",
    "splitmix_uniforms",
    "stage_outcomes",
    "warm",
    "word_of_mouth",
]

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_ONE = np.uint64(1)
_S11, _S27, _S30, _S31 = np.uint64(11), np.uint64(27), np.uint64(30), np.uint64(31)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53
#: the licensing service's codes (collabsim.services.licensing; a test keeps them equal)
FILE_ACTIVE, FILE_ISSUED, FILE_REJECTED = 0, 1, 2  # a file's status
CITIZEN_IDLE, CITIZEN_NEEDING = 0, 1           # a citizen's licensing state
MODE_CHARGE = 2                                # an office's choice at an unregulated stage


@njit(cache=True, nogil=True)
def _unit(i: np.int64, key: np.uint64) -> float:  # pragma: no cover - compiled
    """SplitMix64 output number ``i + 1`` of the sequence keyed ``key``, as a uniform on [0, 1)."""
    x = (np.uint64(i) + _ONE) * _GAMMA + key
    x = (x ^ (x >> _S30)) * _M1
    x = (x ^ (x >> _S27)) * _M2
    x = x ^ (x >> _S31)
    return (x >> _S11) * _TO_UNIT


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
        out[j] = _unit(ids[j], key)
    return out


@njit(cache=True, nogil=True)
def _mix(x: np.uint64) -> np.uint64:  # pragma: no cover - compiled
    """SplitMix64's finaliser (a bijection of 64-bit words)."""
    x = (x ^ (x >> _S30)) * _M1
    x = (x ^ (x >> _S27)) * _M2
    return x ^ (x >> _S31)


@njit(cache=True, nogil=True)
def splitmix_key(base: np.uint64, day: np.int64, slot: np.int64) -> np.uint64:  # pragma: no cover
    """A decision's key on ``day``: ``mix(mix(base + day) + slot)`` modulo 2**64.

    What :meth:`collabsim.rng.AgentDraws.key` computes with Python integers (a
    negative day wraps as its two's complement, as ``day & (2**64 − 1)`` does).
    """
    return _mix(_mix(base + np.uint64(day)) + np.uint64(slot))


@njit(cache=True, nogil=True)
def agent_uniforms(ids: np.ndarray, base: np.uint64, day: np.int64,
                   slot: np.int64) -> np.ndarray:  # pragma: no cover - compiled
    """:func:`splitmix_uniforms` of ``ids`` under :func:`splitmix_key` ``(base, day, slot)``."""
    return splitmix_uniforms(ids, splitmix_key(base, day, slot))


#: The most options :func:`logit_choice` takes: NumPy sums a row of up to 7 in order,
#: longer rows pairwise in blocks of 8 (which the NumPy path keeps).
LOGIT_MAX_OPTIONS = 7


@njit(cache=True, nogil=True)
def logit_choice(u: np.ndarray, beta: float,
                 uniforms: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """Logit choices by inverse CDF: :func:`collabsim.choice.choose_with_uniforms` compiled.

    The same operations in the same order as the NumPy formulation: two options
    by ``1 / (1 + exp(−β(u₀ − u₁)))`` (SciPy's ``expit``); more by the softmax
    of ``β·u`` less its row maximum, the row sum taken in order, the CDF as the
    running sum of ``e_j / s``, the choice the number of CDF values at or below
    the uniform (at most the last option).

    Args:
        u: ``(n, k)`` utilities, ``2 ≤ k ≤`` :data:`LOGIT_MAX_OPTIONS`.
        beta: Rationality, in 1/(utility unit).
        uniforms: ``(n,)`` uniforms on [0, 1).

    Returns:
        ``(n,)`` chosen option indices.
    """
    n, k = u.shape
    out = np.empty(n, dtype=np.intp)
    if k == 2:
        for i in range(n):
            p = 1.0 / (1.0 + np.exp(-(beta * (u[i, 0] - u[i, 1]))))
            out[i] = 1 if uniforms[i] >= p else 0
        return out
    e = np.empty(k)
    for i in range(n):
        m = u[i, 0] * beta
        for j in range(1, k):
            v = u[i, j] * beta
            if v > m or v != v:  # NumPy's maximum propagates NaN
                m = v
        for j in range(k):
            e[j] = np.exp(u[i, j] * beta - m)
        s = e[0]
        for j in range(1, k):
            s += e[j]
        c = e[0] / s
        count = 1 if uniforms[i] >= c else 0
        for j in range(1, k):
            c = c + e[j] / s
            if uniforms[i] >= c:
                count += 1
        out[i] = count if count < k - 1 else k - 1
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


@njit(cache=True, nogil=True)
def stage_outcomes(ids: np.ndarray, day: float, keys: np.ndarray, given: np.ndarray,
                   files: tuple, citizens: tuple, stages: tuple, agencies: np.ndarray,
                   ties: tuple, p: np.ndarray, out: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """The outcomes of the files whose stage was worked today, in place (one call).

    What :meth:`collabsim.services.licensing.LicensingService.complete_stage` does,
    rule by rule (its docstring and docs/ODD.md state them): each file ``ids[j]`` is
    rejected when its process uniform ``u < reject``, sent back for rework when
    ``u < reject + rework·(1 − reject)`` (``rework = clip(rework_prob·(1.5 − openness)·(1.5 −
    quality) + learning_errors·(1 − quality), 0, 0.95)`` of the stage's agency), and
    passes otherwise. Passed files go stage by stage in increasing order (each stage's
    files in their order in ``ids``): the levy is charged (every file under a regulation
    in force, else the files the office chose to charge, of which those with
    an unpaid uniform below ``unpaid_share`` never pay), the last stage's files are issued
    (applicants learn the days it took) and the others handed on, over the tie when the
    agency changes: delay and loss move from the letter's toward the shared system's
    with the tie's quality ``q' = ½(o_a + o_b)(½ + ½·SU)·(½ + ½·c_b)`` (0 siloed), a lost
    file bounces, and in the joint arrangement each hand-off is a small win or a failure
    for the tie (wins first, at most 50 of each applied one by one, as the Python rule).

    Each file's uniform in the three decisions (process, unpaid, hand-off) is its own
    per-agent number (:func:`splitmix_uniforms` of its slot ``citizen·32 + stage``
    under the decision's key in ``keys``); or, when ``given`` holds rows (the stream
    mode), the three streams' next numbers, consumed in the order the rules draw them
    (``out`` returns how many of the last two were used).

    Args:
        ids: The files worked (indices into the file columns).
        day: Today (days).
        keys: Today's keys of the three decisions (uint64).
        given: ``(3, len(ids))`` stream uniforms of the three decisions, or ``(0, 0)``.
        files: ``(citizen, stage, status, submitted, ready, transit_until, mode)`` columns.
        citizens: ``(state, file_of, belief_days)`` of every citizen.
        stages: ``(agency, reject_prob, rework_prob, rework_days, service_days, levy,
            regulated, tie)`` by stage: ``regulated`` whether a regulation covering the
            stage is in force, ``tie`` the index of the tie a hand-off from it crosses
            (−1 for none).
        agencies: ``(n_agencies, 5)``: guidance openness, quality, openness,
            commitment, facilitative leadership.
        ties: ``(trust, shared_understanding, handoffs, failures)`` (updated).
        p: ``(learning_errors, learning_rate, siloed_days, joint_days, siloed_loss,
            joint_loss, bounce_days, trust_gain, understanding_gain, trust_loss,
            unpaid_share, joint)``.
        out: Returns (zeros on entry) ``(rejected, issued, handoffs, handoff failures,
            unpaid, unpaid uniforms used, hand-off uniforms used)`` and then, for each
            stage, the files passed, then the levies paid.

    Returns:
        ``(took, delays)``: the processing days of the permits issued and the delays
        of the hand-offs between agencies, in the order the rules make them.
    """
    citizen, stage, status, submitted, ready, transit_until, mode = files
    state, file_of, belief_days = citizens
    agency, reject_prob, rework_prob, rework_days, service_days, levy, regulated, tie = stages
    guidance, quality = agencies[:, 0], agencies[:, 1]
    openness, commitment, facilitative = agencies[:, 2], agencies[:, 3], agencies[:, 4]
    trust, understanding, handoffs, failures = ties
    learning_errors, lam, siloed_days, joint_days = p[0], p[1], p[2], p[3]
    siloed_loss, joint_loss, bounce_days = p[4], p[5], p[6]
    trust_gain, understanding_gain, trust_loss, unpaid_share = p[7], p[8], p[9], p[10]
    joint = p[11] > 0.0
    n_stages = agency.size
    n = ids.size
    sequential = given.shape[0] > 0
    counts = out[:7]
    passed = out[7:7 + n_stages]
    paid = out[7 + n_stages:7 + 2 * n_stages]
    slot = np.empty(n, dtype=np.int64)
    outcome = np.empty(n, dtype=np.int8)  # 0 passed, 1 rejected, 2 rework
    st = np.empty(n, dtype=np.int64)
    for j in range(n):
        f = ids[j]
        s = np.int64(stage[f])
        st[j] = s
        slot[j] = citizen[f] * 32 + s
        a = agency[s]
        q = quality[a]
        rp = reject_prob[s]
        rw = (rework_prob[s] * (1.5 - guidance[a]) * (1.5 - q)
              + learning_errors * (1.0 - q))
        if rw < 0.0:
            rw = 0.0
        elif rw > 0.95:
            rw = 0.95
        u = given[0, j] if sequential else _unit(slot[j], keys[0])
        if u < rp:
            outcome[j] = 1
            status[f] = FILE_REJECTED
            c = citizen[f]
            state[c] = CITIZEN_NEEDING
            file_of[c] = -1
            counts[0] += 1
        elif u < rp + rw * (1 - rp):
            outcome[j] = 2
            ready[f] = day + rework_days[s]
        else:
            outcome[j] = 0
            passed[s] += 1
    took = np.empty(passed[n_stages - 1])
    delays = np.empty(n)
    n_took = 0
    n_delays = 0
    k_unpaid = 0
    k_handoff = 0
    # the levy, stage by stage
    for s in range(n_stages):
        if passed[s] == 0 or levy[s] == 0.0:
            continue
        if regulated[s]:
            paid[s] = passed[s]
            continue
        asked = 0
        unpaid = 0
        for j in range(n):
            if outcome[j] == 0 and st[j] == s and mode[ids[j]] == MODE_CHARGE:
                asked += 1
                u = given[1, k_unpaid] if sequential else _unit(slot[j], keys[1])
                k_unpaid += 1
                if u < unpaid_share:
                    unpaid += 1
        counts[4] += unpaid
        paid[s] = asked - unpaid
    # the permits issued
    last = n_stages - 1
    if passed[last]:
        for j in range(n):
            if outcome[j] == 0 and st[j] == last:
                f = ids[j]
                status[f] = FILE_ISSUED
                c = citizen[f]
                t = day - submitted[f]
                belief_days[c] = (1 - lam) * belief_days[c] + lam * t
                state[c] = CITIZEN_IDLE
                file_of[c] = -1
                took[n_took] = t
                n_took += 1
        counts[1] += n_took
    # the hand-offs, stage by stage
    for s in range(last):
        if passed[s] == 0:
            continue
        a = agency[s]
        b = agency[s + 1]
        t_ = tie[s]
        mean_delay = 0.0
        loss = 0.0
        if a != b:
            q = 0.0
            if joint:
                q = (0.5 * (openness[a] + openness[b]) * (0.5 + 0.5 * understanding[t_])
                     * (0.5 + 0.5 * commitment[b]))
            mean_delay = siloed_days * (1.0 - q) + joint_days * q
            loss = siloed_loss * (1.0 - q) + joint_loss * q
        lost_here = 0
        for j in range(n):
            if outcome[j] != 0 or st[j] != s:
                continue
            f = ids[j]
            delay = 0.0
            if a != b:
                u = given[2, k_handoff] if sequential else _unit(slot[j], keys[2])
                k_handoff += 1
                lost = 0.0
                if u < loss:
                    lost = 1.0
                    lost_here += 1
                delay = mean_delay + lost * bounce_days
                delays[n_delays] = delay
                n_delays += 1
            stage[f] = s + 1
            transit_until[f] = day + delay
            ready[f] = day + delay + service_days[s + 1]
        if a != b:
            counts[2] += passed[s]
            counts[3] += lost_here
            if joint:
                wins = passed[s] - lost_here
                speed = 1.0 + 0.5 * (facilitative[a] + facilitative[b])
                for _ in range(min(wins, 50)):
                    trust[t_] += min(1.0, trust_gain * speed) * (1.0 - trust[t_])
                    understanding[t_] += (min(1.0, understanding_gain * speed)
                                          * (1.0 - understanding[t_]))
                    handoffs[t_] += 1
                handoffs[t_] += max(wins - 50, 0)
                for _ in range(min(lost_here, 50)):
                    trust[t_] -= trust_loss * trust[t_]
                    failures[t_] += 1
                failures[t_] += max(lost_here - 50, 0)
    counts[5] = k_unpaid
    counts[6] = k_handoff
    return took, delays[:n_delays]


@njit(cache=True, nogil=True)
def desk_queue(active: np.ndarray, stage: np.ndarray, agency: np.ndarray,
               submitted: np.ndarray, capacity: np.ndarray, carry: np.ndarray
               ) -> np.ndarray:  # pragma: no cover - compiled
    """The desk files each agency completes today: oldest application first, up to capacity.

    ``active`` (increasing file indices) are the ready desk files; each goes to its
    stage's agency, which completes ``min(⌊capacity⌋, waiting)`` of its files in
    order of submission (then file index), agencies in index order. Unused capacity
    carries to tomorrow (``carry``, updated), at most one file's worth when the
    queue was emptied.

    Returns:
        The completed files, agency by agency, each agency's oldest first.
    """
    n_ag = capacity.size
    owner = np.empty(active.size, dtype=np.int64)
    for j in range(active.size):
        owner[j] = agency[stage[active[j]]]
    # a stable sort by submission, then by agency: (agency, submitted, index) order
    sub = np.empty(active.size)
    for j in range(active.size):
        sub[j] = submitted[active[j]]
    order = np.argsort(sub, kind="mergesort")
    order = order[np.argsort(owner[order], kind="mergesort")]
    waiting = np.zeros(n_ag, dtype=np.int64)
    for j in range(active.size):
        waiting[owner[j]] += 1
    done = np.empty(active.size, dtype=np.int64)
    n_done = 0
    start = 0
    for a in range(n_ag):
        cap = capacity[a]
        k = min(int(cap), waiting[a])
        carry[a] = min(cap - k, 1.0) if k == waiting[a] else cap - k
        for j in range(start, start + k):
            done[n_done] = active[order[j]]
            n_done += 1
        start += waiting[a]
    return done[:n_done]


@njit(cache=True, nogil=True)
def desk_strength(agency_of: np.ndarray, competence: np.ndarray, effort: np.ndarray,
                  time: np.ndarray, productivity: float, n_agencies: int
                  ) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Each agency's desk capacity today and its officers' mean competence × effort.

    ``capacity_a = Σ productivity·competence·effort·time`` and ``quality_a = Σ
    competence·effort·time / Σ time`` (0 without time) over the agency's officers,
    summed in officer order as ``np.bincount`` sums its weights.

    Returns:
        ``(capacity, quality)`` by agency (files a day; 0–1).
    """
    capacity = np.zeros(n_agencies)
    q = np.zeros(n_agencies)
    k = np.zeros(n_agencies)
    for i in range(agency_of.size):
        a = agency_of[i]
        capacity[a] += productivity * competence[i] * effort[i] * time[i]
        q[a] += competence[i] * effort[i] * time[i]
        k[a] += time[i]
    for a in range(n_agencies):
        q[a] = q[a] / k[a] if k[a] > 0 else 0.0
    return capacity, q


@njit(cache=True, nogil=True)
def ready_files(status: np.ndarray, blocked: np.ndarray, ready: np.ndarray, n: int,
                day: float) -> np.ndarray:  # pragma: no cover - compiled
    """Indices (increasing) of the first ``n`` files in process, not held, ready by ``day``."""
    out = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(n):
        if status[i] == FILE_ACTIVE and not blocked[i] and ready[i] <= day:
            out[k] = i
            k += 1
    return out[:k]


def warm() -> None:
    """Load (or compile) every kernel now rather than on the first simulated day.

    A process pays this once: about 0.2 s from the cache, a few seconds to compile
    on a machine's first run. Benchmarks call it so a per-day cost excludes it.
    """
    ids = np.zeros(1, dtype=np.int64)
    splitmix_uniforms(ids, np.uint64(1))
    agent_uniforms(ids, np.uint64(1), -1, 0)
    fixed = ids.copy()
    fixed.flags.writeable = False  # the officers' ids, read-only
    agent_uniforms(fixed, np.uint64(1), -1, 0)
    splitmix_key(np.uint64(1), -1, 0)
    for k in (2, 3):
        logit_choice(np.zeros((1, k)), 1.0, np.zeros(1))
    x, b = np.zeros(1), np.zeros(1, dtype=np.bool_)
    word_of_mouth(ids, ids, b, 0.5, 0.0, np.zeros(1, dtype=np.int8), 2, ids, x, x, x.copy(),
                  b.copy())
    # the licensing loops, with the argument types the service passes (one file, one stage)
    i8, f8 = np.zeros(1, dtype=np.int64), np.zeros(1)
    stage, small = np.zeros(1, dtype=np.int16), np.zeros(1, dtype=np.int8)
    agency = np.zeros(1, dtype=np.int64)
    agency.flags.writeable = False  # the stage table's column, read-only
    desk_queue(i8, stage, agency, f8, f8.copy(), f8.copy())
    desk_strength(np.zeros(1, dtype=np.int32), f8, f8, f8, 1.0, 1)
    ready_files(small, np.zeros(1, dtype=np.bool_), f8, 1, 0.0)
    stage_outcomes(i8, 0.0, np.zeros(3, dtype=np.uint64), np.zeros((0, 0)),
                   (i8.copy(), stage, small, f8.copy(), f8.copy(), f8.copy(), small.copy()),
                   (small.copy(), i8.copy(), f8.copy()),
                   (i8.copy(), f8.copy(), f8.copy(), f8.copy(), f8.copy(), f8.copy(),
                    np.zeros(1, dtype=np.bool_), np.full(1, -1, dtype=np.int64)),
                   np.zeros((1, 5)), (f8.copy(), f8.copy(), i8.copy(), i8.copy()),
                   np.zeros(12), np.zeros(9, dtype=np.int64))

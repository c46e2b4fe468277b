"""The licensing service: applicants, a staged workflow, hand-offs and the levy.

One step is one day. In order:

1. **Needs arrive**: each idle citizen gets a need with ``need_rate`` per day.
2. **Citizens decide** (multinomial logit, β = ``beta_citizen``) among
   ``apply`` / ``informal`` / ``wait`` from their *beliefs* (see
   :meth:`~collabsim.agents.citizen.Citizen.licensing_utilities`). A need left
   waiting longer than ``patience_days`` is met informally.
3. **Applicants reconsider**: with ``reconsider_rate`` per day an applicant
   weighs continuing against abandoning the file and going informal.
4. **Agencies work their queues**: each agency completes, oldest first, as many
   files as its committed officers' output allows. A completed stage may be
   rejected, sent back for rework (more likely under poor communication and
   low competence·effort), or passed on; the levy is charged where a
   regulation is in force. Batched stages (counselling) work in sessions
   whose frequency follows the agency's staffing. At a stage whose regulation
   is missing the office *chooses* (logit) to hold the file, issue it without
   the levy, charge the levy anyway (some never pay) or ask an informal fee.
5. **Hand-offs** between agencies travel over the collaboration network: by
   letter before the collaboration start; in the joint arrangement over ties
   whose delay and loss move from the letter's toward the shared system's as
   the tie's communication quality rises (no quality, no gain). In the joint
   arrangement each hand-off is a small win or a failure for the tie's trust.
6. **Innovation**: facilitative and committed leaders shorten their stages or
   merge adjacent ones, as fast as their communication with the partners
   allows (joint), or at ``siloed_innovation`` of that rate on their own.

What the joint arrangement changes is a function of the named drivers
(communication openness, shared understanding, the partner's commitment,
resources, facilitative leadership, competence); with none of them it gains
nothing over staying siloed (see docs/ODD.md "The joint arrangement").

Citizens learn from their own files and from word of mouth (see
:meth:`LicensingService.hear`), and from the agencies' public information.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from operator import is_
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from collabsim._kernels import (
    desk_queue,
    desk_strength,
    ready_files,
    stage_outcomes,
    word_of_mouth,
)
from collabsim.choice import choose_with_uniforms
from collabsim.network import (
    communication_quality,
    mean_of,
    update_trust_on_failure,
    update_trust_on_success,
)
from collabsim.services.registry import Metric, count_today, value_of

if TYPE_CHECKING:
    from collabsim.model import CollabModel
    from collabsim.scenario.schema import LicensingParams

__all__ = ["LicensingService", "WorkStage", "merge_stages"]

IDLE, NEEDING, APPLIED = 0, 1, 2
ACTIVE, ISSUED, REJECTED, ABANDONED = 0, 1, 2, 3
APPLY, INFORMAL, WAIT = 0, 1, 2
#: an office's options for a file at a stage whose regulation is not in force
HOLD, WAIVE, CHARGE, FEE = 0, 1, 2, 3
UNREGULATED_OPTIONS = ("hold", "waive", "charge", "informal_fee")
#: held-file counts at a stage that make an entry in the event log
HELD_MILESTONES = (1, 10, 25, 50, 100, 250, 500, 1000)
WINDOW_DAYS = 30
_EMPTY = np.zeros(0)
_EMPTY.flags.writeable = False
_NO_DRAWS = np.zeros((0, 0))  # no stream uniforms: each file's own (agent mode)


def _percentile_linear(d: np.ndarray, q: float) -> float:
    """``float(np.percentile(d, q))`` for a non-empty 1-D float array without NaNs.

    NumPy's default ("linear") method, step by step as NumPy computes it: the
    virtual index ``(n − 1)·q/100``, its neighbours in the sorted values, and
    NumPy's two-sided lerp. Bit for bit the same number (a test checks), at a
    tenth of the cost of the general function (a daily reporter).
    """
    n = d.size
    v = (n - 1) * (q / 100)
    s = np.sort(d)
    if v >= n - 1:
        return float(s[-1])
    i = int(np.floor(v))
    g = v - i
    a, b = float(s[i]), float(s[i + 1])
    diff = b - a
    return b - diff * (1 - g) if g >= 0.5 else a + diff * g


def _day_values(parts: list[np.ndarray]) -> np.ndarray:
    """``np.concatenate([np.zeros(0), *parts])`` without copying zero or one part."""
    if not parts:
        return _EMPTY
    if len(parts) == 1 and parts[0].dtype == np.float64 and parts[0].ndim == 1:
        return parts[0]
    return np.concatenate([_EMPTY, *parts])


_STAGE_FIELDS = ("agency", "service_days", "fee", "levy", "needs_regulation", "rework_prob",
                 "rework_days", "reject_prob")


class _StageArrays(NamedTuple):
    agency: np.ndarray
    service_days: np.ndarray
    fee: np.ndarray
    levy: np.ndarray
    needs_regulation: np.ndarray
    rework_prob: np.ndarray
    rework_days: np.ndarray
    reject_prob: np.ndarray
    batched: np.ndarray


@dataclass(frozen=True)
class WorkStage:
    """A workflow stage as it currently runs (innovation changes it)."""

    name: str
    agency: int
    service_days: float
    min_service_days: float
    fee: float
    levy: float
    needs_regulation: bool
    rework_prob: float
    rework_days: float
    reject_prob: float
    batch_size: int = 0
    sessions_per_year: float = 0.0


def merge_stages(group: list[WorkStage], agency_weight: dict[int, float] | None = None
                 ) -> WorkStage:
    """Merge adjacent stages into one.

    The merged stage does the parts in parallel where it can: its service days
    are the longest part plus a quarter of the others; fees and levies add up;
    it needs a regulation if any part does; rework and rejection combine as
    independent chances. It is owned by the agency with the longest part. If
    any part runs in sessions the merged stage does too (the smallest batch,
    the rarest sessions of its batched parts): merging never removes a session
    bottleneck.
    """
    longest = max(group, key=lambda s: s.service_days)
    days = [s.service_days for s in group]
    batched = [s for s in group if s.batch_size > 0]
    sd = max(days) + 0.25 * (sum(days) - max(days))
    return WorkStage(
        name="+".join(s.name for s in group),
        agency=longest.agency,
        service_days=sd,
        min_service_days=min(sd, max(s.min_service_days for s in group)),
        fee=sum(s.fee for s in group),
        levy=sum(s.levy for s in group),
        needs_regulation=any(s.needs_regulation for s in group),
        rework_prob=1 - float(np.prod([1 - s.rework_prob for s in group])),
        rework_days=max(s.rework_days for s in group),
        reject_prob=1 - float(np.prod([1 - s.reject_prob for s in group])),
        batch_size=min((s.batch_size for s in batched), default=0),
        sessions_per_year=min((s.sessions_per_year for s in batched), default=0.0),
    )


class _Grow:
    """Append-only columns for files, growing geometrically."""

    def __init__(self, **dtypes):
        self.n = 0
        self._dtypes = dtypes
        for k, dt in dtypes.items():
            setattr(self, k, np.zeros(256, dtype=dt))

    def append(self, **cols) -> np.ndarray:
        m = len(next(iter(cols.values())))
        need = self.n + m
        cap = len(getattr(self, next(iter(self._dtypes))))
        if need > cap:
            new = max(need, 2 * cap)
            for k, dt in self._dtypes.items():
                arr = np.zeros(new, dtype=dt)
                arr[: self.n] = getattr(self, k)[: self.n]
                setattr(self, k, arr)
        ids = np.arange(self.n, need)
        for k in self._dtypes:
            getattr(self, k)[ids] = cols.get(k, 0)
        self.n = need
        return ids


def _levy_revenue(m) -> float:
    return m.licensing.levy_revenue


def _levy_today(m) -> float:
    return m.licensing.levy_today


def _levy_due(m) -> float:
    return m.levy_target_per_year / 365.0


def _n_stages(m) -> float:
    return m.licensing.n_stages


def _flow(key: str, name: str, label: str, unit: str, **kw) -> Metric:
    return Metric(name, count_today("licensing", key), label, unit, kind="flow", **kw)


def _val(method: str, label: str, unit: str, name: str | None = None, **kw) -> Metric:
    return Metric(name or method, value_of("licensing", method), label, unit, **kw)


#: What the licensing service reports each day (declared once; see the registry).
LICENSING_METRICS: tuple[Metric, ...] = (
    _flow("submitted", "applications_submitted", "applications submitted", "applications / day",
          total_after=True, headline=True),
    _flow("issued", "permits_issued", "permits issued", "permits / day", total_after=True,
          headline=True),
    _flow("rejected", "rejected", "files rejected", "files / day"),
    _flow("abandoned", "abandoned", "files abandoned", "files / day"),
    _flow("informal", "informal", "needs met informally", "needs / day"),
    _flow("stalled", "files_held", "files newly held (no regulation)", "files / day"),
    _flow("waived", "issued_without_levy", "files passed without the levy", "files / day"),
    _flow("charged", "charged_without_regulation", "levies charged without a regulation",
          "files / day"),
    _flow("unpaid", "levy_unpaid", "levies left unpaid", "files / day"),
    _flow("informal_fees", "informal_fees_asked", "informal fees asked", "files / day"),
    _flow("sessions", "sessions_held", "batched sessions held", "sessions / day"),
    _flow("handoffs", "handoffs", "hand-offs between agencies", "files / day"),
    _flow("improvements", "stage_improvements", "stage improvements", "improvements / day"),
    Metric("levy_collected", _levy_today, "levy collected", "kRp / day", total_after=True),
    Metric("levy_due", _levy_due, "levy target pro-rated", "kRp / day"),
    _val("mean_age_in_process", "mean age of files in process", "days", kind="level",
         undefined_when_empty=True),
    _val("backlog", "files in process", "files", kind="level", final=True),
    _val("stalled_files", "files held", "files", final=True),
    _val("mean_processing_days", "mean processing days", "days (last 30 days)", kind="level",
         undefined_when_empty=True, headline=True),
    _val("p90_processing_days", "90th pct processing time (last 30 days)", "days",
         undefined_when_empty=True),
    _val("within_service_level", "share within the service level (last 30 days)", "0–1",
         undefined_when_empty=True),
    _val("informal_share", "informal share since day 0", "0–1", final=True,
         undefined_when_empty=True),
    Metric("levy_revenue", _levy_revenue, "levy since day 0", "kRp", final=True),
    _val("levy_target_share", "levy ÷ target to date", "0–1+", final=True,
         undefined_when_empty=True),
    _val("levy_share_30d", "levy ÷ target, last 30 days", "0–1+", undefined_when_empty=True),
    _val("handoff_delay", "mean hand-off delay (last 30 days)", "days", kind="level",
         undefined_when_empty=True),
    _val("informed_share", "citizens who know how to apply", "0–1", kind="level", final=True),
    _val("mean_expected_days", "citizens' expected processing time", "days", kind="level",
         name="expected_days"),
    Metric("workflow_stages", _n_stages, "workflow stages", "stages"),
)


def _window_ratio(df, num: str, den: str, lo: int, hi: int) -> float:
    d = float(df[den].iloc[lo:hi].sum())
    return float(df[num].iloc[lo:hi].sum()) / d if d > 0 else float("nan")


class LicensingService:
    """Licensing through a staged, multi-agency workflow (vectorised)."""

    name = "licensing"
    metrics = LICENSING_METRICS

    @staticmethod
    def derived_summaries(df, start: int, warmup: int) -> dict[str, float]:
        """Shares over the before/after windows: informal share and levy ÷ target.

        ``informal_share_W = informal ÷ (informal + permits issued)`` — of the
        needs met in window W, the share met without the permit (abandoned
        files end informally and count there) — and ``levy_target_share_W =
        levy collected ÷ levy due`` (NaN without a levy target).
        """
        out: dict[str, float] = {}
        for name, lo, hi in (("before", warmup, start), ("after", start, len(df))):
            out[f"informal_share_{name}"] = _window_ratio(
                df.assign(_met=df["informal"] + df["permits_issued"]), "informal", "_met", lo, hi)
            if df["levy_due"].sum() > 0:
                out[f"levy_target_share_{name}"] = _window_ratio(df, "levy_collected",
                                                                 "levy_due", lo, hi)
        return out

    def __init__(self, model: CollabModel, params: LicensingParams):
        self.model = model
        self.params = params
        cit = model.config.citizens
        n = model.population.n
        init = model.stream("licensing.init")
        self.state = np.zeros(n, dtype=np.int8)
        self.need_since = np.zeros(n, dtype=np.float32)
        self.belief_days = np.full(n, cit.initial_expected_days, dtype=np.float64)
        self.belief_detect = np.full(n, cit.initial_detection_belief, dtype=np.float64)
        self.informed = init.random(n) < cit.initial_informed
        self.file_of = np.full(n, -1, dtype=np.int64)
        self.stages = [
            WorkStage(s.name, model.agency_index[s.agency], s.service_days, s.min_service_days,
                      s.fee, s.levy, s.needs_regulation, s.rework_prob, s.rework_days,
                      s.reject_prob, s.batch_size, s.sessions_per_year)
            for s in params.stages
        ]
        self.files = _Grow(citizen=np.int64, stage=np.int16, status=np.int8,
                           submitted=np.float64, ready=np.float64, blocked=np.bool_,
                           released_at=np.int16, transit_until=np.float64,
                           held_since=np.float64, mode=np.int8)
        self.totals = dict.fromkeys(
            ("submitted", "issued", "rejected", "abandoned", "informal", "detected",
             "stalled", "handoffs", "handoff_failures", "sessions", "waived", "charged",
             "unpaid", "informal_fees", "improvements"), 0)
        self.today = dict.fromkeys(self.totals, 0)
        self.levy_revenue = 0.0
        self.levy_today = 0.0
        self.fee_revenue = 0.0
        self.informal_fee_revenue = 0.0
        self.fines = 0.0
        self.carry = np.zeros(len(model.agency_list))
        # a random phase of the session calendar: runs (seeds) do not all hold their
        # sessions on the same days, so fixed windows do not alias with the calendar
        self.session_credit = init.random(len(self.stages))
        self._batch0 = [s.batch_size for s in self.stages]  # the batches innovation widens
        self._held_logged: dict[str, int] = {}
        self._stage_cache: tuple[tuple[WorkStage, ...], _StageArrays] | None = None
        self._kernel_cache: tuple | None = None
        self.batch_carry = np.zeros(len(self.stages))
        # one entry per simulated day (possibly empty): a true 30-day window
        self._durations: deque[np.ndarray] = deque(maxlen=WINDOW_DAYS)
        self._delays: deque[np.ndarray] = deque(maxlen=WINDOW_DAYS)
        self._today_durations: list[np.ndarray] = []
        self._today_delays: list[np.ndarray] = []
        self._recent = {"durations": np.zeros(0), "delays": np.zeros(0)}
        self._window_stats: dict[str, dict[str, float]] = {"durations": {}, "delays": {}}
        self._levy_window: deque[float] = deque(maxlen=WINDOW_DAYS)
        self._issued_days, self._issued_count = 0.0, 0  # issues since the last settling
        self.opening: dict[str, int] = {}

    def reconfigure(self, params: LicensingParams) -> None:
        """Take changed parameters from an intervention into the running service.

        A stage field the intervention changed is set on the running stage of
        the same name (the workflow may have been merged or improved since; a
        stage merged away is left alone); everything else is read from
        ``params`` day by day.
        """
        old = {s.name: s for s in self.params.stages}
        for new in params.stages:
            before = old.get(new.name)
            if before is None or before == new:
                continue
            changed = {k: getattr(new, k) for k in type(new).model_fields
                       if k not in ("name", "agency") and getattr(new, k) != getattr(before, k)}
            for i, s in enumerate(self.stages):
                if s.name == new.name:
                    self.stages[i] = replace(s, **changed)
                    if "batch_size" in changed:
                        self._batch0[i] = new.batch_size
        self.params = params

    def settle_beliefs(self) -> None:
        """Set every citizen's expected days to the processing days realised since last time.

        Called during the burn-in (see :meth:`CollabModel.burn_in`): a
        fixed-point step (beliefs = realised waits); no change if no permit was
        issued since the last settling.
        """
        if self._issued_count:
            self.belief_days[:] = self._issued_days / self._issued_count
        self._issued_days, self._issued_count = 0.0, 0

    def open_accounts(self) -> None:
        """Start the recorded accounts at day 0; files, beliefs and the books carry over.

        ``totals`` stay the lifetime books (every file ever submitted is issued,
        rejected, abandoned or in process); :attr:`opening` keeps them as they
        stood at day 0, so :meth:`since_day0` counts the recorded days only.
        Revenues restart at zero.
        """
        self.opening = dict(self.totals)
        self.levy_revenue = self.fee_revenue = self.informal_fee_revenue = self.fines = 0.0

    def since_day0(self, key: str) -> int:
        """A total counted over the recorded days only (day 0 on)."""
        return self.totals[key] - self.opening.get(key, 0)

    # ----------------------------------------------------------------- views
    @property
    def n_stages(self) -> int:
        """Number of stages in the workflow as it runs now."""
        return len(self.stages)

    def regulation_in_force(self, agency: int) -> bool:
        """Whether the regulation agency ``agency``'s stages need is in force today."""
        m = self.model
        return m.agency_list[agency].regulation_in_force(
            m.joint, self.params.legacy_regulation_in_force)

    def expected_fee(self) -> float:
        """What an applicant expects to pay in all: the published fees and levies (kRp).

        Applicants go by the published tariff: whether an office can legally
        charge the levy today (a regional regulation in force) is not something
        the public knows in advance, so a missing regulation does not make
        applying look cheaper.
        """
        return float(sum(s.fee + s.levy for s in self.stages))

    def tie_quality(self, a: int, b: int) -> float:
        """How well agency ``b`` takes up what ``a`` sends it in the joint arrangement, in [0, 1].

        ``q' = q·(½ + ½·c_b)``: the tie's communication quality ``q``
        (:func:`~collabsim.network.communication_quality`: both partners'
        openness and their shared understanding), discounted when the receiving
        agency is not committed to the joint process (it leaves what it is sent
        lying). 1 for an agency with itself; 0 between agencies before the joint
        arrangement (letters carry no shared system).
        """
        m = self.model
        if a == b:
            return 1.0
        if not m.joint:
            return 0.0
        agencies = m.agency_list
        ga, gb = agencies[a], agencies[b]
        # graph.edges[u, v] is graph._adj[u][v]: the same tie dict, without the view
        tie = m.collaboration_graph._adj[ga.key][gb.key]
        q = communication_quality(ga.communication_openness, gb.communication_openness,
                                  tie["shared_understanding"])
        return q * (0.5 + 0.5 * gb.commitment)

    def handoff_terms(self, a: int, b: int) -> tuple[float, float]:
        """Delay (days) and loss chance of a hand-off from agency ``a`` to ``b`` today.

        Siloed: the letter's ``siloed_handoff_days`` and ``siloed_loss_prob``.
        Joint: the shared system works only as well as the tie,
        ``delay = d_letter·(1 − q') + d_joint·q'`` and
        ``loss = p_letter·(1 − q') + p_joint_min·q'`` with ``q'`` from
        :meth:`tie_quality`: a joint arrangement without communication gains nothing.
        """
        c = self.model.config.collaboration
        q = self.tie_quality(a, b)
        return (c.siloed_handoff_days * (1.0 - q) + c.joint_handoff_days * q,
                c.siloed_loss_prob * (1.0 - q) + c.joint_min_loss_prob * q)

    def designed_days(self) -> float:
        """The workflow's designed time: stage days plus hand-off delays (days)."""
        days = sum(s.service_days for s in self.stages)
        for s, t in zip(self.stages, self.stages[1:], strict=False):
            if s.agency != t.agency:
                days += self.handoff_terms(s.agency, t.agency)[0]
        return float(days)

    def advertised_days(self) -> float:
        """Processing time the front office tells enquirers and the public (days).

        The designed time (stage days plus hand-offs), or what the office has
        delivered lately if that was longer: the mean processing days of the
        permits issued in the last 30 days. An office that issued nothing in 30
        days while files wait can only go by its queue: twice the mean age of
        the files in process (in a steady queue a file is on average half-way
        through). A recent record is preferred to the queue's age, which a few
        old files make noisy when the queue is short.
        """
        days = self.designed_days()
        recent = self._recent["durations"]
        if recent.size:
            return float(max(days, self._windowed("durations", np.mean, "mean")))
        f = self.files
        active = f.status[: f.n] == ACTIVE
        if active.any():
            days = max(days, 2.0 * float(self.model.day - f.submitted[: f.n][active].mean()))
        return float(days)

    def enquire(self, idx: np.ndarray) -> None:
        """Informed citizens about to decide ask the front office how long it takes.

        They move their expected days toward :meth:`advertised_days` by
        ``learning_rate · openness`` of the front office: an open office is
        heard and believed, a closed one is not.
        """
        asked = idx[self.informed[idx]]
        if asked.size == 0:
            return
        front = self.model.agency_list[self.stages[0].agency]
        w = self.model.config.citizens.learning_rate * front.communication_openness
        self.belief_days[asked] += w * (self.advertised_days() - self.belief_days[asked])

    # ------------------------------------------------------------------ step
    def step(self, day: int) -> None:
        """Advance the service by one day (see the module docstring for the order)."""
        self.today = dict.fromkeys(self.totals, 0)
        if day == self.model.config.collaboration_start and self.params.joint_stages:
            self.consolidate_workflow(self.params.joint_stages)
        self.arrive_needs(day)
        self.citizens_decide(day)
        self.applicants_reconsider(day)
        self.levy_today = 0.0
        self.work_queues(day)
        self.review_held(day)
        self.innovate()
        for k, v in self.today.items():
            self.totals[k] += v
        self._levy_window.append(self.levy_today)
        # the 30-day windows, gathered for every metric that reads them: again only
        # when a day with values entered or left them (most days at small sizes)
        for which, window, today in (("durations", self._durations, self._today_durations),
                                     ("delays", self._delays, self._today_delays)):
            values = _day_values(today)
            left = window[0].size if len(window) == window.maxlen else 0
            window.append(values)
            if values.size or left:
                self._recent[which] = np.concatenate(window)
                self._window_stats[which] = {}
        self._today_durations, self._today_delays = [], []

    def arrive_needs(self, day: int) -> None:
        """Idle citizens develop a need for the permit (``need_rate`` per day)."""
        rng = self.model.stream("citizens.needs")
        hit = self.model.population.sample(self.model.config.citizens.need_rate, rng)
        new = hit[self.state[hit] == IDLE]
        self.state[new] = NEEDING
        self.need_since[new] = day

    def applicant_utilities(self, idx: np.ndarray) -> np.ndarray:
        """Vectorised utilities of apply / informal / wait, shape ``(len(idx), 3)``.

        The same formula as :meth:`Citizen.licensing_utilities`.
        """
        p = self.params
        u = np.empty((idx.size, 3))
        u[:, APPLY] = (p.permit_value - self.expected_fee()
                       - p.value_of_time * self.belief_days[idx]
                       - p.hassle_per_stage * self.n_stages
                       - p.information_gap_cost * (~self.informed[idx]))
        u[:, INFORMAL] = -self.belief_detect[idx] * p.informal_penalty
        u[:, WAIT] = p.wait_utility
        return u

    def citizens_decide(self, day: int) -> None:
        """Citizens with a need choose apply / informal / wait (logit)."""
        cit = self.model.config.citizens
        needing = np.flatnonzero(self.state == NEEDING)
        expired = day - self.need_since[needing] >= cit.patience_days
        self.go_informal(needing[expired])
        rest = needing[~expired]
        deciding = rest[self.model.uniforms("citizens.choice", rest) < cit.decision_rate]
        if deciding.size == 0:
            return
        self.enquire(deciding)
        choice = choose_with_uniforms(self.applicant_utilities(deciding),
                                      self.model.config.choice.beta_citizen,
                                      self.model.uniforms("citizens.choice", deciding, 1))
        self.submit(deciding[choice == APPLY], day)
        self.go_informal(deciding[choice == INFORMAL])

    def submit(self, idx: np.ndarray, day: int) -> None:
        """Open a file for each applying citizen at the first stage."""
        if idx.size == 0:
            return
        first = self.stages[0]
        ids = self.files.append(citizen=idx, stage=np.zeros(idx.size), status=np.zeros(idx.size),
                                submitted=np.full(idx.size, float(day)),
                                ready=np.full(idx.size, day + first.service_days),
                                blocked=np.zeros(idx.size, bool),
                                released_at=np.full(idx.size, -1),
                                held_since=np.zeros(idx.size), mode=np.zeros(idx.size))
        self.state[idx] = APPLIED
        self.file_of[idx] = ids
        self.today["submitted"] += idx.size

    def go_informal(self, idx: np.ndarray) -> None:
        """Citizens build or produce without the permit; some are detected and fined."""
        if idx.size == 0:
            return
        p = self.params
        lam = self.model.config.citizens.learning_rate
        detected = self.model.uniforms("citizens.detection", idx) < p.informal_detection_prob
        self.fines += p.informal_penalty * int(detected.sum())
        self.belief_detect[idx] = (1 - lam) * self.belief_detect[idx] + lam * detected
        self.state[idx] = IDLE
        self.file_of[idx] = -1
        self.today["informal"] += idx.size
        self.today["detected"] += int(detected.sum())

    def continue_utilities(self, idx: np.ndarray, day: int) -> np.ndarray:
        """Vectorised utilities of continue / abandon for applicants ``idx`` (kRp).

        The same formula as :meth:`Citizen.continue_utilities`.
        """
        p = self.params
        elapsed = day - self.files.submitted[self.file_of[idx]]
        remaining = np.maximum(self.belief_days[idx] - elapsed, 0.5 * elapsed)
        u = np.empty((idx.size, 2))
        u[:, 0] = p.permit_value - self.expected_fee() - p.value_of_time * remaining
        u[:, 1] = -self.belief_detect[idx] * p.informal_penalty
        return u

    def applicants_reconsider(self, day: int) -> None:
        """Some applicants weigh continuing their file against abandoning it."""
        cit = self.model.config.citizens
        applied = np.flatnonzero(self.state == APPLIED)
        who = applied[self.model.uniforms("citizens.reconsider", applied) < cit.reconsider_rate]
        if who.size == 0:
            return
        u = self.continue_utilities(who, day)
        quit_ = who[choose_with_uniforms(u, self.model.config.choice.beta_citizen,
                                         self.model.uniforms("citizens.reconsider", who, 1))
                    == 1]
        if quit_.size == 0:
            return
        files = self.file_of[quit_]
        elapsed = day - self.files.submitted[files]
        self.files.status[files] = ABANDONED
        self.files.blocked[files] = False
        lam = cit.learning_rate
        guess = elapsed + np.maximum(self.belief_days[quit_] - elapsed, 0.5 * elapsed)
        self.belief_days[quit_] = (1 - lam) * self.belief_days[quit_] + lam * guess
        self.today["abandoned"] += quit_.size
        self.go_informal(quit_)

    # ------------------------------------------------------------ the queues
    def stage_arrays(self) -> _StageArrays:
        """The running workflow's stage fields as arrays indexed by stage (read-only).

        Built again whenever the workflow changes: the stages are frozen, so a
        change (innovation, a merge, an intervention) puts new stage objects in
        :attr:`stages`, which the cache compares by identity (holding them, so
        an identity is never reused).
        """
        st = self.stages
        cached = self._stage_cache
        if cached is not None and len(cached[0]) == len(st) and all(map(is_, cached[0], st)):
            return cached[1]
        arrays = _StageArrays(*(np.array([getattr(s, k) for s in st]) for k in _STAGE_FIELDS),
                              np.array([s.batch_size > 0 for s in st]))
        for a in arrays:
            a.flags.writeable = False
        self._stage_cache = (tuple(st), arrays)
        return arrays

    def _stage_table(self) -> dict[str, np.ndarray]:
        st = self.stages
        return {
            "regulated": np.array([s.needs_regulation and not self.regulation_in_force(s.agency)
                                   for s in st]),
            "batched": self.stage_arrays().batched,
        }

    def agency_capacity(self) -> np.ndarray:
        """Stage completions each agency's desk can make today (files).

        ``Σ productivity · competence · effort · time`` over its desk officers,
        ``time`` the share of the day each works the service (fractional).
        """
        return self._desk_strength()[0]

    def agency_quality(self) -> np.ndarray:
        """Mean competence × effort of each agency's officers on the service, in [0, 1]."""
        return self._desk_strength()[1]

    def _desk_strength(self) -> tuple[np.ndarray, np.ndarray]:
        m = self.model
        o = m.officers
        return desk_strength(o.agency_of, o.competence, o.effort, m.officer_time,
                             float(o.params.productivity), len(m.agency_list))

    def work_queues(self, day: int) -> None:
        """Agencies work the ready files: unregulated stages decided, sessions held, desks served.

        Desk stages are worked oldest application first up to each agency's
        capacity; batched stages in sessions (:meth:`hold_sessions`); a file that
        reaches a stage whose regulation is missing is decided on first
        (:meth:`decide_unregulated`).
        """
        f = self.files
        if f.n == 0:
            return
        table = self._stage_table()
        capacity, quality = self._desk_strength()
        active = ready_files(f.status, f.blocked, f.ready, f.n, float(day))
        if active.size and table["regulated"].any():
            st = f.stage[active]
            undecided = table["regulated"][st] & (f.released_at[active] != st)
            self.decide_unregulated(active[undecided], day, new=True)
            active = active[~f.blocked[active]]
        if table["batched"].any():
            batched = table["batched"][f.stage[active]]
            self.hold_sessions(active[batched], quality, day)
            active = active[~batched]
        self.serve_desks(active, capacity, quality, day)

    def serve_desks(self, active: np.ndarray, capacity: np.ndarray, quality: np.ndarray,
                    day: int) -> None:
        """Each agency completes ready desk files, oldest application first, up to capacity.

        ``capacity`` is :meth:`agency_capacity` (today's, before the carry from yesterday).
        """
        if active.size == 0:
            self.carry[:] = 0.0
            return
        f = self.files
        capacity = capacity + self.carry
        # oldest application first (then file index) within each agency, agencies in
        # order: what np.lexsort((active, submitted, owner)) orders, in one compiled call
        done = desk_queue(active, f.stage, self.stage_arrays().agency, f.submitted, capacity,
                          self.carry)
        if done.size:
            self.complete_stage(done, quality, day)

    def session_rate(self, s: int) -> float:
        """Sessions per day batched stage ``s`` holds: ``sessions_per_year/365 × available share``.

        The available share is the owner's staff share on the service
        (:meth:`~collabsim.agents.agency.Agency.available_share`): a thinly
        resourced or uncommitted office runs fewer sessions and leaves demand queued.
        """
        m = self.model
        stage = self.stages[s]
        share = m.agency_list[stage.agency].available_share(
            m.joint, m.config.collaboration.siloed_staff_share)
        return stage.sessions_per_year / 365.0 * share

    def hold_sessions(self, ready: np.ndarray, quality: np.ndarray, day: int) -> None:
        """Batched stages hold a session when one is due: up to a batch of the oldest ready files.

        Sessions are due at :meth:`session_rate` (a deterministic schedule: credit
        accrues daily, a session spends one). A batch holds ``batch_size ×
        n / capacity_reference`` places, the fraction carried to the next session.
        """
        f = self.files
        scale = self.model.scale
        for s, stage in enumerate(self.stages):
            if stage.batch_size <= 0:
                continue
            self.session_credit[s] += self.session_rate(s)
            if self.session_credit[s] < 1.0:
                continue
            self.session_credit[s] -= 1.0
            self.today["sessions"] += 1
            places = stage.batch_size * scale + self.batch_carry[s]
            k = int(places)
            self.batch_carry[s] = places - k
            here = ready[f.stage[ready] == s]
            if here.size == 0 or k == 0:
                continue
            chosen = here[np.lexsort((here, f.submitted[here]))[:k]]
            self.complete_stage(chosen, quality, day)

    def unregulated_utilities(self, agency: int, held_days: np.ndarray) -> np.ndarray:
        """Utilities of hold / waive / charge / informal fee for files at an unregulated stage.

        For the stage's agency with commitment ``c``, facilitative leadership
        ``f`` and officers' mean intrinsic commitment ``i`` (effort-utility units):

        * ``U_hold = −hold_pressure · held_days/30``
        * ``U_waive = service_weight·½(c+f) − audit_risk·sanction``
        * ``U_charge = service_weight·½(c+f) + revenue_weight·c − challenge_risk·sanction``
        * ``U_fee = informal_fee_gain·(1 − i) − informal_fee_risk``

        Returns:
            ``(len(held_days), 4)`` utilities in the order of :data:`UNREGULATED_OPTIONS`.
        """
        p = self.params.unregulated
        ag = self.model.agency_list[agency]
        c, f = ag.commitment, ag.facilitative_leadership
        i = self.model.config.agencies[ag.key].intrinsic_commitment
        move_on = p.service_weight * 0.5 * (c + f)
        u = np.empty((held_days.size, 4))
        u[:, HOLD] = -p.hold_pressure * held_days / 30.0
        u[:, WAIVE] = move_on - p.audit_risk * p.sanction
        u[:, CHARGE] = move_on + p.revenue_weight * c - p.challenge_risk * p.sanction
        u[:, FEE] = p.informal_fee_gain * (1.0 - i) - p.informal_fee_risk
        return u

    def decide_unregulated(self, ids: np.ndarray, day: int, new: bool) -> None:
        """The stage's office chooses what to do with files its regulation does not cover.

        Logit over :meth:`unregulated_utilities` with β = ``choice.beta_officer``.
        Held files wait (blocked, chased by partners) until reviewed again; the
        others go on to be worked with their mode recorded (no levy, a levy some
        never pay, or an informal fee the applicant pays).
        """
        if ids.size == 0:
            return
        f = self.files
        if new:
            f.held_since[ids] = day
        st = f.stage[ids].astype(int)
        owner = self.stage_arrays().agency[st]
        uniforms = self.model.uniforms("licensing.unregulated", self.slots(ids),
                                       0 if new else 1)
        pick = np.empty(ids.size, dtype=np.intp)
        for a in np.unique(owner):
            mine = owner == a
            u = self.unregulated_utilities(int(a), day - f.held_since[ids[mine]])
            pick[mine] = choose_with_uniforms(u, self.model.config.choice.beta_officer,
                                              uniforms[mine])
        held = pick == HOLD
        newly_held = ids[held & ~f.blocked[ids]]
        f.blocked[ids[held]] = True
        self.stall(newly_held)
        go = ids[~held]
        f.blocked[go] = False
        f.released_at[go] = f.stage[go]
        f.mode[go] = pick[~held]
        self.today["waived"] += int((pick == WAIVE).sum())
        self.today["charged"] += int((pick == CHARGE).sum())
        fee = pick == FEE
        self.today["informal_fees"] += int(fee.sum())
        self.informal_fee_revenue += self.params.unregulated.informal_fee * int(fee.sum())

    def slots(self, ids: np.ndarray) -> np.ndarray:
        """Each file's own slot in a day's random decisions: its citizen and its stage.

        A citizen has one file at a time and a file one stage a day per decision, so
        ``citizen · 32 + stage`` (at most 20 stages) numbers the draws of
        :meth:`CollabModel.uniforms <collabsim.model.CollabModel.uniforms>` per agent.
        """
        f = self.files
        return f.citizen[ids].astype(np.int64) * 32 + f.stage[ids]

    def stall(self, ids: np.ndarray) -> None:
        """Files newly held at a stage whose regulation is missing; a failure for the tie in."""
        if ids.size == 0:
            return
        self.files.blocked[ids] = True
        self.today["stalled"] += ids.size
        if not self.model.joint:
            return
        for s in np.unique(self.files.stage[ids]):
            if s == 0:
                continue
            a, b = self.stages[s - 1].agency, self.stages[s].agency
            if a != b:
                k = int((self.files.stage[ids] == s).sum())
                self._tie_outcomes(a, b, 0, k)

    def complete_stage(self, ids: np.ndarray, quality: np.ndarray, day: int) -> None:
        """Outcomes of the files whose stage was worked today: reject, rework or pass.

        Each file's own draw (``licensing.process``) rejects it with the stage's
        ``reject_prob``, or sends it back for rework (``rework_days`` more) with
        ``clip(rework_prob·(1.5 − openness)·(1.5 − quality) + learning errors·(1 −
        quality), 0, 0.95)``, the openness of :meth:`guidance_openness` and the quality
        of :meth:`agency_quality` of the stage's agency, and of
        :meth:`learning_errors`; a rejected file closes and its applicant still has
        the need. Passed files, stage by stage in increasing order:

        * **the levy** is charged where it can be: under a regulation in force every
          file pays; without one only the files the office chose to *charge* are
          asked, and ``unpaid_share`` of those (``licensing.unpaid``) never pay;
        * **the last stage** issues the permit: the applicant learns how long it
          really took (``belief += learning_rate·(took − belief)``);
        * **the others are handed on** to the next stage, over a tie when the agency
          changes: delay and loss chance of :meth:`handoff_terms` (a lost file,
          ``licensing.handoff``, bounces for ``bounce_days``), and in the joint
          arrangement each hand-off is a small win or a failure for the tie
          (:func:`~collabsim.network.update_trust_on_success` /
          :func:`~collabsim.network.update_trust_on_failure`, wins first, each of at
          most 50 applied one by one).

        One compiled call (:func:`collabsim._kernels.stage_outcomes`, the same
        floating-point operations in the same order as these rules written with
        NumPy, which the regression baselines check).
        """
        if ids.size == 0:
            return
        m = self.model
        f = self.files
        kst, pairs, tie_of, const = self._kernel_stages()
        agencies = m.agency_list
        joint = m.joint
        n = ids.size
        names = ("licensing.process", "licensing.unpaid", "licensing.handoff")
        if m.config.random_numbers == "stream":
            # the streams' next numbers as the rules consume them: the process draw is
            # one per file; the levy's and the hand-offs' are drawn for every file, then
            # each of those streams is set back to just after the numbers used
            gens = [m.stream(name) for name in names]
            saved = [g.bit_generator.state for g in gens[1:]]
            given = np.stack([g.random(n) for g in gens])
        else:
            given = _NO_DRAWS
        keys = np.array([m.decision_key(name) for name in names], dtype=np.uint64)
        regulated = np.array([self.regulation_in_force(s.agency) for s in self.stages])
        adj = m.collaboration_graph._adj
        tie_dicts = [adj[agencies[a].key][agencies[b].key] for a, b in pairs]
        ties = (np.array([t["trust"] for t in tie_dicts], dtype=float),
                np.array([t["shared_understanding"] for t in tie_dicts], dtype=float),
                np.array([t["handoffs"] for t in tie_dicts], dtype=np.int64),
                np.array([t["failures"] for t in tie_dicts], dtype=np.int64))
        ag = np.array([(a.communication_openness, a.commitment, a.facilitative_leadership)
                       for a in agencies], dtype=float)
        ag = np.column_stack((self.guidance_openness(), quality, ag))
        p = np.array((self.learning_errors(day), *const, 1.0 if joint else 0.0))
        out = np.zeros(7 + 2 * self.n_stages, dtype=np.int64)
        took, delays = stage_outcomes(
            ids.astype(np.int64, copy=False), float(day), keys, given,
            (f.citizen, f.stage, f.status, f.submitted, f.ready, f.transit_until, f.mode),
            (self.state, self.file_of, self.belief_days), (*kst, regulated, tie_of),
            ag, ties, p, out)
        out = out.tolist()
        if given.shape[0]:
            for g, state, used in zip(gens[1:], saved, (out[5], out[6]), strict=True):
                g.bit_generator.state = state
                g.bit_generator.advance(used)
        if joint:
            for t, trust, su, h, fl in zip(tie_dicts, *(a.tolist() for a in ties), strict=True):
                t.update(trust=trust, shared_understanding=su, handoffs=h, failures=fl)
        today = self.today
        today["rejected"] += out[0]
        today["issued"] += out[1]
        today["handoffs"] += out[2]
        today["handoff_failures"] += out[3]
        today["unpaid"] += out[4]
        k_stages = self.n_stages
        for s, stage in enumerate(self.stages):
            k = out[7 + s]
            if not k:
                continue
            self.fee_revenue += stage.fee * k
            if stage.levy:
                k_paid = out[7 + k_stages + s]
                self.levy_revenue += stage.levy * k_paid
                self.levy_today += stage.levy * k_paid
        if took.size:
            self._today_durations.append(took)
            self._issued_days += float(took.sum())
            self._issued_count += int(took.size)
        if delays.size:
            self._today_delays.append(delays)

    def _kernel_stages(self) -> tuple[tuple, list[tuple[int, int]], np.ndarray, tuple]:
        """What :func:`~collabsim._kernels.stage_outcomes` reads of the workflow and the rules.

        Returns ``(agency, reject_prob, rework_prob, rework_days, service_days, levy)``
        by stage with the kernel's dtypes; the agency pairs ``(a, b)`` whose tie a
        hand-off crosses (once each, in stage order); per stage, the index of its
        hand-off's pair (−1: the next stage is the same agency's, or none); and the
        rules' constants. Kept until the workflow or the parameters change.
        """
        table = self.stage_arrays()
        c = self.model.config
        cached = self._kernel_cache
        if (cached is not None and cached[0] is table and cached[1] is c.collaboration
                and cached[2] is c.citizens and cached[3] is self.params):
            return cached[4]
        kst = (table.agency.astype(np.int64), table.reject_prob.astype(float),
               table.rework_prob.astype(float), table.rework_days.astype(float),
               table.service_days.astype(float), table.levy.astype(float))
        pairs: list[tuple[int, int]] = []
        tie_of = np.full(len(table.agency), -1, dtype=np.int64)
        for s in range(len(table.agency) - 1):
            a, b = int(table.agency[s]), int(table.agency[s + 1])
            if a == b:
                continue
            known = [i for i, (x, y) in enumerate(pairs) if {x, y} == {a, b}]
            if known:  # one tie, whichever way the files cross it
                tie_of[s] = known[0]
            else:
                tie_of[s] = len(pairs)
                pairs.append((a, b))
        co = c.collaboration
        const = (c.citizens.learning_rate, co.siloed_handoff_days, co.joint_handoff_days,
                 co.siloed_loss_prob, co.joint_min_loss_prob, co.bounce_days, co.trust_gain,
                 co.understanding_gain, co.trust_loss, self.params.unregulated.unpaid_share)
        out = (kst, pairs, tie_of, const)
        self._kernel_cache = (table, co, c.citizens, self.params, out)
        return out

    def learning_errors(self, day: int) -> float:
        """Extra rework chance while staff learn the joint arrangement's new rules and systems.

        ``transition_rework · exp(−(day − start)/learning_days)`` in the joint
        arrangement (times ``1 − competence·effort`` of the stage's staff, by the
        caller), 0 before it: competent staff learn the new system without many
        errors (CASE_FACTS "staff still learning").
        """
        m = self.model
        if not m.joint:
            return 0.0
        c = m.config.collaboration
        return c.transition_rework * float(np.exp(-(day - m.config.collaboration_start)
                                                  / max(c.learning_days, 1e-9)))

    def guidance_openness(self) -> np.ndarray:
        """How well applicants are told what each agency's stage needs, per agency, in [0, 1].

        Siloed, only the agency itself tells them (its openness ``o_a``). In the
        joint arrangement the front office checks the whole file at intake, as
        well as the agency has told it: ``o_a + (1 − o_a)·o_front·q'(front, a)``;
        without communication between them this is ``o_a`` again.
        """
        m = self.model
        front = self.stages[0].agency
        o = np.array([a.communication_openness for a in m.agency_list])
        told = np.array([self.tie_quality(front, a.index) if a.index != front else 0.0
                         for a in m.agency_list])
        return o + (1.0 - o) * o[front] * told

    def _tie_outcomes(self, a: int, b: int, wins: int, failures: int) -> None:
        """Apply ``wins`` small wins then ``failures`` failures to the tie a–b."""
        m = self.model
        c = m.config.collaboration
        tie = m.collaboration_graph.edges[m.agency_list[a].key, m.agency_list[b].key]
        facil = 0.5 * (m.agency_list[a].facilitative_leadership
                       + m.agency_list[b].facilitative_leadership)
        for _ in range(min(wins, 50)):  # the closed form would hide the rule; 50 saturates
            update_trust_on_success(tie, facil, c.trust_gain, c.understanding_gain)
        tie["handoffs"] += max(wins - 50, 0)
        for _ in range(min(failures, 50)):
            update_trust_on_failure(tie, c.trust_loss)
        tie["failures"] += max(failures - 50, 0)

    def chase_stalled(self, blocked: np.ndarray) -> None:
        """Partners chase each stalled file every ``stall_chase_days``: each chase is a failure.

        A file that cannot move keeps costing the tie it came over: the sending
        agency asks, the receiving one cannot act (Ansell & Gash 2008: failed
        intermediate outcomes erode trust).
        """
        if not self.model.joint or blocked.size == 0:
            return
        every = self.model.config.collaboration.stall_chase_days
        chased = blocked[self.model.uniforms("licensing.chase", self.slots(blocked))
                         < 1.0 / every]
        for s in np.unique(self.files.stage[chased]):
            if s == 0:
                continue
            a, b = self.stages[s - 1].agency, self.stages[s].agency
            if a != b:
                self._tie_outcomes(a, b, 0, int((self.files.stage[chased] == s).sum()))

    def report_held(self, held: np.ndarray) -> None:
        """Log when the files held at a stage first reach 1, 10, 25, 50, 100, … (event log)."""
        counts = np.bincount(self.files.stage[held], minlength=self.n_stages)
        for s, n in enumerate(counts):
            name = self.stages[s].name
            passed = [t for t in HELD_MILESTONES if t <= n and t > self._held_logged.get(name, 0)]
            if passed:
                self._held_logged[name] = passed[-1]
                self.model.log("files_held", stage=name, n=int(n),
                               agency=self.model.agency_list[self.stages[s].agency].key)

    def review_held(self, day: int) -> None:
        """Partners chase held files; offices review some (``review_rate``) and decide again."""
        f = self.files
        held = np.flatnonzero(f.blocked[: f.n])
        if held.size == 0:
            return
        covered = ~self._stage_table()["regulated"][f.stage[held]]
        if covered.any():  # a regulation passed since: held files go on, charged as usual
            go = held[covered]
            f.blocked[go] = False
            f.released_at[go] = f.stage[go]
            f.mode[go] = 0
            held = held[~covered]
        self.report_held(held)
        if held.size == 0:
            return
        self.chase_stalled(held)
        reviewed = held[self.model.uniforms("licensing.review", self.slots(held))
                        < self.params.unregulated.review_rate]
        self.decide_unregulated(reviewed, day, new=False)

    # ------------------------------------------------------ the joint design
    def _remap(self, groups: list[list[int]]) -> None:
        """Replace the workflow by merged groups of stages; move files along."""
        mapping = np.zeros(self.n_stages, dtype=np.int16)
        for g, members in enumerate(groups):
            mapping[members] = g
        self.stages = [merge_stages([self.stages[i] for i in grp]) if len(grp) > 1
                       else self.stages[grp[0]] for grp in groups]
        self._batch0 = [min((self._batch0[i] for i in grp if self._batch0[i]), default=0)
                        for grp in groups]
        self.session_credit = np.array([self.session_credit[grp].max() for grp in groups])
        self.batch_carry = np.array([self.batch_carry[grp].max() for grp in groups])
        f = self.files
        f.stage[: f.n] = mapping[f.stage[: f.n]]
        f.released_at[: f.n] = np.where(f.released_at[: f.n] >= 0,
                                        mapping[np.maximum(f.released_at[: f.n], 0)], -1)

    def consolidate_workflow(self, k: int) -> None:
        """Merge the workflow into ``k`` stages of adjacent parts (a simpler design)."""
        if k >= self.n_stages:
            return
        bounds = np.linspace(0, self.n_stages, k + 1).round().astype(int)
        self._remap([list(range(bounds[i], bounds[i + 1])) for i in range(k)])

    def partner_quality(self, agency: int) -> float:
        """Mean :meth:`tie_quality` of the agency's hand-off ties in the workflow, both ways.

        1 for an agency whose stages hand nothing to a partner (it needs no one).
        """
        pairs = [(s.agency, t.agency) for s, t in zip(self.stages, self.stages[1:],
                                                      strict=False)
                 if s.agency != t.agency and agency in (s.agency, t.agency)]
        if not pairs:
            return 1.0
        return mean_of([0.5 * (self.tie_quality(a, b) + self.tie_quality(b, a))
                        for a, b in pairs])

    def innovation_chance(self, agency) -> float:
        """Daily chance that an agency improves one of its stages.

        Joint: ``innovation_rate · f · c · q̄``: facilitative leadership ``f``,
        commitment ``c``, and the quality ``q̄`` of its ties to the partners it
        hands files to (:meth:`partner_quality`) — a redesign of a shared
        workflow needs the partners' input. Siloed: ``innovation_rate · f · c ·
        siloed_innovation`` (improving its own desk alone).
        """
        p = self.params
        base = p.innovation_rate * agency.facilitative_leadership * agency.commitment
        if self.model.joint:
            return base * self.partner_quality(agency.index)
        return base * self.model.config.collaboration.siloed_innovation

    def innovate(self) -> None:
        """Facilitative, committed leaders improve a stage they own.

        In order of preference: merge two adjacent stages they own (both
        batched or both not), widen a batched stage's sessions by
        ``innovation_step`` of its original batch (to at most twice it: a larger
        room, online sessions), or shorten a stage with slack by
        ``innovation_step`` of its service days.
        """
        p = self.params
        draws = self.model.uniforms("licensing.innovation",
                                    np.arange(len(self.model.agency_list)))
        for agency in self.model.agency_list:
            draw = draws[agency.index]
            # the chance is this base times a share in [0, 1] (partner quality, or the
            # siloed share): a draw at or above the base is at or above the chance
            # (floating-point products are monotone), so most days skip computing it
            if draw >= p.innovation_rate * agency.facilitative_leadership * agency.commitment:
                continue
            if draw >= self.innovation_chance(agency):
                continue
            self.today["improvements"] += 1
            own = [i for i, s in enumerate(self.stages) if s.agency == agency.index]
            same_kind = [i for i in own if i + 1 in own and (self.stages[i].batch_size > 0)
                         == (self.stages[i + 1].batch_size > 0)]
            pair = same_kind[0] if same_kind else None
            if pair is not None:
                groups = [[i] for i in range(self.n_stages) if i != pair + 1]
                groups[pair] = [pair, pair + 1]
                self._remap(groups)
                continue
            wider = [i for i in own if 0 < self.stages[i].batch_size < 2 * self._batch0[i]]
            if wider:
                i = wider[0]
                s = self.stages[i]
                step = max(1, round(p.innovation_step * self._batch0[i]))
                self.stages[i] = replace(s, batch_size=min(2 * self._batch0[i],
                                                           s.batch_size + step))
                continue
            slack = [i for i in own
                     if self.stages[i].service_days > self.stages[i].min_service_days]
            if slack:
                u = self.model.uniforms("licensing.innovation", np.array([agency.index]), 1)
                i = slack[min(int(u[0] * len(slack)), len(slack) - 1)]
                s = self.stages[i]
                self.stages[i] = replace(s, service_days=max(
                    s.min_service_days, s.service_days * (1 - p.innovation_step)))

    # ------------------------------------------------------- information
    def hear(self, listeners: np.ndarray, speakers: np.ndarray) -> None:
        """Word of mouth: listeners move beliefs toward a tie's; some learn the procedure.

        An applicant whose file is taking longer than expected tells the days it
        has waited so far, not its old expectation.

        A listener whose tie knows the procedure learns it with probability
        ``procedure_transmission``; knowledge fades at ``forget_rate`` per day.
        """
        self.hear_in_order(*self.model.population.in_listener_order(listeners, speakers))

    def hear_in_order(self, order: np.ndarray | None, listeners: np.ndarray,
                      speakers: np.ndarray) -> None:
        """:meth:`hear` of conversations given in ``order`` (None: draw order).

        The model passes a day's conversations in listener order at city scale
        (:class:`~collabsim.agents.citizen.Conversations`); the result is the
        same as in draw order: this day's draw of who learns the procedure is
        taken in ``order`` too.
        """
        if listeners.size == 0:
            return
        m = self.model
        cit = m.config.citizens
        told = (m.stream("citizens.word_of_mouth.informed").random(listeners.size)
                < cit.procedure_transmission)
        if order is not None:
            told = told[order]  # each conversation's own draw (a bool gather: cheap)
        # One compiled pass (at city scale every gather is a cache miss per listener)
        word_of_mouth(listeners, speakers, told, cit.word_of_mouth_weight, float(m.day),
                      self.state, APPLIED, self.file_of, self.files.submitted,
                      self.belief_days, self.belief_detect, self.informed)
        forget = m.population.sample(cit.forget_rate, m.stream("citizens.forgetting"))
        self.informed[forget] = False

    def information_completeness(self) -> float:
        """Share of the procedure the front office's public information covers, in [0, 1].

        The front office knows its own stages; another agency's stage it can
        explain only as well as that agency tells it: the mean over stages of 1
        for its own and ``q'(owner, front)`` (:meth:`tie_quality`) for a
        partner's. Siloed that is the share of stages it owns; a joint
        arrangement without communication covers no more.
        """
        front = self.stages[0].agency
        return mean_of([self.tie_quality(s.agency, front) for s in self.stages])

    def inform(self) -> None:
        """Public information from the front office reaches some citizens.

        Reach is ``outreach_rate · openness_front · completeness``
        (:meth:`information_completeness`): those reached learn the whole
        procedure and move their expected days toward the announced time by
        ``learning_rate · openness`` (open offices are believed).
        """
        m = self.model
        cit = m.config.citizens
        front = m.agency_list[self.stages[0].agency]
        rate = cit.outreach_rate * front.communication_openness * self.information_completeness()
        reached = m.sample("citizens.outreach", rate, cap=cit.outreach_rate)
        if reached.size == 0:
            return
        self.informed[reached] = True
        w = cit.learning_rate * front.communication_openness
        self.belief_days[reached] += w * (self.advertised_days() - self.belief_days[reached])

    # ------------------------------------------------------------ metrics
    def backlog(self) -> int:
        """Files in process (including stalled ones)."""
        return int(np.count_nonzero(self.files.status[: self.files.n] == ACTIVE))

    def stalled_files(self) -> int:
        """Files currently blocked for want of a regulation."""
        return int(np.count_nonzero(self.files.blocked[: self.files.n]))

    def _windowed(self, which: str, stat, name: str | None = None) -> float:
        """A statistic over the last 30 days; NaN when nothing happened in the window.

        With a ``name`` the value is kept until the window changes (several
        reporters and :meth:`advertised_days` read the same statistics daily).
        """
        cache = self._window_stats[which] if name else None
        if cache is not None and name in cache:
            return cache[name]
        d = self._recent[which]
        value = float(stat(d)) if d.size else float("nan")
        if cache is not None:
            cache[name] = value
        return value

    def mean_processing_days(self) -> float:
        """Mean days from submission to issue of permits issued in the last 30 days.

        NaN in a window without an issued permit (see :meth:`mean_age_in_process`).
        """
        return self._windowed("durations", np.mean, "mean")

    def p90_processing_days(self) -> float:
        """90th percentile of processing days over the last 30 days (NaN without issues)."""
        return self._windowed("durations", lambda d: _percentile_linear(d, 90), "p90")

    def within_service_level(self) -> float:
        """Share of permits issued in the last 30 days within the service-level target.

        NaN in a window without an issued permit.
        """
        sla = self.params.service_level_days
        # the share as (d <= sla).mean() computes it: an exact count over the size
        return self._windowed("durations", lambda d: np.count_nonzero(d <= sla) / d.size,
                              f"within {sla!r}")

    def handoff_delay(self) -> float:
        """Mean delay of hand-offs in the last 30 days (days; includes bounces; NaN if none)."""
        return self._windowed("delays", np.mean, "mean")

    def mean_age_in_process(self) -> float:
        """Mean days since submission of the files still in process (NaN if none)."""
        f = self.files
        active = f.status[: f.n] == ACTIVE
        if not active.any():
            return float("nan")
        return float(self.model.day - f.submitted[: f.n][active].mean())

    def informal_share(self) -> float:
        """Share of the needs met since day 0 that were met informally.

        ``informal ÷ (informal + permits issued)``: an abandoned file ends
        informally and counts once, as informal; a rejected file's need is not
        met yet. NaN before any need is met.
        """
        inf, issued = self.since_day0("informal"), self.since_day0("issued")
        return inf / (inf + issued) if inf + issued else float("nan")

    def levy_target_share(self) -> float:
        """Cumulative levy since day 0 ÷ the annual target pro-rated to date.

        NaN without a target (a free permit has no share of one).
        """
        target = self.model.levy_target_per_year
        if target <= 0:
            return float("nan")
        return self.levy_revenue / (target * (self.model.day + 1) / 365.0)

    def levy_share_30d(self) -> float:
        """Levy collected over the last 30 days ÷ the target pro-rated to them (NaN without one).

        A like-for-like window (unlike the cumulative :meth:`levy_target_share`):
        the share a month of collection makes of a month's target.
        """
        target = self.model.levy_target_per_year
        if target <= 0 or not self._levy_window:
            return float("nan")
        return sum(self._levy_window) / (target * len(self._levy_window) / 365.0)

    def informed_share(self) -> float:
        """Share of citizens who know how to apply."""
        n = self.informed.size  # the mean of a bool array: an exact count over the size
        return np.count_nonzero(self.informed) / n if n else float(self.informed.mean())

    def mean_expected_days(self) -> float:
        """Citizens' mean belief of processing time (days)."""
        d = self.belief_days  # d.mean() without its wrapper: the same pairwise sum over n
        return float(np.add.reduce(d)) / d.size if d.size else float(d.mean())

    def in_flight(self) -> list[int]:
        """Files travelling to each stage over a tie now (handed off, not yet arrived)."""
        f = self.files
        moving = (f.status[: f.n] == ACTIVE) & (f.transit_until[: f.n] > self.model.day)
        return np.bincount(f.stage[: f.n][moving], minlength=self.n_stages).tolist()

    def files_at_stages(self) -> list[int]:
        """Files in process at each stage now (for the pipeline view)."""
        f = self.files
        act = f.status[: f.n] == ACTIVE
        return np.bincount(f.stage[: f.n][act], minlength=self.n_stages).tolist()

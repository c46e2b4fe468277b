"""The closed scenario schema: every input of a run, with unit, range and source.

A scenario is a tree of pydantic models with ``extra="forbid"``: a misspelt key
is an error, never silently ignored. Each field's description states its unit,
its allowed range and where its default comes from (DESIGN = the design brief,
CASE_FACTS = the case figures, or "assumption").

Money is in thousand rupiah (kRp), time in days, rates per day, probabilities
and the preparedness factors in [0, 1].
"""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator
from pydantic.fields import FieldInfo

__all__ = [
    "AgencyParams",
    "Campaign",
    "Checkpoint",
    "ChoiceParams",
    "CitizenParams",
    "CollaborationParams",
    "District",
    "Intervention",
    "LicensingParams",
    "MobilityFunctions",
    "MobilityParams",
    "OfficerParams",
    "Scenario",
    "SocialNetworkParams",
    "Stage",
    "UnregulatedChoiceParams",
    "unwrap_optional",
    "walk_schema",
]


class _Closed(BaseModel):
    """Base of every schema node: unknown keys are errors; assignment validates."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def _f(default, desc: str, **bounds):
    return Field(default, description=desc, **bounds)


class ChoiceParams(_Closed):
    """Rationality of the logit choices."""

    beta_citizen: float = _f(
        0.01, "Citizens' rationality β; unit 1/kRp; range 0–1; source: assumption "
        "(a 100 kRp utility gap gives odds e:1)", ge=0, le=1)
    beta_officer: float = _f(
        8.0, "Officers' rationality β for effort; unit 1/effort-utility; range 0–100; "
        "source: assumption", ge=0, le=100)


class SocialNetworkParams(_Closed):
    """The citizens' social network that carries word of mouth."""

    kind: Literal["small_world", "random", "none"] = _f(
        "small_world", "Graph family: Watts–Strogatz small world, Erdős–Rényi random, "
        "or none; source: DESIGN §2 (small-world default)")
    degree: int = _f(6, "Mean number of ties per citizen; unit ties; range 0–50, even for "
                     "small_world; source: assumption", ge=0, le=50)
    rewire_prob: float = _f(0.1, "Watts–Strogatz rewiring probability; range 0–1; source: "
                            "assumption (classic small-world regime)", ge=0, le=1)

    @model_validator(mode="after")
    def _even_degree(self) -> SocialNetworkParams:
        if self.kind == "small_world" and self.degree % 2:
            raise ValueError("degree must be even for a small_world network")
        return self


class CitizenParams(_Closed):
    """The public: potential applicants (licensing) or travellers (mobility)."""

    n: int = _f(10_000, "Number of simulated citizens; unit persons; range 10–5,000,000; "
                "source: assumption", ge=10, le=5_000_000)
    capacity_reference: int = _f(
        10_000, "Number of citizens the capacities (officers, levy target) are stated for; "
        "they scale by n / capacity_reference; unit persons; range 10–5,000,000; source: "
        "assumption", ge=10, le=5_000_000)
    need_rate: float = _f(
        1.0e-4, "Chance per idle citizen per day of a new need for the permit; unit 1/day; "
        "range 0–0.1; source: CASE_FACTS 'Before PBG, comparable towns issued ~300 building "
        "permits a year' (order of magnitude)", ge=0, le=0.1)
    decision_rate: float = _f(
        0.1, "Chance per day that a citizen with a need deliberates; unit 1/day; range 0–1; "
        "source: assumption", ge=0, le=1)
    patience_days: float = _f(
        120.0, "Days a citizen waits with an unmet need before building/producing "
        "informally anyway; unit days; range 1–3650; source: assumption", ge=1, le=3650)
    reconsider_rate: float = _f(
        0.03, "Chance per day that an applicant with a file in process reconsiders "
        "(continue or abandon); unit 1/day; range 0–1; source: assumption", ge=0, le=1)
    learning_rate: float = _f(
        0.3, "Weight of an own experience in a belief update; range 0–1; source: "
        "assumption", ge=0, le=1)
    word_of_mouth_rate: float = _f(
        0.05, "Chance per day that a citizen talks with one random tie; unit 1/day; "
        "range 0–1; source: assumption", ge=0, le=1)
    word_of_mouth_weight: float = _f(
        0.2, "Weight of a tie's belief when heard; range 0–1; source: assumption", ge=0, le=1)
    initial_informed: float = _f(
        0.3, "Share of citizens who initially know how to apply; range 0–1; source: "
        "CASE_FACTS 'use of them needs more socialisation'", ge=0, le=1)
    procedure_transmission: float = _f(
        0.05, "Chance that a conversation with a tie who knows how to apply passes that "
        "knowledge on; range 0–1; source: assumption", ge=0, le=1)
    forget_rate: float = _f(
        0.003, "Chance per day that a citizen forgets the procedure (rules and portals "
        "change); unit 1/day; range 0–1; source: assumption", ge=0, le=1)
    outreach_rate: float = _f(
        0.01, "Chance per day that a citizen is reached by the front office's public "
        "information at full openness (the unaware learn the procedure); unit 1/day; "
        "range 0–1; source: assumption", ge=0, le=1)
    initial_expected_days: float = _f(
        30.0, "Citizens' prior belief of permit processing time; unit days; range 0–3650; "
        "source: assumption", ge=0, le=3650)
    initial_detection_belief: float = _f(
        0.1, "Citizens' prior belief that informal activity is detected; range 0–1; "
        "source: assumption", ge=0, le=1)
    social_network: SocialNetworkParams = Field(default_factory=SocialNetworkParams)


class OfficerParams(_Closed):
    """Officers' effort choice and productivity (rational choice, DESIGN §2)."""

    effort_levels: list[float] = _f(
        [0.25, 0.5, 0.75, 1.0], "Effort levels an officer chooses among; unit share of "
        "full effort; each in (0, 1]; source: assumption", min_length=2, max_length=10)
    effort_cost: float = _f(
        0.5, "Private cost of effort, U_cost = effort_cost·e²; unit effort-utility; range "
        "0–10; source: assumption", ge=0, le=10)
    recognition_weight: float = _f(
        2.0, "Reward per unit output from a committed leader's recognition; unit "
        "effort-utility; range 0–10; source: DESIGN §2", ge=0, le=10)
    intrinsic_weight: float = _f(
        0.6, "Reward per unit output from intrinsic commitment; unit effort-utility; range "
        "0–10; source: DESIGN §2", ge=0, le=10)
    productivity: float = _f(
        5.0, "Stage completions an officer makes per day at full competence and effort; unit "
        "files/day; range 0–100; source: assumption", ge=0, le=100)
    training_days: float = _f(
        90.0, "Days a newly hired officer needs to reach full competence (starting at half "
        "of it, linearly); unit days; range 0–3650; source: assumption", ge=0, le=3650)
    competence_sd: float = _f(0.1, "Spread of officers' competence around the agency mean; "
                              "range 0–0.5; source: assumption", ge=0, le=0.5)
    commitment_sd: float = _f(0.1, "Spread of officers' intrinsic commitment; range 0–0.5; "
                              "source: assumption", ge=0, le=0.5)

    @model_validator(mode="after")
    def _levels_in_range(self) -> OfficerParams:
        if any(not 0 < e <= 1 for e in self.effort_levels):
            raise ValueError("effort_levels must each lie in (0, 1]")
        return self


class CollaborationParams(_Closed):
    """The collaboration network between agencies and its trust cycle (Ansell & Gash 2008)."""

    initial_trust: float = _f(0.5, "Trust on every tie at day 0 (prehistory); range 0–1; "
                              "source: CASE_FACTS Theory (Ansell & Gash)", ge=0, le=1)
    initial_shared_understanding: float = _f(
        0.4, "Shared understanding on every tie at day 0; range 0–1; source: assumption",
        ge=0, le=1)
    siloed_handoff_days: float = _f(
        7.0, "Delay of a hand-off by letter before the collaboration starts; unit days; "
        "range 0–90; source: CASE_FACTS 'Developers report ≥ 2 months … many agencies'",
        ge=0, le=90)
    joint_handoff_days: float = _f(
        1.0, "Delay of a hand-off in the joint arrangement over a tie of perfect "
        "communication (quality q' = 1); at q' = 0 a joint hand-off is no better than a "
        "letter (siloed_handoff_days); linear in between; unit days; range 0–90; source: "
        "assumption", ge=0, le=90)
    siloed_loss_prob: float = _f(
        0.1, "Chance a siloed hand-off is lost or bounced; range 0–1; source: assumption",
        ge=0, le=1)
    joint_min_loss_prob: float = _f(
        0.01, "Chance a joint hand-off is lost or bounced over a tie of perfect "
        "communication (q' = 1); at q' = 0 it is the letter's siloed_loss_prob; linear in "
        "between; range 0–1; source: assumption", ge=0, le=1)
    bounce_days: float = _f(5.0, "Extra days a lost or bounced file needs to come back; "
                            "unit days; range 0–90; source: assumption", ge=0, le=90)
    trust_gain: float = _f(
        0.02, "Trust gained per successful hand-off (a small win), times (1 − trust) and "
        "(1 + facilitative leadership); range 0–1; source: Ansell & Gash 2008", ge=0, le=1)
    trust_loss: float = _f(
        0.04, "Trust lost per failed or blocked hand-off, times trust; range 0–1; source: "
        "Ansell & Gash 2008", ge=0, le=1)
    stall_chase_days: float = _f(
        7.0, "Mean days between chases of a stalled file; each chase counts as a failure on "
        "the tie the file came over; unit days; range 1–365; source: assumption", ge=1, le=365)
    understanding_gain: float = _f(
        0.01, "Shared understanding gained per successful hand-off, times (1 − it); range "
        "0–1; source: Ansell & Gash 2008", ge=0, le=1)
    commitment_speed: float = _f(
        0.02, "Speed per day at which an agency's commitment moves toward the mean of its "
        "leader's commitment and its ties' trust, times (1 + facilitative leadership); unit "
        "1/day; range 0–1; source: Ansell & Gash 2008 (trust → commitment)", ge=0, le=1)
    siloed_staff_share: float = _f(
        0.6, "Share of an agency's officers working the service before the joint "
        "arrangement, beside other duties; range 0–1; source: assumption", ge=0, le=1)
    transition_rework: float = _f(
        0.15, "Extra chance a file goes back for rework at the start of the joint "
        "arrangement while staff learn its new rules and systems, times (1 − competence·"
        "effort), fading with learning_days; range 0–1; source: CASE_FACTS 'staff still "
        "learning' (rate an assumption)", ge=0, le=1)
    learning_days: float = _f(
        120.0, "Days over which the new system's extra errors fade (e-folding time); unit "
        "days; range 1–3650; source: assumption", ge=1, le=3650)
    siloed_innovation: float = _f(
        0.0, "Rate of an office's improvements of its own stages before the joint "
        "arrangement, as a share of the joint rate at perfect partner communication; 0 "
        "means the presets' service days are the offices' own steady state; range 0–1; "
        "source: assumption", ge=0, le=1)


class AgencyParams(_Closed):
    """A government office and its leader: the preparedness and success factors."""

    #: Keys a scenario file must set to add an agency (one the file it extends lacks):
    #: a misspelt id (``[agencies.PUPR]``) is then an error, not a fourth office with
    #: default values. Every agency of the shipped presets sets these.
    new_entry_requires: ClassVar[tuple[str, ...]] = (
        "name", "leader_commitment", "facilitative_leadership", "communication_openness",
        "role_clarity", "staff_competence", "n_officers")

    name: str = _f("", "Display name; source: CASE_FACTS 'Who does what'")
    leader_commitment: float = _f(0.5, "Leader's commitment to the joint service; range "
                                  "0–1; source: DESIGN §1 (PBG initial conditions)", ge=0, le=1)
    facilitative_leadership: float = _f(
        0.5, "Innovative, facilitative leadership style; range 0–1; source: DESIGN §1 "
        "(SPP-IRT drivers)", ge=0, le=1)
    resources: float = _f(
        0.8, "Share of the staff, budget and IT the joint arrangement needs that the agency "
        "supplies; range 0–1; source: DESIGN §1 (PBG supporting resources)", ge=0, le=1)
    regulation_ready: StrictBool = _f(
        True, "The regulation the joint arrangement needs (e.g. the regional levy rule) is "
        "in force; source: DESIGN §1, CASE_FACTS 'The levy can be charged only under a "
        "regional regulation'")
    communication_openness: float = _f(
        0.5, "Openness of communication with partners and applicants; range 0–1; source: "
        "DESIGN §1 (SPP-IRT open communication)", ge=0, le=1)
    role_clarity: float = _f(0.5, "Clarity of the agency's role in a joint operation; "
                             "range 0–1; source: DESIGN §1.2 (JCOC)", ge=0, le=1)
    staff_competence: float = _f(0.6, "Mean competence of the agency's officers; range 0–1; "
                                 "source: DESIGN §1 (competent staff)", ge=0, le=1)
    intrinsic_commitment: float = _f(0.5, "Mean intrinsic commitment of its officers; "
                                     "range 0–1; source: assumption", ge=0, le=1)
    n_officers: int = _f(4, "Officers working the licensing service at capacity_reference "
                         "citizens (scaled with the number of citizens); unit persons; range "
                         "0–1000; source: assumption", ge=0, le=1000)
    officer_day_cost: float = _f(
        200.0, "Cost of one officer-day on the service or a checkpoint (pay and allowances); "
        "unit kRp/officer-day; range 0–1e5; source: assumption (a civil servant's daily pay "
        "and allowance, order of magnitude)", ge=0, le=1e5)
    patrol_officers: int = _f(0, "Officers the agency can field for a mobility-control "
                              "operation (checkpoints are physical: not scaled with citizens); "
                              "unit persons; range 0–5000; source: CASE_FACTS JCOC", ge=0, le=5000)


class Stage(_Closed):
    """One stage of a permit's workflow, owned by one agency."""

    name: str = _f(..., "Stage name; source: CASE_FACTS flow")
    agency: str = _f(..., "Key of the owning agency in [agencies]")
    service_days: float = _f(3.0, "Minimum days a file spends at the stage when nobody "
                             "queues; unit days; range 0–365", ge=0, le=365)
    min_service_days: float = _f(0.5, "Floor innovation can shorten service_days to; unit "
                                 "days; range 0–365; source: assumption", ge=0, le=365)
    fee: float = _f(0.0, "Fee charged at the stage whatever the regulation; unit kRp; range "
                    "0–100,000", ge=0, le=100_000)
    levy: float = _f(0.0, "Regional levy (retribusi) charged at the stage when a regulation "
                     "is in force; unit kRp per file; range 0–100,000", ge=0, le=100_000)
    needs_regulation: StrictBool = _f(False, "The stage can only be done under a regulation "
                                      "in force (see licensing.unregulated)")
    rework_prob: float = _f(0.1, "Chance a file goes back to the applicant for fixes at "
                            "half openness and competence·effort; range 0–1", ge=0, le=1)
    rework_days: float = _f(5.0, "Days an applicant needs to fix a reworked file; unit "
                            "days; range 0–365", ge=0, le=365)
    reject_prob: float = _f(0.0, "Chance a file is rejected at the stage (e.g. failed "
                            "inspection); range 0–1", ge=0, le=1)
    batch_size: int = _f(0, "If > 0 the stage runs in sessions (e.g. counselling batches) "
                         "of at most this many files at capacity_reference citizens (scaled "
                         "with the citizens); 0 = files are worked one by one by the desk "
                         "officers; unit files; range 0–10,000; source: CASE_FACTS 'counselling "
                         "batches of ~50'", ge=0, le=10_000)
    sessions_per_year: float = _f(
        0.0, "Sessions a batched stage holds per year when its agency puts all its staff on "
        "the service (scaled by the agency's available staff share); unit 1/year; range "
        "0–365; source: CASE_FACTS '3–8 batches a year'", ge=0, le=365)

    @model_validator(mode="after")
    def _min_below(self) -> Stage:
        if self.min_service_days > self.service_days:
            raise ValueError("min_service_days must not exceed service_days")
        return self


class UnregulatedChoiceParams(_Closed):
    """An office's choice for a file at a stage whose regulation is not in force.

    Rational choice of the stage's leader (logit, β = ``choice.beta_officer``) among
    hold / waive / charge / informal fee; utilities in effort-utility units, see
    docs/ODD.md "Files the regulation does not cover".
    """

    review_rate: float = _f(
        0.05, "Chance per day that a held file is reviewed (decided on again); unit 1/day; "
        "range 0–1; source: assumption (files are looked at when partners chase them)",
        ge=0, le=1)
    service_weight: float = _f(
        1.0, "Value to a leader of moving a file on, times ½(commitment + facilitative "
        "leadership); unit effort-utility; range 0–10; source: DESIGN §1 (leader "
        "commitment, facilitative leadership)", ge=0, le=10)
    revenue_weight: float = _f(
        0.5, "Value to a leader of collecting the levy, times commitment; unit "
        "effort-utility; range 0–10; source: assumption", ge=0, le=10)
    audit_risk: float = _f(
        0.3, "Chance a file issued without the levy the regulation would charge is "
        "questioned by the auditor; range 0–1; source: assumption", ge=0, le=1)
    challenge_risk: float = _f(
        0.5, "Chance a levy charged without a regional regulation is challenged as "
        "unlawful; range 0–1; source: CASE_FACTS 'The levy can be charged only under a "
        "regional regulation'", ge=0, le=1)
    sanction: float = _f(
        2.0, "Cost to the leader of a questioned or challenged file; unit effort-utility; "
        "range 0–10; source: assumption", ge=0, le=10)
    unpaid_share: float = _f(
        0.25, "Share of applicants charged a levy without a regulation who never pay (the "
        "permit goes out unpaid); range 0–1; source: CASE_FACTS 'Bandar Lampung … 1,300 "
        "issued, 300 unpaid'", ge=0, le=1)
    hold_pressure: float = _f(
        0.3, "Disutility of holding a file, per 30 days it has been held (applicants and "
        "partners chase); unit effort-utility; range 0–10; source: assumption", ge=0, le=10)
    informal_fee_gain: float = _f(
        0.8, "Private gain from asking an informal fee, times (1 − the officers' intrinsic "
        "commitment); unit effort-utility; range 0–10; source: assumption", ge=0, le=10)
    informal_fee_risk: float = _f(
        1.0, "Expected sanction of asking an informal fee (detection × sanction); unit "
        "effort-utility; range 0–10; source: assumption", ge=0, le=10)
    informal_fee: float = _f(
        100.0, "What an applicant pays when an informal fee is asked; unit kRp; range "
        "0–1e5; source: assumption", ge=0, le=1e5)


class LicensingParams(_Closed):
    """The licensing service: a permit's workflow and what applicants weigh."""

    permit: str = _f("permit", "Name of the permit")
    stages: list[Stage] = _f(..., "The ordered workflow", min_length=1, max_length=20)
    joint_stages: int | None = _f(
        None, "If set, the joint arrangement consolidates the workflow into this many "
        "stages at the collaboration start (adjacent stages merged); range 1–20; source: "
        "DESIGN §1 (simple service systems)", ge=1, le=20)
    permit_value: float = _f(1500.0, "Value to a citizen of holding the permit (credit, "
                             "legal security, market access); unit kRp; range 0–1e6; "
                             "source: assumption", ge=0, le=1e6)
    value_of_time: float = _f(10.0, "Cost to an applicant of a day of waiting; unit "
                              "kRp/day; range 0–1e4; source: assumption", ge=0, le=1e4)
    hassle_per_stage: float = _f(40.0, "Cost of dealing with one stage (visits, "
                                 "documents); unit kRp; range 0–1e5; source: assumption",
                                 ge=0, le=1e5)
    information_gap_cost: float = _f(
        300.0, "Extra cost for an applicant who does not know the procedure; unit kRp; "
        "range 0–1e5; source: assumption", ge=0, le=1e5)
    wait_utility: float = _f(0.0, "Utility of putting the decision off another day; unit "
                             "kRp; range −1e5–1e5; source: assumption", ge=-1e5, le=1e5)
    informal_detection_prob: float = _f(
        0.05, "True chance that an informal building/production is detected; range 0–1; "
        "source: assumption", ge=0, le=1)
    informal_penalty: float = _f(2000.0, "Sanction on detected informal activity; unit "
                                 "kRp; range 0–1e7; source: assumption", ge=0, le=1e7)
    unregulated: UnregulatedChoiceParams = Field(
        default_factory=UnregulatedChoiceParams,
        description="What an office decides for a file at a stage whose regulation is not in "
        "force (hold, issue without levy, charge and risk it unpaid, informal fee)")
    legacy_regulation_in_force: StrictBool = _f(
        True, "Before the collaboration start the legacy arrangement's regulation is in "
        "force; source: CASE_FACTS (IMB regime before 2021)")
    levy_annual_target: float = _f(
        0.0, "Levy revenue target per year at capacity_reference citizens; unit kRp/year; "
        "range 0–1e9; 0 = no target", ge=0, le=1e9)
    service_level_days: float = _f(10.0, "Service-level target for a whole file; unit "
                                   "days; range 0–3650; source: CASE_FACTS 'the national "
                                   "target is 10 days'", ge=0, le=3650)
    innovation_rate: float = _f(
        0.01, "Chance per day, at full facilitative leadership and commitment, that an "
        "agency improves one of its stages in the joint arrangement; unit 1/day; range 0–1; "
        "source: DESIGN §2", ge=0, le=1)
    innovation_step: float = _f(0.1, "Share of a stage's service days one improvement "
                                "removes; range 0–1; source: assumption", ge=0, le=1)

    @model_validator(mode="after")
    def _batches(self) -> LicensingParams:
        for i, st in enumerate(self.stages):
            if st.batch_size > 0 and st.sessions_per_year <= 0:
                raise ValueError(f"licensing.stages.{i}.sessions_per_year must be > 0 for a "
                                 "batched stage (batch_size > 0)")
        return self


class District(_Closed):
    """A city district (kecamatan)."""

    population: int = _f(..., "Residents; scaled to the simulated citizens; unit persons; "
                         "range 1–10,000,000", ge=1, le=10_000_000)
    x: float = _f(0.0, "Map position east; unit km; for drawing only", ge=-1000, le=1000)
    y: float = _f(0.0, "Map position north; unit km; for drawing only", ge=-1000, le=1000)
    cctv: float = _f(0.0, "Share of the district's trips passing a CCTV-covered "
                     "intersection; range 0–1", ge=0, le=1)
    media_access: float = _f(
        1.0, "Share of the district's residents a media campaign can reach (radio, TV, "
        "social media); each citizen is drawn at init; range 0–1; source: assumption",
        ge=0, le=1)


class Checkpoint(_Closed):
    """A guarded point: an entry point at the city edge or an inner checkpoint."""

    district: str = _f(..., "Key of the district it stands in")
    kind: Literal["entry", "inner"] = _f("inner", "Entry points are planned first")
    officers_needed: int = _f(9, "Officers the plan puts here per shift; unit persons; range "
                              "1–500; source: CASE_FACTS '~152 staff at checkpoints'", ge=1, le=500)


class Campaign(_Closed):
    """A socialisation (public information) campaign about the rules."""

    start: int = _f(..., "First day; unit day; range 0–36,500", ge=0, le=36_500)
    days: int = _f(30, "Duration; unit days; range 1–3650", ge=1, le=3650)
    reach: float = _f(0.02, "Chance per day that a citizen in its area is reached (and "
                      "made aware); unit 1/day; range 0–1; source: assumption", ge=0, le=1)
    channel: Literal["media", "local"] = _f(
        "media", "media reaches the whole city; local (district and ward heads) only "
        "`districts`; source: CASE_FACTS JCOC partners (camat, lurah)")
    districts: list[str] = _f([], "Districts a local campaign covers (empty = all)")
    cost_per_day: float = _f(500.0, "Cost of running the campaign per day (media buys, "
                             "printed material, meetings); unit kRp/day; range 0–1e9; source: "
                             "assumption", ge=0, le=1e9)


class MobilityFunctions(_Closed):
    """Which agencies hold which function in mobility control (agency keys per function).

    An agency performs only the functions listed here: no code checks agency names.
    Source: CASE_FACTS "Who does what" (JCOC).
    """

    cctv: list[str] = _f([], "Agencies that run the CCTV cameras and pass captures on "
                         "(CASE_FACTS: Diskominfo runs the centre, CCTV and data)")
    act_on_captures: list[str] = _f(
        [], "Agencies whose unit acts on a CCTV capture (a fine, or a warning in the "
        "education phase); CASE_FACTS 'pass captures to the police traffic unit'")
    fining: list[str] = _f(
        [], "Agencies with fining authority: a checkpoint stop fines only if an officer of "
        "one of them is at that post, else it is a warning; CASE_FACTS (police, Satpol PP)")
    health_check: list[str] = _f(
        [], "Agencies that run health checks at the posts where their officers stand "
        "(stops there are stronger by mobility.screening_gain); CASE_FACTS (Dinkes)")
    route_management: list[str] = _f(
        [], "Agencies that manage routes (diversions and closures funnel through-traffic "
        "into the checkpoints, mobility.diversion_gain); CASE_FACTS (Dishub)")
    local_outreach: list[str] = _f(
        [], "Agencies through which local campaigns reach residents (district and ward "
        "heads); CASE_FACTS 'district and ward heads (camat, lurah) for local socialisation'")


class MobilityParams(_Closed):
    """Mobility control: districts, checkpoints, an operations centre, travel choice."""

    districts: dict[str, District] = _f(..., "The city's districts", min_length=1)
    roads: list[tuple[str, str]] = _f([], "Adjacent district pairs (trips follow shortest "
                                      "paths over them)")
    checkpoints: list[Checkpoint] = _f([], "Guarded points", max_length=500)
    operations_centre: str = _f(
        "", "Agency key that runs the operations centre and plans deployment; empty = "
        "siloed (each agency plans alone); source: CASE_FACTS JCOC")
    siloed_view: float = _f(
        0.5, "Share of the checkpoints an agency planning alone knows of; range 0–1; source: "
        "assumption (partial view without a centre)", ge=0, le=1)
    restriction_start: int = _f(30, "Day restrictions begin (baseline before); unit day; "
                                "range 0–36,500", ge=0, le=36_500)
    education_days: int = _f(1, "Days of education-only enforcement (warnings, no fines); "
                             "unit days; range 0–3650; source: CASE_FACTS 'day 1 education "
                             "only, enforcement after'", ge=0, le=3650)
    restriction_days: int = _f(3650, "Days restrictions last; unit days; range 1–36,500",
                               ge=1, le=36_500)
    trip_need: float = _f(120.0, "Mean daily value of a trip to a non-essential traveller; "
                          "unit kRp; range 0–1e5; source: assumption", ge=0, le=1e5)
    trip_need_sd: float = _f(60.0, "Spread of trip value between citizens; unit kRp; range "
                             "0–1e5; source: assumption", ge=0, le=1e5)
    essential_share: float = _f(0.2, "Share of essential workers (exempt from restrictions); "
                                "range 0–1; source: assumption", ge=0, le=1)
    essential_extra_need: float = _f(100.0, "Extra value of a trip to an essential worker; "
                                     "unit kRp; range 0–1e5; source: assumption", ge=0, le=1e5)
    rule_weight: float = _f(40.0, "Felt duty to obey a rule one knows of; unit kRp; range "
                            "0–1e5; source: assumption", ge=0, le=1e5)
    sanction: float = _f(250.0, "Cost to a detected violator (fine ~50 kRp plus being turned "
                         "back); unit kRp; range 0–1e6; source: CASE_FACTS '~Rp50,000 each' "
                         "plus assumption", ge=0, le=1e6)
    fine: float = _f(50.0, "Fine collected from a detected violator; unit kRp; range 0–1e6; "
                     "source: CASE_FACTS 'fined ~Rp50,000 each'", ge=0, le=1e6)
    norm_weight: float = _f(60.0, "Pressure from ties who stay home, times their share; unit "
                            "kRp; range 0–1e5; source: assumption", ge=0, le=1e5)
    initial_awareness: float = _f(0.3, "Share aware of the rules at day 0; range 0–1; source: "
                                  "DESIGN §1.2 ('many citizens did not know the programmes')",
                                  ge=0, le=1)
    awareness_transmission: float = _f(0.1, "Chance a conversation with an aware tie makes a "
                                       "citizen aware; range 0–1; source: assumption", ge=0, le=1)
    initial_detection_belief: float = _f(0.1, "Prior belief a violating trip is detected; "
                                         "range 0–1; source: assumption", ge=0, le=1)
    undetected_learning: float = _f(0.02, "Belief weight of an undetected violating trip "
                                    "(toward 0); range 0–1; source: assumption", ge=0, le=1)
    detection_per_officer: float = _f(
        0.05, "Chance one fully effective officer at a checkpoint stops a violating trip "
        "passing it; range 0–1; source: assumption", ge=0, le=1)
    cctv_detection: float = _f(
        0.3, "Chance a CCTV-covered violating trip is acted on when an operations centre runs "
        "the cameras; range 0–1; source: CASE_FACTS 'operators warn violators … pass captures "
        "to the police'", ge=0, le=1)
    campaigns: list[Campaign] = _f([], "Socialisation campaigns", max_length=100)
    functions: MobilityFunctions = Field(
        default_factory=MobilityFunctions,
        description="Which agencies hold which function (CCTV, acting on captures, fining, "
        "health checks, route management, local outreach)")
    capture_staff_half: float = _f(
        5.0, "Effective officers (Σ competence × effort fielded today) at which an agency "
        "acting on CCTV captures handles half of those it receives; unit persons; range "
        "0.01–1000; source: assumption", ge=0.01, le=1000)
    screening_gain: float = _f(
        0.5, "Extra stopping strength of a checkpoint where a health-check officer stands "
        "(screening stops more vehicles); unit share; range 0–10; source: assumption",
        ge=0, le=10)
    diversion_gain: float = _f(
        0.5, "Extra stopping strength of every checkpoint when route management fully "
        "funnels through-traffic into the posts; unit share; range 0–10; source: assumption",
        ge=0, le=10)

    @model_validator(mode="after")
    def _references(self) -> MobilityParams:
        names = set(self.districts)
        for i, (a, b) in enumerate(self.roads):
            for end in (a, b):
                if end not in names:
                    raise ValueError(f"mobility.roads.{i}: unknown district '{end}'; "
                                     f"allowed: {', '.join(sorted(names))}")
        for i, c in enumerate(self.checkpoints):
            if c.district not in names:
                raise ValueError(f"mobility.checkpoints.{i}.district: unknown district "
                                 f"'{c.district}'; allowed: {', '.join(sorted(names))}")
        for i, c in enumerate(self.campaigns):
            for d in c.districts:
                if d not in names:
                    raise ValueError(f"mobility.campaigns.{i}.districts: unknown district "
                                     f"'{d}'; allowed: {', '.join(sorted(names))}")
        return self


class Intervention(_Closed):
    """A policy change that takes effect on a day of the run (Covasim's dynamic parameters).

    ``set`` holds dotted key paths and values, exactly as ``--set`` takes them;
    they go through the one validated override path at load (an unknown key or a
    bad value is refused there, naming the intervention) and are applied to the
    running model at the top of ``step()`` on ``day``.
    """

    day: int = _f(..., "Day of the run it takes effect (0 = the first recorded day); unit "
                  "day; range 0–36,500", ge=0, le=36_500)
    label: str = _f("", "What it is, for tables, plots and the event log")
    set: dict[str, Any] = _f(..., "Dotted key paths to values (the --set path), e.g. "
                             "{\"agencies.pupr.regulation_ready\" = true}", min_length=1)
    cost: float = _f(0.0, "One-off cost on its day; unit kRp; range 0–1e12; source: the "
                     "scenario's author", ge=0, le=1e12)
    cost_per_day: float = _f(0.0, "Cost per day from its day to the end of the run; unit "
                             "kRp/day; range 0–1e9", ge=0, le=1e9)
    ramp_days: int = _f(0, "Days over which numeric values move linearly from their "
                        "current value to the new one (0 = at once; true/false switch on "
                        "the day); unit days; range 0–3650", ge=0, le=3650)


class Scenario(_Closed):
    """A whole run: population, agencies, network and services."""

    name: str = _f("scenario", "Short name")
    description: str = _f("", "What the scenario represents")
    steps: int = _f(730, "Default run length; unit days; range 1–36,500", ge=1, le=36_500)
    collaboration_start: int = _f(
        365, "Day the joint arrangement starts; splits runs into before and after; unit "
        "day; range 0–36,500; source: DESIGN §2", ge=0, le=36_500)
    burn_in_days: int = _f(
        365, "Days simulated before day 0, siloed and not recorded, so that the pipeline, "
        "beliefs and knowledge are at their siloed steady state when the run starts; unit "
        "days; range 0–3650; source: DESIGN §3 (effects from a steady state)", ge=0, le=3650)
    warmup_days: int = _f(0, "Days at the start left out of before/after summaries (with "
                          "a burn-in none are needed); unit days; range 0–3650", ge=0, le=3650)
    random_numbers: Literal["agent", "stream"] = _f(
        "agent", "How runs on the same seed share random numbers: 'agent' gives every "
        "citizen, officer and file its own uniform in every decision (per-agent common "
        "random numbers: a policy leaves untouched agents deciding the same way); 'stream' "
        "draws each subsystem's numbers in sequence (one changed decision shifts that "
        "stream's later draws); source: collabsim.rng")
    choice: ChoiceParams = Field(default_factory=ChoiceParams)
    citizens: CitizenParams = Field(default_factory=CitizenParams)
    officers: OfficerParams = Field(default_factory=OfficerParams)
    collaboration: CollaborationParams = Field(default_factory=CollaborationParams)
    agencies: dict[str, AgencyParams] = _f(..., "The agencies, keyed by a short id",
                                           min_length=1)
    licensing: LicensingParams | None = _f(None, "The licensing service, if modelled")
    mobility: MobilityParams | None = _f(None, "The mobility-control service, if modelled")
    plugins: list[str] = _f(
        [], "Python modules imported before the scenario is validated; a plugin registers "
        "its services (collabsim.services.registry.register), see docs/extending.md")
    services: dict[str, dict[str, Any]] = _f(
        {}, "Parameters of services registered from outside the package, keyed by the "
        "service's name (see docs/extending.md); each table is validated by its service")
    interventions: list[Intervention] = _f(
        [], "Policy timeline: changes that take effect on a day, with their costs",
        max_length=200)

    def _check_services(self) -> None:
        for name, raw in self.services.items():
            problem = _service_problem(name, raw)
            if problem:
                raise ValueError(problem)

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        if self.licensing is not None:
            for i, st in enumerate(self.licensing.stages):
                if st.agency not in self.agencies:
                    raise ValueError(
                        f"licensing.stages.{i}.agency: unknown agency '{st.agency}'; "
                        f"allowed: {', '.join(sorted(self.agencies))}")
        if self.mobility is not None:
            centre = self.mobility.operations_centre
            if centre and centre not in self.agencies:
                raise ValueError(f"mobility.operations_centre: unknown agency '{centre}'; "
                                 f"allowed: '' or {', '.join(sorted(self.agencies))}")
            for function, holders in self.mobility.functions:
                for key in holders:
                    if key not in self.agencies:
                        raise ValueError(
                            f"mobility.functions.{function}: unknown agency '{key}'; "
                            f"allowed: {', '.join(sorted(self.agencies))}")
        self._check_services()
        if self.licensing is None and self.mobility is None and not self.services:
            raise ValueError("a scenario needs a [licensing] or a [mobility] service, or a "
                             "registered [services.NAME]")
        for i, iv in enumerate(self.interventions):
            if iv.day >= self.steps:
                raise ValueError(f"interventions.{i}.day: day {iv.day} is outside the run "
                                 f"(days 0–{self.steps - 1}; steps = {self.steps})")
        if self.warmup_days > self.collaboration_start:
            raise ValueError("warmup_days must not exceed collaboration_start")
        return self


def _service_problem(name: str, raw: dict[str, Any]) -> str | None:
    """Why ``[services.NAME]`` is invalid (unknown service, or its own validation), or None."""
    from pydantic import ValidationError

    from collabsim.services.registry import SERVICES  # the registry imports nothing heavy

    spec = SERVICES.get(name)
    if spec is None or spec.builtin:
        known = [k for k, s in SERVICES.items() if not s.builtin]
        return (f"services.{name}: unknown service '{name}'; registered: "
                f"{', '.join(known) or 'none (register one first, see docs/extending.md)'}")
    try:
        spec.params_model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"services.{name}.{where}: {first['msg']}"
    return None


def unwrap_optional(tp: Any) -> Any:
    """``X | None`` -> ``X`` (other types unchanged)."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return args[0] if len(args) == 1 else tp
    return tp


def walk_schema(path: str | Sequence[Any]) -> tuple[Any, FieldInfo | None]:
    """Follow a key path through the :class:`Scenario` schema.

    Table keys (``agencies.pupr``) and list items (``licensing.stages.1``) are
    stepped into by any key, ``*`` included. This is the one place the schema is
    walked: error messages, experiment specs, sliders and labels all use it.

    Args:
        path: A dotted key path, or its parts.

    Returns:
        The type the path reaches (Optional unwrapped) and the field info of the
        last named field on the way (None if the path ends inside a table/list).

    Raises:
        KeyError: with a one-line reason (unknown key, list item not an index or
            ``*``, a key below a value).
    """
    parts = path.split(".") if isinstance(path, str) else [str(p) for p in path]
    tp: Any = Scenario
    info: FieldInfo | None = None
    done: list[str] = []
    for part in parts:
        tp = unwrap_optional(tp)
        where = ".".join(done) or "the scenario"
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            info = tp.model_fields.get(part)
            if info is None:
                hint = "'*' matches keyed tables only" if part == "*" else "unknown key"
                raise KeyError(f"{hint} '{part}' in {where}; allowed: "
                               f"{', '.join(tp.model_fields)}")
            tp = info.annotation
        elif typing.get_origin(tp) is dict:
            tp, info = typing.get_args(tp)[1], None
        elif typing.get_origin(tp) is list:
            if not part.isdigit() and part != "*":
                raise KeyError(f"{where} is a list: name an item by its index (0, 1, ...) "
                               "or '*' for every item")
            tp, info = typing.get_args(tp)[0], None
        else:
            raise KeyError(f"{where} is a value, not a table")
        done.append(part)
    return unwrap_optional(tp), info

"""Officers: staff who choose their effort by rational choice.

An officer's utility for effort level ``e`` is

    U(e) = (w_recognition · c_agency + w_intrinsic · c_officer) · competence · e − cost · e²

the reward for output (recognition from a committed leader, plus intrinsic
commitment) against the private cost of effort (DESIGN §2). The effort is drawn
by multinomial logit with rationality ``β_officer``. Output per day is
``productivity · competence · effort`` files.

Officers' state lives in NumPy arrays owned by :class:`OfficerCorps`; each
:class:`Officer` agent is a view onto one row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from collabsim.choice import choose_with_uniforms

if TYPE_CHECKING:
    from collabsim.scenario.schema import OfficerParams

__all__ = ["Officer", "OfficerCorps", "effort_utilities"]


def effort_utilities(levels: np.ndarray, agency_commitment: np.ndarray,
                     intrinsic: np.ndarray, competence: np.ndarray,
                     p: OfficerParams) -> np.ndarray:
    """Utilities of each effort level for each officer, shape ``(n, n_levels)``."""
    reward = p.recognition_weight * agency_commitment + p.intrinsic_weight * intrinsic
    gain = (reward * competence)[:, None] * levels[None, :]
    return gain - p.effort_cost * levels[None, :] ** 2


class OfficerCorps:
    """All officers' state as arrays: agency, duty, competence, commitment, effort."""

    def __init__(self, agency_of: np.ndarray, competence: np.ndarray,
                 commitment: np.ndarray, params: OfficerParams, beta: float,
                 duty: np.ndarray | None = None, fte: np.ndarray | None = None):
        self.agency_of = agency_of.astype(np.int32)
        #: 0 = licensing desk, 1 = patrol (mobility control)
        self.duty = (np.zeros(agency_of.size, dtype=np.int8) if duty is None
                     else duty.astype(np.int8))
        self.competence = competence
        self.commitment = commitment
        #: full-time equivalent of each officer (an agency's last desk officer may be part-time)
        self.fte = np.ones(agency_of.size) if fte is None else np.asarray(fte, dtype=float)
        self.params = params
        self.beta = beta
        self.levels = np.asarray(params.effort_levels, dtype=float)
        self.effort = np.full(agency_of.size, float(np.median(self.levels)))
        #: competence when trained; ``competence`` is lower while a new hire trains
        self.base_competence = np.asarray(competence, dtype=float).copy()
        self.hired = np.full(agency_of.size, -np.inf)  # day hired (−inf: the original staff)

    def add(self, agency: int, competence: np.ndarray, commitment: np.ndarray, duty: int,
            day: int) -> np.ndarray:
        """Append new officers of one agency, hired on ``day``; returns their indices."""
        k = int(np.size(competence))
        ids = np.arange(self.n, self.n + k)
        self.agency_of = np.concatenate([self.agency_of, np.full(k, agency, np.int32)])
        self.duty = np.concatenate([self.duty, np.full(k, duty, np.int8)])
        self.base_competence = np.concatenate([self.base_competence, competence])
        self.competence = np.concatenate([self.competence, 0.5 * np.asarray(competence)])
        self.commitment = np.concatenate([self.commitment, commitment])
        self.fte = np.concatenate([self.fte, np.ones(k)])
        self.effort = np.concatenate([self.effort, np.full(k, float(np.median(self.levels)))])
        self.hired = np.concatenate([self.hired, np.full(k, float(day))])
        return ids

    def train(self, day: int, training_days: float) -> None:
        """Competence of new hires: from half their trained level to all of it, linearly.

        ``competence = base · (½ + ½·min(1, (day − hired)/training_days))``;
        staff present from the start are trained (their ``hired`` is −∞).
        """
        span = max(training_days, 1e-9)
        if (day - self.hired.max(initial=-np.inf)) / span >= 1.0:
            # everyone trained (the latest hire's progress is 1, so everyone's is): base · 1
            self.competence = self.base_competence.copy()
            return
        progress = np.clip((day - self.hired) / span, 0.0, 1.0)
        self.competence = self.base_competence * (0.5 + 0.5 * progress)

    @property
    def n(self) -> int:
        """Number of officers."""
        return int(self.agency_of.size)

    def choose_efforts(self, agency_commitment: np.ndarray, uniforms: np.ndarray) -> None:
        """Every officer chooses today's effort (vectorised logit).

        Args:
            agency_commitment: Current commitment of each agency, indexed by agency.
            uniforms: One uniform draw per officer.
        """
        if self.n == 0:
            return
        u = effort_utilities(self.levels, agency_commitment[self.agency_of],
                             self.commitment, self.competence, self.params)
        self.effort = self.levels[choose_with_uniforms(u, self.beta, uniforms)]

    def output(self) -> np.ndarray:
        """Files each officer can complete today: productivity · competence · effort."""
        return self.params.productivity * self.competence * self.effort


class Officer(mesa.Agent):
    """One officer: a view onto row ``index`` of the model's :class:`OfficerCorps`."""

    def __init__(self, model: mesa.Model, index: int, agency: mesa.Agent):
        super().__init__(model)
        self.index = index
        self.agency = agency

    @property
    def duty(self) -> str:
        """``licensing`` (works files) or ``patrol`` (staffs checkpoints)."""
        return ("licensing", "patrol")[int(self.corps.duty[self.index])]

    @property
    def corps(self) -> OfficerCorps:
        """The arrays this officer is a row of."""
        return self.model.officers

    @property
    def competence(self) -> float:
        """Competence in [0, 1]."""
        return float(self.corps.competence[self.index])

    @property
    def commitment(self) -> float:
        """Intrinsic commitment in [0, 1]."""
        return float(self.corps.commitment[self.index])

    @property
    def effort(self) -> float:
        """Current effort, a share of full effort in (0, 1]."""
        return float(self.corps.effort[self.index])

    def choose_effort(self, uniform: float) -> float:
        """Readable per-officer version of the effort choice (reference for tests).

        Args:
            uniform: The uniform draw the vectorised path would use for this officer.

        Returns:
            The chosen effort level.
        """
        p = self.corps.params
        reward = (p.recognition_weight * self.agency.commitment
                  + p.intrinsic_weight * self.commitment)
        utilities = [reward * self.competence * e - p.effort_cost * e**2
                     for e in p.effort_levels]
        pick = choose_with_uniforms(np.array([utilities]), self.corps.beta,
                                    np.array([uniform]))[0]
        return float(p.effort_levels[pick])

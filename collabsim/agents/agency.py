"""Agencies: government offices and their leaders.

An agency holds the preparedness and success factors of DESIGN §2
(leader commitment, facilitative leadership, resources, regulation, openness,
role clarity, staff competence) and a dynamic ``commitment`` to the joint
arrangement. It decides how many of its officers it commits to the joint
service, drifts its commitment with the trust on its ties (Ansell & Gash
2008), and, where leadership is facilitative, innovates its stages and
releases stalled files.
"""

from __future__ import annotations

import mesa

from collabsim.network import commitment_target
from collabsim.scenario.schema import AgencyParams

__all__ = ["Agency"]


class Agency(mesa.Agent):
    """A government office with its leader."""

    def __init__(self, model: mesa.Model, key: str, index: int, params: AgencyParams,
                 n_officers: float):
        super().__init__(model)
        self.key = key
        self.index = index
        self.label = params.name or key
        self.leader_commitment = params.leader_commitment
        self.facilitative_leadership = params.facilitative_leadership
        self.resources = params.resources
        self.regulation_ready = params.regulation_ready
        self.communication_openness = params.communication_openness
        self.role_clarity = params.role_clarity
        self.staff_competence = params.staff_competence
        #: desk officers in full-time equivalents (scaled with the citizens; fractional)
        self.n_officers = n_officers
        self.n_patrol = params.patrol_officers
        self.commitment = params.leader_commitment
        self.officers: list[mesa.Agent] = []  # licensing desk
        self.patrol: list[mesa.Agent] = []  # checkpoint staff

    def available_share(self, joint: bool, siloed_share: float) -> float:
        """Share of its officers the agency puts on the service today.

        Before the joint arrangement each office works its part of the file
        beside its other duties (``siloed_share``). In the joint arrangement it
        supplies ``resources`` and commits staff by its commitment:
        ``resources · (½ + ½·commitment)``.
        """
        if not joint:
            return siloed_share
        return self.resources * (0.5 + 0.5 * self.commitment)

    def regulation_in_force(self, joint: bool, legacy_in_force: bool) -> bool:
        """Whether the regulation the current arrangement needs is in force."""
        return self.regulation_ready if joint else legacy_in_force

    def update_commitment(self, tie_trusts: list[float], speed: float) -> None:
        """Drift commitment toward the mean of leader commitment and tie trust.

        ``c += speed·(1 + f)·(target − c)``: the trust → commitment link of the
        collaborative-governance cycle, faster under facilitative leadership.
        """
        target = commitment_target(self.leader_commitment, tie_trusts)
        rate = min(1.0, speed * (1.0 + self.facilitative_leadership))
        self.commitment += rate * (target - self.commitment)

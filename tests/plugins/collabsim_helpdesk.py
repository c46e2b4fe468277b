"""A minimal service from outside the package: a help desk answering citizens' calls.

Registered through the registry as a plugin (a scenario names it under ``plugins``);
used by tests/integration/test_external_service.py and docs/extending.md.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from collabsim.services.registry import Metric, ServiceBase, count_today, register


class HelpdeskParams(BaseModel):
    """The help desk's parameters (closed: a typo is an error)."""

    model_config = ConfigDict(extra="forbid")
    call_rate: float = Field(0.001, ge=0, le=1, description="Calls per citizen per day")
    answers_per_officer: float = Field(20.0, ge=0, le=1000,
                                       description="Calls an officer answers per day")
    agency: str = Field("dpmptsp", description="Agency whose desk officers answer")


class HelpdeskService(ServiceBase):
    """Citizens call; the agency's desk officers answer as many as their time allows."""

    name = "helpdesk"
    metrics = (
        Metric("calls", count_today("helpdesk", "calls"), "calls", "calls / day", kind="flow"),
        Metric("calls_answered", count_today("helpdesk", "answered"), "calls answered",
               "calls / day", kind="flow", total_after=True, headline=True),
    )

    def __init__(self, model, params: HelpdeskParams):
        super().__init__(model, params)
        self.today = {"calls": 0, "answered": 0}

    def step(self, day: int) -> None:
        """Draw today's calls and answer what the officers' time allows."""
        m = self.model
        calls = int(m.stream("helpdesk.calls").binomial(m.population.n, self.params.call_rate))
        a = m.agency_index[self.params.agency]
        time = float(m.officer_time[m.officers.agency_of == a].sum())
        capacity = int(np.floor(time * self.params.answers_per_officer))
        self.today = {"calls": calls, "answered": min(calls, capacity)}


register("helpdesk", HelpdeskService, HelpdeskParams)

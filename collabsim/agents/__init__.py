"""The three kinds of actor: agencies, officers and citizens (all ``mesa.Agent``)."""

from collabsim.agents.agency import Agency
from collabsim.agents.citizen import Citizen, CitizenPopulation, CitizenViews
from collabsim.agents.officer import Officer, OfficerCorps

__all__ = ["Agency", "Citizen", "CitizenPopulation", "CitizenViews", "Officer", "OfficerCorps"]

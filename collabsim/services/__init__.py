"""Public services delivered through the collaboration: one mechanism per module."""

from collabsim.services.licensing import LicensingService
from collabsim.services.mobility import MobilityService

__all__ = ["LicensingService", "MobilityService"]

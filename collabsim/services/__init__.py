"""Public services delivered through the collaboration: one mechanism per module."""

from collabsim.services.licensing import LicensingService

__all__ = ["LicensingService"]

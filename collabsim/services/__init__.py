"""Public services delivered through the collaboration: one mechanism per module.

The built-in services register here; another service registers the same way
(:func:`collabsim.services.registry.register`, see docs/extending.md).
"""

from collabsim.scenario.schema import LicensingParams, MobilityParams
from collabsim.services.licensing import LicensingService
from collabsim.services.mobility import MobilityService
from collabsim.services.registry import SERVICES, Metric, Service, ServiceBase, register

register("licensing", LicensingService, LicensingParams, builtin=True)
register("mobility", MobilityService, MobilityParams, builtin=True)

__all__ = ["SERVICES", "LicensingService", "Metric", "MobilityService", "Service",
           "ServiceBase", "register"]

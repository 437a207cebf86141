"""zeep clients for CUCM's SOAP APIs: AXL, Control Center Services and RisPort70."""

from orchestrator.drivers.soap.axl import AxlClient, ProcessNode
from orchestrator.drivers.soap.controlcenter import ControlCenterClient, ServiceStatus
from orchestrator.drivers.soap.errors import (
    RisRateLimited,
    SoapAuthError,
    SoapConnectionError,
    SoapError,
    SoapFault,
    SoapRetryableError,
    TlsVerificationError,
)
from orchestrator.drivers.soap.risport import DeviceRegistration, RatePacer, RisClient
from orchestrator.drivers.soap.transport import RetryPolicy

__all__ = [
    "AxlClient",
    "ControlCenterClient",
    "DeviceRegistration",
    "ProcessNode",
    "RatePacer",
    "RetryPolicy",
    "RisClient",
    "RisRateLimited",
    "ServiceStatus",
    "SoapAuthError",
    "SoapConnectionError",
    "SoapError",
    "SoapFault",
    "SoapRetryableError",
    "TlsVerificationError",
]

"""zeep clients for CUCM's SOAP APIs: AXL, Control Center Services and RisPort70."""

from orchestrator.drivers.soap.axl import AxlClient, ProcessNode
from orchestrator.drivers.soap.errors import (
    RisRateLimited,
    SoapAuthError,
    SoapConnectionError,
    SoapError,
    SoapFault,
    SoapRetryableError,
    TlsVerificationError,
)
from orchestrator.drivers.soap.transport import RetryPolicy

__all__ = [
    "AxlClient",
    "ProcessNode",
    "RetryPolicy",
    "RisRateLimited",
    "SoapAuthError",
    "SoapConnectionError",
    "SoapError",
    "SoapFault",
    "SoapRetryableError",
    "TlsVerificationError",
]

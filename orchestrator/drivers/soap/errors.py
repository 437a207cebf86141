"""Typed failures of the SOAP drivers (AXL, Control Center Services, RisPort70).

zeep reports an HTML 401 page as an "Unknown fault" and a 503 as a transport error, so
the transport maps HTTP statuses itself; callers decide on retries from the type alone.
"""

from __future__ import annotations


class SoapError(Exception):
    """Base of every failure raised by the SOAP drivers."""

    retryable: bool = False

    def __init__(self, message: str, *, code: str | None = None, url: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.url = url


class SoapAuthError(SoapError):
    """HTTP 401/403: wrong application user or missing role. Retrying could lock the user."""


class TlsVerificationError(SoapError):
    """The node's certificate did not verify against the configured CA bundle."""


class SoapFault(SoapError):
    """A SOAP fault (or unexpected HTTP answer) that retrying will not fix."""


class SoapRetryableError(SoapError):
    """The server is busy or restarting (HTTP 503, AXL memory fault, connection refused)."""

    retryable = True


class SoapConnectionError(SoapRetryableError):
    """No answer from the node (refused, reset, timeout): it may be rebooting."""


class RisRateLimited(SoapRetryableError):
    """RisPort70 refused the query: over the per-minute realtime information rate."""

    def __init__(self, message: str, *, retry_after: float, url: str | None = None) -> None:
        super().__init__(message, code="RateLimited", url=url)
        self.retry_after = retry_after

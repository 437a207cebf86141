"""HTTPS plumbing shared by the SOAP clients: verified TLS, Basic auth, error mapping,
bounded retries and a per-process WSDL cache.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import certifi
import requests
import requests.adapters
import requests.certs
import structlog
import tenacity
import zeep
import zeep.exceptions
from lxml import etree
from requests.auth import AuthBase, _basic_auth_str
from zeep.wsdl import Document

from orchestrator.drivers.secrets import PasswordLike, reveal
from orchestrator.drivers.soap.errors import (
    RisRateLimited,
    SoapAuthError,
    SoapConnectionError,
    SoapError,
    SoapFault,
    SoapRetryableError,
    TlsVerificationError,
)

log = structlog.get_logger(__name__)
T = TypeVar("T")

DEFAULT_PORT = 8443
RIS_RATE_MARKER = "Exceeded allowed rate"
AXL_MEMORY_CODE = "-1"


class _BasicAuth(AuthBase):
    """Basic auth that keeps the secret wrapped until each request is signed."""

    def __init__(self, username: str, password: PasswordLike) -> None:
        self.username = username
        self._password = password

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = _basic_auth_str(self.username, reveal(self._password))
        return request

    def __repr__(self) -> str:
        return f"<BasicAuth {self.username}:********>"


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries of retryable errors (auth and TLS errors are never retried)."""

    attempts: int = 4
    initial_wait: float = 1.0
    max_wait: float = 30.0
    multiplier: float = 2.0

    def wait_for(self, attempt: int, error: BaseException | None) -> float:
        if isinstance(error, RisRateLimited):
            return error.retry_after
        return min(self.max_wait, self.initial_wait * self.multiplier ** max(0, attempt - 1))


def _retryable(error: SoapError) -> bool:
    return error.retryable


def call_with_retry(
    fn: Callable[[], T],
    policy: RetryPolicy,
    *,
    what: str,
    retry_if: Callable[[SoapError], bool] = _retryable,
) -> T:
    def should_retry(state: tenacity.RetryCallState) -> bool:
        error = state.outcome.exception() if state.outcome else None
        return isinstance(error, SoapError) and retry_if(error)

    def wait(state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        return policy.wait_for(state.attempt_number, error)

    def before_sleep(state: tenacity.RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        log.info(
            "soap retry",
            what=what,
            attempt=state.attempt_number,
            error=type(error).__name__,
            detail=str(error),
        )

    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(max(1, policy.attempts)),
        wait=wait,
        retry=should_retry,
        before_sleep=before_sleep,
        reraise=True,
    )
    return retrying(fn)


@dataclass(frozen=True)
class TrustSource:
    """The CA bundle TLS is verified against, and why that one."""

    path: str
    why: str

    @property
    def label(self) -> str:
        return f"CA bundle {self.path} ({self.why})"


def trust_source(ca_bundle: Path | str | None) -> TrustSource:
    """The inventory's ``ca_bundle``; without one, what requests would use: the file in
    REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE, else certifi's bundle (not the OS store)."""
    if ca_bundle is not None:
        return TrustSource(str(ca_bundle), "ca_bundle in the inventory")
    for variable in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        value = os.environ.get(variable)
        if value:
            return TrustSource(value, f"from {variable}; the inventory sets no ca_bundle")
    return TrustSource(certifi.where(), "certifi's public CAs; the inventory sets no ca_bundle")


class _NamedHostAdapter(requests.adapters.HTTPAdapter):
    """Connects to whatever address the URL gives but sends SNI for, and checks the
    certificate against, ``tls_name``: real nodes are reached by IP address while their
    Tomcat certificates name only the FQDN and host name."""

    def __init__(self, tls_name: str) -> None:
        self.tls_name = tls_name
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["server_hostname"] = self.tls_name
        kwargs["assert_hostname"] = self.tls_name
        super().init_poolmanager(*args, **kwargs)


class _PinnedTrustSession(requests.Session):
    """requests lets REQUESTS_CA_BUNDLE override even a session's own CA bundle; here the
    bundle chosen once (``trust_source``) is the one every request verifies against."""

    def merge_environment_settings(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        settings = super().merge_environment_settings(*args, **kwargs)
        settings["verify"] = self.verify
        return settings


def build_session(
    username: str,
    password: PasswordLike,
    ca_bundle: Path | str | None,
    tls_name: str | None = None,
) -> requests.Session:
    """A session that always verifies TLS, against ``trust_source(ca_bundle)``; the
    certificate must name ``tls_name`` (default: the host of the URL)."""
    session = verified_session(ca_bundle, tls_name)
    session.auth = _BasicAuth(username, password)
    return session


def verified_session(ca_bundle: Path | str | None, tls_name: str | None) -> requests.Session:
    """A session without credentials that verifies TLS like ``build_session``."""
    session = _PinnedTrustSession()
    if tls_name:
        session.mount("https://", _NamedHostAdapter(tls_name))
    trust = trust_source(ca_bundle)
    if not Path(trust.path).is_file():
        raise TlsVerificationError(f"{trust.label} does not exist or is not a file")
    session.verify = trust.path
    return session


def _status_error(response: requests.Response, url: str) -> SoapError | None:
    status = response.status_code
    if status in (200, 201, 202):
        return None
    if status in (401, 403):
        return SoapAuthError(
            f"HTTP {status} from {url}: the application user was refused "
            "(check the user name, password and its AXL/Serviceability roles)",
            code=str(status),
            url=url,
        )
    if status == 503:
        return SoapRetryableError(f"HTTP 503 from {url}: service unavailable", code="503", url=url)
    body = response.content.lstrip()[:200]
    if status == 500 and (body.startswith(b"<") and b"Envelope" in response.content[:2000]):
        return None  # a SOAP fault: zeep parses it and we map the Fault
    reason = response.text.strip()[:300] or response.reason
    return SoapFault(f"HTTP {status} from {url}: {reason}", code=str(status), url=url)


class CheckedTransport(zeep.Transport):
    """A zeep transport that turns HTTP statuses and TLS/connection failures into our errors."""

    def __init__(
        self,
        session: requests.Session,
        *,
        timeout: float = 30.0,
        ca_label: str = "",
        tls_name: str | None = None,
    ) -> None:
        super().__init__(session=session, timeout=timeout, operation_timeout=timeout)
        self.ca_label = ca_label or trust_source(None).label
        self.tls_name = tls_name

    def post(self, address: str, message: bytes, headers: dict[str, str]) -> requests.Response:
        # Pass ``verify`` on every request: requests lets REQUESTS_CA_BUNDLE /
        # CURL_CA_BUNDLE override ``session.verify``, which would silently swap our bundle.
        try:
            response = self.session.post(
                address,
                data=message,
                headers=headers,
                timeout=self.operation_timeout,
                verify=self.session.verify,
            )
        except requests.exceptions.SSLError as exc:
            cause = root_cause(exc)
            named = f" for the name {self.tls_name}" if self.tls_name else ""
            raise TlsVerificationError(
                f"TLS verification of {address}{named} failed against {self.ca_label}: "
                f"{cause}. {tls_advice(cause)}",
                url=address,
            ) from exc
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
            raise SoapConnectionError(
                f"no answer from {address}: {root_cause(exc)}", url=address
            ) from exc
        error = _status_error(response, address)
        if error is not None:
            raise error
        return response


def tls_advice(cause: str) -> str:
    """What to do about a failed certificate check, by OpenSSL's reason."""
    text = cause.lower()
    if "expired" in text:
        return (
            "The node's Tomcat certificate has expired: renew it on the node (OS Admin > "
            "Certificate Management, or `set cert regen tomcat` on its CLI), then run "
            "`devpack trust` to pin the new one."
        )
    if "mismatch" in text or "doesn't match" in text or "does not match" in text:
        return (
            "The certificate names another host: set the node's tls_name in the inventory "
            "to a name its certificate carries (`show cert own tomcat` on the node), or "
            "check that the address reaches the node you meant."
        )
    return (
        "Run `devpack trust` to check and pin the node's Tomcat certificate, or put the "
        "CA that signed it into that bundle."
    )


def root_cause(exc: BaseException) -> str:
    while exc.__context__ is not None and exc.__context__ is not exc:
        exc = exc.__context__
    return str(exc) or type(exc).__name__


def map_fault(fault: zeep.exceptions.Fault, url: str, *, rate_wait: float = 4.0) -> SoapError:
    message = fault.message or "SOAP fault"
    detail = fault.detail
    axlcode = None
    if isinstance(detail, etree._Element):
        found = detail.find(".//{*}axlcode")
        if found is None:
            found = detail.find(".//axlcode")
        if found is not None and found.text:
            axlcode = found.text.strip()
    if RIS_RATE_MARKER in message:
        return RisRateLimited(message, retry_after=rate_wait, url=url)
    if axlcode == AXL_MEMORY_CODE:
        return SoapRetryableError(message, code=axlcode, url=url)
    return SoapFault(message, code=axlcode or fault.code, url=url)


def guarded(fn: Callable[[], T], url: str, *, rate_wait: float = 4.0) -> T:
    """Run one zeep call, mapping what zeep raises into our error types."""
    try:
        return fn()
    except SoapError:
        raise
    except zeep.exceptions.Fault as exc:
        raise map_fault(exc, url, rate_wait=rate_wait) from exc
    except zeep.exceptions.TransportError as exc:
        raise SoapFault(
            f"HTTP {exc.status_code} from {url}: {exc.message}", code=str(exc.status_code), url=url
        ) from exc
    except (zeep.exceptions.XMLSyntaxError, zeep.exceptions.ValidationError) as exc:
        raise SoapFault(f"unexpected answer from {url}: {exc}", url=url) from exc


# ----- WSDL cache -----------------------------------------------------------------------

_documents: dict[tuple[str, str], Document] = {}
_documents_lock = threading.Lock()
_SETTINGS = zeep.Settings(strict=False, xml_huge_tree=True, forbid_entities=True)


def load_wsdl(path: Path, rewrite: dict[str, str] | None = None) -> Document:
    """Parse a WSDL once per process (Cisco's full AXL WSDL takes ~0.7 s and 90 MiB).

    ``rewrite`` substitutes text before parsing (our AXL WSDL's version suffix).
    """
    path = path.resolve()
    key = (str(path), repr(sorted((rewrite or {}).items())))
    with _documents_lock:
        cached = _documents.get(key)
        if cached is not None:
            return cached
        loader = zeep.Transport()
        if rewrite:
            text = path.read_text()
            for old, new in rewrite.items():
                text = text.replace(old, new)
            # zeep annotates ``transport`` as a class; it takes (and needs) an instance
            document = Document(
                io.BytesIO(text.encode()),
                loader,  # type: ignore[arg-type]
                base=str(path),
                settings=_SETTINGS,
            )
        else:
            document = Document(str(path), loader, settings=_SETTINGS)  # type: ignore[arg-type]
        _documents[key] = document
        return document


def make_client(
    wsdl: Document,
    session: requests.Session,
    *,
    timeout: float,
    ca_label: str,
    tls_name: str | None = None,
) -> zeep.Client:
    transport = CheckedTransport(session, timeout=timeout, ca_label=ca_label, tls_name=tls_name)
    return zeep.Client(wsdl, transport=transport, settings=_SETTINGS)


# ----- one SOAP service of one node -----------------------------------------------------


class SoapService:
    """One SOAP service of one node, as every client (AXL, Control Center, RisPort70)
    reaches it: ``https://host:port`` + ``path``, a session that verifies TLS (against
    ``trust_source(ca_bundle)``, for ``tls_name``) and signs with Basic auth, the zeep
    proxy of ``binding``, and ``call``: one operation with zeep's errors mapped to ours
    and bounded retries."""

    def __init__(
        self,
        host: str,
        port: int,
        path: str,
        wsdl: Document,
        binding: str,
        username: str,
        password: PasswordLike,
        ca_bundle: Path | str | None,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        tls_name: str | None = None,
        rate_wait: float = 4.0,
    ) -> None:
        self.url = f"https://{host}:{port}{path}"
        self.retry = retry or RetryPolicy()
        self.rate_wait = rate_wait  # after a RisPort rate fault, the wait before a retry
        session = build_session(username, password, ca_bundle, tls_name)
        client = make_client(
            wsdl,
            session,
            timeout=timeout,
            ca_label=trust_source(ca_bundle).label,
            tls_name=tls_name,
        )
        self.proxy = client.create_service(binding, self.url)

    def call(
        self,
        what: str,
        operation: str,
        *,
        retry_if: Callable[[SoapError], bool] = _retryable,
        before: Callable[[], None] = lambda: None,
        **kwargs: Any,
    ) -> Any:
        """``operation(**kwargs)``, retried while ``retry_if`` says so; ``before`` runs
        ahead of every attempt (RisPort's pacing)."""
        method = getattr(self.proxy, operation)

        def once() -> Any:
            before()
            return method(**kwargs)

        return call_with_retry(
            lambda: guarded(once, self.url, rate_wait=self.rate_wait),
            self.retry,
            what=what,
            retry_if=retry_if,
        )

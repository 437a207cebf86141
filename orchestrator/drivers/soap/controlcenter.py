"""Control Center Services client (one node's local services): status and restarts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from orchestrator.cucm.pickup import Lean, node_time
from orchestrator.drivers.soap.errors import SoapError
from orchestrator.drivers.soap.transport import (
    DEFAULT_PORT,
    PasswordLike,
    RetryPolicy,
    SoapService,
    load_wsdl,
)
from orchestrator.soap import CONTROL_CENTER_BINDING, CONTROL_CENTER_WSDL

PATH = "/controlcenterservice2/services/ControlCenterServices"
REASON_OK = -1
REASON_NOT_ACTIVATED = -1068
REASON_OUT_OF_SERVICE = -1069
# ``Thu Nov 26 01:40:12 2026``; some builds add the zone name before the year.
_TIME_FORMATS = ("%a %b %d %H:%M:%S %Y", "%a %b %d %H:%M:%S %Z %Y")


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    status: str  # Started | Stopped | Starting | Stopping | Unknown
    reason_code: int
    start_time: datetime | None
    up_time: int
    reason: str = ""

    @property
    def activated(self) -> bool:
        return self.reason_code != REASON_NOT_ACTIVATED

    @property
    def deliberately_stopped(self) -> bool:
        """Not activated or commanded out of service: stopped, but not "down"."""
        return self.reason_code in (REASON_NOT_ACTIVATED, REASON_OUT_OF_SERVICE)


def parse_start_time(text: str | None, zone: tzinfo = UTC) -> datetime | None:
    """Control Center's StartTime as aware UTC; the node prints its local time (``zone``)
    without a zone. A start in a DST-ambiguous hour reads as the earlier instant
    (``pickup.node_time``), so doubt never makes a service look started after an install."""
    if not text or not text.strip():
        return None
    value = " ".join(text.split())
    for layout in _TIME_FORMATS:
        try:
            parsed = datetime.strptime(value, layout)
        except ValueError:
            continue
        return node_time(parsed, zone, Lean.EARLIER)
    return None


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


class ControlCenterClient:
    def __init__(
        self,
        host: str,
        port: int = DEFAULT_PORT,
        username: str = "",
        password: PasswordLike = "",
        ca_bundle: Path | str | None = None,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        tls_name: str | None = None,
        node_timezone: tzinfo = UTC,
    ) -> None:
        self.host = host
        self.node_timezone = node_timezone
        self._soap = SoapService(
            host,
            port,
            PATH,
            load_wsdl(CONTROL_CENTER_WSDL),
            CONTROL_CENTER_BINDING,
            username,
            password,
            ca_bundle,
            timeout=timeout,
            retry=retry,
            tls_name=tls_name,
        )
        self.url = self._soap.url

    def service_status(self, names: list[str] | None = None) -> list[ServiceStatus]:
        """Status of ``names`` (all of the node's services when None or empty)."""
        response = self._soap.call(
            "ControlCenter soapGetServiceStatus",
            "soapGetServiceStatus",
            ServiceStatus={"item": names or []},
        )
        return self._statuses(response)

    def restart(self, node_name: str, services: list[str]) -> list[ServiceStatus]:
        """Ask the node to restart ``services``; answers with their status right after.

        Retried only on an explicit HTTP 503 (request not taken): a restart that may have
        been accepted is not sent twice.
        """
        request = {
            "NodeName": node_name,
            "ControlType": "Restart",
            "ServiceList": {"item": list(services)},
        }
        response = self._soap.call(
            "ControlCenter soapDoControlServices",
            "soapDoControlServices",
            retry_if=_not_taken,
            ControlServiceRequest=request,
        )
        return self._statuses(response)

    def _statuses(self, response: Any) -> list[ServiceStatus]:
        listing = response["ServiceInfoList"] if response is not None else None
        items = (listing["item"] if listing is not None else None) or []
        return [
            ServiceStatus(
                name=str(item["ServiceName"]),
                status=str(item["ServiceStatus"] or "Unknown"),
                reason_code=_int(item["ReasonCode"], REASON_OK),
                start_time=parse_start_time(item["StartTime"], self.node_timezone),
                up_time=_int(item["UpTime"], -1),
                reason=(item["ReasonCodeString"] or "").strip(),
            )
            for item in items
        ]


def _not_taken(error: SoapError) -> bool:
    return error.code == "503"

"""AXL client (publisher): SQL queries, the CallManager version, the cluster's nodes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from orchestrator.cucm.release import Release
from orchestrator.drivers.soap.transport import (
    DEFAULT_PORT,
    PasswordLike,
    RetryPolicy,
    SoapService,
    load_wsdl,
)
from orchestrator.soap import AXL_BINDING, AXL_NS, AXL_NS_PREFIX, AXL_VERSION, AXL_WSDL

PATH = "/axl/"
# The pseudo-node that holds cluster-wide settings; not a server (reference section 8).
ENTERPRISE_WIDE = "EnterpriseWideData"


@dataclass(frozen=True)
class ProcessNode:
    name: str
    description: str
    node_usage: str  # Publisher | Subscriber
    role: str


def _version_rewrite(version: str) -> dict[str, str] | None:
    if version == AXL_VERSION:
        return None
    return {
        AXL_NS: AXL_NS_PREFIX + version,
        f"ver={AXL_VERSION} ": f"ver={version} ",
    }


def _text(value: Any) -> str:
    return "" if value is None else str(value)


class AxlClient:
    """``wsdl`` may be an AXL Toolkit ``AXLAPI.wsdl``; by default devpack's minimal WSDL,
    rewritten to ``version`` (12.5 requests work on 12.5, 14 and 15 publishers)."""

    def __init__(
        self,
        host: str,
        port: int = DEFAULT_PORT,
        username: str = "",
        password: PasswordLike = "",
        ca_bundle: Path | str | None = None,
        version: str = AXL_VERSION,
        wsdl: Path | str | None = None,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        tls_name: str | None = None,
    ) -> None:
        self.version = version
        document = load_wsdl(Path(wsdl)) if wsdl else load_wsdl(AXL_WSDL, _version_rewrite(version))
        self._soap = SoapService(
            host,
            port,
            PATH,
            document,
            AXL_BINDING,
            username,
            password,
            ca_bundle,
            timeout=timeout,
            retry=retry,
            tls_name=tls_name,
        )
        self.url = self._soap.url

    def _call(self, operation: str, **kwargs: Any) -> Any:
        return self._soap.call(f"AXL {operation}", operation, **kwargs)

    def sql(self, query: str) -> list[dict[str, str]]:
        """Rows of a read-only ``executeSQLQuery``, each as column -> text."""
        response = self._call("executeSQLQuery", sql=query)
        result = response["return"] if response is not None else None
        if result is None:
            return []
        rows = result["row"] if not isinstance(result, list) else result
        return [_row(row) for row in rows or []]

    def ccm_version(self) -> str:
        """``12.5.1.14900(63)`` (before 15) or ``15.0.1.10000-1``; see ``ccm_release``."""
        response = self._call("getCCMVersion")
        return _text(response["return"]["componentVersion"]["version"]).strip()

    def ccm_release(self) -> Release:
        return Release.parse(self.ccm_version())

    def list_process_nodes(self) -> list[ProcessNode]:
        """The cluster's servers (``EnterpriseWideData`` left out)."""
        response = self._call(
            "listProcessNode",
            searchCriteria={"name": "%"},
            returnedTags={"name": "", "description": "", "nodeUsage": "", "processNodeRole": ""},
        )
        result = response["return"] if response is not None else None
        nodes = (result["processNode"] if result is not None else None) or []
        return [
            ProcessNode(
                name=_text(n["name"]),
                description=_text(n["description"]),
                node_usage=_text(n["nodeUsage"]),
                role=_text(n["processNodeRole"]),
            )
            for n in nodes
            if _text(n["name"]) != ENTERPRISE_WIDE
        ]


def _row(row: Any) -> dict[str, str]:
    """zeep gives an ``xsd:anyType`` row as its child elements (or one element)."""
    if isinstance(row, etree._Element):
        row = list(row)
    if isinstance(row, list):
        return {
            etree.QName(e).localname: (e.text or "")
            for e in row
            if isinstance(e, etree._Element) and isinstance(e.tag, str)
        }
    raise TypeError(f"unexpected executeSQLQuery row {row!r}")

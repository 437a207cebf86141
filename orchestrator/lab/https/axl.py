"""AXL on the publisher: ``POST /axl/`` (executeSQLQuery, getCCMVersion, listProcessNode)."""

from __future__ import annotations

import re
from collections.abc import Callable

from lxml import etree

from orchestrator.cucm import texts
from orchestrator.cucm.release import Release
from orchestrator.lab.config import FaultKind
from orchestrator.lab.database import SqlError
from orchestrator.lab.https.soapxml import (
    HTML_TYPE,
    Reply,
    Request,
    SoapParseError,
    child,
    envelope,
    fault,
    html_page,
    local,
    parse_body,
    sub,
    text,
)
from orchestrator.soap import AXL_NS_PREFIX

_SOAP_ACTION = re.compile(r"^\s*CUCM:DB\s+ver=(?P<version>[\d.]+)\s+(?P<op>\w+)\s*$")

WORKING_PAGE = (
    "<html><head><title>Cisco CallManager: AXL Web Service</title></head><body>"
    "<h1>Cisco CallManager: AXL Web Service</h1>"
    "<p>The AXL Web Service is working and accepting requests.<br/>"
    "Use HTTP POST to send a request.</p></body></html>"
)

# Informix error numbers AXL passes through as axlcode (sqlite message -> code).
_SQL_CODES = [("no such table", -206), ("no such column", -217)]
SQL_SYNTAX_CODE = -201
# AXL answers a memory exhaustion with axlcode -1 (reference section 8): retryable.
MEMORY_CODE = -1
# (inferred) code for a SOAPAction/namespace disagreement; real wording unknown.
VERSION_MISMATCH_CODE = 5000


def _version_key(version: str) -> tuple[int, int]:
    major, _, minor = version.partition(".")
    return int(major), int(minor or 0)


def accepted_versions(release: Release) -> list[str]:
    """AXL schema versions a publisher of ``release`` accepts (inferred: own + 3 majors back).

    Reference: 12.5 requests are accepted by 12.5, 14 and 15.
    """
    known = [
        "8.0",
        "8.5",
        "9.0",
        "9.1",
        "10.0",
        "10.5",
        "11.0",
        "11.5",
        "12.0",
        "12.5",
        "14.0",
        "15.0",
    ]
    own = (release.major, release.minor)
    return [v for v in known if release.major - 3 <= _version_key(v)[0] and _version_key(v) <= own]


def ccm_version_text(release: Release) -> str:
    """``12.5.1.14900(63)`` style before 15, ``15.0.1.10000-1`` from 15 on (reference)."""
    base = f"{release.major}.{release.minor}.{release.maint}.{release.build}"
    return f"{base}-{release.patch}" if release.major >= 15 else f"{base}({release.patch})"


def axl_fault(message: str, code: int, request: str, faultcode: str = "soapenv:Server") -> Reply:
    detail = etree.Element("axlError")
    sub(detail, "axlcode", code)
    sub(detail, "axlmessage", message)
    sub(detail, "request", request)
    return fault(message, faultcode, detail)


def handle(req: Request) -> Reply:
    if req.method == "GET":
        return Reply(200, WORKING_PAGE.encode(), HTML_TYPE)
    world, node = req.world, req.node
    if world.faults.fire(FaultKind.AXL_503, node.name):
        return html_page(503, "Service Unavailable", "AXL change notification queue is full")
    try:
        operation = parse_body(req.body)
    except SoapParseError as exc:
        return fault(str(exc), "soapenv:Client")
    op = local(operation)
    namespace = etree.QName(operation).namespace or ""
    if not namespace.startswith(AXL_NS_PREFIX):
        return axl_fault(f"Unknown namespace {namespace!r}", 5000, op, "soapenv:Client")
    ns_version = namespace[len(AXL_NS_PREFIX) :]
    try:
        ns_key = _version_key(ns_version)
    except ValueError:
        return axl_fault(f"Unknown AXL version {ns_version!r}", 5000, op, "soapenv:Client")
    supported = accepted_versions(node.release)
    if ns_key not in {_version_key(v) for v in supported}:
        # Real CUCM answers HTTP 599 listing what it accepts.
        message = f"Incorrect axl version. Supported axl versions: {','.join(supported)}"
        return Reply(599, message.encode(), "text/plain; charset=utf-8")
    action = req.headers.get("soapaction", "").strip().strip('"')
    if action:
        match = _SOAP_ACTION.match(action)
        if match is None:
            return axl_fault(f"Invalid SOAPAction {action!r}", 5000, op, "soapenv:Client")
        if _version_key(match["version"]) != ns_key or match["op"] != op:
            return axl_fault(
                f"SOAPAction {action!r} does not match the request element "
                f"{op} in namespace {namespace}",
                VERSION_MISMATCH_CODE,
                op,
                "soapenv:Client",
            )
    handler = _OPERATIONS.get(op)
    if handler is None:
        return axl_fault(f"Operation {op} is not supported by the lab", 5000, op, "soapenv:Client")
    if world.faults.fire(FaultKind.AXL_MEMORY, node.name):
        return axl_fault(texts.AXL_MEMORY_FAULT, MEMORY_CODE, op)
    return handler(req, operation, namespace)


def _response(op: str, namespace: str) -> tuple[etree._Element, etree._Element]:
    response = etree.Element(f"{{{namespace}}}{op}Response", nsmap={"ns": namespace})
    return response, sub(response, "return")


def _column_tag(name: str) -> str:
    """An XML-safe tag for a result column (``count(*)`` -> ``count``)."""
    head = re.match(r"[A-Za-z_][\w]*", name.strip("() "))
    return head.group(0).lower() if head else "expression"


def _execute_sql(req: Request, operation: etree._Element, namespace: str) -> Reply:
    sql = text(operation, "sql")
    try:
        columns, rows = req.world.db.query(sql)
    except SqlError as exc:
        message = str(exc)
        code = next((c for marker, c in _SQL_CODES if marker in message), SQL_SYNTAX_CODE)
        return axl_fault(message, code, "executeSQLQuery")
    response, result = _response("executeSQLQuery", namespace)
    tags = [_column_tag(c) for c in columns]
    for row in rows:
        element = sub(result, "row")
        for tag, value in zip(tags, row, strict=True):
            sub(element, tag, value)
    return Reply(200, envelope(response))


def _get_ccm_version(req: Request, operation: etree._Element, namespace: str) -> Reply:
    wanted = text(operation, "processNodeName")
    node = req.world.publisher
    if wanted:
        found = req.world.nodes.get(wanted) or req.world.node_by_address(wanted)
        if found is None:
            return axl_fault(f"Unknown processNodeName {wanted}", 5007, "getCCMVersion")
        node = found
    response, result = _response("getCCMVersion", namespace)
    component = sub(result, "componentVersion")
    sub(component, "version", ccm_version_text(node.release))
    return Reply(200, envelope(response))


_NODE_USAGE = {"0": "Publisher", "1": "Subscriber"}
_ROLE = "CUCM Voice/Video"


def _like(pattern: str) -> re.Pattern[str]:
    """AXL search criteria use SQL LIKE wildcards (% and _)."""
    parts = (".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.compile("^" + "".join(parts) + "$", re.IGNORECASE)


def _list_process_node(req: Request, operation: etree._Element, namespace: str) -> Reply:
    criteria = child(operation, "searchCriteria")
    name_pattern = _like(text(criteria, "name", "%") or "%")
    description_pattern = _like(text(criteria, "description", "%") or "%")
    returned = child(operation, "returnedTags")
    wanted = [local(e) for e in returned] if returned is not None else []
    tags = wanted or ["name", "description", "nodeUsage", "processNodeRole"]
    _, rows = req.world.db.query(
        "select pkid, name, description, tknodeusage from processnode order by nodeid"
    )
    response, result = _response("listProcessNode", namespace)
    for pkid, name, description, usage in rows:
        if not (name_pattern.match(name) and description_pattern.match(description)):
            continue
        values = {
            "name": name,
            "description": description,
            "nodeUsage": _NODE_USAGE.get(usage, usage),
            "processNodeRole": _ROLE,
        }
        element = sub(result, "processNode")
        element.set("uuid", "{" + pkid.upper() + "}")
        for tag in tags:
            if tag in values:
                sub(element, tag, values[tag])
    return Reply(200, envelope(response))


_OPERATIONS: dict[str, Callable[[Request, etree._Element, str], Reply]] = {
    "executeSQLQuery": _execute_sql,
    "getCCMVersion": _get_ccm_version,
    "listProcessNode": _list_process_node,
}

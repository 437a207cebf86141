"""Control Center Services (per node, local services only)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from lxml import etree

from orchestrator.cucm import texts
from orchestrator.lab.https.soapxml import (
    Reply,
    Request,
    SoapParseError,
    child,
    children,
    envelope,
    fault,
    local,
    parse_body,
    sub,
    text,
)
from orchestrator.lab.nodes import PLATFORM_SERVICES, Node, Service
from orchestrator.soap import AST_NS

XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
# ``Thu Nov 26 01:40:12 2026``: Java's Date layout without the zone, in the node's own
# local time (reference 9.6, inferred): clients must convert with the node's zone.
START_TIME_FORMAT = "%a %b %d %H:%M:%S %Y"
REASON_OK = -1
_STATUS = {
    "STARTED": "Started",
    "STOPPED": "Stopped",
    "STARTING": "Starting",
    "STOPPING": "Stopping",
}


def format_start_time(epoch: float, node: Node | None = None) -> str:
    """In the node's local time (reference 9.6, inferred), UTC without a node."""
    if node is None:
        return datetime.fromtimestamp(epoch, UTC).strftime(START_TIME_FORMAT)
    return node.clock(epoch).strftime(START_TIME_FORMAT)


def _q(name: str) -> str:
    return f"{{{AST_NS}}}{name}"


def _nil(parent: etree._Element, name: str) -> None:
    sub(parent, _q(name)).set(f"{{{XSI_NS}}}nil", "true")


def _service_item(
    parent: etree._Element, name: str, service: Service | None, node: Node | None = None
) -> None:
    item = sub(parent, _q("item"))
    sub(item, _q("ServiceName"), name)
    if service is None:
        # (inferred) an unknown name is reported, not refused
        sub(item, _q("ServiceStatus"), "Unknown")
        sub(item, _q("ReasonCode"), REASON_OK)
        sub(item, _q("ReasonCodeString"), "Service not found")
        _nil(item, "StartTime")
        sub(item, _q("UpTime"), -1)
        return
    code = texts.REASON_CODES.get(service.reason, REASON_OK)
    sub(item, _q("ServiceStatus"), _STATUS.get(service.state, "Unknown"))
    sub(item, _q("ReasonCode"), code)
    sub(item, _q("ReasonCodeString"), service.reason or " ")
    if service.state == "STARTED" and service.start_time is not None:
        sub(item, _q("StartTime"), format_start_time(service.start_time, node))
        sub(item, _q("UpTime"), max(0, int(time.time() - service.start_time)))
    else:
        _nil(item, "StartTime")
        sub(item, _q("UpTime"), -1)


def _response(op: str, req: Request, names: list[str]) -> Reply:
    response = etree.Element(_q(f"{op}Response"), nsmap={"ns1": AST_NS, "xsi": XSI_NS})
    result = sub(response, _q(f"{op}Return"))
    sub(result, _q("ReturnCode"), "0")
    sub(result, _q("ReasonCode"), REASON_OK)
    _nil(result, "ReasonString")
    listing = sub(result, _q("ServiceInfoList"))
    with req.world.lock:
        services = req.node.services
        for name in names or [n for n in services if n not in PLATFORM_SERVICES]:
            _service_item(listing, name, services.get(name), req.node)
    return Reply(200, envelope(response))


def handle(req: Request) -> Reply:
    try:
        operation = parse_body(req.body)
    except SoapParseError as exc:
        return fault(str(exc), "soapenv:Client")
    op = local(operation)
    if op == "soapGetServiceStatus":
        names = [
            e.text.strip() for e in children(child(operation, "ServiceStatus"), "item") if e.text
        ]
        return _response(op, req, names)
    if op == "soapDoControlServices":
        return _control(req, operation)
    return fault(f"No such operation '{op}'", "soapenv:Client")


def _control(req: Request, operation: etree._Element) -> Reply:
    request = child(operation, "ControlServiceRequest")
    if request is None:
        request = operation  # tolerate clients that omit the wrapper
    node_name = text(request, "NodeName")
    control = text(request, "ControlType")
    names = [e.text.strip() for e in children(child(request, "ServiceList"), "item") if e.text]
    node = req.node
    # Control Center acts on local services only; NodeName must name this node.
    if node_name not in (node.name, node.address, f"{node.name}.{req.world.config.domain}"):
        return fault(
            f"NodeName {node_name} is not this server ({node.name}); "
            "Control Center Services controls local services only",
            "soapenv:Client",
        )
    actions = {
        "Start": req.world.start_service,
        "Stop": req.world.stop_service,
        "Restart": req.world.restart_service,
    }
    if control not in actions:
        return fault(
            f"ControlType {control!r} is not one of Start, Stop, Restart", "soapenv:Client"
        )
    for name in names:
        actions[control](node.name, name)
    return _response("soapDoControlServices", req, names)

"""RisPort70 ``selectCmDevice``: the cluster-wide registration view, rate-limited per client."""

from __future__ import annotations

import fnmatch
import re
import threading
import time
import zlib
from collections import deque
from dataclasses import dataclass

from lxml import etree

from orchestrator.cucm import texts
from orchestrator.lab.config import FaultKind
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
from orchestrator.lab.nodes import Node, Phone
from orchestrator.lab.world import World
from orchestrator.soap import AST_NS

MAX_DEVICES = 1000
ANY_MODEL = 255
# RisPort70 StatusReason codes. 0 noError; 3 DatabaseConfigurationError is our pick for
# "No typemodel table-entry for device" (the phone is told "404 Database error");
# 6 ConnectivityError for a phone whose CallManagers are all down. Both inferred.
REASON_REGISTERED = 0
REASON_NO_TYPEMODEL = 3
REASON_CONNECTIVITY = 6
_STATES = {"any", "registered", "unregistered", "rejected", "partiallyregistered", "unknown"}
_CURSOR = re.compile(r'After="([^"]*)"')


class RateLimiter:
    """At most ``rate`` queries per rolling window per client address (Cisco: per minute)."""

    def __init__(self, window_seconds: float = 60.0) -> None:
        self.window = window_seconds
        self._lock = threading.Lock()
        self._hits: dict[str, deque[float]] = {}

    def allow(self, client: str, rate: int) -> bool:
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(client, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= rate:
                return False
            hits.append(now)
            return True


@dataclass(frozen=True)
class _Row:
    phone: Phone
    node: Node
    model: int
    reason: int
    load: str


def _q(name: str) -> str:
    return f"{{{AST_NS}}}{name}"


def rate_fault(rate: int) -> Reply:
    return fault(texts.RIS_RATE_FAULT.format(rate=rate), "soapenv:Server")


def handle(req: Request, limiter: RateLimiter) -> Reply:
    rate = req.world.config.rules.ris_rate_per_minute
    if req.world.faults.fire(FaultKind.RIS_RATE_LIMIT, req.node.name):
        return rate_fault(rate)
    if not limiter.allow(req.client, rate):
        return rate_fault(rate)
    try:
        operation = parse_body(req.body)
    except SoapParseError as exc:
        return fault(str(exc), "soapenv:Client")
    if local(operation) not in ("selectCmDevice", "selectCmDeviceExt"):
        return fault(f"No such operation '{local(operation)}'", "soapenv:Client")
    criteria = child(operation, "CmSelectionCriteria")
    if criteria is None:
        return fault("CmSelectionCriteria is required", "soapenv:Client")
    try:
        limit = int(text(criteria, "MaxReturnedDevices", str(MAX_DEVICES)) or MAX_DEVICES)
        model = int(text(criteria, "Model", str(ANY_MODEL)) or ANY_MODEL)
    except ValueError:
        return fault("MaxReturnedDevices and Model must be numbers", "soapenv:Client")
    status = text(criteria, "Status", "Any") or "Any"
    if status.lower() not in _STATES:
        return fault(f"Invalid Status {status}", "soapenv:Client")
    limit = max(1, min(limit, MAX_DEVICES))
    cursor = _CURSOR.search(text(operation, "StateInfo"))
    after = cursor.group(1) if cursor else ""
    rows = [
        r
        for r in _rows(req.world)
        if _matches(req.world, r, criteria, model, status) and r.phone.name > after
    ]
    rows.sort(key=lambda r: r.phone.name)
    page = rows[:limit]
    last = page[-1].phone.name if page else after
    return Reply(200, _answer(req.world, criteria, page, last))


def _rows(world: World) -> list[_Row]:
    with world.lock:
        _, loads = world.db.query("select tkmodel, loadinformation from defaults")
        load_by_model = {int(m): load for m, load in loads}
        enums: dict[str, int] = {}
        rows = []
        for phone in world.phones.values():
            where = phone.node
            if where is None:
                # Unregistered everywhere: RIS still remembers it at its primary node.
                members = world.config.groups.get(phone.group, [])
                if not members:
                    continue
                where = members[0]
            if phone.model not in enums:
                enums[phone.model] = world.model_enum(phone.model) or 0
            model = enums[phone.model]
            reason = {
                "Registered": REASON_REGISTERED,
                "Rejected": REASON_NO_TYPEMODEL,
            }.get(phone.status, REASON_CONNECTIVITY)
            rows.append(
                _Row(phone, world.nodes[where], model, reason, load_by_model.get(model, ""))
            )
        return rows


def _matches(world: World, row: _Row, criteria: etree._Element, model: int, status: str) -> bool:
    if model != ANY_MODEL and row.model != model:
        return False
    if status.lower() != "any" and row.phone.status.lower() != status.lower():
        return False
    device_class = text(criteria, "DeviceClass", "Any") or "Any"
    if device_class.lower() not in ("any", "phone"):
        return False
    node_name = text(criteria, "NodeName")
    if node_name and node_name not in (
        row.node.name,
        row.node.address,
        world.server_name(row.node),
    ):
        return False
    protocol = text(criteria, "Protocol", "Any") or "Any"
    if protocol.lower() not in ("any", "sip"):
        return False
    patterns = [text(item, "Item") for item in children(child(criteria, "SelectItems"), "item")]
    patterns = [p for p in patterns if p]
    if not patterns:
        return True
    select_by = (text(criteria, "SelectBy", "Name") or "Name").lower()
    if select_by != "name":
        return all(p == "*" for p in patterns)  # other keys are not simulated
    name = row.phone.name.upper()
    return any(fnmatch.fnmatchcase(name, p.upper().replace("?", "[?]")) for p in patterns)


def _address(name: str) -> str:
    value = zlib.crc32(name.encode())
    return f"10.{(value >> 16) & 0xFF}.{(value >> 8) & 0xFF}.{(value & 0xFD) + 2}"


def _answer(world: World, criteria: etree._Element, page: list[_Row], last: str) -> bytes:
    response = etree.Element(_q("selectCmDeviceResponse"), nsmap={"ns1": AST_NS})
    returned = sub(response, _q("selectCmDeviceReturn"))
    result = sub(returned, _q("SelectCmDeviceResult"))
    sub(result, _q("TotalDevicesFound"), len(page))
    nodes = sub(result, _q("CmNodes"))
    wanted = text(criteria, "NodeName")
    stamp = int(time.time())
    for node in world.nodes.values():
        if wanted and wanted not in (node.name, node.address, world.server_name(node)):
            continue
        here = [r for r in page if r.node is node]
        item = sub(nodes, _q("item"))
        sub(item, _q("ReturnCode"), "Ok" if here else "NotFound")
        sub(item, _q("Name"), world.server_name(node))  # as the cluster defines it
        sub(item, _q("NoChange"), "false")
        devices = sub(item, _q("CmDevices"))
        for index, row in enumerate(here):
            _device(devices, row, stamp, index)
    # Opaque to clients; ours is a name cursor so paging survives registrations moving.
    sub(returned, _q("StateInfo"), f'<StateInfo><Cursor After="{last}"/></StateInfo>')
    return envelope(response)


def _device(parent: etree._Element, row: _Row, stamp: int, index: int) -> None:
    phone = row.phone
    registered = phone.status == "Registered"
    number = str(1000 + zlib.crc32(phone.name.encode()) % 9000)
    device = sub(parent, _q("item"))
    for tag, value in [
        ("Name", phone.name),
        ("DirNumber", f"{number}-{phone.status}"),
        ("DeviceClass", "Phone"),
        ("Model", row.model),
        ("Product", row.model),
        ("BoxProduct", 0),
        ("Httpd", "Yes"),
        ("RegistrationAttempts", 0 if registered else 1),
        ("IsCtiControllable", "true"),
        ("LoginUserId", None),
        ("Status", phone.status),
        ("StatusReason", row.reason),
        ("PerfMonObject", 2),
        ("DChannel", 0),
        ("Description", phone.name),
        ("H323Trunk", None),
        ("TimeStamp", stamp - index),
        ("Protocol", "SIP"),
        ("NumOfLines", 1),
    ]:
        sub(device, _q(tag), value)
    lines = sub(device, _q("LinesStatus"))
    line = sub(lines, _q("item"))
    sub(line, _q("DirectoryNumber"), number)
    sub(line, _q("Status"), phone.status)
    sub(device, _q("ActiveLoadID"), row.load)
    sub(device, _q("InactiveLoadID"))
    sub(device, _q("DownloadStatus"), "Unknown")
    sub(device, _q("DownloadFailureReason"))
    sub(device, _q("DownloadServer"))
    addresses = sub(device, _q("IPAddress"))
    address = sub(addresses, _q("item"))
    sub(address, _q("IP"), _address(phone.name))
    sub(address, _q("IPAddrType"), "ipv4")
    sub(address, _q("Attribute"), "Unknown")

"""ControlCenterClient against a lab node: statuses, reason codes, restarts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import zeep.exceptions

from orchestrator.cucm import texts
from orchestrator.drivers.soap import ControlCenterClient, SoapFault
from orchestrator.drivers.soap.controlcenter import parse_start_time
from orchestrator.lab.config import LabConfig, NodeSpec
from orchestrator.lab.https.fleet import HttpsLab


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpsLab]:
    config = LabConfig(
        profile="fast",
        nodes=[NodeSpec(name="cucmpub", role="publisher", tftp=True), NodeSpec(name="cucmsub1")],
    )
    handle = HttpsLab.start(config, tmp_path_factory.mktemp("pki"))
    yield handle
    handle.close()


def client(lab: HttpsLab, node: str) -> ControlCenterClient:
    host, port = lab.address(node)
    return ControlCenterClient(
        host,
        port,
        "axladmin",
        "lab-axl-secret",
        ca_bundle=lab.bundle_path,
        tls_name=lab.tls_name(node),
    )


def test_status_of_all_local_services(lab: HttpsLab) -> None:
    statuses = {s.name: s for s in client(lab, "cucmsub1").service_status()}
    assert "System SSH" not in statuses  # platform services are not Control Center's
    callmanager = statuses[texts.SVC_CALLMANAGER]
    assert callmanager.status == "Started"
    assert callmanager.reason_code == -1
    node = lab.world.nodes["cucmsub1"]
    expected = node.services[texts.SVC_CALLMANAGER].start_time
    assert callmanager.start_time is not None
    assert abs(callmanager.start_time.timestamp() - expected) < 1.0
    assert callmanager.up_time >= 59 * 24 * 3600  # booted 60 days ago


def test_reason_codes_for_deliberately_stopped_services(lab: HttpsLab) -> None:
    statuses = {
        s.name: s
        for s in client(lab, "cucmsub1").service_status(
            [texts.SVC_TFTP, texts.SVC_AXL, "Cisco CAR DB"]
        )
    }
    assert set(statuses) == {texts.SVC_TFTP, texts.SVC_AXL, "Cisco CAR DB"}
    tftp = statuses[texts.SVC_TFTP]
    assert (tftp.status, tftp.reason_code, tftp.reason) == (
        "Stopped",
        -1068,
        "Service Not Activated",
    )
    assert tftp.start_time is None and not tftp.activated and tftp.deliberately_stopped
    car = statuses["Cisco CAR DB"]
    assert (car.reason_code, car.reason) == (-1069, "Commanded Out of Service")
    assert car.activated and car.deliberately_stopped


def test_restart_moves_the_start_time(lab: HttpsLab) -> None:
    cc = client(lab, "cucmpub")
    before = cc.service_status([texts.SVC_TFTP])[0].start_time
    assert before is not None
    answer = cc.restart("cucmpub", [texts.SVC_TFTP])
    assert [s.name for s in answer] == [texts.SVC_TFTP]
    assert answer[0].status in ("Stopping", "Starting")
    deadline = time.monotonic() + 5
    while True:
        now = cc.service_status([texts.SVC_TFTP])[0]
        if now.status == "Started" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert now.status == "Started"
    assert now.start_time is not None and now.start_time > before
    assert now.start_time > datetime.now(UTC) - timedelta(seconds=10)
    assert lab.world.events.select("service_restart_requested", node="cucmpub")


def test_restart_of_a_deactivated_service_is_refused_by_status(lab: HttpsLab) -> None:
    answer = client(lab, "cucmsub1").restart("cucmsub1", [texts.SVC_TFTP])
    assert answer[0].status == "Stopped" and answer[0].reason_code == -1068


def test_control_center_is_local_only(lab: HttpsLab) -> None:
    with pytest.raises(SoapFault) as caught:
        client(lab, "cucmsub1").restart("cucmpub", [texts.SVC_TFTP])
    assert "local services only" in str(caught.value)


def test_start_time_parsing_is_tolerant() -> None:
    assert parse_start_time("Thu Nov 26 01:40:12 2026") == datetime(
        2026, 11, 26, 1, 40, 12, tzinfo=UTC
    )
    assert parse_start_time("Thu Nov 26  01:40:12 UTC 2026") is not None
    assert parse_start_time("") is None
    assert parse_start_time(None) is None


def test_stop_puts_a_service_out_of_service_and_start_brings_it_back(lab: HttpsLab) -> None:
    cc = client(lab, "cucmsub1")

    def control(kind: str) -> None:
        request = {
            "NodeName": "cucmsub1",
            "ControlType": kind,
            "ServiceList": {"item": [texts.SVC_CTIMANAGER]},
        }
        cc._soap.proxy.soapDoControlServices(ControlServiceRequest=request)

    def settled(status: str) -> object:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            now = cc.service_status([texts.SVC_CTIMANAGER])[0]
            if now.status == status:
                return now
            time.sleep(0.05)
        raise AssertionError(f"CTIManager never reached {status}")

    control("Stop")
    stopped = settled("Stopped")
    assert stopped.reason_code == -1069  # Commanded Out of Service: not "down"
    control("Start")
    started = settled("Started")
    assert started.reason_code == -1
    with pytest.raises(zeep.exceptions.Fault, match="ControlType 'Pause' is not one of"):
        control("Pause")

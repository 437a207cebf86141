"""The lab's HTTPS servers seen from the wire: routes, auth, fault shapes, node life."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from lxml import etree

from orchestrator.cucm import texts
from orchestrator.lab.config import LabConfig, NodeSpec, PhoneSpec, TlsSpec
from orchestrator.lab.https import AXL_PATH, CONTROL_CENTER_PATH, RIS_PATH
from orchestrator.lab.https.fleet import HttpsLab
from orchestrator.lab.nodes import STARTED

AUTH = ("axladmin", "lab-axl-secret")
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"


def config(**overrides: object) -> LabConfig:
    # These tests are about the SOAP wire, reached by address: the lab's explicit
    # CA-signed-with-IP-SAN option (real nodes' certificates name DNS names only).
    return LabConfig(
        tls=TlsSpec(issuer="lab_ca", ip_san=True),
        profile="fast",
        nodes=[NodeSpec(name="cucmpub", role="publisher"), NodeSpec(name="cucmsub1")],
        groups={"G1": ["cucmsub1", "cucmpub"]},
        phones=[PhoneSpec(name="SEP001122334455", model="Cisco 7841", group="G1")],
        **overrides,
    )


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpsLab]:
    handle = HttpsLab.start(config(), tmp_path_factory.mktemp("pki"))
    yield handle
    handle.close()


def axl_request(op: str, inner: str, version: str = "12.5") -> bytes:
    return (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}"><soapenv:Body>'
        f'<ns0:{op} xmlns:ns0="http://www.cisco.com/AXL/API/{version}">{inner}</ns0:{op}>'
        "</soapenv:Body></soapenv:Envelope>"
    ).encode()


def post_axl(
    lab: HttpsLab, body: bytes, action: str, auth: tuple[str, str] = AUTH
) -> requests.Response:
    return requests.post(
        lab.url("cucmpub", AXL_PATH),
        data=body,
        headers={"Content-Type": "text/xml", "SOAPAction": f'"{action}"'},
        auth=auth,
        verify=str(lab.ca.bundle_path),
        timeout=5,
    )


def get(
    lab: HttpsLab, node: str, path: str, auth: tuple[str, str] | None = AUTH
) -> requests.Response:
    return requests.get(lab.url(node, path), auth=auth, verify=str(lab.ca.bundle_path), timeout=5)


def test_get_axl_page_says_working(lab: HttpsLab) -> None:
    reply = get(lab, "cucmpub", AXL_PATH)
    assert reply.status_code == 200
    assert reply.headers["Content-Type"].startswith("text/html")
    assert "AXL Web Service is working" in reply.text


def test_bad_credentials_get_401_html(lab: HttpsLab) -> None:
    reply = get(lab, "cucmpub", AXL_PATH, auth=("axladmin", "wrong"))
    assert reply.status_code == 401
    assert reply.headers["WWW-Authenticate"].startswith("Basic realm=")
    assert "<html>" in reply.text and "401" in reply.text
    assert get(lab, "cucmpub", AXL_PATH, auth=None).status_code == 401


def test_axl_is_only_on_the_publisher(lab: HttpsLab) -> None:
    assert get(lab, "cucmsub1", AXL_PATH).status_code == 404


@pytest.mark.parametrize(
    "path, marker", [(CONTROL_CENTER_PATH, "soapDoControlServices"), (RIS_PATH, "selectCmDevice")]
)
def test_wsdl_is_served_with_the_node_address(lab: HttpsLab, path: str, marker: str) -> None:
    reply = get(lab, "cucmsub1", path + "?wsdl")
    assert reply.status_code == 200
    root = etree.fromstring(reply.content)
    assert etree.QName(root).localname == "definitions"
    assert marker in reply.text
    host, port = lab.address("cucmsub1")
    assert f"https://{host}:{port}{path}" in reply.text


def test_execute_sql_query_wire_shape(lab: HttpsLab) -> None:
    sql = "<sql>select enum, name from typemodel where name = 'Cisco 7841'</sql>"
    reply = post_axl(lab, axl_request("executeSQLQuery", sql), "CUCM:DB ver=12.5 executeSQLQuery")
    assert reply.status_code == 200
    response = etree.fromstring(reply.content).find(f"{{{SOAP_ENV}}}Body")[0]
    assert response.tag == "{http://www.cisco.com/AXL/API/12.5}executeSQLQueryResponse"
    row = response.find("return/row")
    assert [(c.tag, c.text) for c in row] == [("enum", "622"), ("name", "Cisco 7841")]


def test_empty_result_is_an_empty_return(lab: HttpsLab) -> None:
    sql = "<sql>select enum from typemodel where name = 'Cisco 0000'</sql>"
    reply = post_axl(lab, axl_request("executeSQLQuery", sql), "CUCM:DB ver=12.5 executeSQLQuery")
    assert b"<return/>" in reply.content


def test_bad_sql_is_a_soap_fault_with_axl_error(lab: HttpsLab) -> None:
    reply = post_axl(
        lab,
        axl_request("executeSQLQuery", "<sql>select * from nowhere</sql>"),
        "CUCM:DB ver=12.5 executeSQLQuery",
    )
    assert reply.status_code == 500
    fault = etree.fromstring(reply.content).find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault")
    assert fault.findtext("faultcode") == "soapenv:Server"
    error = fault.find("detail/axlError")
    assert error.findtext("axlcode") == "-206"
    assert "no such table" in error.findtext("axlmessage")
    assert error.findtext("request") == "executeSQLQuery"
    assert fault.findtext("faultstring") == error.findtext("axlmessage")


def test_update_is_refused(lab: HttpsLab) -> None:
    reply = post_axl(
        lab,
        axl_request("executeSQLQuery", "<sql>delete from typemodel</sql>"),
        "CUCM:DB ver=12.5 executeSQLQuery",
    )
    assert reply.status_code == 500
    assert b"Only a single SELECT" in reply.content


def test_soapaction_namespace_mismatch_is_a_client_fault(lab: HttpsLab) -> None:
    reply = post_axl(
        lab,
        axl_request("executeSQLQuery", "<sql>select 1</sql>", version="12.5"),
        "CUCM:DB ver=11.5 executeSQLQuery",
    )
    assert reply.status_code == 500
    fault = etree.fromstring(reply.content).find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault")
    assert fault.findtext("faultcode") == "soapenv:Client"
    assert fault.find("detail/axlError/axlcode") is not None


def test_unsupported_version_is_http_599(lab: HttpsLab) -> None:
    reply = post_axl(
        lab,
        axl_request("getCCMVersion", "", version="15.0"),
        "CUCM:DB ver=15.0 getCCMVersion",
    )
    assert reply.status_code == 599
    assert "Incorrect axl version. Supported axl versions:" in reply.text
    assert "12.5" in reply.text


def test_axl_answers_503_until_the_service_is_started(lab: HttpsLab) -> None:
    world = lab.world
    service = world.nodes["cucmpub"].services[texts.SVC_AXL]
    with world.lock:
        service.state = "STARTING"
    try:
        assert get(lab, "cucmpub", AXL_PATH).status_code == 503
    finally:
        with world.lock:
            service.state = STARTED
    assert get(lab, "cucmpub", AXL_PATH).status_code == 200


def _refused(address: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(address, timeout=1):
            return False
    except ConnectionRefusedError:
        return True


def test_listener_follows_the_node_through_a_reboot(tmp_path: Path) -> None:
    slow_boot = {"reboot_down_seconds": 0.2, "service_starting_seconds": 0.5}
    lab = HttpsLab.start(config(timing=slow_boot), tmp_path)
    try:
        world = lab.world
        address = lab.address("cucmpub")
        session = requests.Session()
        assert session.get(
            lab.url("cucmpub", AXL_PATH), auth=AUTH, verify=str(lab.ca.bundle_path), timeout=5
        ).ok
        world.restart_node("cucmpub")
        assert world.wait_for(lambda: world.nodes["cucmpub"].phase == "down", 5)
        assert _refused(address)
        with pytest.raises(requests.ConnectionError):  # kept-alive connections are cut too
            session.get(lab.url("cucmpub", AXL_PATH), auth=AUTH, timeout=5)
        assert world.wait_for(lambda: world.nodes["cucmpub"].phase == "up", 5)
        deadline = time.monotonic() + 2
        while _refused(address) and time.monotonic() < deadline:
            time.sleep(0.01)
        # up again on the same port, but Tomcat is still starting
        assert lab.address("cucmpub") == address
        assert get(lab, "cucmpub", AXL_PATH).status_code == 503
        axl = world.nodes["cucmpub"].services[texts.SVC_AXL]
        assert world.wait_for(lambda: axl.state == STARTED, 5)
        assert get(lab, "cucmpub", AXL_PATH).status_code == 200
    finally:
        lab.close()

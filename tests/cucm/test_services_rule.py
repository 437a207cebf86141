"""The stop-reason rule (cucm.services) and the service-list parser on its shapes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestrator.audit.checks import judge_services
from orchestrator.audit.model import NodeFact, ServiceFact
from orchestrator.cucm import services
from orchestrator.drivers.ssh.parsers import parse_service_list

# Reference 5 and 9.3: two spaces normally, one in flattened TAC documents (Cisco Tftp).
FIXTURES = Path(__file__).parents[1] / "drivers" / "fixtures"
TRANSCRIPT = (FIXTURES / "service_list_stop_reasons.txt").read_bytes().decode()


@dataclass(frozen=True)
class Svc:
    name: str
    state: str
    reason: str = ""


def test_parser_reads_both_separators_and_any_reason():
    listing = parse_service_list(TRANSCRIPT)
    tomcat, tftp = listing.get("Cisco Tomcat"), listing.get("Cisco Tftp")
    assert tomcat is not None and tomcat.reason == "Component is not running"
    assert not tomcat.deliberately_down
    assert tftp is not None and tftp.reason == "Commanded Out of Service"
    assert tftp.deliberately_down
    assert listing.get("Cisco CTIManager").reason == ""
    assert listing.get("System SSH").platform


@pytest.mark.parametrize(
    ("reason", "deliberate"),
    [
        ("Service Not Activated", True),
        ("Commanded Out of Service", True),
        ("commanded  out of   service", True),
        ("Component is not running", False),
        ("", False),
        ("Something new", False),
    ],
)
def test_only_two_reasons_are_deliberate(reason, deliberate):
    assert services.is_deliberate(reason) is deliberate
    assert services.counts_as_down("STOPPED", reason) is (not deliberate)


def test_without_the_state_before_only_the_reason_decides():
    listing = parse_service_list(TRANSCRIPT)
    down = {p.name for p in services.judge(listing.services)}
    assert down == {"Cisco Tomcat", "Cisco CTIManager"}


def test_a_service_started_before_must_come_back_whatever_its_reason():
    after = [
        Svc("Cisco CallManager", "STARTED"),
        Svc("Cisco Tomcat", "STOPPED", "Commanded Out of Service"),
        Svc("Cisco CAR DB", "STOPPED", "Commanded Out of Service"),
    ]
    before = ["Cisco CallManager", "Cisco Tomcat", "Cisco Tftp"]
    problems = services.judge(after, before)
    by_name = {p.name: p for p in problems}
    assert set(by_name) == {"Cisco Tomcat", "Cisco Tftp"}  # CAR DB was stopped before too
    assert by_name["Cisco Tomcat"].commanded_out
    assert "STARTED before the restart" in by_name["Cisco Tomcat"].describe()
    assert by_name["Cisco Tftp"].state == "absent"


def test_only_a_service_that_ran_before_and_is_back_out_of_service_stays_down():
    after = [
        Svc("Cisco Tomcat", "STOPPED", "Commanded Out of Service"),
        Svc("Cisco Tftp", "STARTING", "Commanded Out of Service"),
        Svc("Cisco CallManager", "STOPPED", "Component is not running"),
        Svc("Cisco CTIManager", "STOPPED", "Service Not Activated"),
        Svc("Cisco CAR DB", "STOPPED", "Commanded Out of Service"),
    ]
    before = ["Cisco Tomcat", "Cisco Tftp", "Cisco CallManager", "Cisco CTIManager"]
    staying = {p.name for p in services.judge(after, before) if p.stays_down}
    # STARTING is on its way; "Component is not running" may still come up by itself;
    # "Service Not Activated" needs activation, not a start; CAR DB was stopped before
    assert staying == {"Cisco Tomcat"}
    tomcat = next(p for p in services.judge(after, before) if p.name == "Cisco Tomcat")
    assert tomcat.remedy("cucmsub2") == "utils service start Cisco Tomcat on cucmsub2"


def test_audit_reports_component_not_running_and_commanded_out_after_a_run():
    node = NodeFact(
        name="cucmsub1",
        address="10.0.0.2",
        role="subscriber",
        services=[
            ServiceFact(name="Cisco Tomcat", state="STOPPED", reason="Component is not running"),
            ServiceFact(name="Cisco Tftp", state="STOPPED", reason="Commanded Out of Service"),
            ServiceFact(name="Cisco CAR DB", state="STOPPED", reason="Commanded Out of Service"),
        ],
    )
    [standalone] = judge_services([node])
    assert standalone.code == "service-down"
    assert set(standalone.evidence["services"]) == {"Cisco Tomcat"}
    after_run = node.model_copy(update={"started_before": ["Cisco Tomcat", "Cisco Tftp"]})
    [finding] = judge_services([after_run])
    assert set(finding.evidence["services"]) == {"Cisco Tomcat", "Cisco Tftp"}
    assert finding.evidence["started_before_restart"] == ["Cisco Tomcat", "Cisco Tftp"]
    assert "utils service start Cisco Tftp" in finding.remedy
    assert "Commanded Out of Service" in finding.remedy

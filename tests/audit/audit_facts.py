"""Plain-data clusters for the judging tests (no lab, no I/O)."""

from __future__ import annotations

from orchestrator.audit.model import AuditFacts, InstallFact, NodeFact, PhoneFact, ServiceFact

PACK = "cmterm-devicepack12.5.1.17123-1.cop"
T0 = 1_800_000_000.0  # an arbitrary epoch; everything below is minutes around it
MIN = 60.0


def services(
    start: float,
    *,
    tftp: bool = False,
    callmanager: bool = True,
    cm_start: float | None = None,
    tftp_start: float | None = None,
    tomcat_start: float | None = None,
    source: str = "control-center",
) -> list[ServiceFact]:
    def svc(name: str, at: float | None, active: bool = True) -> ServiceFact:
        if not active:
            return ServiceFact(name=name, state="STOPPED", reason="Service Not Activated")
        return ServiceFact(
            name=name, state="STARTED", start_time=at, start_source=source if at is not None else ""
        )

    return [
        svc("A Cisco DB", start),
        svc("Cisco Tomcat", tomcat_start if tomcat_start is not None else start),
        svc("Cisco CallManager", cm_start if cm_start is not None else start, callmanager),
        svc("Cisco Tftp", tftp_start if tftp_start is not None else start, tftp),
        ServiceFact(name="Cisco CAR DB", state="STOPPED", reason="Commanded Out of Service"),
    ]


def node(
    name: str,
    *,
    role: str = "subscriber",
    release: str = "9.1.2.10000-28",
    installed: float | None = T0 - 120 * MIN,
    booted: float = T0 - 60 * MIN,
    pack: str | None = PACK,
    replication: int | None = 2,
    **service_args: object,
) -> NodeFact:
    return NodeFact(
        name=name,
        address=f"10.0.0.{len(name)}",
        role=role,
        release=release,
        options=[pack] if pack else [],
        installs=[InstallFact(file=f"{pack}.sgn", time=installed, outcome="Success")]
        if pack and installed is not None
        else [],
        last_boot=booted,
        services=services(booted + 30, **service_args),  # type: ignore[arg-type]
        replication=replication,
    )


def cluster(
    *nodes: NodeFact,
    groups: dict[str, list[str]] | None = None,
    phones: list[PhoneFact] | None = None,
    playbook: bool = True,
) -> AuditFacts:
    return AuditFacts(
        cluster="unit",
        gathered_at=T0,
        expected_pack=f"{PACK}.sgn" if playbook else None,
        expected_models=["Cisco 8851"] if playbook else [],
        nodes=list(nodes),
        groups=groups or {},
        typemodel={"Cisco 8851": 683} if playbook else None,
        defaults={683: "sip8851.14-1"} if playbook else None,
        phones=phones,
    )


def seed() -> AuditFacts:
    return cluster(
        node("pub", role="publisher", tftp=True),
        node("sub", booted=T0 - 24 * 60 * MIN),
        groups={"G1": ["sub", "pub"]},
        phones=[
            PhoneFact(name="SEP1", model="Cisco 8851", status="Registered", node="pub", group="G1")
        ],
    )

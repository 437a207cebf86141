"""RisClient against the lab: registrations per node, filters, paging, rate limit, pacing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.cucm import texts
from orchestrator.drivers.soap import RatePacer, RetryPolicy, RisClient, RisRateLimited
from orchestrator.lab.config import (
    DevicePackSpec,
    FaultKind,
    FaultSpec,
    LabConfig,
    ModelSpec,
    NodeSpec,
    PhoneSpec,
    Rules,
)
from orchestrator.lab.https.fleet import HttpsLab
from orchestrator.lab.https.risport import REASON_NO_TYPEMODEL

PACK = DevicePackSpec(
    file="cmterm-devicepack12.5.1.17123-1.cop.sgn",
    version="12.5.1.17123-1",
    models=[ModelSpec(name="Cisco 8851", enum=683)],
)


def config(rate: int = 15) -> LabConfig:
    phones = [
        PhoneSpec(name=f"SEP0000000001{i:02d}", model="Cisco 7841", group="G1") for i in range(12)
    ]
    phones += [
        PhoneSpec(name=f"SEP0000000002{i:02d}", model="Cisco 7861", group="G2") for i in range(3)
    ]
    # the pack is not installed: its model is rejected ("No typemodel table-entry")
    phones += [
        PhoneSpec(name=f"SEP0000000003{i:02d}", model="Cisco 8851", group="G1") for i in range(2)
    ]
    return LabConfig(
        profile="fast",
        nodes=[
            NodeSpec(name="cucmpub", role="publisher"),
            NodeSpec(name="cucmsub1"),
            NodeSpec(name="cucmsub2"),
        ],
        groups={"G1": ["cucmsub1", "cucmpub"], "G2": ["cucmsub2", "cucmpub"]},
        phones=phones,
        device_packs=[PACK],
        rules=Rules(ris_rate_per_minute=rate),
    )


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpsLab]:
    handle = HttpsLab.start(config(rate=100), tmp_path_factory.mktemp("pki"))
    yield handle
    handle.close()


def client(lab: HttpsLab, node: str = "cucmsub2", **kwargs: object) -> RisClient:
    host, port = lab.address(node)
    options: dict[str, object] = {"rate_per_minute": 0, "tls_name": lab.tls_name(node)}
    options.update(kwargs)
    return RisClient(host, port, "axladmin", "lab-axl-secret", ca_bundle=lab.bundle_path, **options)  # type: ignore[arg-type]


def ris_name(lab: HttpsLab, node: str) -> str:
    """RisPort70 names a node as the cluster defines its servers (here by IP address)."""
    return lab.world.server_name(lab.world.nodes[node])


def test_registrations_grouped_by_node(lab: HttpsLab) -> None:
    devices = {d.name: d for d in client(lab).select_cm_devices()}
    assert ris_name(lab, "cucmsub1") == lab.world.nodes["cucmsub1"].address
    assert len(devices) == 17
    assert devices["SEP000000000100"].node == ris_name(lab, "cucmsub1")
    assert devices["SEP000000000100"].status == "Registered"
    assert devices["SEP000000000100"].status_reason == 0
    assert devices["SEP000000000100"].model == 622
    assert devices["SEP000000000100"].active_load == "sip622.14-1-1SR1-1"
    assert devices["SEP000000000200"].node == ris_name(lab, "cucmsub2")
    assert devices["SEP000000000200"].model == 623
    rejected = devices["SEP000000000300"]
    assert (rejected.status, rejected.node, rejected.model) == (
        "Rejected",
        ris_name(lab, "cucmsub1"),
        683,
    )
    assert rejected.status_reason == REASON_NO_TYPEMODEL


def test_filters_by_model_status_and_name(lab: HttpsLab) -> None:
    ris = client(lab)
    assert {d.name for d in ris.select_cm_devices(model_enums=[683])} == {
        "SEP000000000300",
        "SEP000000000301",
    }
    assert len(ris.select_cm_devices(model_enums=[622, 623])) == 15
    assert len(ris.select_cm_devices(status="Rejected")) == 2
    assert ris.select_cm_devices(model_enums=[683], status="Registered") == []
    named = ris.select_cm_devices(names=["SEP0000000002*", "SEP000000000101"])
    assert [d.name for d in named] == [
        "SEP000000000101",
        "SEP000000000200",
        "SEP000000000201",
        "SEP000000000202",
    ]


def test_paging_with_state_info(lab: HttpsLab) -> None:
    ris = client(lab, page_size=5)
    devices = ris.select_cm_devices()
    assert len(devices) == 17
    assert len({d.name for d in devices}) == 17
    assert ris.queries == 4  # 5 + 5 + 5 + 2


def test_registration_follows_the_world(lab: HttpsLab) -> None:
    world = lab.world
    phone = world.phones["SEP000000000200"]
    world.restart_node("cucmsub2")  # its phones fail over to the next group member
    assert world.wait_for(lambda: phone.node == "cucmpub", 5)
    moved = client(lab, "cucmsub1").select_cm_devices(names=["SEP000000000200"])
    assert (moved[0].node, moved[0].status) == (ris_name(lab, "cucmpub"), "Registered")
    assert world.wait_for(lambda: phone.node == "cucmsub2", 5)
    back = client(lab, "cucmsub1").select_cm_devices(names=["SEP000000000200"])
    assert back[0].node == ris_name(lab, "cucmsub2")


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[HttpsLab]:
    """A lab allowing 3 RIS queries per 1-second window (per client)."""
    handle = HttpsLab.start(config(rate=3), tmp_path, ris_window_seconds=1.0)
    yield handle
    handle.close()


def test_rate_limit_fault_after_n_queries(limited: HttpsLab) -> None:
    ris = client(limited, retry=RetryPolicy(attempts=1))
    for _ in range(3):
        assert len(ris.select_cm_devices(model_enums=[683])) == 2
    with pytest.raises(RisRateLimited) as caught:
        ris.select_cm_devices(model_enums=[683])
    assert str(caught.value) == texts.RIS_RATE_FAULT.format(rate=3)
    assert "Reatime" in str(caught.value)  # Cisco's typo kept
    assert caught.value.retryable


def test_client_pacing_stays_under_the_limit(limited: HttpsLab) -> None:
    pacer = RatePacer(rate=3, window_seconds=1.0, margin_seconds=0.1)
    ris = client(limited, pacer=pacer, retry=RetryPolicy(attempts=1))
    started = time.monotonic()
    for _ in range(5):
        assert len(ris.select_cm_devices(model_enums=[683])) == 2
    assert ris.queries == 5
    assert time.monotonic() - started >= 1.0  # the 4th query had to wait for the window


def test_forced_rate_fault_is_retried_after_a_wait(limited: HttpsLab) -> None:
    limited.world.faults.add(FaultSpec(kind=FaultKind.RIS_RATE_LIMIT, count=1))
    ris = client(
        limited,
        rate_per_minute=3,
        window_seconds=0.3,
        retry=RetryPolicy(attempts=2),
    )
    started = time.monotonic()
    assert len(ris.select_cm_devices(model_enums=[683])) == 2
    assert ris.queries == 2
    assert time.monotonic() - started >= 0.1  # waited window/rate before retrying
    assert limited.world.faults.active(FaultKind.RIS_RATE_LIMIT) is None


def test_pacer_is_a_rolling_window() -> None:
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    pacer = RatePacer(
        rate=2, window_seconds=60, margin_seconds=0, clock=lambda: now[0], sleep=sleep
    )
    assert pacer.acquire() == 0 and pacer.acquire() == 0
    now[0] = 10.0
    assert pacer.acquire() == pytest.approx(50.0)  # until the first query leaves the window
    assert now[0] == pytest.approx(60.0)
    assert RatePacer(rate=0).acquire() == 0.0  # 0 disables pacing

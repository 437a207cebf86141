"""Injected faults and TLS failures, as the SOAP clients see and classify them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.cucm import texts
from orchestrator.drivers.soap import (
    AxlClient,
    ControlCenterClient,
    RetryPolicy,
    SoapAuthError,
    SoapConnectionError,
    SoapRetryableError,
    TlsVerificationError,
)
from orchestrator.lab.certs import LabCA
from orchestrator.lab.config import FaultKind, FaultSpec, LabConfig, NodeSpec
from orchestrator.lab.https.fleet import HttpsLab

FAST_RETRY = RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.05)
SQL = "select enum from typemodel where name = 'Cisco 7841'"


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[HttpsLab]:
    config = LabConfig(
        profile="fast",
        nodes=[NodeSpec(name="cucmpub", role="publisher"), NodeSpec(name="cucmsub1")],
    )
    handle = HttpsLab.start(config, tmp_path / "pki")
    yield handle
    handle.close()


def axl(lab: HttpsLab, password: str = "lab-axl-secret", **kwargs: object) -> AxlClient:
    host, port = lab.address("cucmpub")
    options: dict[str, object] = {
        "ca_bundle": lab.bundle_path,
        "tls_name": lab.tls_name("cucmpub"),
        "retry": FAST_RETRY,
    }
    options.update(kwargs)
    return AxlClient(host, port, "axladmin", password, **options)  # type: ignore[arg-type]


def fault(lab: HttpsLab, kind: FaultKind, count: int | None) -> None:
    lab.world.faults.add(FaultSpec(kind=kind, node="cucmpub", count=count))


def test_503_is_retried_until_success(lab: HttpsLab) -> None:
    fault(lab, FaultKind.AXL_503, 2)
    assert axl(lab).sql(SQL) == [{"enum": "622"}]
    assert lab.world.faults.active(FaultKind.AXL_503) is None  # both firings consumed


def test_503_beyond_the_attempts_is_raised_retryable(lab: HttpsLab) -> None:
    fault(lab, FaultKind.AXL_503, 5)
    with pytest.raises(SoapRetryableError) as caught:
        axl(lab).sql(SQL)
    assert caught.value.code == "503"
    remaining = lab.world.faults.active(FaultKind.AXL_503)
    assert remaining is not None and remaining.count == 2  # exactly 3 attempts made


def test_memory_fault_is_retryable_with_axl_code(lab: HttpsLab) -> None:
    fault(lab, FaultKind.AXL_MEMORY, 1)
    with pytest.raises(SoapRetryableError) as caught:
        axl(lab, retry=RetryPolicy(attempts=1)).sql(SQL)
    assert caught.value.code == "-1"
    assert str(caught.value) == texts.AXL_MEMORY_FAULT
    fault(lab, FaultKind.AXL_MEMORY, 1)
    assert axl(lab).sql(SQL) == [{"enum": "622"}]


def test_401_is_never_retried(lab: HttpsLab) -> None:
    fault(lab, FaultKind.AXL_401, 2)
    with pytest.raises(SoapAuthError) as caught:
        axl(lab, retry=RetryPolicy(attempts=5, initial_wait=0.01)).sql(SQL)
    assert not caught.value.retryable
    remaining = lab.world.faults.active(FaultKind.AXL_401)
    assert remaining is not None and remaining.count == 1  # one request only


def test_wrong_password_is_an_auth_error_without_the_password(lab: HttpsLab) -> None:
    with pytest.raises(SoapAuthError) as caught:
        axl(lab, password="not-the-secret").ccm_version()
    assert "not-the-secret" not in str(caught.value)
    assert caught.value.code == "401"


def test_wrong_ca_bundle_fails_tls_verification(lab: HttpsLab, tmp_path: Path) -> None:
    other = LabCA.create(tmp_path / "other-ca")
    with pytest.raises(TlsVerificationError) as caught:
        axl(lab, ca_bundle=other.bundle_path, retry=RetryPolicy(attempts=3)).sql(SQL)
    message = str(caught.value)
    assert str(other.bundle_path) in message
    assert "certificate verify failed" in message
    assert not caught.value.retryable


def test_system_store_does_not_trust_the_lab(lab: HttpsLab) -> None:
    host, port = lab.address("cucmsub1")
    cc = ControlCenterClient(host, port, "axladmin", "lab-axl-secret", ca_bundle=None)
    with pytest.raises(TlsVerificationError):
        cc.service_status()


def test_missing_ca_bundle_is_reported_up_front(lab: HttpsLab, tmp_path: Path) -> None:
    with pytest.raises(TlsVerificationError, match="does not exist"):
        axl(lab, ca_bundle=tmp_path / "nope.pem")


def test_stopped_node_is_a_connection_error(lab: HttpsLab) -> None:
    host, port = lab.address("cucmsub1")
    lab.fleet.servers["cucmsub1"].stop()
    cc = ControlCenterClient(
        host,
        port,
        "axladmin",
        "lab-axl-secret",
        ca_bundle=lab.bundle_path,
        tls_name=lab.tls_name("cucmsub1"),
        retry=RetryPolicy(attempts=2, initial_wait=0.01),
    )
    with pytest.raises(SoapConnectionError) as caught:
        cc.service_status()
    assert caught.value.retryable

"""AxlClient (zeep, our WSDL) against the lab publisher over verified TLS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.cucm.release import Release
from orchestrator.drivers.soap import AxlClient, SoapFault
from orchestrator.lab.config import LabConfig, NodeSpec
from orchestrator.lab.https.fleet import HttpsLab


class Secret:
    """Stands in for config's Secret: only ``reveal()`` gives the text."""

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret(********)"


def cluster(release: str) -> LabConfig:
    return LabConfig(
        profile="fast",
        release=release,
        nodes=[
            NodeSpec(name="cucmpub", role="publisher"),
            NodeSpec(name="cucmsub1"),
            NodeSpec(name="cucmsub2"),
        ],
    )


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpsLab]:
    handle = HttpsLab.start(cluster("12.5.1.14900-63"), tmp_path_factory.mktemp("pki"))
    yield handle
    handle.close()


def client(lab: HttpsLab, **kwargs: object) -> AxlClient:
    host, port = lab.address("cucmpub")
    return AxlClient(
        host,
        port,
        "axladmin",
        Secret("lab-axl-secret"),
        ca_bundle=lab.bundle_path,
        tls_name=lab.tls_name("cucmpub"),
        **kwargs,  # type: ignore[arg-type]
    )


def test_typemodel_lookup(lab: HttpsLab) -> None:
    rows = client(lab).sql("select enum, name from typemodel where name = 'Cisco 7841'")
    assert rows == [{"enum": "622", "name": "Cisco 7841"}]


def test_several_rows_and_columns(lab: HttpsLab) -> None:
    rows = client(lab).sql("select name, enum from typemodel order by enum")
    assert [r["enum"] for r in rows] == ["621", "622", "623"]
    assert rows[0] == {"name": "Cisco 7821", "enum": "621"}


def test_empty_result(lab: HttpsLab) -> None:
    assert client(lab).sql("select enum from typemodel where name = 'Cisco 9999'") == []


def test_bad_sql_raises_soap_fault_with_axl_code(lab: HttpsLab) -> None:
    with pytest.raises(SoapFault) as caught:
        client(lab).sql("select enum from typemodel where")
    assert caught.value.code == "-201"
    assert "syntax error" in str(caught.value)
    assert not caught.value.retryable


def test_ccm_version_before_15(lab: HttpsLab) -> None:
    axl = client(lab)
    assert axl.ccm_version() == "12.5.1.14900(63)"
    assert axl.ccm_release() == Release(12, 5, 1, 14900, 63)


def test_ccm_version_from_15_and_older_schema_accepted(tmp_path: Path) -> None:
    lab15 = HttpsLab.start(cluster("15.0.1.10000-1"), tmp_path)
    try:
        # 12.5 requests are accepted by a 15 publisher; so are 14.0 ones.
        assert client(lab15).ccm_version() == "15.0.1.10000-1"
        axl14 = client(lab15, version="14.0")
        assert axl14.ccm_release() == Release(15, 0, 1, 10000, 1)
        assert axl14.sql("select enum from typemodel where enum = 623") == [{"enum": "623"}]
    finally:
        lab15.close()


def test_newer_schema_than_the_publisher_is_refused(lab: HttpsLab) -> None:
    with pytest.raises(SoapFault) as caught:
        client(lab, version="15.0").ccm_version()
    assert caught.value.code == "599"
    assert "Supported axl versions" in str(caught.value)


def test_list_process_nodes_skips_enterprise_wide_data(lab: HttpsLab) -> None:
    nodes = client(lab).list_process_nodes()
    assert [n.description for n in nodes] == ["cucmpub", "cucmsub1", "cucmsub2"]
    assert [n.node_usage for n in nodes] == ["Publisher", "Subscriber", "Subscriber"]
    assert nodes[0].name == lab.world.nodes["cucmpub"].address
    # the raw table does hold the pseudo-node the client leaves out
    raw = client(lab).sql("select name from processnode where nodeid = 0")
    assert raw == [{"name": "EnterpriseWideData"}]


def test_user_supplied_wsdl_is_used(lab: HttpsLab, tmp_path: Path) -> None:
    # A toolkit WSDL of another schema version: requests follow its namespace/SOAPAction.
    from orchestrator.soap import AXL_WSDL

    toolkit = tmp_path / "AXLAPI.wsdl"
    toolkit.write_text(AXL_WSDL.read_text().replace("12.5", "11.5"))
    axl = client(lab, wsdl=toolkit)
    assert axl.sql("select enum from typemodel where enum = 621") == [{"enum": "621"}]

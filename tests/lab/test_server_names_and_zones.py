"""Over real SSH and HTTPS: the lab names its servers one way per cluster in every
interface (issue 10 item 11), and each node answers its own time zone (item 9)."""

from __future__ import annotations

import pytest

from orchestrator.access import load_access, open_gateway
from orchestrator.cluster.snapshot import NODES_SQL
from orchestrator.drivers.soap.risport import RisClient
from orchestrator.lab.config import ImPresenceSpec, NodeSpec, demo_config


@pytest.mark.parametrize("server_names", ["ip", "fqdn"])
def test_one_spelling_per_cluster_in_cli_axl_and_risport(lab_cluster, server_names):
    base = demo_config(release="12.5.1.14900-63", profile="fast")
    nodes = [
        NodeSpec(**{**n.model_dump(), "timezone": "Asia/Kolkata" if n.name == "cucmsub3" else None})
        for n in base.nodes
    ]
    config = base.model_copy(
        update={
            "nodes": nodes,
            "timezone": "Europe/Berlin",
            "server_names": server_names,
            "im_presence": [ImPresenceSpec(name="cupnode1")],
        }
    )
    cluster = lab_cluster(config)
    world = cluster.world
    expected = {world.server_name(n) for n in world.nodes.values()}
    access = load_access(cluster.inventory)
    gateway = open_gateway(access)
    try:
        pub = access.inventory.publisher.label
        with gateway.cli(pub) as cli:
            shown = cli.network_cluster()
        axl_names = {row["name"] for row in gateway.axl().sql(NODES_SQL)}
        ris = RisClient(
            access.inventory.publisher.address,
            access.inventory.publisher.https_port,
            access.inventory.credentials.application.username,
            access.application_password,
            access.ca_bundle,
            rate_per_minute=0,
            tls_name=access.inventory.publisher.tls_name,
        )
        ris_names = {d.node for d in ris.select_cm_devices()}
        zones = {n.label: gateway.timezone(n.label) for n in access.inventory.nodes}
    finally:
        gateway.close()
    imp = config.server_name("cupnode1", world.im_presence[0][1])
    assert set(shown.processnodes) == expected | {imp}
    assert axl_names == expected | {imp}
    assert ris_names and ris_names <= expected
    assert {n.product for n in shown.nodes} == {"callmanager", "cups"}
    assert zones == {
        "cucmpub": "Europe/Berlin",
        "cucmsub1": "Europe/Berlin",
        "cucmsub2": "Europe/Berlin",
        "cucmsub3": "Asia/Kolkata",
    }

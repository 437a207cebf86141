"""show network cluster's servers: spellings, aliases, IM and Presence out of scope."""

from __future__ import annotations

from pathlib import Path

from orchestrator.cluster.snapshot import NodeNames
from orchestrator.cucm import servers
from orchestrator.drivers.ssh.parsers import parse_network_cluster

FIXTURES = Path(__file__).parents[1] / "drivers" / "fixtures"


def rows():
    text = (FIXTURES / "network_cluster_im_presence.txt").read_text()
    return parse_network_cluster(text).nodes


def test_parser_reads_the_product_and_the_fqdn_table():
    view = parse_network_cluster((FIXTURES / "network_cluster_im_presence.txt").read_text())
    assert [(n.hostname, n.product) for n in view.nodes] == [
        ("cucmpub", "callmanager"),
        ("cucmsub1", "callmanager"),
        ("cupnode1", "cups"),
    ]
    assert view.processnodes[-1] == "cupnode1.lab.example"


def test_im_presence_is_out_of_scope_with_a_reason():
    excluded = servers.out_of_scope(rows())
    assert list(excluded) == ["cupnode1"]
    assert "IM and Presence" in excluded["cupnode1"]
    assert "not installed" in excluded["cupnode1"]
    assert servers.out_of_scope_spellings(rows()) == {
        "10.3.74.21",
        "cupnode1.lab.example",
        "cupnode1",
    }


def test_aliases_map_every_spelling_to_the_inventory_name():
    # an inventory that names one node by address and the other by a label of its own
    names = NodeNames([("10.3.74.11", "pub"), ("pub", "pub"), ("cucmsub1", "sub-a")])
    servers.add_aliases(rows(), names)
    assert names.find("cucmpub.lab.example") == "pub"
    assert names.find("CUCMPUB") == "pub"
    assert names.find("10.3.74.12") == "sub-a"
    assert names.find("cucmsub1.lab.example") == "sub-a"
    assert names.find("cupnode1") is None  # not the inventory's

"""The public boot sequence of a node spec: what the benchmark's lower bound is built on."""

from __future__ import annotations

import time

from orchestrator.cucm import texts
from orchestrator.lab.config import NodeSpec
from orchestrator.lab.nodes import BOOT_ORDER, boot_sequence, initial_node


def test_publisher_without_callmanager_starts_the_database_side_and_axl() -> None:
    spec = NodeSpec(name="pub", role="publisher", callmanager=False)
    assert boot_sequence(spec) == [
        texts.SVC_DB,
        texts.SVC_DB_REPLICATOR,
        texts.SVC_DBL_MONITOR,
        texts.SVC_TOMCAT,
        texts.SVC_AXL,
        texts.SVC_RIS,
    ]


def test_tftp_subscriber_starts_callmanager_tftp_and_cti_but_not_axl() -> None:
    sequence = boot_sequence(NodeSpec(name="sub1", tftp=True))
    assert texts.SVC_AXL not in sequence
    assert sequence[-3:] == [texts.SVC_CALLMANAGER, texts.SVC_TFTP, texts.SVC_CTIMANAGER]
    assert sequence.index(texts.SVC_DB_REPLICATOR) == 1


def test_boot_sequence_is_what_a_fresh_node_has_activated_in_boot_order() -> None:
    for spec in (
        NodeSpec(name="pub", role="publisher"),
        NodeSpec(name="sub1"),
        NodeSpec(name="sub2", tftp=True, callmanager=False),
    ):
        node = initial_node(spec, "12.5.1.14900-63", "127.0.0.1", time.time())
        assert boot_sequence(spec) == [n for n in BOOT_ORDER if node.services[n].activated]

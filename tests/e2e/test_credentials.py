"""Wrong passwords against the lab, as an operator meets them: the message names the node,
the inventory field and the password's reference (never the password), and what to do."""

from __future__ import annotations

from pathlib import Path

from devpack_runs import devpack

from orchestrator.lab.config import SshSpec, demo_config
from orchestrator.lab.testing import LabCluster

WRONG = "not-the-admin-password"


def secrets_folder(cluster: LabCluster) -> Path:
    inventory = Path(cluster.inventory)
    return inventory.parent / (inventory.name.split(".")[0] + ".secrets")


def plan(cluster: LabCluster) -> tuple[int, str]:
    code, output = devpack("plan", "-i", str(cluster.inventory), "-p", str(cluster.playbook))
    return code, " ".join(output.split())


def test_wrong_platform_password_names_node_field_and_reference(lab_cluster):
    cluster = lab_cluster(demo_config(release="12.5.1.14900-63", profile="fast"))
    platform = secrets_folder(cluster) / "platform"
    platform.write_text(WRONG + "\n")
    code, flat = plan(cluster)
    assert code == 6, flat
    assert "node cucmpub: authentication as 'admin'" in flat
    assert "credentials.platform.password" in flat
    assert f"file:{platform}" in flat  # the reference is safe to print
    assert "check credentials and known_hosts" not in flat
    assert WRONG not in flat and "lab-admin-secret" not in flat
    assert "Traceback" not in flat


def test_wrong_application_password_is_a_plan_warning(lab_cluster):
    cluster = lab_cluster(demo_config(release="12.5.1.14900-63", profile="fast"))
    application = secrets_folder(cluster) / "application"
    application.write_text(WRONG + "\n")
    code, flat = plan(cluster)
    assert code == 0, flat  # planning needs only the CLI; the run's prechecks refuse
    assert "warning: AXL on the publisher cucmpub refused the application user" in flat
    assert "credentials.application.password" in flat and f"file:{application}" in flat
    assert "AXL unavailable for discovery" not in flat  # said once, as the warning
    assert WRONG not in flat and "lab-axl-secret" not in flat


def test_node_offering_no_acceptable_ssh_algorithm_stops_naming_it(lab_cluster):
    # an old sshd left with only the 1024-bit group1 key exchange, which devpack refuses
    config = demo_config(release="11.5.1.10000-6", profile="fast")
    nodes = [
        node.model_copy(update={"ssh": SshSpec(kex=["diffie-hellman-group1-sha1"])})
        if node.name == "cucmsub2"
        else node
        for node in config.nodes
    ]
    cluster = lab_cluster(config.model_copy(update={"nodes": nodes}))
    code, flat = plan(cluster)
    assert code == 6, flat
    assert "node cucmsub2:" in flat
    assert "no key exchange algorithm in common: the node offers diffie-hellman-group1-sha1" in flat
    assert "enable a supported algorithm in the node's SSH configuration" in flat
    assert "Traceback" not in flat

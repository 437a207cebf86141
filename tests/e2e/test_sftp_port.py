"""sftp.port: a real node's install wizard asks for no port and always uses 22
(reference 9.6). Another port is refused unless the inventory marks the cluster as
devpack's lab, and then the plan says it is a lab-only override."""

from __future__ import annotations

from devpack_runs import devpack, run_args
from ruamel.yaml import YAML

from orchestrator.lab.config import demo_config


def test_a_non_22_sftp_port_is_refused_for_a_real_cluster_and_shown_for_the_lab(
    lab_cluster, tmp_path
):
    cluster = lab_cluster(demo_config(release="12.5.1.14900-63", profile="fast"))
    port = cluster.lab.sftp_port
    assert port != 22
    plan = ["plan", "-i", str(cluster.inventory), "-p", str(cluster.playbook)]
    code, output = devpack(*plan)
    flat = " ".join(output.split())
    assert code == 0, output
    assert f"sftp.port {port}: lab-only override" in flat

    # the same cluster without the lab mark: refused before anything is touched
    yaml = YAML()
    document = yaml.load(cluster.inventory.read_text())
    assert document.pop("lab") is True
    yaml.dump(document, cluster.inventory)
    before = len(cluster.lab.events.all())
    code, output = devpack(*run_args(cluster, tmp_path / "state"))
    flat = " ".join(output.split())
    assert code == 2, output
    line = next(
        n
        for n, text in enumerate(cluster.playbook.read_text().splitlines(), 1)
        if text.strip() == f"port: {port}"
    )
    assert f"line {line}, field sftp.port: {port} is not 22" in flat, output
    assert "always fetches over SFTP port 22" in flat and "Traceback" not in output
    assert [e.event for e in cluster.lab.events.all()[before:]] == []  # nothing touched

"""`devpack trust` then `devpack run` against a lab reached by IP address whose nodes
serve self-signed certificates without IP SANs (reference 9.2); judged by the lab's
ground truth (the keys and certificates it issued, its events)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import paramiko
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from devpack_runs import devpack, run_args
from lab_truth import assert_all_know, assert_phones_home
from ruamel.yaml import YAML
from typer.testing import CliRunner

from orchestrator.cli import cli
from orchestrator.lab.config import NodeSpec, SshSpec, TlsSpec, demo_config
from orchestrator.lab.testing import LabCluster
from orchestrator.tls.probe import sha256_text

MODELS = ["Cisco 8851", "Cisco 8865"]


def _same_kind(key: paramiko.PKey) -> paramiko.PKey:
    """A new host key of the node's key type (its sshd re-keyed)."""
    if isinstance(key, paramiko.RSAKey):
        return paramiko.RSAKey.generate(2048)
    return paramiko.ECDSAKey.generate()


def _leaf(cluster: LabCluster, node: str) -> x509.Certificate:
    return x509.load_pem_x509_certificates(cluster.lab.certificate_path(node).read_bytes())[0]


def expectations(cluster: LabCluster) -> list[str]:
    """What the admin reads on each node: its SSH key and certificate fingerprints."""
    values = []
    for name, node in cluster.world.nodes.items():
        der = _leaf(cluster, name).public_bytes(serialization.Encoding.DER)
        values += [f"{name}={node.host_key.fingerprint}", f"{name}={sha256_text(der)}"]
    return values


def expect(values: list[str]) -> list[str]:
    return [arg for value in values for arg in ("--expect-fingerprint", value)]


def first_contact(cluster: LabCluster) -> tuple[Path, Path]:
    """The inventory as an operator writes it: addresses, no tls_name, and neither the
    known_hosts nor the CA bundle it names exists yet."""
    yaml = YAML()
    document = yaml.load(cluster.inventory.read_text())
    for node in document["nodes"]:
        node.pop("tls_name", None)
    with cluster.inventory.open("w") as handle:
        yaml.dump(document, handle)
    folder = cluster.inventory.parent
    known_hosts, bundle = folder / document["known_hosts"], folder / document["ca_bundle"]
    known_hosts.unlink()
    bundle.unlink()
    return known_hosts, bundle


def trust(cluster: LabCluster, *extra: str) -> tuple[int, str]:
    return devpack("trust", "-i", str(cluster.inventory), *extra)


# 11.5: OpenSSH 5.3-era SSH on real nodes (reference 9.1); 12.5: RHEL 7 era.
@pytest.mark.parametrize("release", ["12.5.1.14900-63", "11.5.1.18900-97"])
def test_trust_then_run_on_self_signed_ip_less_certificates(lab_cluster, tmp_path, release):
    cluster = lab_cluster(demo_config(release=release, profile="fast"))
    for name in cluster.world.nodes:  # the lab serves what real nodes serve
        leaf = _leaf(cluster, name)
        assert leaf.issuer == leaf.subject
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert san.get_values_for_type(x509.IPAddress) == []
        assert san.get_values_for_type(x509.DNSName) == [f"{name}.lab.example", name]
        ipaddress.ip_address(cluster.world.nodes[name].address)  # reached by IP address
    known_hosts, bundle = first_contact(cluster)

    code, output = trust(cluster, "--yes")  # --yes alone confirms nothing
    assert code == 3, output
    assert "NOT pinned" in output and "--expect-fingerprint" in output
    assert not known_hosts.read_text().strip() and "BEGIN" not in bundle.read_text()

    code, output = trust(cluster, "--yes", *expect(expectations(cluster)))
    assert code == 0, output
    for name, node in cluster.world.nodes.items():
        assert node.host_key.fingerprint in output
        assert f"{name}.lab.example" in output  # the certificate's subject and names
    assert "show cert own tomcat" in output and "console" in output
    assert known_hosts.stat().st_mode & 0o077 == 0 and bundle.stat().st_mode & 0o077 == 0
    if release.startswith("11."):  # OpenSSH 5.3: an RSA key, read over ssh-rsa
        lines = known_hosts.read_text().splitlines()
        assert len(lines) == 4 and all(line.split()[1] == "ssh-rsa" for line in lines)

    # the SFTP server the nodes fetch from is checked too: its key goes in known_hosts
    # (README: ssh-keyscan after checking it); devpack trust reads only the nodes
    address, port = cluster.world.sftp_endpoint
    key = cluster.world.sftp_host_key
    with known_hosts.open("a") as handle:
        handle.write(f"[{address}]:{port} {key.get_name()} {key.get_base64()}\n")
    code, output = devpack(*run_args(cluster, tmp_path / "state"))
    assert code == 0, output
    assert_all_know(cluster.world, MODELS)
    assert_phones_home(cluster.world)

    code, output = trust(cluster, "--yes")  # nothing new: nothing to confirm
    assert code == 0, output
    # the publisher's key and certificate are decided apart (its key logs in first)
    assert output.count("already pinned") == len(cluster.world.nodes) + 1


def test_a_changed_host_key_is_reported_and_not_replaced(lab_cluster):
    cluster = lab_cluster(demo_config(release="12.5.1.14900-63", profile="fast"))
    known_hosts, _ = first_contact(cluster)
    assert trust(cluster, "--yes", *expect(expectations(cluster)))[0] == 0
    pinned = known_hosts.read_text()
    node = cluster.world.nodes["cucmsub2"]
    old = node.host_key.fingerprint
    with cluster.world.lock:  # the node is rebuilt (or someone is in the middle)
        node.host_key = _same_kind(node.host_key)

    others = [a for a in expectations(cluster) if not a.startswith("cucmsub2=SHA256:")]
    code, output = trust(cluster, "--yes", *expect(others))  # not its new key
    assert code == 3, output
    assert "CHANGED" in output and old in output and node.host_key.fingerprint in output
    assert "cucmsub2: SSH host key and certificate NOT pinned (not confirmed)" in output
    assert known_hosts.read_text() == pinned

    # interactive: the one question (the changed node) answered no: the pinned key stays
    answered = CliRunner().invoke(cli, ["trust", "-i", str(cluster.inventory)], input="n\n")
    assert answered.exit_code == 3, answered.output
    assert "the pinned key or certificate CHANGED" in answered.output
    assert known_hosts.read_text() == pinned

    # answered yes after checking the node: replaced, and the old key is gone
    answered = CliRunner().invoke(cli, ["trust", "-i", str(cluster.inventory)], input="y\n")
    assert answered.exit_code == 0, answered.output
    assert node.host_key.get_base64() in known_hosts.read_text()
    assert known_hosts.read_text().count("cucmsub2") == 0  # filed by address:port
    assert len(known_hosts.read_text().splitlines()) == len(cluster.world.nodes)


def test_expired_and_misnamed_certificates_stop_a_run_naming_the_node(lab_cluster, tmp_path):
    config = demo_config(release="12.5.1.14900-63", profile="fast")
    config.nodes = [
        NodeSpec(name="cucmpub", role="publisher", tftp=True),
        NodeSpec(name="cucmsub1", tftp=True),
        NodeSpec(name="cucmsub2", certificate="expired"),
        NodeSpec(name="cucmsub3", certificate="other_name"),
    ]
    cluster = lab_cluster(config)
    code, output = devpack(*run_args(cluster, tmp_path / "state"))
    assert code == 6, output
    assert "Traceback" not in output
    assert "node cucmsub2" in output and "expired" in output
    assert "node cucmsub3" in output and "names another host" in output
    assert "cucmsub1 (" not in output
    assert not cluster.lab.events.select("install_started")

    code, output = trust(cluster, "--yes", *expect(expectations(cluster)))
    assert code == 3, output
    assert "EXPIRED" in output and "cucmsub2: SSH host key and certificate NOT pinned" in output
    assert "does not name cucmsub3.lab.example" in output


def test_ca_signed_certificates_need_only_the_ca_and_the_ssh_keys(lab_cluster):
    config = demo_config(release="12.5.1.14900-63", profile="fast")
    config.tls = TlsSpec(issuer="lab_ca")  # a site that replaced the self-signed ones
    cluster = lab_cluster(config)
    known_hosts, bundle = first_contact(cluster)
    bundle.write_bytes(cluster.lab.ca.bundle_path.read_bytes())  # the admin's CA
    ssh_only = [v for v in expectations(cluster) if "=SHA256:" in v]

    code, output = trust(cluster, "--yes", *expect(ssh_only))
    assert code == 0, output
    assert output.count("verified by the CA bundle") == len(cluster.world.nodes)
    assert "# devpack pin" not in bundle.read_text()  # nothing pinned beside the CA
    assert len(known_hosts.read_text().splitlines()) == len(cluster.world.nodes)

    plan = ["plan", "-i", str(cluster.inventory), "-p", str(cluster.playbook)]
    code, output = devpack(*plan)
    assert code == 0, output


def test_a_node_offering_no_acceptable_ssh_algorithm_is_named(lab_cluster):
    config = demo_config(release="12.5.1.14900-63", profile="fast")
    # an old sshd left with only the 1024-bit group1 key exchange, which devpack refuses
    config.nodes[1] = config.nodes[1].model_copy(
        update={"ssh": SshSpec(kex=["diffie-hellman-group1-sha1"])}
    )
    cluster = lab_cluster(config)
    first_contact(cluster)
    code, output = trust(cluster, "--yes", *expect(expectations(cluster)))
    assert code == 6, output
    name = config.nodes[1].name
    assert (
        f"-> {name}: SSH host key and certificate NOT pinned (not read: see the problem above)"
        in output
    )
    assert (
        "no key exchange algorithm in common: the node offers diffie-hellman-group1-sha1" in output
    )
    assert "Traceback" not in output

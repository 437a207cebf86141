"""Units of TLS trust: which name a certificate is checked for, the pin bundle and
known_hosts files `devpack trust` edits, --expect-fingerprint parsing, and the lab's
certificates (shape, and OpenSSL's acceptance of a pinned self-signed leaf)."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
from pathlib import Path

import paramiko
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from orchestrator.config.inventory import Node
from orchestrator.drivers.ssh.parsers import ClusterNode, NetworkCluster
from orchestrator.errors import UserError
from orchestrator.lab.certs import LabCA, self_signed
from orchestrator.tls.names import needs_cluster_table, tls_names
from orchestrator.tls.probe import Certificate, HostKey, sha256_text
from orchestrator.tls.trust import KnownHosts, PinBundle, normal_fingerprint, parse_expectations


def _row(ip: str, fqdn: str) -> ClusterNode:
    host = fqdn.split(".")[0]
    return ClusterNode(ip, fqdn, host, "Subscriber", "CUCM", "DBSub", "authenticated")


def test_tls_name_rule() -> None:
    nodes = [
        Node(name="pub", address="10.0.0.1", role="publisher"),
        Node(name="sub1", address="10.0.0.2", tls_name="sub1-tomcat.example.net"),
        Node(name="sub2", address="sub2.example.net"),
        Node(name="sub3", address="10.0.0.4"),
    ]
    table = NetworkCluster([_row("10.0.0.1", "pub.example.net"), _row("10.0.0.2", "x.y")], [])
    assert tls_names(nodes, table) == {
        "pub": "pub.example.net",  # the FQDN show network cluster gives for its address
        "sub1": "sub1-tomcat.example.net",  # the inventory wins
        "sub2": "sub2.example.net",  # already a DNS name
        "sub3": "10.0.0.4",  # not in the table: its address, and the check says so
    }
    assert needs_cluster_table(nodes)
    assert not needs_cluster_table(nodes[1:3])


def test_tls_name_is_validated_like_an_address() -> None:
    with pytest.raises(ValueError, match="not a valid host name"):
        Node(address="10.0.0.1", tls_name="bad name")


def _pem(path: Path) -> bytes:
    return path.read_bytes().split(b"-----END CERTIFICATE-----\n")[0] + (
        b"-----END CERTIFICATE-----\n"
    )


def test_pin_bundle_keeps_the_admins_cas_and_round_trips(tmp_path: Path) -> None:
    ca = LabCA.create(tmp_path / "ca")
    cert, _ = self_signed(tmp_path, "pub.example.net", "pub")
    bundle_path = tmp_path / "bundle.pem"
    bundle_path.write_bytes(ca.bundle_path.read_bytes())
    bundle = PinBundle.read(bundle_path)
    bundle.pins["pub"] = _pem(cert)
    bundle_path.write_text(bundle.text())
    again = PinBundle.read(bundle_path)
    assert again.others == [ca.bundle_path.read_bytes()]
    der = x509.load_pem_x509_certificate(_pem(cert)).public_bytes(serialization.Encoding.DER)
    assert again.fingerprint("pub") == sha256_text(der)
    assert again.fingerprint("sub1") is None
    # OpenSSL reads the annotated file: both the CA and the pin are loaded
    context = ssl.create_default_context(cafile=str(bundle_path))
    assert context.cert_store_stats()["x509"] == 2


@pytest.mark.parametrize("name, ok", [("pub.example.net", True), ("other.example.net", False)])
def test_pinned_self_signed_leaf_is_a_trust_anchor_for_its_name(
    tmp_path: Path, name: str, ok: bool
) -> None:
    cert, key = self_signed(tmp_path, "pub.example.net", "pub")
    leaf = x509.load_pem_x509_certificate(cert.read_bytes())
    assert leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    server = LabCA.server_context(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = listener.accept()
        try:
            with server.wrap_socket(conn, server_side=True) as tls:
                tls.sendall(b"ok")
        except (ssl.SSLError, OSError):
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    client = ssl.create_default_context(cafile=str(cert))
    with socket.create_connection(listener.getsockname(), timeout=5) as raw:
        if ok:
            with client.wrap_socket(raw, server_hostname=name) as tls:
                assert tls.recv(2) == b"ok"
        else:
            with pytest.raises(ssl.SSLCertVerificationError, match="mismatch"):
                client.wrap_socket(raw, server_hostname=name)
    listener.close()


def test_lab_certificates_name_dns_names_only_unless_asked(tmp_path: Path) -> None:
    cert, _ = self_signed(tmp_path, "pub.example.net", "pub")
    shown = Certificate.from_der(
        x509.load_pem_x509_certificate(cert.read_bytes()).public_bytes(serialization.Encoding.DER)
    )
    assert shown.names == ["pub.example.net", "pub"] and shown.self_signed
    assert shown.subject == "CN=pub.example.net" and not shown.expired()
    assert shown.names_host("PUB.example.net") and not shown.names_host("127.0.0.1")
    ca = LabCA.create(tmp_path / "ca")
    issued, _ = ca.issue("sub.example.net", other_names=("sub", "pub.example.net"))
    leaf = x509.load_pem_x509_certificates(issued.read_bytes())[0]
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.IPAddress) == []
    assert san.get_values_for_type(x509.DNSName) == ["sub.example.net", "sub", "pub.example.net"]
    old, _ = self_signed(tmp_path, "old.example.net", "old", expired=True)
    expired = x509.load_pem_x509_certificate(old.read_bytes())
    assert expired.not_valid_after_utc < dt.datetime.now(dt.UTC)


def test_known_hosts_replace_touches_only_that_host(tmp_path: Path) -> None:
    path = tmp_path / "known_hosts"
    first, second = paramiko.ECDSAKey.generate(), paramiko.ECDSAKey.generate()
    hashed = paramiko.HostKeys.hash_host("[10.0.0.2]:22")
    path.write_text(
        "# the admin's comment\n"
        f"[10.0.0.2]:2222 {first.get_name()} {first.get_base64()}\n"
        f"{hashed} {first.get_name()} {first.get_base64()}\n"
        f"10.0.0.9 {first.get_name()} {first.get_base64()}\n"
    )
    known = KnownHosts.read(path)
    assert [k.base64 for k in known.keys("[10.0.0.2]:2222")] == [first.get_base64()]
    known.replace("[10.0.0.2]:2222", HostKey.of(second))
    assert known.keys("[10.0.0.2]:2222") == [HostKey.of(second)]
    assert known.keys("10.0.0.9") == [HostKey.of(first)]
    assert known.lines[0] == "# the admin's comment"
    # paramiko (what the SSH driver uses) reads the result
    path.write_text(known.text())
    loaded = paramiko.HostKeys(str(path))
    assert loaded.lookup("[10.0.0.2]:2222")[second.get_name()] == second


def test_expected_fingerprints() -> None:
    expected = parse_expectations(["pub=SHA256:abcDEF+/1=", "pub=ab:cd:ef", "sub1 = ABCDEF0011"])
    assert expected == {"pub": {"SHA256:abcDEF+/1", "AB:CD:EF"}, "sub1": {"AB:CD:EF:00:11"}}
    assert normal_fingerprint("abcdef") == "AB:CD:EF"
    for bad in ("pub", "=SHA256:x", "pub="):
        with pytest.raises(UserError, match="NODE=FINGERPRINT"):
            parse_expectations([bad])

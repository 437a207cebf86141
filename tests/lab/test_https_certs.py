"""The lab CA: short-lived EC certificates; an address given at issue becomes an IP SAN
(the lab's explicit `tls.ip_san` option; real nodes' certificates name DNS names only)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from orchestrator.lab.certs import LabCA


def test_issued_certificate_names_host_and_address(tmp_path: Path) -> None:
    ca = LabCA.create(tmp_path)
    cert_path, key_path = ca.issue("cucmpub.lab.example", "127.0.0.1")
    leaf = x509.load_pem_x509_certificates(cert_path.read_bytes())[0]
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["cucmpub.lab.example"]
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert isinstance(leaf.public_key(), ec.EllipticCurvePublicKey)
    assert leaf.not_valid_after_utc - dt.datetime.now(dt.UTC) < dt.timedelta(days=2)
    assert key_path.stat().st_mode & 0o077 == 0  # private key readable by owner only
    ca_cert = x509.load_pem_x509_certificate(ca.bundle_path.read_bytes())
    assert ca_cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


@pytest.mark.parametrize("server_hostname", ["cucmsub1.lab.example", "127.0.0.1"])
def test_handshake_verifies_by_name_and_by_address(tmp_path: Path, server_hostname: str) -> None:
    ca = LabCA.create(tmp_path)
    server_context = ca.server_context(*ca.issue("cucmsub1.lab.example", "127.0.0.1"))
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _ = listener.accept()
        with server_context.wrap_socket(conn, server_side=True) as tls:
            tls.sendall(b"ok")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    client_context = ssl.create_default_context(cafile=str(ca.bundle_path))
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        client_context.wrap_socket(raw, server_hostname=server_hostname) as tls,
    ):
        assert tls.recv(2) == b"ok"
    thread.join(5)
    listener.close()


def test_wrong_name_is_rejected(tmp_path: Path) -> None:
    ca = LabCA.create(tmp_path)
    server_context = ca.server_context(*ca.issue("cucmsub1.lab.example", "127.0.0.1"))
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = listener.accept()
        try:
            server_context.wrap_socket(conn, server_side=True).close()
        except (ssl.SSLError, OSError):
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    client_context = ssl.create_default_context(cafile=str(ca.bundle_path))
    with (
        socket.create_connection(listener.getsockname(), timeout=5) as raw,
        pytest.raises(ssl.SSLCertVerificationError, match="mismatch"),
    ):
        client_context.wrap_socket(raw, server_hostname="cucmsub2.lab.example")
    listener.close()

"""Read what a node presents, before anything trusts it: its SSH host key and its
HTTPS (Tomcat) certificate. Nothing here authenticates or verifies; `devpack trust`
shows what was read so the admin can compare it with the node, and pins it only then.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass

import paramiko
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from orchestrator.drivers.ssh.algorithms import no_common_algorithm

# The SSH driver's transport class: its algorithm choices (e.g. legacy ssh-rsa, last,
# for OpenSSH 5.3-era nodes) apply to the key fetch too, so the key read is the key the
# driver will be shown.
TransportFactory = Callable[[socket.socket], paramiko.Transport]


class ProbeFailed(Exception):
    """The node did not answer, or not with SSH / TLS."""


@dataclass(frozen=True)
class HostKey:
    key_type: str
    base64: str
    fingerprint: str  # OpenSSH's SHA256:base64 form

    @classmethod
    def of(cls, key: paramiko.PKey) -> HostKey:
        return cls(key.get_name(), key.get_base64(), key.fingerprint)


@dataclass(frozen=True)
class Certificate:
    pem: bytes
    subject: str
    issuer: str
    names: list[str]  # DNS and IP SANs
    not_before: dt.datetime
    not_after: dt.datetime
    sha256: str  # hex pairs with colons, as browsers and `show cert` print it

    @property
    def self_signed(self) -> bool:
        return self.subject == self.issuer

    def expired(self, now: dt.datetime | None = None) -> bool:
        now = now or dt.datetime.now(dt.UTC)
        return not (self.not_before <= now <= self.not_after)

    def names_host(self, name: str) -> bool:
        wanted = name.lower().rstrip(".")
        for candidate in self.names:
            candidate = candidate.lower()
            if candidate == wanted:
                return True
            if candidate.startswith("*.") and wanted.split(".", 1)[-1] == candidate[2:]:
                return True
        return False

    @classmethod
    def from_der(cls, der: bytes) -> Certificate:
        cert = x509.load_der_x509_certificate(der)
        names: list[str] = []
        try:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            names = san.get_values_for_type(x509.DNSName) + [
                str(ip) for ip in san.get_values_for_type(x509.IPAddress)
            ]
        except x509.ExtensionNotFound:
            pass
        return cls(
            pem=cert.public_bytes(serialization.Encoding.PEM),
            subject=cert.subject.rfc4514_string(),
            issuer=cert.issuer.rfc4514_string(),
            names=names,
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            sha256=sha256_text(der),
        )


def sha256_text(der: bytes) -> str:
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


def host_key(
    host: str, port: int, timeout: float = 10.0, factory: TransportFactory = paramiko.Transport
) -> HostKey:
    """The host key the node proves it holds in a key exchange (no login), whatever key
    type the transport negotiates with it."""
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        raise ProbeFailed(f"SSH {host}:{port} does not answer: {exc}") from None
    transport = factory(sock)
    try:
        transport.start_client(timeout=timeout)
        return HostKey.of(transport.get_remote_server_key())
    except paramiko.IncompatiblePeer as exc:
        why = no_common_algorithm(transport, str(exc))
        raise ProbeFailed(
            f"SSH {host}:{port}: {why}; devpack cannot log in to this node as it is"
        ) from None
    except (paramiko.SSHException, OSError, EOFError) as exc:
        raise ProbeFailed(f"SSH {host}:{port}: {exc}") from None
    finally:
        transport.close()


def certificate(host: str, port: int, server_name: str, timeout: float = 10.0) -> Certificate:
    """The certificate the node serves for ``server_name`` (SNI). Read, not verified:
    verification against a bundle needs the certificate first; the admin's comparison
    of its fingerprint with the node's is what makes it trusted."""
    # The one unverified TLS connection in devpack, and why it is safe: it exists only to
    # show `devpack trust` the certificate of a node not trusted yet, so the admin can
    # compare its fingerprint and pin it. Nothing is written on it (no request, no
    # credentials: the handshake is all), only the peer's certificate is read and the
    # socket closed. Only tls/trust.py imports this module (only cli_trust imports that);
    # every connection that sends credentials (AXL, Control Center, RisPort70, the
    # certificate preflight of plan/run) goes through drivers/soap/transport.py's
    # verified sessions. tests/tls/test_probe_reach.py keeps it so.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=server_name) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError) as exc:
        raise ProbeFailed(f"HTTPS {host}:{port} does not answer: {exc}") from None
    if not der:
        raise ProbeFailed(f"HTTPS {host}:{port} sent no certificate")
    return Certificate.from_der(der)

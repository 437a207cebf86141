"""A throwaway certificate authority for the lab's HTTPS servers.

Real CUCM nodes serve self-signed Tomcat certificates; operators trust them by exporting
a bundle. The lab mirrors that with one CA per lab run, so clients always verify TLS
against an explicit bundle (never ``verify=False``). EC P-256 keeps issuing fast enough
for a 160-node fleet.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# Short validity: lab certificates must never be mistaken for anything long-lived.
CA_VALIDITY = dt.timedelta(days=2)
LEAF_VALIDITY = dt.timedelta(days=1)
# Tolerate small clock differences between the CA's creation and the client.
BACKDATE = dt.timedelta(minutes=5)

_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.touch(mode=0o600)
    path.write_bytes(pem)


@dataclass
class LabCA:
    directory: Path
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    bundle_path: Path

    @classmethod
    def create(cls, directory: Path, name: str = "devpack lab CA") -> LabCA:
        directory.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = dt.datetime.now(dt.UTC)
        public = key.public_key()
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE)
            .not_valid_after(now + CA_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .sign(key, hashes.SHA256())
        )
        bundle = directory / "lab-ca.pem"
        bundle.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        _write_key(directory / "lab-ca.key", key)
        return cls(directory, key, cert, bundle)

    def issue(self, hostname: str, address: str) -> tuple[Path, Path]:
        """A server certificate for ``hostname`` and ``address`` (both in the SAN)."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        san = x509.SubjectAlternativeName(
            [x509.DNSName(hostname), x509.IPAddress(ipaddress.ip_address(address))]
        )
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)]))
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE)
            .not_valid_after(now + LEAF_VALIDITY)
            .add_extension(san, critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )
        stem = _SAFE.sub("_", f"{hostname}-{address}")
        cert_path = self.directory / f"{stem}.pem"
        key_path = self.directory / f"{stem}.key"
        # Chain includes the CA so clients that only trust the CA can build the path.
        cert_path.write_bytes(
            cert.public_bytes(serialization.Encoding.PEM)
            + self.certificate.public_bytes(serialization.Encoding.PEM)
        )
        _write_key(key_path, key)
        return cert_path, key_path

    @staticmethod
    def server_context(cert: Path, key: Path) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(cert, key)
        return context

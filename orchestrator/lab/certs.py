"""Certificates for the lab's HTTPS servers, shaped like CUCM's Tomcat certificates.

Real CUCM nodes serve self-signed Tomcat certificates named by DNS name (CN = FQDN, SANs =
FQDN and host name, no IP-address SAN: reference 9.2); many sites replace them with
CA-signed multi-SAN ones. The lab issues either kind (``self_signed`` or a throwaway lab
CA per run), so clients always verify TLS against an explicit bundle (never
``verify=False``). EC P-256 keeps issuing fast enough for a 160-node fleet.
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
# An expired certificate (lab option, for the error path) ended this long ago.
EXPIRED_FOR = dt.timedelta(days=3)

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

    def issue(
        self,
        hostname: str,
        address: str | None = None,
        *,
        other_names: tuple[str, ...] = (),
        expired: bool = False,
    ) -> tuple[Path, Path]:
        """A server certificate for ``hostname`` (CN and first DNS SAN) and ``other_names``;
        ``address`` adds an IP-address SAN (real clusters normally have none)."""
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            _leaf_builder(key, hostname, other_names, address, expired)
            .issuer_name(self.certificate.subject)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )
        # Chain includes the CA so clients that only trust the CA can build the path.
        return _write_pair(
            self.directory, f"{hostname}-{address or 'dns'}", key, cert, self.certificate
        )

    @staticmethod
    def server_context(cert: Path, key: Path) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(cert, key)
        return context


def _validity(expired: bool) -> tuple[dt.datetime, dt.datetime]:
    now = dt.datetime.now(dt.UTC)
    if expired:
        return now - EXPIRED_FOR - LEAF_VALIDITY, now - EXPIRED_FOR
    return now - BACKDATE, now + LEAF_VALIDITY


def _leaf_builder(
    key: ec.EllipticCurvePrivateKey,
    hostname: str,
    other_names: tuple[str, ...],
    address: str | None,
    expired: bool,
) -> x509.CertificateBuilder:
    names: list[x509.GeneralName] = [x509.DNSName(hostname)]
    names += [x509.DNSName(n) for n in other_names if n != hostname]
    if address is not None:
        names.append(x509.IPAddress(ipaddress.ip_address(address)))
    not_before, not_after = _validity(expired)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    )


def _write_pair(
    directory: Path,
    stem: str,
    key: ec.EllipticCurvePrivateKey,
    cert: x509.Certificate,
    *chain: x509.Certificate,
) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    stem = _SAFE.sub("_", stem)
    cert_path = directory / f"{stem}.pem"
    key_path = directory / f"{stem}.key"
    cert_path.write_bytes(
        b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (cert, *chain))
    )
    _write_key(key_path, key)
    return cert_path, key_path


def self_signed(
    directory: Path,
    fqdn: str,
    hostname: str,
    address: str | None = None,
    *,
    expired: bool = False,
) -> tuple[Path, Path]:
    """A Tomcat-style self-signed certificate: CN = ``fqdn``, DNS SANs = ``fqdn`` and
    ``hostname``; an IP SAN only if ``address`` is given. Like CUCM's own it is a leaf
    (CA:FALSE); OpenSSL accepts such a certificate as its own trust anchor when it is in
    the client's bundle, which is how devpack pins it."""
    key = ec.generate_private_key(ec.SECP256R1())
    builder = _leaf_builder(key, fqdn, (hostname,), address, expired)
    cert = (
        builder.issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, fqdn)]))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return _write_pair(directory, f"{fqdn}-self-signed", key, cert)

"""`devpack trust`: read every node's SSH host key and Tomcat certificate, show them for
the admin to compare with the node, and pin what was confirmed.

Pins live in the two files the inventory names: ``known_hosts`` (OpenSSH format) and
``ca_bundle`` (PEM). A self-signed certificate is pinned by adding it to ``ca_bundle``
under a ``# devpack pin: node=...`` comment line (OpenSSL ignores text between PEM
blocks and accepts a self-signed leaf in its bundle as its own trust anchor); other
certificates already in the bundle (a site CA) are kept as they are. A CA-signed
certificate is not pinned: its CA belongs in the bundle, and the admin puts it there.

Nothing is pinned without confirmation: a question per node on the terminal, or, with
``--yes``, an ``--expect-fingerprint NODE=FINGERPRINT`` for every fingerprint that would
be pinned (``--yes`` alone pins nothing). A key or certificate that differs from the
pinned one is reported as CHANGED and replaced only under the same confirmation.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from paramiko.hostkeys import HostKeyEntry, HostKeys

from orchestrator.config.inventory import Inventory, Node
from orchestrator.config.secrets import Prompter
from orchestrator.drivers.ssh.algorithms import NegotiatingTransport
from orchestrator.drivers.ssh.errors import DriverError
from orchestrator.drivers.ssh.parsers import NetworkCluster
from orchestrator.drivers.ssh.platform import CucmCli
from orchestrator.drivers.ssh.transport import SshTarget, known_hosts_name
from orchestrator.errors import EXIT_PRECHECK, EXIT_UNREACHABLE, UserError
from orchestrator.files import write_output
from orchestrator.tls import names as tls_names
from orchestrator.tls import probe
from orchestrator.tls.preflight import certificate_problem

SSH_WHERE = (
    "compare it on the node's console (the VM console or the admin's first SSH login, "
    "whose client shows the same SHA256 fingerprint)"
)
CERT_WHERE = (
    "compare it with `show cert own tomcat` on the node's CLI, or Cisco Unified OS "
    "Administration > Security > Certificate Management > tomcat"
)
_PIN = re.compile(
    r"^# devpack pin: node=(?P<node>\S+)[^\n]*\n(?P<pem>-----BEGIN CERTIFICATE-----\n"
    r".*?-----END CERTIFICATE-----\n?)",
    re.M | re.S,
)
_ANY_PEM = re.compile(r"-----BEGIN CERTIFICATE-----\n.*?-----END CERTIFICATE-----\n?", re.S)

Confirm = Callable[[str], bool]
Say = Callable[[str], None]


# ----- the two files ---------------------------------------------------------------------


@dataclass
class PinBundle:
    """``ca_bundle``: devpack's pins by node, plus whatever else the admin put there."""

    pins: dict[str, bytes] = field(default_factory=dict)
    others: list[bytes] = field(default_factory=list)

    @classmethod
    def read(cls, path: Path) -> PinBundle:
        if not path.is_file():
            return cls()
        text = path.read_text()
        pins = {m["node"]: m["pem"].encode() for m in _PIN.finditer(text)}
        rest = _PIN.sub("", text)
        return cls(pins, [m.group(0).encode() for m in _ANY_PEM.finditer(rest)])

    def fingerprint(self, node: str) -> str | None:
        pem = self.pins.get(node)
        if pem is None:
            return None
        der = x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
        return probe.sha256_text(der)

    def text(self) -> str:
        parts = [pem.decode() for pem in self.others]
        for node, pem in sorted(self.pins.items()):
            parts.append(f"# devpack pin: node={node} (self-signed Tomcat certificate)\n")
            parts.append(pem.decode())
        return "".join(parts)


@dataclass
class KnownHosts:
    """``known_hosts`` as lines, so entries devpack does not touch stay as written."""

    path: Path
    lines: list[str]

    @classmethod
    def read(cls, path: Path) -> KnownHosts:
        return cls(path, path.read_text().splitlines() if path.is_file() else [])

    def keys(self, name: str) -> list[probe.HostKey]:
        found = []
        for line in self.lines:
            entry = _entry(line)
            if entry is not None and _matches(entry, name):
                found.append(probe.HostKey.of(entry.key))
        return found

    def replace(self, name: str, key: probe.HostKey) -> None:
        kept = [ln for ln in self.lines if not ((e := _entry(ln)) and _matches(e, name))]
        self.lines = [*kept, f"{name} {key.key_type} {key.base64}"]

    def text(self) -> str:
        return "\n".join(self.lines) + "\n" if self.lines else ""


def _entry(line: str) -> HostKeyEntry | None:
    if not line.strip() or line.lstrip().startswith("#"):
        return None
    try:
        return HostKeyEntry.from_line(line)
    except Exception:  # a key type paramiko cannot load: leave the line alone
        return None


def _matches(entry: HostKeyEntry, name: str) -> bool:
    return any(
        host == name or (host.startswith("|1|") and HostKeys.hash_host(name, host) == host)
        for host in entry.hostnames
    )


# ----- one node ----------------------------------------------------------------------------


@dataclass
class NodeTrust:
    """What one node presented and how it compares with the pins."""

    node: Node
    tls_name: str
    listed: bool  # in the inventory (False: found in `show network cluster` only)
    key: probe.HostKey | None = None
    pinned_keys: list[probe.HostKey] = field(default_factory=list)
    cert: probe.Certificate | None = None
    pinned_cert: str | None = None  # fingerprint of the pin in ca_bundle
    cert_verified_by_ca: bool = False
    # what stops the SSH key / the certificate / the whole node from being pinned
    ssh_problems: list[str] = field(default_factory=list)
    cert_problems: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.node.label

    @property
    def ssh_name(self) -> str:
        return known_hosts_name(self.node.address, self.node.ssh_port)

    @property
    def key_state(self) -> str:
        if self.key is None:
            return "unread"
        if any(k.base64 == self.key.base64 for k in self.pinned_keys):
            return "pinned"
        return "CHANGED" if self.pinned_keys else "new"

    @property
    def cert_state(self) -> str:
        if self.cert is None:
            return "unread"
        if self.cert_verified_by_ca:
            return "verified by the CA bundle"
        if not self.cert.self_signed:
            return "not trusted"
        if self.pinned_cert == self.cert.sha256:
            return "pinned"
        return "CHANGED" if self.pinned_cert else "new"

    def to_pin(self, parts: tuple[str, ...]) -> list[str]:
        """The fingerprints a confirmation of these parts would pin."""
        wanted = []
        if SSH in parts and self.key is not None and self.key_state in ("new", "CHANGED"):
            wanted.append(self.key.fingerprint)
        if TLS in parts and self.cert is not None and self.cert_state in ("new", "CHANGED"):
            wanted.append(self.cert.sha256)
        return wanted

    def blockers(self, parts: tuple[str, ...]) -> list[str]:
        found = list(self.problems)
        if SSH in parts:
            found += self.ssh_problems
        if TLS in parts:
            found += self.cert_problems
        return found

    def unread(self, parts: tuple[str, ...]) -> bool:
        return (SSH in parts and self.key is None) or (TLS in parts and self.cert is None)


SSH, TLS = "ssh", "tls"


def describe(item: NodeTrust, parts: tuple[str, ...] = (SSH, TLS)) -> list[str]:
    node = item.node
    where = "" if item.listed else " -- in the cluster, NOT in the inventory"
    lines = [f"node {item.label} ({node.address}){where}"]
    if SSH in parts and item.key is not None:
        state = item.key_state
        lines.append(f"  SSH host key ({node.address}:{node.ssh_port}): {state}")
        lines.append(f"    {item.key.key_type} {item.key.fingerprint}")
        if state == "CHANGED":
            olds = ", ".join(f"{k.key_type} {k.fingerprint}" for k in item.pinned_keys)
            lines.append(
                f"    !!! CHANGED: the pinned key was {olds}. A CUCM node keeps its key "
                "across restarts and upgrades; unless it was rebuilt, this may be an "
                "interception. Do not confirm before the admin has checked the node."
            )
        lines.append(f"    {SSH_WHERE}")
    cert = item.cert
    if TLS in parts and cert is not None:
        state = item.cert_state
        lines.append(f"  HTTPS certificate ({node.address}:{node.https_port}): {state}")
        lines.append(f"    subject   {cert.subject}")
        lines.append(f"    names     {', '.join(cert.names) or '(no subject alternative names)'}")
        signed = " (self-signed)" if cert.self_signed else ""
        lines.append(f"    issuer    {cert.issuer}{signed}")
        expired = "   !!! EXPIRED or not yet valid" if cert.expired() else ""
        lines.append(
            f"    valid     {cert.not_before:%Y-%m-%d %H:%M} to "
            f"{cert.not_after:%Y-%m-%d %H:%M} UTC{expired}"
        )
        lines.append(f"    SHA-256   {cert.sha256}")
        lines.append(f"    checked for the name {item.tls_name}")
        if state == "CHANGED":
            lines.append(
                f"    !!! CHANGED: the pinned certificate was {item.pinned_cert}. Was it "
                "regenerated or replaced on the node? Check before confirming."
            )
        lines.append(f"    {CERT_WHERE}")
    if TLS in parts:
        lines += [f"  warning: {w}" for w in item.warnings]
    lines += [f"  problem: {p}" for p in item.blockers(parts)]
    return lines


# ----- expected fingerprints ---------------------------------------------------------------


def parse_expectations(values: list[str]) -> dict[str, set[str]]:
    """``NODE=SHA256:base64`` (SSH) or ``NODE=hex`` (certificate) -> by node."""
    expected: dict[str, set[str]] = {}
    for value in values:
        node, sep, fingerprint = value.partition("=")
        fingerprint = fingerprint.strip()
        if not sep or not node.strip() or not fingerprint:
            raise UserError(
                f"--expect-fingerprint {value!r} is not NODE=FINGERPRINT",
                "give e.g. cucmpub=SHA256:AbC... for an SSH host key or "
                "cucmpub=AB:CD:... (SHA-256 hex) for a certificate",
            )
        expected.setdefault(node.strip(), set()).add(normal_fingerprint(fingerprint))
    return expected


def normal_fingerprint(text: str) -> str:
    if text.upper().startswith("SHA256:"):
        return "SHA256:" + text[7:].rstrip("=")
    digits = re.sub(r"[^0-9A-Fa-f]", "", text).upper()
    return ":".join(digits[i : i + 2] for i in range(0, len(digits), 2))


# ----- the command ---------------------------------------------------------------------


@dataclass
class TrustOutcome:
    trusted: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # not confirmed, or a problem
    unreachable: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.unreachable:
            return EXIT_UNREACHABLE
        return EXIT_PRECHECK if self.refused else 0


@dataclass
class TrustSettings:
    inventory_path: Path
    inventory: Inventory
    password: Prompter | None = None
    yes: bool = False
    expected: dict[str, set[str]] = field(default_factory=dict)
    timeout: float = 10.0
    transport: probe.TransportFactory = NegotiatingTransport  # the SSH driver's


def files_of(inventory: Inventory, inventory_path: Path) -> tuple[Path, Path]:
    missing = [f for f in ("known_hosts", "ca_bundle") if getattr(inventory, f) is None]
    if missing:
        raise UserError(
            f"{inventory_path}: devpack trust writes the files the inventory names, and it "
            f"names no {' and no '.join(missing)}",
            "add e.g. `known_hosts: known_hosts` and `ca_bundle: cucm-trust.pem` to the "
            "inventory (paths relative to it), then run devpack trust again",
        )
    assert inventory.known_hosts is not None and inventory.ca_bundle is not None
    return Path(inventory.known_hosts), Path(inventory.ca_bundle)


class Trust:
    def __init__(self, settings: TrustSettings, confirm: Confirm, say: Say) -> None:
        self.s = settings
        self.confirm = confirm
        self.say = say
        self.known_hosts_path, self.bundle_path = files_of(
            settings.inventory, settings.inventory_path
        )
        try:
            self.known = KnownHosts.read(self.known_hosts_path)
            self.bundle = PinBundle.read(self.bundle_path)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise UserError(
                f"{settings.inventory_path}: cannot read its known_hosts or ca_bundle: {exc}",
                "point known_hosts and ca_bundle at text files this user can read and write "
                "(OpenSSH known_hosts format; PEM)",
            ) from None
        self.outcome = TrustOutcome()

    def run(self) -> TrustOutcome:
        inventory = self.s.inventory
        publisher = inventory.publisher
        # The publisher's SSH key is decided first: devpack logs in with it to read
        # `show network cluster`, which names the other nodes (and perhaps the
        # publisher itself: its FQDN) before any certificate is judged by name.
        first = NodeTrust(publisher, publisher.tls_name or publisher.address, listed=True)
        self._read_key(first)
        table = self._cluster_table(first) if self._decide(first, (SSH,)) else None
        if table is None:
            self.say(
                "  (the publisher's `show network cluster` was not read: certificates are "
                "checked for each node's tls_name, else its address; unlisted nodes are not "
                "looked for)"
            )
        names = tls_names.tls_names(inventory.nodes, table)
        first.tls_name = names[publisher.label]
        self._read_cert(first)
        self._decide(first, (TLS,))
        others = [(n, names[n.label], True) for n in inventory.nodes if n is not publisher]
        others += [(n, n.tls_name or n.address, False) for n in self._unlisted(table)]
        for node, name, listed in others:
            item = NodeTrust(node, name, listed)
            if not listed:
                item.problems.append(
                    "add this node to the inventory's nodes (devpack needs every node of "
                    "the cluster), then run devpack trust again"
                )
            self._read_key(item)
            self._read_cert(item)
            self._decide(item, (SSH, TLS))
        self._write()
        failed = set(self.outcome.refused + self.outcome.unreachable)
        self.outcome.trusted = [n for n in self.outcome.trusted if n not in failed]
        self.outcome.refused = list(dict.fromkeys(self.outcome.refused))
        self.outcome.unreachable = list(dict.fromkeys(self.outcome.unreachable))
        return self.outcome

    # -- reading -------------------------------------------------------------------------

    def _read_key(self, item: NodeTrust) -> None:
        node = item.node
        try:
            item.key = probe.host_key(node.address, node.ssh_port, self.s.timeout, self.s.transport)
            item.pinned_keys = self.known.keys(item.ssh_name)
        except probe.ProbeFailed as exc:
            item.ssh_problems.append(str(exc))

    def _read_cert(self, item: NodeTrust) -> None:
        node = item.node
        try:
            item.cert = probe.certificate(
                node.address, node.https_port, item.tls_name, self.s.timeout
            )
        except probe.ProbeFailed as exc:
            item.cert_problems.append(str(exc))
            return
        item.pinned_cert = self.bundle.fingerprint(item.label)
        self._judge_certificate(item)

    def _judge_certificate(self, item: NodeTrust) -> None:
        cert = item.cert
        assert cert is not None
        if cert.expired():
            item.cert_problems.append(
                "the certificate has expired (or is not yet valid): renew it on the node "
                "(OS Admin > Certificate Management, or `set cert regen tomcat`), then run "
                "devpack trust again"
            )
        item.warnings = self._name_warnings(item)
        if not cert.self_signed and self.bundle_path.is_file():
            item.cert_verified_by_ca = (
                certificate_problem(item.node, item.tls_name, self.bundle_path, self.s.timeout)
                is None
            )
        if not cert.self_signed and not item.cert_verified_by_ca:
            item.cert_problems.append(
                f"the certificate is signed by {cert.issuer}: put that CA's certificate "
                f"(and any intermediate) into {self.bundle_path} (devpack pins only "
                "self-signed certificates), then run devpack trust again"
            )

    def _name_warnings(self, item: NodeTrust) -> list[str]:
        cert = item.cert
        if cert is None or cert.names_host(item.tls_name):
            return []
        return [
            f"!!! the certificate does not name {item.tls_name}, the name devpack checks: "
            f"HTTPS to this node will fail. Set nodes[].tls_name in "
            f"{self.s.inventory_path} to a name it carries ({', '.join(cert.names) or 'none'})"
            " if that is the node's name, or find out why the node serves this certificate"
        ]

    def _cluster_table(self, publisher: NodeTrust) -> NetworkCluster | None:
        """`show network cluster` from the publisher, logged in with its key as just
        confirmed (None, with a note, when it cannot be read)."""
        assert publisher.key is not None
        node = publisher.node
        inventory = self.s.inventory
        with tempfile.TemporaryDirectory() as folder:
            known = Path(folder) / "known_hosts"
            known.write_text(
                f"{publisher.ssh_name} {publisher.key.key_type} {publisher.key.base64}\n"
            )
            login = inventory.credentials.platform
            target = SshTarget(
                host=node.address,
                port=node.ssh_port,
                username=login.username,
                password=login.password.resolve(self.s.password),
                known_hosts=str(known),
                connect_timeout=self.s.timeout,
            )
            try:
                with CucmCli(target) as cli:
                    return cli.network_cluster()
            except DriverError as exc:
                self.say(f"could not read `show network cluster` on {publisher.label}: {exc}")
                return None

    def _unlisted(self, table: NetworkCluster | None) -> list[Node]:
        if table is None:
            return []
        inventory = self.s.inventory
        listed = {n.address.lower() for n in inventory.nodes}
        listed |= {n.name.lower() for n in inventory.nodes if n.name}
        pub = inventory.publisher
        return [
            Node(
                name=row.hostname,
                address=row.ip,
                ssh_port=pub.ssh_port,
                https_port=pub.https_port,
                tls_name=row.fqdn,
            )
            for row in table.nodes
            if not {row.ip.lower(), row.hostname.lower(), row.fqdn.lower()} & listed
        ]

    # -- deciding ------------------------------------------------------------------------

    def _decide(self, item: NodeTrust, parts: tuple[str, ...]) -> bool:
        """Show ``parts`` of what the node presented and pin them if confirmed."""
        for line in describe(item, parts):
            self.say(line)
        what = " and ".join({SSH: "SSH host key", TLS: "certificate"}[p] for p in parts)
        label = item.label
        if item.unread(parts):
            self.outcome.unreachable.append(label)
            self.say(f"  -> {label}: {what} NOT pinned (not read: see the problem above)")
            return False
        if item.blockers(parts):
            self.outcome.refused.append(label)
            self.say(f"  -> {label}: {what} NOT pinned (see the problem above)")
            return False
        wanted = item.to_pin(parts)
        if not wanted:
            self._trusted(label)
            self.say(f"  -> {label}: {what} already pinned, nothing changed")
            return True
        if not self._confirmed(item, parts, wanted):
            self.outcome.refused.append(label)
            self.say(f"  -> {label}: {what} NOT pinned (not confirmed)")
            return False
        if SSH in parts and item.key is not None:
            self.known.replace(item.ssh_name, item.key)
        if TLS in parts and item.cert is not None and item.cert_state in ("new", "CHANGED"):
            self.bundle.pins[label] = item.cert.pem
        self._trusted(label)
        self.say(f"  -> {label}: {what} pinned")
        return True

    def _trusted(self, label: str) -> None:
        if label not in self.outcome.trusted:
            self.outcome.trusted.append(label)

    def _confirmed(self, item: NodeTrust, parts: tuple[str, ...], wanted: list[str]) -> bool:
        if self.s.yes:
            expected = self.s.expected.get(item.label, set())
            missing = [f for f in wanted if f not in expected]
            if missing:
                self.say(
                    f"  --yes pins only fingerprints given with --expect-fingerprint; for "
                    f"{item.label} none matches {', '.join(missing)}"
                )
            return not missing
        states = ([item.key_state] if SSH in parts else []) + (
            [item.cert_state] if TLS in parts else []
        )
        question = (
            f"{item.label}: the pinned key or certificate CHANGED. Replace it with the one "
            "shown, after checking it on the node?"
            if "CHANGED" in states
            else f"{item.label}: does this match what the node shows? Pin it?"
        )
        return self.confirm(question)

    def _write(self) -> None:
        write_output(self.known_hosts_path, self.known.text(), "known_hosts")
        write_output(self.bundle_path, self.bundle.text(), "ca_bundle")

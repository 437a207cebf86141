"""Which SSH algorithms devpack accepts, in which order, and what a session negotiated.

CUCM 10.x/11.x run OpenSSH 5.3 (reference section 9.1): its only host-key signature is
``ssh-rsa`` (RSA over SHA-1), which paramiko 5 no longer verifies, and it offers sha1 key
exchanges besides gex-sha256. devpack adds ``ssh-rsa`` and two sha1 key exchanges to
paramiko's lists, LAST: a client's order decides the negotiation, so every node that
offers anything better gets it, and the legacy algorithm is used only where the node
offers nothing else. ``diffie-hellman-group1-sha1`` (a 1024-bit group) is never accepted.

"Legacy" means what OpenSSH 9 no longer enables by default: SHA-1 host-key signatures
and key exchanges, CBC ciphers and MD5 MACs. A session that uses any of them says so
(``Negotiated.legacy``), so the plan and the report can name the node and the reason.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from hashlib import sha1
from typing import Any

import paramiko
from cryptography.hazmat.primitives import hashes
from paramiko.kex_gex import KexGexSHA256
from paramiko.kex_group14 import KexGroup14SHA256
from paramiko.message import Message


class _SshRsaSha1Verifier(paramiko.RSAKey):
    """An RSA host key as an ``ssh-rsa`` host-key algorithm: a SHA-1 signature, and
    only that (a node that negotiated ``ssh-rsa`` must sign with it)."""

    HASHES = {"ssh-rsa": hashes.SHA1}


# The private exponent of a finite-field DH: 512 bits, as OpenSSH chooses it (dh.c
# dh_gen_key: twice the session's key need, at least 2 x 256 bits), where paramiko draws
# one as long as the group (2047 bits for gex). These exchanges are all an OpenSSH 5.3
# node offers and paramiko computes them in Python under the GIL: a 4x shorter exponent
# makes each login's two modular exponentiations 4x cheaper, which a fleet's
# simultaneous logins need.
EXPONENT_BITS = 512


class _ShortExponent:
    P: int
    p: int | None = None
    x: int

    def _generate_x(self) -> None:
        q = ((self.p or self.P) - 1) // 2
        while True:
            x = int.from_bytes(os.urandom(EXPONENT_BITS // 8), "big") | 1 << (EXPONENT_BITS - 1)
            if 1 < x < q:
                self.x = x
                return


class _KexGexSha256(_ShortExponent, KexGexSHA256):
    pass


class _KexGroup14Sha1(_ShortExponent, KexGroup14SHA256):
    name = "diffie-hellman-group14-sha1"
    hash_algo = sha1


class _KexGexSha1(_ShortExponent, KexGexSHA256):
    name = "diffie-hellman-group-exchange-sha1"
    hash_algo = sha1


LEGACY_HOST_KEYS = ("ssh-rsa",)
LEGACY_KEX = (_KexGexSha1.name, _KexGroup14Sha1.name)
_LEGACY_CIPHERS = frozenset({"aes128-cbc", "aes192-cbc", "aes256-cbc", "3des-cbc"})
_LEGACY_MACS = frozenset({"hmac-md5", "hmac-md5-96"})

# AES-GCM first: its integrity check runs in OpenSSL, where paramiko's HMAC check of every
# packet runs in Python (a fleet of sessions spends most of its CPU there). Nodes whose
# sshd predates GCM (CUCM 10.x/11.x) negotiate the next cipher in paramiko's list.
FAST_CIPHERS = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com")

WHY_LEGACY_IS_ACCEPTED = (
    "accepted only because the node offers nothing newer (an sshd of its release's era); "
    "its host key is pinned in known_hosts, the connection stays on the management "
    "network, and SHA-1 there signs or hashes only this login's fresh key exchange, "
    "which a SHA-1 collision attack cannot forge"
)


def _after(preferred: tuple[str, ...], legacy: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(p for p in preferred if p not in legacy) + legacy


class NegotiatingTransport(paramiko.Transport):
    """paramiko's client transport with devpack's algorithm order, remembering what the
    node offered (for the error when nothing matches)."""

    def __init__(self, sock: Any, **kwargs: Any) -> None:
        super().__init__(sock, **kwargs)
        self.peer_offer: dict[str, list[str]] | None = None
        self.agreed_kex = ""  # paramiko drops its kex engine once the exchange is done
        # paramiko's tables, read through an untyped view (paramiko ships no types)
        base: Any = self
        self._key_info = {**base._key_info, "ssh-rsa": _SshRsaSha1Verifier}
        self._kex_info = {
            **base._kex_info,
            _KexGexSha256.name: _KexGexSha256,
            _KexGexSha1.name: _KexGexSha1,
            _KexGroup14Sha1.name: _KexGroup14Sha1,
        }
        self._preferred_keys = _after(base._preferred_keys, LEGACY_HOST_KEYS)
        self._preferred_kex = _after(base._preferred_kex, LEGACY_KEX)
        offered = tuple(base._preferred_ciphers)
        self._preferred_ciphers = tuple(c for c in FAST_CIPHERS if c in offered) + tuple(
            c for c in offered if c not in FAST_CIPHERS
        )

    def _parse_kex_init(self, m: Message) -> None:
        start = m.packet.tell()
        parsed = self._really_parse_kex_init(m)
        self.peer_offer = {
            "host key": parsed["server_key_algo_list"],
            "key exchange": parsed["kex_algo_list"],
            "cipher": parsed["server_encrypt_algo_list"],
            "MAC": parsed["server_mac_algo_list"],
        }
        m.packet.seek(start)
        super()._parse_kex_init(m)
        # the client's first that the server offers (RFC 4253 7.1), as paramiko chose
        offered = set(parsed["kex_algo_list"])
        self.agreed_kex = next(k for k in self.preferred_kex if k in offered)

    def accepted(self) -> dict[str, tuple[str, ...]]:
        return {
            "host key": self.preferred_keys,
            "key exchange": self.preferred_kex,
            "cipher": self.preferred_ciphers,
            "MAC": self.preferred_macs,
        }


@dataclass(frozen=True)
class Negotiated:
    """What one SSH session agreed on with a node."""

    server_version: str  # e.g. "SSH-2.0-OpenSSH_5.3"
    host_key: str
    kex: str
    cipher: str
    mac: str

    @property
    def legacy(self) -> list[str]:
        """The legacy algorithms this session uses, each named with what it is."""
        found = []
        if self.host_key in LEGACY_HOST_KEYS:
            found.append(f"host key {self.host_key} (SHA-1 signature)")
        if self.kex.endswith("-sha1"):
            found.append(f"key exchange {self.kex}")
        if self.cipher in _LEGACY_CIPHERS:
            found.append(f"cipher {self.cipher}")
        if self.mac in _LEGACY_MACS:
            found.append(f"MAC {self.mac}")
        return found


def legacy_notes(sessions: dict[str, Negotiated]) -> list[str]:
    """The plan's notes: one per distinct legacy use, naming every node it applies to."""
    nodes: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for name in sorted(sessions):
        used = sessions[name]
        if used.legacy:
            server = used.server_version.removeprefix("SSH-2.0-") or "unknown sshd"
            nodes.setdefault((server, tuple(used.legacy)), []).append(name)
    return [
        f"{', '.join(names)}: SSH uses {', '.join(legacy)} ({server}): {WHY_LEGACY_IS_ACCEPTED}"
        for (server, legacy), names in nodes.items()
    ]


def negotiated(transport: paramiko.Transport) -> Negotiated:
    return Negotiated(
        server_version=transport.remote_version,
        host_key=transport.host_key_type or "",
        kex=getattr(transport, "agreed_kex", ""),
        cipher=transport.local_cipher,
        mac=transport.local_mac,
    )


def no_common_algorithm(transport: paramiko.Transport, error: str) -> str:
    """Why the negotiation failed: the kind that did not match, what the node offered
    and what devpack accepts."""
    offer = getattr(transport, "peer_offer", None) or {}
    accepted = transport.accepted() if isinstance(transport, NegotiatingTransport) else {}
    for kind, names in offer.items():
        if not set(names) & set(accepted.get(kind, ())):
            return (
                f"no {kind} algorithm in common: the node offers {', '.join(names) or 'none'}; "
                f"devpack accepts {', '.join(accepted[kind])}"
            )
    return error

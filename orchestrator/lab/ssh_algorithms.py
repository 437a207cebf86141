"""The SSH algorithms a lab node's sshd offers, by release (reference section 9.1).

An OpenSSH 5.3 era node (CUCM 10.x/11.x) offers only an RSA host key with ``ssh-rsa``
(SHA-1) signatures and sha1 / gex-sha256 key exchanges. paramiko 5 no longer signs with
``ssh-rsa`` nor speaks the sha1 key exchanges, so this module adds them, for the lab's
server only. The engine's driver has its own client-side support and never imports
this: a mistake made in both would agree with itself and pass every test.
"""

from __future__ import annotations

import itertools
import secrets
import threading
from dataclasses import dataclass, replace
from enum import StrEnum
from hashlib import sha1

import paramiko
from cryptography.hazmat.primitives import hashes
from paramiko.kex_gex import KexGexSHA256
from paramiko.kex_group14 import KexGroup14SHA256
from paramiko.kex_group16 import KexGroup16SHA512
from paramiko.primes import ModulusPack

from orchestrator.cucm.release import Release


class Era(StrEnum):
    OPENSSH_5_3 = "openssh-5.3"  # CUCM 10.x/11.x (RHEL 6); 9.x is older still
    OPENSSH_7_4 = "openssh-7.4"  # CUCM 12.x (RHEL 7) (inferred from the base OS)
    MODERN = "modern"  # CUCM 14/15 (inferred): what paramiko offers, ECDSA host key


class LabRsaKey(paramiko.RSAKey):
    """An RSA host key that can also sign ``ssh-rsa`` (PKCS#1 v1.5 over SHA-1)."""

    HASHES = {**paramiko.RSAKey.HASHES, "ssh-rsa": hashes.SHA1}


class _OpenSshExponent:
    """A sshd's DH private exponent as OpenSSH draws it (dh.c dh_gen_key: twice the
    session's key need, at least 512 bits), not as long as the group as paramiko does:
    the lab's nodes then spend on each login what a real node's sshd does, in proportion
    (paramiko computes in Python what OpenSSH computes in C)."""

    BITS = 512
    P: int
    p: int | None = None
    x: int

    def _generate_x(self) -> None:
        q = ((self.p or self.P) - 1) // 2
        while True:
            x = secrets.randbits(self.BITS) | 1 << (self.BITS - 1)
            if 1 < x < q:
                self.x = x
                return


class KexGroup14SHA1(_OpenSshExponent, KexGroup14SHA256):
    name = "diffie-hellman-group14-sha1"
    hash_algo = sha1


class KexGroup1SHA1(_OpenSshExponent, KexGroup14SHA256):
    # RFC 2409 section 6.2 (Oakley group 2, 1024 bits)
    P = 0xFFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF  # noqa: E501
    name = "diffie-hellman-group1-sha1"
    hash_algo = sha1


class KexGexSHA1(_OpenSshExponent, KexGexSHA256):
    name = "diffie-hellman-group-exchange-sha1"
    hash_algo = sha1


class KexGexSHA256OpenSsh(_OpenSshExponent, KexGexSHA256):
    pass


# the lab's own finite-field exchanges: the sha1 ones paramiko dropped, and gex-sha256
# with OpenSSH's exponent length
_OWN_KEX: dict[str, type] = {
    k.name: k for k in (KexGroup14SHA1, KexGroup1SHA1, KexGexSHA1, KexGexSHA256OpenSsh)
}


def _moduli() -> ModulusPack:
    """Group-exchange primes: the RFC 3526 2048- and 4096-bit groups (what OpenSSH falls
    back to without a moduli file). The lab has no /etc/ssh/moduli to read."""
    pack = ModulusPack()
    pack.pack = {2048: [(2, KexGroup14SHA256.P)], 4096: [(2, KexGroup16SHA512.P)]}
    return pack


_MODULI = _moduli()


@dataclass(frozen=True)
class AlgorithmSet:
    """What one sshd announces and offers, in its order of preference."""

    version: str  # after "SSH-2.0-"
    host_key: str  # "rsa" | "ecdsa"
    host_key_algorithms: tuple[str, ...]
    kex: tuple[str, ...]
    ciphers: tuple[str, ...]
    macs: tuple[str, ...]
    strict_kex: bool  # OpenSSH 9.6+
    ext_info: bool  # server-sig-algs, OpenSSH 7.2+


# Upstream defaults of each version, less what paramiko cannot speak (blowfish, arcfour,
# cast128, chacha20-poly1305, umac, ripemd160, the -etm MACs of 7.4).
ERAS: dict[Era, AlgorithmSet] = {
    Era.OPENSSH_5_3: AlgorithmSet(
        version="OpenSSH_5.3",
        host_key="rsa",
        host_key_algorithms=("ssh-rsa",),
        kex=(
            "diffie-hellman-group-exchange-sha256",
            "diffie-hellman-group-exchange-sha1",
            "diffie-hellman-group14-sha1",
            "diffie-hellman-group1-sha1",
        ),
        ciphers=(
            "aes128-ctr",
            "aes192-ctr",
            "aes256-ctr",
            "aes128-cbc",
            "3des-cbc",
            "aes192-cbc",
            "aes256-cbc",
        ),
        macs=("hmac-md5", "hmac-sha1", "hmac-sha1-96", "hmac-md5-96"),
        strict_kex=False,
        ext_info=False,
    ),
    Era.OPENSSH_7_4: AlgorithmSet(
        version="OpenSSH_7.4",
        host_key="rsa",
        host_key_algorithms=("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"),
        kex=(
            "curve25519-sha256@libssh.org",
            "ecdh-sha2-nistp256",
            "ecdh-sha2-nistp384",
            "ecdh-sha2-nistp521",
            "diffie-hellman-group-exchange-sha256",
            "diffie-hellman-group16-sha512",
            "diffie-hellman-group-exchange-sha1",
            "diffie-hellman-group14-sha256",
            "diffie-hellman-group14-sha1",
        ),
        ciphers=(
            "aes128-ctr",
            "aes192-ctr",
            "aes256-ctr",
            "aes128-gcm@openssh.com",
            "aes256-gcm@openssh.com",
        ),
        macs=("hmac-sha2-256", "hmac-sha2-512", "hmac-sha1"),
        strict_kex=False,
        ext_info=True,
    ),
    Era.MODERN: AlgorithmSet(
        version="OpenSSH_8.0",  # (inferred)
        host_key="ecdsa",
        host_key_algorithms=("ecdsa-sha2-nistp256",),
        kex=paramiko.Transport._preferred_kex,
        ciphers=paramiko.Transport._preferred_ciphers,
        macs=paramiko.Transport._preferred_macs,
        strict_kex=True,
        ext_info=True,
    ),
}


def era_for(release: Release) -> Era:
    if release.major <= 11:
        return Era.OPENSSH_5_3
    if release.major <= 12:
        return Era.OPENSSH_7_4
    return Era.MODERN


def offer_for(
    release: Release,
    era: str = "auto",
    *,
    version: str | None = None,
    host_key_algorithms: list[str] | None = None,
    kex: list[str] | None = None,
    ciphers: list[str] | None = None,
    macs: list[str] | None = None,
) -> AlgorithmSet:
    """The era's set (by release when ``auto``), with any list the node config replaces."""
    base = ERAS[era_for(release) if era == "auto" else Era(era)]
    keys = tuple(host_key_algorithms) if host_key_algorithms else base.host_key_algorithms
    return replace(
        base,
        version=version or base.version,
        host_key="ecdsa" if any(k.startswith("ecdsa") for k in keys) else "rsa",
        host_key_algorithms=keys,
        kex=tuple(kex) if kex else base.kex,
        ciphers=tuple(ciphers) if ciphers else base.ciphers,
        macs=tuple(macs) if macs else base.macs,
    )


def supported() -> dict[str, set[str]]:
    """Every name a lab node can be configured to offer, by kind."""
    return {
        "host_key_algorithms": {"ssh-rsa", "rsa-sha2-256", "rsa-sha2-512", "ecdsa-sha2-nistp256"},
        "kex": set(paramiko.Transport._kex_info) | set(_OWN_KEX),
        "ciphers": set(paramiko.Transport._cipher_info),
        "macs": set(paramiko.Transport._mac_info),
    }


# RSA key generation costs ~0.1 s of CPU; labs draw from a pool so tests stay fast.
# Consecutive keys differ, so no two nodes of a lab (up to the pool's size) share one
# and a re-keyed node always gets a new key.
_POOL_SIZE = 32
_rsa_pool: list[LabRsaKey] = []
_rsa_next = itertools.count()
_rsa_lock = threading.Lock()


def new_host_key(kind: str) -> paramiko.PKey:
    if kind == "ecdsa":
        return paramiko.ECDSAKey.generate(bits=256)
    with _rsa_lock:
        index = next(_rsa_next) % _POOL_SIZE
        while len(_rsa_pool) <= index:
            _rsa_pool.append(LabRsaKey(key=paramiko.RSAKey.generate(2048).key))
        return _rsa_pool[index]


def configure_server(transport: paramiko.Transport, offer: AlgorithmSet) -> None:
    """Make a server-mode transport announce and offer exactly ``offer``."""
    transport.local_version = f"SSH-2.0-{offer.version}"
    transport._kex_info = {**paramiko.Transport._kex_info, **_OWN_KEX}
    transport._preferred_kex = offer.kex
    transport._preferred_keys = offer.host_key_algorithms
    transport._preferred_ciphers = offer.ciphers
    transport._preferred_macs = offer.macs
    transport.advertise_strict_kex = offer.strict_kex
    transport.server_sig_algs = offer.ext_info
    transport._modulus_pack = _MODULI

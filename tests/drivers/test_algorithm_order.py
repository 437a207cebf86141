"""devpack's SSH algorithm order: modern first, legacy (SHA-1, CBC, MD5) only last."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import paramiko
import pytest
from cryptography.hazmat.primitives import hashes
from paramiko.kex_group14 import KexGroup14SHA256

from orchestrator.drivers.ssh.algorithms import (
    EXPONENT_BITS,
    FAST_CIPHERS,
    LEGACY_HOST_KEYS,
    LEGACY_KEX,
    WHY_LEGACY_IS_ACCEPTED,
    Negotiated,
    NegotiatingTransport,
    legacy_notes,
)


@pytest.fixture
def transport() -> Iterator[NegotiatingTransport]:
    left, right = socket.socketpair()
    try:
        yield NegotiatingTransport(left)
    finally:
        left.close()
        right.close()


def test_gcm_first_and_every_other_cipher_kept_for_older_nodes(transport):
    ciphers = transport.get_security_options().ciphers
    assert ciphers[: len(FAST_CIPHERS)] == FAST_CIPHERS
    assert set(ciphers) == set(paramiko.Transport._preferred_ciphers)
    assert "aes128-ctr" in ciphers  # what an OpenSSH 5.3 node negotiates


def test_legacy_host_key_and_kex_come_after_everything_modern(transport):
    keys = transport.get_security_options().key_types
    kex = transport.get_security_options().kex
    assert keys[-len(LEGACY_HOST_KEYS) :] == LEGACY_HOST_KEYS
    assert keys[: -len(LEGACY_HOST_KEYS)] == tuple(paramiko.Transport._preferred_keys)
    assert kex[-len(LEGACY_KEX) :] == LEGACY_KEX
    assert kex[: -len(LEGACY_KEX)] == tuple(paramiko.Transport._preferred_kex)
    assert "diffie-hellman-group1-sha1" not in kex  # 1024-bit group: never


def test_legacy_support_stays_on_devpack_transports_only(transport):
    # paramiko's class (used by the lab's own SFTP client and anyone else) is unchanged
    verifier = transport._key_info["ssh-rsa"]
    assert verifier.HASHES == {"ssh-rsa": hashes.SHA1}  # verifies SHA-1 and nothing else
    assert paramiko.Transport._key_info.get("ssh-rsa") is not verifier
    assert LEGACY_KEX[0] not in paramiko.Transport._preferred_kex
    assert paramiko.Transport._preferred_kex != transport._preferred_kex


@pytest.mark.parametrize(
    ("negotiated", "legacy"),
    [
        (
            Negotiated("SSH-2.0-OpenSSH_5.3", "ssh-rsa", "diffie-hellman-group-exchange-sha256",
                       "aes128-ctr", "hmac-sha1"),
            ["host key ssh-rsa (SHA-1 signature)"],
        ),
        (
            Negotiated("SSH-2.0-OpenSSH_5.3", "ssh-rsa", "diffie-hellman-group14-sha1",
                       "aes128-cbc", "hmac-md5"),
            ["host key ssh-rsa (SHA-1 signature)", "key exchange diffie-hellman-group14-sha1",
             "cipher aes128-cbc", "MAC hmac-md5"],
        ),
        (
            Negotiated("SSH-2.0-OpenSSH_7.4", "rsa-sha2-512", "curve25519-sha256@libssh.org",
                       "aes128-gcm@openssh.com", "hmac-sha2-256"),
            [],
        ),
    ],
)  # fmt: skip
def test_legacy_names_what_openssh_9_no_longer_enables(negotiated, legacy):
    assert negotiated.legacy == legacy


def test_plan_notes_group_nodes_by_what_they_use():
    old = Negotiated("SSH-2.0-OpenSSH_5.3", "ssh-rsa", "diffie-hellman-group-exchange-sha256",
                     "aes128-ctr", "hmac-sha1")  # fmt: skip
    sha1kex = Negotiated("SSH-2.0-OpenSSH_5.3", "ssh-rsa", "diffie-hellman-group14-sha1",
                         "aes128-ctr", "hmac-sha1")  # fmt: skip
    new = Negotiated("SSH-2.0-OpenSSH_7.4", "rsa-sha2-512", "curve25519-sha256@libssh.org",
                     "aes128-gcm@openssh.com", "hmac-sha2-256")  # fmt: skip
    notes = legacy_notes({"sub2": old, "pub": new, "sub1": old, "sub3": sha1kex})
    assert [n.split(": accepted only")[0] for n in notes] == [
        "sub1, sub2: SSH uses host key ssh-rsa (SHA-1 signature) (OpenSSH_5.3)",
        "sub3: SSH uses host key ssh-rsa (SHA-1 signature), key exchange "
        "diffie-hellman-group14-sha1 (OpenSSH_5.3)",
    ]
    assert all(WHY_LEGACY_IS_ACCEPTED in n for n in notes)


@pytest.mark.parametrize(
    "kex",
    ["diffie-hellman-group-exchange-sha256", *LEGACY_KEX],
)
def test_finite_field_exponents_are_openssh_length(transport, kex):
    engine = transport._kex_info[kex](transport)
    engine.p = KexGroup14SHA256.P  # what a group exchange receives (2048 bits)
    xs = set()
    for _ in range(3):
        engine._generate_x()
        assert engine.x.bit_length() == EXPONENT_BITS
        xs.add(engine.x)
    assert len(xs) == 3

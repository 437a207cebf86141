"""The lab's per-release SSH offer (reference section 9.1), without sockets."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from paramiko.kex_group14 import KexGroup14SHA256
from paramiko.message import Message
from pydantic import ValidationError

from orchestrator.cucm.release import Release
from orchestrator.lab.config import LabConfig, NodeSpec, SshSpec
from orchestrator.lab.nodes import ssh_offer
from orchestrator.lab.ssh_algorithms import ERAS, Era, KexGroup1SHA1, era_for, new_host_key


@pytest.mark.parametrize(
    ("release", "era"),
    [
        ("9.1.2.10000-28", Era.OPENSSH_5_3),
        ("10.5.2.10000-5", Era.OPENSSH_5_3),
        ("11.5.1.10000-6", Era.OPENSSH_5_3),
        ("12.5.1.14900-63", Era.OPENSSH_7_4),
        ("14.0.1.10000-20", Era.MODERN),
        ("15.0.1.10000-1", Era.MODERN),
    ],
)
def test_era_follows_the_release(release, era):
    assert era_for(Release.parse(release)) is era


def test_openssh_5_3_set_is_the_references():
    offer = ERAS[Era.OPENSSH_5_3]
    assert offer.version == "OpenSSH_5.3"
    assert offer.host_key_algorithms == ("ssh-rsa",)
    assert offer.kex == (
        "diffie-hellman-group-exchange-sha256",
        "diffie-hellman-group-exchange-sha1",
        "diffie-hellman-group14-sha1",
        "diffie-hellman-group1-sha1",
    )
    assert not any("gcm" in c for c in offer.ciphers)
    assert not any("sha2" in m for m in offer.macs)
    assert not offer.strict_kex and not offer.ext_info  # both came after 5.3


def test_release_12_offers_rsa_sha2_first():
    offer = ERAS[Era.OPENSSH_7_4]
    assert offer.host_key_algorithms[:2] == ("rsa-sha2-512", "rsa-sha2-256")
    assert offer.kex[0].startswith("curve25519")


def test_node_config_replaces_one_list_and_keeps_the_rest():
    spec = NodeSpec(name="n", ssh=SshSpec(kex=["diffie-hellman-group14-sha1"]))
    offer = ssh_offer(spec, Release.parse("11.5.1.10000-6"))
    assert offer.kex == ("diffie-hellman-group14-sha1",)
    assert offer.host_key_algorithms == ("ssh-rsa",) and offer.host_key == "rsa"
    forced = ssh_offer(NodeSpec(name="n", ssh=SshSpec(era="modern")), Release.parse("11.5.1.1-1"))
    assert forced.host_key == "ecdsa"


def test_unknown_algorithm_in_lab_config_is_refused():
    with pytest.raises(ValidationError, match="the lab cannot offer curve448"):
        LabConfig(nodes=[NodeSpec(name="p", role="publisher", ssh=SshSpec(kex=["curve448"]))])


def test_ssh_rsa_signature_is_sha1_pkcs1_checked_without_paramiko_verify():
    key = new_host_key("rsa")
    signed = Message(key.sign_ssh_data(b"exchange hash", "ssh-rsa").asbytes())
    assert signed.get_text() == "ssh-rsa"
    # checked with cryptography directly: the lab's signature is what RFC 4253 6.6 says
    key.key.public_key().verify(
        signed.get_binary(), b"exchange hash", padding.PKCS1v15(), hashes.SHA1()
    )


def test_rsa_keys_differ_between_nodes_and_on_rekey():
    keys = [new_host_key("rsa").get_base64() for _ in range(5)]
    assert len(set(keys)) == 5


def test_group1_prime_is_the_1024_bit_oakley_group():
    assert KexGroup1SHA1.P.bit_length() == 1024
    assert pow(2, KexGroup1SHA1.P - 1, KexGroup1SHA1.P) == 1  # Fermat: (probably) prime


def test_lab_dh_exponents_are_openssh_length():
    from orchestrator.lab.ssh_algorithms import _OWN_KEX

    for kex in _OWN_KEX.values():
        engine = kex.__new__(kex)
        # a group exchange's p arrives from the server's group; fixed groups carry P
        engine.p = None if hasattr(kex, "P") else KexGroup14SHA256.P
        engine._generate_x()
        assert engine.x.bit_length() == 512, kex.name

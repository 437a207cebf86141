import socket

import paramiko

from orchestrator.drivers.ssh.transport import _FAST_CIPHERS, _transport


def test_gcm_first_and_every_other_cipher_kept_for_older_nodes():
    left, right = socket.socketpair()
    try:
        transport = _transport(left)
        ciphers = transport.get_security_options().ciphers
        assert ciphers[: len(_FAST_CIPHERS)] == _FAST_CIPHERS
        assert set(ciphers) == set(paramiko.Transport._preferred_ciphers)
        assert "aes128-ctr" in ciphers  # what a CUCM 9.x sshd negotiates
    finally:
        left.close()
        right.close()

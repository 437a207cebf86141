"""What an operator reads when a node cannot be reached or logged in to, or a step fails:
which node, which inventory field, what to do."""

from __future__ import annotations

from pathlib import Path

import pytest
from cluster_access_samples import PASSWORD, access

from orchestrator.access import login_error
from orchestrator.app import application_login_warning
from orchestrator.drivers.soap.errors import SoapAuthError
from orchestrator.drivers.ssh.errors import (
    AuthenticationFailed,
    CommandTimeout,
    ConnectionRefused,
    HostKeyMismatch,
    UnknownHostKey,
)
from orchestrator.errors import EXIT_UNREACHABLE, failure_text


def test_wrong_platform_password_names_node_field_and_reference(tmp_path: Path) -> None:
    exc = AuthenticationFailed(
        "authentication as 'admin' on 127.1.2.10:38759 failed", host="127.1.2.10"
    )
    error = login_error(access(tmp_path), exc)
    assert error.exit_code == EXIT_UNREACHABLE
    assert error.message.startswith("node cucmpub: authentication as 'admin'")
    assert "credentials.platform.password" in error.hint
    assert f"file:{tmp_path / 'lab.secrets/platform'}" in error.hint  # the reference, safe
    assert str(tmp_path / "lab.yml") in error.hint
    assert "known_hosts" not in error.hint
    assert PASSWORD not in error.message + error.hint


def test_refused_connection_names_the_node_and_its_address_fields(tmp_path: Path) -> None:
    exc = ConnectionRefused("127.1.2.11:36521 refused the connection", host="127.1.2.11")
    error = login_error(access(tmp_path), exc)
    assert error.message == "cannot reach node cucmsub1: 127.1.2.11:36521 refused the connection"
    assert "nodes[1].address and nodes[1].ssh_port (36521)" in error.hint
    assert "credentials" not in error.hint


@pytest.mark.parametrize(
    "exc",
    [
        HostKeyMismatch("[127.1.2.11]:36521", "lab.known_hosts", expected_fingerprint="a"),
        UnknownHostKey("[127.1.2.11]:36521", "lab.known_hosts", fingerprint="b"),
    ],
)
def test_host_key_errors_keep_their_own_advice(
    tmp_path: Path, exc: HostKeyMismatch | UnknownHostKey
) -> None:
    exc.host = "127.1.2.11"  # the transport reports the address it dialled
    error = login_error(access(tmp_path), exc)
    assert error.message == f"node cucmsub1: {exc}"
    assert "check credentials" not in error.message + error.hint
    assert error.hint == ""  # the message already says what to do with the key
    assert "verify" in error.message or "add it" in error.message


def test_a_node_that_went_quiet_is_named_and_not_blamed_on_credentials(tmp_path: Path) -> None:
    error = login_error(access(tmp_path), CommandTimeout("no prompt", host="127.1.2.10"))
    assert error.message == "node cucmpub: no prompt"
    assert "is up" in error.hint and "credentials" not in error.hint


def test_failure_text_keeps_class_names_for_the_unexpected_only() -> None:
    soap = SoapAuthError("HTTP 401 from https://x/axl/: the application user was refused")
    assert failure_text(soap) == str(soap)
    key = HostKeyMismatch("h", "kh")
    assert failure_text(key) == str(key)
    assert not failure_text(key).startswith("HostKeyMismatch")
    assert failure_text(KeyError("x")) == "KeyError: 'x'"


def test_wrong_application_password_is_a_warning_naming_the_field(tmp_path: Path) -> None:
    exc = SoapAuthError("HTTP 401 from https://127.1.2.10:8443/axl/: refused")
    warning = application_login_warning(access(tmp_path), exc)
    assert "publisher cucmpub" in warning and "'axladmin'" in warning
    assert "credentials.application.password" in warning and "env:LAB_AXL" in warning
    assert "prechecks" in warning
    assert PASSWORD not in warning

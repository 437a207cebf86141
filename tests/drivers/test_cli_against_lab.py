"""End to end: the SSH CLI driver against the simulated cluster over real sockets."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.cucm import texts as T
from orchestrator.drivers.ssh import (
    AuthenticationFailed,
    CucmCli,
    CucmPlatform,
    InstallOutcome,
    NodeUnreachable,
    WizardProbe,
)
from orchestrator.lab.config import (
    FaultKind,
    FaultSpec,
)

from .lab_env import OTHER, PACK, Env, _env

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    yield from _env(tmp_path_factory.mktemp("lab"))


def test_typed_reads_parse_live_output(env: Env) -> None:
    with env.cli("pub") as cli:
        assert cli.pagination_off
        assert cli.show_version().master_version == "12.5.1.14900-63"
        services = cli.service_list()
        assert services.primary_node is True
        tftp = services.get(T.SVC_TFTP)
        assert tftp is not None and tftp.state == "STARTED"
        cluster = cli.network_cluster()
        assert [n.hostname for n in cluster.nodes] == ["pub", "sub1", "old", "new"]
        assert cluster.nodes[0].is_publisher
        assert cli.dbreplication_runtimestate().all_good
        status = cli.status()
        assert status.hostname == "pub" and status.disk("active") is not None
        assert cli.ntp_status().synchronised
        assert any(e.kind == "boot" for e in cli.install_history())
        assert cli.upgrade_status().state == "Idle"
        assert cli.myself().machine_name == "pub"


def test_wizard_probe_leaves_a_free_wizard_free(env: Env) -> None:
    world = env.lab.world
    before = len(world.events.all())
    for node in ("pub", "new", "old"):  # publisher, 15.x subscriber (credentials question), 11.5
        with env.cli(node) as cli:
            assert cli.probe_upgrade_wizard(10) is WizardProbe.FREE
            assert cli.upgrade_status().state == "Idle"
        assert world.nodes[node].upgrade.owner is None
        assert world.nodes[node].upgrade.source is None  # no source saved
    changes = [e.event for e in world.events.all()[before:] if e.event != "cli_command"]
    assert changes == []


def test_cucm15_keyboard_interactive_only(env: Env) -> None:
    with env.cli("new") as cli:
        assert cli.show_version().master_version == "15.0.1.10000-1"


def test_pager_answered_when_pagination_stays_on(env: Env) -> None:
    with env.cli("pub", platform=CucmPlatform(on_open=())) as cli:
        assert not cli.pagination_off
        status = cli.dbreplication_runtimestate()  # longer than a 20-line page
        assert [r.server for r in status.rows] == ["pub", "sub1", "old", "new"]
        assert cli.channel.pages_answered >= 1


def test_file_view_walks_every_page_and_returns_exactly_the_file(env: Env) -> None:
    # `file view` pages with its own prompt even with pagination off (reference 9.5)
    with env.cli("sub1") as cli:
        assert cli.pagination_off
        output = cli.run("file view install system-history.log")
        with env.lab.world.lock:
            expected = env.lab.world.history_lines(env.lab.world.nodes["sub1"])
        assert len(expected) > 40  # three pages of 20
        assert output.split("\n") == expected
        assert cli.channel.pages_answered == 3
        assert len(cli.install_history()) == len(expected)


def test_wrong_password(env: Env) -> None:
    with pytest.raises(AuthenticationFailed):
        CucmCli(env.target("sub1", password="nope")).open()


def test_install_on_publisher_then_not_offered_again(env: Env) -> None:
    phases: list[str] = []
    with env.cli("pub") as cli:
        result = cli.install_cop(env.request(), progress=phases.append)
        assert result.outcome is InstallOutcome.INSTALLED, result.transcript
        assert result.checksum_ok and result.upgrade_log
        assert phases == ["checking", "downloading", "checksum", "installing"]
        assert env.lab.config.sftp.password not in result.transcript
        assert "cmterm-devicepack12.5.1.17123-1.cop" in cli.show_version().options
        assert any(e.kind == "install" and e.subject == PACK.file for e in cli.install_history())
        # the session is reused; the installed file is no longer offered
        again = cli.install_cop(env.request())
        assert again.outcome is InstallOutcome.NOT_OFFERED, again.transcript


def test_install_on_modern_subscriber_and_legacy_node(env: Env) -> None:
    for node in ("sub1", "old"):
        with env.cli(node) as cli:
            result = cli.install_cop(env.request())
            assert result.outcome is InstallOutcome.INSTALLED, result.transcript
            modern = "Use download credentials from Publisher" in result.transcript
            assert modern is (node == "sub1")


def test_checksum_mismatch_is_refused(env: Env) -> None:
    with env.cli("new") as cli:
        result = cli.install_cop(env.request(OTHER.file, expected_md5="0" * 32))
        assert result.outcome is InstallOutcome.CHECKSUM_MISMATCH
        assert result.checksum_ok is False and result.at_prompt
        assert "cmterm-devicepack12.5.1.18000-1.cop" not in cli.show_version().options


def test_wizard_errors_leave_the_session_usable(env: Env) -> None:
    cases = [
        ({"password": "wrong"}, InstallOutcome.BAD_CREDENTIALS),
        ({"directory": "/nowhere"}, InstallOutcome.BAD_DIRECTORY),
        ({"server": "127.0.0.254"}, InstallOutcome.SERVER_UNREACHABLE),
    ]
    with env.cli("new") as cli:  # one session for all: each error returns to admin:
        for overrides, outcome in cases:
            result = cli.install_cop(env.request(OTHER.file, **overrides))
            assert result.outcome is outcome, result.transcript
            assert result.at_prompt
        assert cli.upgrade_status().state == "Idle"


def test_restart_service(env: Env) -> None:
    with env.cli("pub") as cli:
        restart = cli.restart_service(T.SVC_TFTP, timeout=10)
        assert restart.final_state == "STARTED"


def test_stale_wizard_assume_control_then_reboot(tmp_path: Path) -> None:
    # (HostKeyMismatch is covered by test_transport: a rejected key leaves a lab session
    # thread waiting for a channel, which slows the lab's shutdown by 5 s.)
    for env in _env(tmp_path, FaultSpec(kind=FaultKind.STALE_UPGRADE_WIZARD, node="sub1")):
        with env.cli("sub1") as cli:
            # read-only probe: held, and left held (answered no to Assume control)
            assert cli.probe_upgrade_wizard(10) is WizardProbe.HELD
            owner = env.lab.world.nodes["sub1"].upgrade.owner
            assert owner is not None and cli.is_open
            # by default an install never takes another session's wizard over
            refused = cli.install_cop(env.request())
            assert refused.outcome is InstallOutcome.LOCKED, refused.transcript
            assert not refused.took_over_wizard and refused.answers[-1].strip() == "no"
            assert env.lab.world.nodes["sub1"].upgrade.owner is owner
            assert not env.lab.world.events.select("upgrade_wizard_taken_over", "sub1")
            result = cli.install_cop(env.request(assume_control=True))
            assert result.outcome is InstallOutcome.INSTALLED, result.transcript
            assert T.ANOTHER_SESSION in result.transcript and result.took_over_wizard
            transcript = cli.restart_system(confirm_timeout=5, close_timeout=10)
            assert "Shutting down Service Manager" in transcript  # the 12.5 banner
            assert not cli.is_open
        refused = 0
        deadline = time.monotonic() + 10
        while True:
            try:
                cli = env.cli("sub1").open()
            except NodeUnreachable as exc:
                assert exc.retryable
                refused += 1
                assert time.monotonic() < deadline, "node did not come back"
                time.sleep(0.05)
                continue
            break
        with cli:
            assert refused >= 1  # it was really down for a while
            assert "cmterm-devicepack12.5.1.17123-1.cop" in cli.show_version().options
            boots = [e for e in cli.install_history() if e.kind == "boot"]
            assert len(boots) == 45 + 2  # earlier boots, the first one and this reboot

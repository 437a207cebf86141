"""The shipped systemd units (contrib/systemd): ``systemd-analyze verify`` accepts them,
and they agree with the exit codes and timeouts devpack documents."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator.config.playbook import Timeouts
from orchestrator.errors import EXIT_HELD

UNITS = Path(__file__).resolve().parents[1] / "contrib" / "systemd"
SERVICE = UNITS / "devpack-change.service"
TIMER = UNITS / "devpack-change.timer"
DEVPACK = Path(sys.executable).with_name("devpack")


def setting(unit: Path, key: str) -> str:
    [value] = re.findall(rf"^{key}=(.*)$", unit.read_text(), re.M)
    return value.strip()


def verify(folder: Path, *units: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *map(str, units)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=folder,
    )


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze is not installed on this machine",
)
def test_systemd_analyze_verifies_the_units(tmp_path: Path):
    # verify checks that ExecStart's program exists: point it at this checkout's devpack
    service = tmp_path / SERVICE.name
    service.write_text(SERVICE.read_text().replace("/opt/devpack/.venv/bin/devpack", str(DEVPACK)))
    timer = tmp_path / TIMER.name
    timer.write_text(TIMER.read_text())
    result = verify(tmp_path, service, timer)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
    # the check has teeth: a wrong setting is reported
    broken = tmp_path / "broken.service"
    broken.write_text(service.read_text().replace("KillMode=mixed", "KillMode=gently"))
    assert "kill mode" in verify(tmp_path, broken).stderr


def test_the_service_waits_for_an_install_and_treats_a_planned_pause_as_success():
    stop = setting(SERVICE, "TimeoutStopSec")
    minutes = int(stop.removesuffix("min"))
    assert minutes * 60 > Timeouts().install  # a running install can finish after SIGTERM
    assert setting(SERVICE, "KillMode") == "mixed"
    assert setting(SERVICE, "KillSignal") == "SIGTERM"
    assert setting(SERVICE, "SuccessExitStatus") == str(EXIT_HELD)
    exec_start = setting(SERVICE, "ExecStart")
    assert "--run-id" in exec_start and "--json" in exec_start and "--window" in exec_start
    assert setting(TIMER, "Unit") == SERVICE.name

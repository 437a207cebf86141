"""A lab for the driver tests: one small cluster of mixed releases, and the session
and install request a test needs to talk to one of its nodes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from orchestrator.drivers.ssh import (
    CopInstallRequest,
    CucmCli,
    SshTarget,
)
from orchestrator.lab.config import (
    DevicePackSpec,
    FaultSpec,
    LabConfig,
    ModelSpec,
    NodeSpec,
)
from orchestrator.lab.runner import Lab

PACK = DevicePackSpec(
    file="cmterm-devicepack12.5.1.17123-1.cop.sgn",
    version="12.5.1.17123-1",
    models=[ModelSpec(name="Cisco 8851", enum=683)],
)
OTHER = DevicePackSpec(
    file="cmterm-devicepack12.5.1.18000-1.cop.sgn",
    version="12.5.1.18000-1",
    models=[ModelSpec(name="Cisco 8865", enum=36670)],
)


def config(*faults: FaultSpec) -> LabConfig:
    return LabConfig(
        cluster="drv",
        release="12.5.1.14900-63",
        profile="fast",
        # sub-second already; shorter still so the whole file stays within a few seconds
        timing={"install_seconds": 0.05, "sftp_unreachable_seconds": 0.05, "login_delay": 0.0},
        nodes=[
            NodeSpec(name="pub", role="publisher", tftp=True),
            NodeSpec(name="sub1", earlier_boots=45),
            NodeSpec(name="old", release="11.5.1.15900-18"),
            NodeSpec(name="new", release="15.0.1.10000-1"),
        ],
        device_packs=[PACK, OTHER],
        faults=list(faults),
    )


class Env:
    def __init__(self, lab: Lab, workdir: Path) -> None:
        self.lab = lab
        self.known_hosts = lab.write_known_hosts(workdir / "known_hosts")

    def target(self, node: str, password: str | None = None) -> SshTarget:
        ep = self.lab.endpoints[node]
        cfg = self.lab.config
        return SshTarget(
            ep.address,
            cfg.admin.username,
            password or cfg.admin.password,
            str(self.known_hosts),
            port=ep.ssh_port,
            connect_timeout=3,
        )

    def cli(self, node: str, **kwargs: object) -> CucmCli:
        return CucmCli(self.target(node), login_timeout=10, command_timeout=10, **kwargs)  # type: ignore[arg-type]

    def request(self, file: str = PACK.file, **overrides: object) -> CopInstallRequest:
        cfg = self.lab.config
        values: dict[str, object] = dict(
            file_name=file,
            expected_md5=self.lab.cop_md5(file),
            server=self.lab.sftp_address,
            directory=cfg.sftp.directory,
            user=cfg.sftp.username,
            password=cfg.sftp.password,
            prompt_timeout=10,
            download_timeout=10,
            install_timeout=20,
        )
        values.update(overrides)
        return CopInstallRequest(**values)  # type: ignore[arg-type]


def _env(tmp: Path, *faults: FaultSpec) -> Iterator[Env]:
    with Lab(config(*faults), tmp / "lab") as lab:
        yield Env(lab, tmp)

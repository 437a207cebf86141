"""Lab clusters for the benchmarks: 1+N nodes, paired CallManager groups, two TFTP nodes.

Timing is the lab's ``realistic`` profile scaled down 400 times, so the proportions
(install vs reboot vs replication settle vs login) are a real cluster's while a 1+6
rollout takes seconds. The lab's pacing then derives the playbook's estimates,
timeouts and polling from the same numbers, as ``devpack lab up`` does.
"""

from __future__ import annotations

from pathlib import Path

from ruamel.yaml import YAML

from orchestrator.config.playbook import Polling
from orchestrator.lab.config import DevicePackSpec, LabConfig, ModelSpec, NodeSpec, PhoneSpec
from orchestrator.lab.timing import PROFILES

SCALE = 1 / 400
# A release that needs a full reboot (Cisco's rule up to 11.5(1)SU4): the longest path.
REBOOT_RELEASE = "10.5.2.15900-8"
PACK = DevicePackSpec(
    file="cmterm-devicepack12.5.1.17123-1.cop.sgn",
    version="12.5.1.17123-1",
    models=[ModelSpec(name="Cisco 8851", enum=683), ModelSpec(name="Cisco 8865", enum=36670)],
)
# Nodes restarting at once: the group rules, not this limit, bind for 1+3 and 1+6
# (Cisco's backups-then-primaries order gives two waves there).
MAX_PARALLEL = 3
INSTALL_PARALLEL = 4  # the playbook default


# Not scaled: a factor, and the CLI's idle session timeout (a setting, not work that takes
# time: scaled 1/4000 it would end a session between two of the engine's unscaled reads).
UNSCALED = ("publisher_install_factor", "cli_minute_seconds")


def bench_timing(scale: float = SCALE) -> dict[str, float]:
    real = PROFILES["realistic"].model_dump()
    # None (a replication check shown until a new one starts) is the default: left out
    return {
        key: value * scale
        for key, value in real.items()
        if key not in UNSCALED and value is not None
    }


def groups_for(subscribers: list[str]) -> dict[str, list[str]]:
    """Primary/backup pairs (the usual 1:1 design); an odd one out shares the last backup."""
    groups: dict[str, list[str]] = {}
    for index in range(0, len(subscribers) - 1, 2):
        groups[f"G{index // 2 + 1}"] = [subscribers[index], subscribers[index + 1]]
    if len(subscribers) % 2 and len(subscribers) > 1:
        groups[f"G{len(groups) + 1}"] = [subscribers[-1], subscribers[-2]]
    return groups


def cluster_config(
    subscribers: int,
    name: str = "bench",
    release: str = REBOOT_RELEASE,
    scale: float = SCALE,
) -> LabConfig:
    """Publisher (no CallManager, as in most mid-size clusters) + ``subscribers``; TFTP on
    the first two subscribers; one phone per group."""
    subs = [f"{name}-sub{i}" for i in range(1, subscribers + 1)]
    groups = groups_for(subs)
    return LabConfig(
        cluster=name,
        release=release,
        profile="fast",
        timing=bench_timing(scale),
        nodes=[
            NodeSpec(name=f"{name}-pub", role="publisher", callmanager=False),
            *(NodeSpec(name=s, tftp=i < 2) for i, s in enumerate(subs)),
        ],
        groups=groups,
        phones=[
            PhoneSpec(name=f"SEP0011223344{i:02d}", model="Cisco 8851", group=g)
            for i, g in enumerate(groups)
        ],
        device_packs=[PACK],
    )


def tune_playbook(path: Path, max_parallel: int = MAX_PARALLEL, scale: float = SCALE) -> None:
    """The lab writes a playbook with its pacing; the benchmark sets the wave limits and
    polls like the production default (2 s doubling to 15 s) on the same scale as the
    timing. The lab's own pacing caps polls at 0.1 s, which is 40 s on a real cluster."""
    yaml = YAML()
    document = yaml.load(path.read_text())
    document["waves"] = {"max_parallel": max_parallel, "install_parallel": INSTALL_PARALLEL}
    default = Polling()
    document["polling"] = {"first": default.first * scale, "max": default.max * scale}
    with path.open("w") as handle:
        yaml.dump(document, handle)

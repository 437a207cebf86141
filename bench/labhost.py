"""A child process hosting many lab clusters, so the orchestrator's own CPU and memory
can be measured apart from the lab's.

``python -m bench.labhost FOLDER COUNT SUBSCRIBERS SCALE
[RELEASE]`` starts COUNT labs, writes
FOLDER/<cluster>/inventory.yml + playbook.yml (a fleet directory), prints ``ready``
and runs until stdin closes; then writes FOLDER/first-installs.json: each cluster's
first ``install_started`` (epoch seconds, the lab's ground truth).
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import structlog

from bench.clusters import REBOOT_RELEASE, cluster_config, tune_playbook
from orchestrator.lab.runner import Lab


def first_installs(labs: list[Lab]) -> dict[str, float]:
    """Cluster -> when its first install started (clusters that started one)."""
    firsts: dict[str, float] = {}
    for lab in labs:
        started = [e.time for e in lab.events.all() if e.event == "install_started"]
        if started:
            firsts[lab.config.cluster] = min(started)
    return firsts


def host(folder: Path, count: int, subscribers: int, scale: float, release: str) -> None:
    labs: list[Lab] = []
    try:
        for index in range(1, count + 1):
            name = f"c{index:02d}"
            config = cluster_config(subscribers, name=name, scale=scale, release=release)
            lab = Lab(config, folder / "labs" / name).start()
            labs.append(lab)
            lab.write_inventory(folder / "fleet" / name / "inventory.yml")
            playbook = lab.write_playbook(folder / "fleet" / name / "playbook.yml")
            tune_playbook(playbook, scale=scale)
        print("ready", flush=True)
        sys.stdin.read()  # the benchmark closes our stdin when it is done
        (folder / "first-installs.json").write_text(json.dumps(first_installs(labs)))
    finally:
        for lab in labs:
            lab.stop()


if __name__ == "__main__":
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    logging.getLogger("paramiko").setLevel(logging.CRITICAL)
    folder, count, subscribers, scale = sys.argv[1:5]
    release = sys.argv[5] if len(sys.argv) > 5 else REBOOT_RELEASE
    host(Path(folder), int(count), int(subscribers), float(scale), release)

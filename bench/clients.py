"""Client costs: first AXL and Control Center queries in a fresh process, an SSH login
and a command on an open session, and a Toolkit-sized AXL WSDL.

A one-cluster lab runs in a child process (bench.labhost); each figure comes from a
fresh ``python -m bench.probe`` process, so imports and WSDL parsing are paid there.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.bigwsdl import TOOLKIT_OBJECTS, write_big_wsdl
from bench.fleet import start_labs

LEGACY_SSH_RELEASE = "11.5.1.10000-6"  # OpenSSH 5.3 era: ssh-rsa (SHA-1), no GCM


def probe(mode: str, fleet: Path, wsdl: Path | None = None) -> dict[str, Any]:
    folder = fleet / "c01"
    args = [
        sys.executable,
        "-m",
        "bench.probe",
        mode,
        str(folder / "inventory.yml"),
        str(folder / "playbook.yml"),
    ]
    if wsdl is not None:
        args.append(str(wsdl))
    done = subprocess.run(args, capture_output=True, text=True, check=False, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"probe {mode} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def legacy_ssh() -> dict[str, Any]:
    """The ssh probe against an 11.5 lab, whose sshd offers the OpenSSH 5.3 set."""
    with tempfile.TemporaryDirectory(prefix="bench-ssh-legacy-") as tmp:
        folder = Path(tmp)
        labs = start_labs(folder, 1, 1, 1 / 400, release=LEGACY_SSH_RELEASE)
        try:
            return probe("ssh", folder / "fleet")
        finally:
            assert labs.stdin is not None
            labs.stdin.close()
            labs.wait(timeout=60)


def measure(wsdl_objects: int = TOOLKIT_OBJECTS) -> dict[str, dict[str, Any]]:
    """``wsdl_objects``: object types in the synthetic WSDL (the Toolkit's size by default;
    the smoke run uses a handful)."""
    with tempfile.TemporaryDirectory(prefix="bench-clients-") as tmp:
        folder = Path(tmp)
        # 12.5: the synthetic Toolkit WSDL speaks AXL 12.5, as the real one for 12.5 does
        labs = start_labs(folder, 1, 1, 1 / 400, release="12.5.1.14900-63")
        try:
            big = write_big_wsdl(folder / "AXLAPI.wsdl", objects=wsdl_objects)
            results = {
                "axl": probe("axl", folder / "fleet"),
                "cc": probe("cc", folder / "fleet"),
                "ssh": probe("ssh", folder / "fleet"),
                "bigwsdl": probe("bigwsdl", folder / "fleet", big),
            }
            results["bigwsdl"]["size_mb"] = big.stat().st_size / 1e6
        finally:
            assert labs.stdin is not None
            labs.stdin.close()
            labs.wait(timeout=60)
    results["ssh_legacy"] = legacy_ssh()
    return results


if __name__ == "__main__":
    for mode, figures in measure().items():
        print(
            mode,
            json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in figures.items()}),
        )

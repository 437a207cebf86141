"""One run per cluster: an advisory file lock the OS releases if the holder dies."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import IO


class ClusterLocked(Exception):
    def __init__(self, cluster: str, holder: dict[str, object]) -> None:
        self.cluster = cluster
        self.holder = holder
        super().__init__(
            f"cluster {cluster} is locked by run {holder.get('run_id', '?')} "
            f"(pid {holder.get('pid', '?')}); wait for it to finish or stop it first"
        )


class ClusterLock:
    def __init__(self, state_dir: Path, cluster: str) -> None:
        self.cluster = cluster
        self.path = state_dir / f"{cluster}.lock"
        self._handle: IO[str] | None = None

    def acquire(self, run_id: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            try:
                holder = json.loads(handle.read() or "{}")
            except json.JSONDecodeError:
                holder = {}
            handle.close()
            raise ClusterLocked(self.cluster, holder) from None
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"run_id": run_id, "pid": os.getpid()}))
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None

    def __enter__(self) -> ClusterLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def lock_holder(state_dir: Path, cluster: str) -> dict[str, object] | None:
    """Who holds the cluster's lock right now (None: nobody, e.g. the run was killed)."""
    probe = ClusterLock(state_dir, cluster)
    if not probe.path.exists():
        return None
    try:
        probe.acquire("probe")
    except ClusterLocked as exc:
        return exc.holder
    # Nobody held it; leave the file as it was found for the next real holder.
    probe.release()
    return None

"""One run per cluster: advisory file locks the OS releases if the holder dies (flock).

Two locks are held for a run's life:
- in the state dir, by cluster name (``<state-dir>/locks/<cluster>.lock``): the run's own
  journal is not used twice at once, and ``devpack status`` tells a live run from a killed
  one;
- in a per-host folder shared by every user (``$DEVPACK_LOCK_DIR``, default
  ``/tmp/devpack-locks``, created world-writable and sticky like /tmp), by the publisher's
  address and SSH port: two operators with different state dirs (or different inventory
  names for one cluster) on this host are kept apart.

Not covered: runs started on different hosts, and one publisher named by two different
addresses (a hostname and its IP address) in two inventories.
"""

from __future__ import annotations

import fcntl
import getpass
import ipaddress
import json
import os
import re
from pathlib import Path
from typing import IO

from orchestrator.files import file_mode, make_dirs

LOCK_DIR_ENV = "DEVPACK_LOCK_DIR"
DEFAULT_LOCK_DIR = Path("/tmp/devpack-locks")


class ClusterLocked(Exception):
    def __init__(self, cluster: str, holder: dict[str, object], where: str = "") -> None:
        self.cluster = cluster
        self.holder = holder
        user = f", user {holder['user']}" if holder.get("user") else ""
        host = f", host {holder['host']}" if holder.get("host") else ""
        super().__init__(
            f"cluster {cluster}{where} is locked by run {holder.get('run_id', '?')} "
            f"(pid {holder.get('pid', '?')}{user}{host}); wait for it to finish or stop it "
            "first"
        )


class ClusterLock:
    def __init__(
        self, state_dir: Path, cluster: str, *, path: Path | None = None, where: str = ""
    ) -> None:
        self.cluster = cluster
        self.path = path or state_dir / f"{cluster}.lock"
        self.where = where
        self._handle: IO[str] | None = None

    def _open(self) -> IO[str]:
        """The lock file, created if missing; read-only if another user created it (a
        read-only descriptor can hold a flock all the same). Never follows a symlink:
        the shared folder is writable by every user."""
        flags = os.O_CREAT | os.O_NOFOLLOW
        try:
            fd = os.open(self.path, os.O_RDWR | flags, file_mode())
        except PermissionError:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW)
            return os.fdopen(fd, "r")
        return os.fdopen(fd, "r+")

    def acquire(self, run_id: str) -> None:
        make_dirs(self.path.parent)
        handle = self._open()
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            try:
                holder = json.loads(handle.read() or "{}")
            except (json.JSONDecodeError, UnicodeDecodeError):
                holder = {}
            handle.close()
            raise ClusterLocked(self.cluster, holder, self.where) from None
        if handle.writable():
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps({"run_id": run_id, "pid": os.getpid(), "user": _user()}))
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


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def shared_lock_dir() -> Path:
    """The per-host folder of publisher locks; created sticky and world-writable, so
    every user's runs meet there (each lock file is owned by whoever created it)."""
    folder = Path(os.environ.get(LOCK_DIR_ENV) or DEFAULT_LOCK_DIR)
    if not folder.exists():
        try:
            folder.mkdir(parents=True, mode=0o700)
            os.chmod(folder, 0o1777)
        except FileExistsError:
            pass  # another process made it meanwhile
    return folder


def publisher_key(address: str, port: int) -> str:
    """The publisher as a file name: IP addresses in their canonical form, names in lower
    case without a trailing dot, plus the SSH port."""
    text = address.strip().lower().rstrip(".")
    try:
        text = str(ipaddress.ip_address(text.strip("[]")))
    except ValueError:
        pass
    return re.sub(r"[^a-z0-9._-]", "_", text) + f"_{port}"


def publisher_lock(cluster: str, address: str, port: int) -> ClusterLock:
    key = publisher_key(address, port)
    return ClusterLock(
        shared_lock_dir(),
        cluster,
        path=shared_lock_dir() / f"{key}.lock",
        where=f" (publisher {address} port {port}, locked on this host)",
    )


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

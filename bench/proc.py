"""What a child process holds while it runs: threads and open sockets, from /proc.

Sampled on a background thread (every ``interval`` s) so the peaks of a run are seen
without touching the measured process; Linux only, like the rest of the benchmark.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path


def threads(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return 0


def sockets(pid: int) -> int:
    """Open file descriptors that are sockets (TCP to nodes, SOAP, the journal's none)."""
    folder = f"/proc/{pid}/fd"
    count = 0
    for name in os.listdir(folder):
        try:
            if os.readlink(f"{folder}/{name}").startswith("socket:"):
                count += 1
        except OSError:  # closed between listing and reading
            continue
    return count


@dataclass
class Peaks:
    threads: int = 0
    sockets: int = 0
    samples: int = 0


@dataclass
class Sampler:
    """Peak threads and sockets of ``pid`` until ``stop()``."""

    pid: int
    interval: float = 0.2
    peaks: Peaks = field(default_factory=Peaks)
    _done: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> Sampler:
        self._thread = threading.Thread(target=self._run, name="proc-sampler", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._done.wait(self.interval):
            try:
                now_threads, now_sockets = threads(self.pid), sockets(self.pid)
            except (FileNotFoundError, ProcessLookupError):
                return  # exited
            self.peaks.threads = max(self.peaks.threads, now_threads)
            self.peaks.sockets = max(self.peaks.sockets, now_sockets)
            self.peaks.samples += 1

    def stop(self) -> Peaks:
        self._done.set()
        if self._thread:
            self._thread.join()
        return self.peaks

"""What the operator sees: a live per-node view on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
import threading
import time
from datetime import datetime
from typing import TextIO

from rich.console import Console
from rich.live import Live
from rich.table import Table

from orchestrator.engine.rollout import ProgressView


def operator_console(stderr: bool = False) -> Console:
    """A console for what the operator reads. Off a terminal (pipes, CI, cron mail) rich
    would wrap at 80 columns, and tables need more: 160. Lines are never hard-wrapped
    (soft_wrap): a printed command must paste as one line, whatever its length. No emoji
    codes: a fingerprint such as ``AB:CD:EF`` must print as it is, not as a picture."""
    stream = sys.stderr if stderr else sys.stdout
    return Console(
        stderr=stderr, width=None if stream.isatty() else 160, soft_wrap=True, emoji=False
    )


class PlainProgress(ProgressView):
    """One timestamped line per change: for logs, pipes and CI."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self._lock = threading.Lock()

    def _line(self, text: str) -> None:
        with self._lock:
            self.stream.write(f"{datetime.now():%H:%M:%S} {text}\n")
            self.stream.flush()

    def stage(self, name: str, reason: str) -> None:
        self._line(f"== {name}: {reason}")

    def node(self, node: str, text: str) -> None:
        self._line(f"   {node:<16} {text}")

    def message(self, text: str) -> None:
        self._line(text)


class LiveProgress(ProgressView):
    """A table refreshed in place: per node its current step, state, and time in that step."""

    def __init__(self, nodes: list[str], console: Console | None = None) -> None:
        self.console = console or Console()
        self._lock = threading.Lock()
        now = time.monotonic()
        # node -> (step, state, when the node entered that step)
        self._rows: dict[str, tuple[str, str, float]] = {n: ("", "waiting", now) for n in nodes}
        self._stage = ""
        self._live = Live(
            self._table(), console=self.console, refresh_per_second=4, get_renderable=self._table
        )

    def __enter__(self) -> LiveProgress:
        self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.__exit__(None, None, None)

    def _table(self) -> Table:
        table = Table(title=f"stage: {self._stage}" if self._stage else None)
        table.add_column("node", style="cyan")
        table.add_column("step")
        table.add_column("state")
        table.add_column("elapsed", justify="right")
        now = time.monotonic()
        with self._lock:
            rows = list(self._rows.items())
        for node, (step, state, since) in rows:
            style = "red" if "fail" in state else "green" if state == "done" else ""
            shown = f"[{style}]{state}[/]" if style else state
            table.add_row(node, step, shown, f"{now - since:5.1f}s")
        return table

    def stage(self, name: str, reason: str) -> None:
        self._stage = name
        self.console.log(f"[bold]{name}[/]: {reason}")

    def node(self, node: str, text: str) -> None:
        with self._lock:
            step, _, since = self._rows.get(node, ("", "", time.monotonic()))
            if step != self._stage:
                step, since = self._stage, time.monotonic()
            self._rows[node] = (step, text, since)

    def message(self, text: str) -> None:
        self.console.log(text)

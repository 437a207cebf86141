"""Ground truth: what happened in the lab, when (JSON lines)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO


@dataclass(frozen=True)
class Event:
    time: float
    node: str
    event: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"time": self.time, "node": self.node, "event": self.event, **self.data})


class EventLog:
    """Thread-safe append-only list of events, optionally mirrored to a JSON-lines file."""

    def __init__(self, path: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._events: list[Event] = []
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
        self._file: TextIO | None = path.open("a", buffering=1) if path else None
        self._listeners: list[Callable[[Event], None]] = []

    def emit(self, node: str, event: str, **data: Any) -> Event:
        item = Event(time.time(), node, event, data)
        with self._lock:
            self._events.append(item)
            if self._file:
                self._file.write(item.to_json() + "\n")
            listeners = list(self._listeners)
        for listener in listeners:
            listener(item)
        return item

    def subscribe(self, listener: Callable[[Event], None]) -> None:
        with self._lock:
            self._listeners.append(listener)

    def all(self) -> list[Event]:
        with self._lock:
            return list(self._events)

    def select(
        self, event: str | None = None, node: str | None = None, **match: Any
    ) -> list[Event]:
        return [
            e
            for e in self.all()
            if (event is None or e.event == event)
            and (node is None or e.node == node)
            and all(e.data.get(k) == v for k, v in match.items())
        ]

    def close(self) -> None:
        with self._lock:
            if self._file:
                self._file.close()
                self._file = None

"""Injected faults: declared in the lab config, switchable at run time."""

from __future__ import annotations

import threading

from orchestrator.lab.config import FaultKind, FaultSpec


class FaultBoard:
    def __init__(self, faults: list[FaultSpec]) -> None:
        self._lock = threading.Lock()
        self._faults = [f.model_copy() for f in faults]

    def add(self, fault: FaultSpec) -> None:
        with self._lock:
            self._faults.append(fault.model_copy())

    def replace(self, faults: list[FaultSpec]) -> None:
        with self._lock:
            self._faults = [f.model_copy() for f in faults]

    def clear(self, kind: FaultKind | None = None, node: str | None = None) -> None:
        with self._lock:
            self._faults = [
                f
                for f in self._faults
                if not ((kind is None or f.kind == kind) and (node is None or f.node == node))
            ]

    def active(self, kind: FaultKind, node: str | None = None) -> FaultSpec | None:
        """The matching fault without consuming it."""
        with self._lock:
            return self._match(kind, node)

    def fire(self, kind: FaultKind, node: str | None = None) -> FaultSpec | None:
        """The matching fault, consuming one of its counted firings."""
        with self._lock:
            fault = self._match(kind, node)
            if fault is not None and fault.count is not None:
                fault.count -= 1
                if fault.count <= 0:
                    self._faults.remove(fault)
            return fault

    def _match(self, kind: FaultKind, node: str | None) -> FaultSpec | None:
        for fault in self._faults:
            if fault.kind == kind and (fault.node is None or node is None or fault.node == node):
                return fault
        return None

    def list(self) -> list[FaultSpec]:
        with self._lock:
            return [f.model_copy() for f in self._faults]

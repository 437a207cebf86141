"""The figures table: name, value, target, met?"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Figure:
    name: str
    value: float | None
    unit: str = ""
    target: str = ""
    check: Callable[[float], bool] | None = None
    note: str = ""

    @property
    def met(self) -> str:
        if self.check is None:
            return ""
        if self.value is None:
            return "n/a"
        return "yes" if self.check(self.value) else "NO"

    def shown(self) -> str:
        if self.value is None:
            return "-"
        text = f"{self.value:.3f}" if abs(self.value) < 10 else f"{self.value:.1f}"
        return f"{text} {self.unit}".strip()


def render(figures: list[Figure]) -> str:
    rows = [("figure", "value", "target", "met?", "note")]
    rows += [(f.name, f.shown(), f.target, f.met, f.note) for f in figures]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for index, row in enumerate(rows):
        cells = [row[i].ljust(widths[i]) for i in range(4)] + [row[4]]
        lines.append("| " + " | ".join(cells).rstrip() + " |")
        if index == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|---|")
    return "\n".join(lines)

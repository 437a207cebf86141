"""The timeline: journal entries -> phase segments -> an SVG picture. Pure.

A step's phase changes with each journal state; a segment runs from one entry to the
next. The engine writes each state before acting, so the entry times are when the
node entered that phase.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from orchestrator.engine.journal import TERMINAL, Entry
from orchestrator.engine.states import StepState
from orchestrator.report.schema import Marker, Segment
from orchestrator.ticket import RECORD_PREFIX

CHECK_ACTIONS = {"precheck", "verify", "postcheck"}
_PHASES = {
    "waiting_for_running_install": "install",
    "session_lost": "install",
    "down": "restart",
    "booted": "services",
    "service_restart_requested": "restart",
    "service_restarted": "restart",
    "service_skipped": "restart",
    "waiting_for_services": "services",
    "services_up": "services",
    "waiting_for_replication": "gate",
    "replicated": "gate",
    "settling": "gate",
}
KINDS = {
    "check": ("#9aa5b1", "checks"),
    "install": ("#2f6fdb", "install"),
    "restart": ("#e8871e", "restart / reboot"),
    "services": ("#e5c02b", "waiting for services"),
    "gate": ("#8e5cc4", "gate (replication, settle)"),
}
FAILED = "#d64545"
CLUSTER_ROW = "cluster"


def phase(action: str, state: str) -> str:
    """The bar colour of a step in ``state``: what the node is busy with."""
    if action == "gate":
        return "gate"
    if action in CHECK_ACTIONS:
        return "check"
    if state == "requested":
        return "install" if action == "install" else "restart"
    if state == "checking":
        return "check"
    return _PHASES.get(state, "check")


def segments(entries: list[Entry], actions: dict[str, str]) -> tuple[list[Segment], list[Marker]]:
    """Bars for every step (``actions``: step id -> action) and markers for stages."""
    end_of_journal = max((e.time for e in entries), default=0.0)
    by_step: dict[str, list[Entry]] = {}
    markers: list[Marker] = []
    for entry in entries:
        if entry.step is None or entry.step.startswith(RECORD_PREFIX):
            continue  # records (the change ticket, the before snapshot) are no step
        if entry.step.startswith("stage/"):
            if entry.state == StepState.STARTED:
                markers.append(Marker(name=entry.step.removeprefix("stage/"), time=entry.time))
            continue
        by_step.setdefault(entry.step, []).append(entry)
    bars: list[Segment] = []
    for step, history in by_step.items():
        action = "gate" if step.startswith("gate/") else actions.get(step, "")
        row = history[0].node or CLUSTER_ROW
        bars.extend(_step_segments(step, row, action, history, end_of_journal))
    return bars, markers


def _step_segments(
    step: str, row: str, action: str, history: list[Entry], end_of_journal: float
) -> list[Segment]:
    found: list[Segment] = []
    for index, entry in enumerate(history):
        if entry.state in TERMINAL:
            if entry.state == StepState.FAILED and found:
                found[-1].failed = True
            continue
        following = history[index + 1] if index + 1 < len(history) else None
        end = following.time if following else end_of_journal
        kind = phase(action, entry.state)
        if found and found[-1].kind == kind and found[-1].end == entry.time:
            found[-1].end = end
        else:
            found.append(Segment(row=row, kind=kind, step=step, start=entry.time, end=end))
        if following is None:
            found[-1].open = True
    return found


# ----- the picture ------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    fill: str
    stroke: str
    title: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Row:
    y: float
    label: str


@dataclass(frozen=True)
class Picture:
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    rows: list[Row]
    bars: list[Bar]
    ticks: list[Tick]
    markers: list[Tick]
    legend: list[tuple[str, str]]
    caption: str


ROW_HEIGHT = 34
BAR_HEIGHT = 18
LEFT = 130
TOP = 28
NICE_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200]


def _clock(epoch: float, step: int) -> str:
    layout = "%H:%M:%S" if step < 60 else "%H:%M"
    return datetime.fromtimestamp(epoch, UTC).strftime(layout)


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def picture(
    bars: list[Segment], markers: list[Marker], rows: list[str], width: int = 1180
) -> Picture | None:
    """Lay the bars out: ``rows`` top to bottom (nodes, then the cluster's gates)."""
    if not bars:
        return None
    names = [r for r in rows if any(b.row == r for b in bars)]
    names += sorted({b.row for b in bars} - set(names))
    t0 = min(b.start for b in bars)
    t1 = max(b.end for b in bars)
    span = max(t1 - t0, 1.0)
    right = width - 20
    plot = right - LEFT

    def x(t: float) -> float:
        return LEFT + (t - t0) / span * plot

    y_of = {name: TOP + index * ROW_HEIGHT for index, name in enumerate(names)}
    drawn = []
    for bar in sorted(bars, key=lambda b: b.start):
        colour, label = KINDS.get(bar.kind, KINDS["check"])
        left, far = x(bar.start), x(bar.end)
        title = (
            f"{bar.row} · {bar.step} · {label}: {_clock(bar.start, 1)}–{_clock(bar.end, 1)} UTC "
            f"({_duration(bar.end - bar.start)})"
            + (" · FAILED" if bar.failed else "")
            + (" · still open when the journal ends" if bar.open else "")
        )
        drawn.append(
            Bar(
                x=round(left, 1),
                y=y_of[bar.row] + (ROW_HEIGHT - BAR_HEIGHT) / 2,
                width=round(max(far - left, 2.0), 1),
                height=BAR_HEIGHT,
                fill=colour,
                stroke=FAILED if bar.failed else "none",
                title=title,
            )
        )
    step = next((s for s in NICE_STEPS if span / s <= 10), NICE_STEPS[-1])
    first = (int(t0) // step + 1) * step
    ticks = [Tick(round(x(t), 1), _clock(t, step)) for t in range(first, int(t1) + 1, step)]
    bottom = TOP + len(names) * ROW_HEIGHT
    return Picture(
        width=width,
        height=bottom + 64,
        plot_left=LEFT,
        plot_right=right,
        plot_top=TOP,
        plot_bottom=bottom,
        rows=[Row(y_of[n] + ROW_HEIGHT / 2, "gates" if n == CLUSTER_ROW else n) for n in names],
        bars=drawn,
        ticks=ticks,
        markers=[Tick(round(x(m.time), 1), m.name) for m in markers if t0 <= m.time <= t1],
        legend=[(colour, label) for colour, label in KINDS.values()]
        + [(FAILED, "failed (outline)")],
        caption=f"{_clock(t0, 1)}–{_clock(t1, 1)} UTC, {_duration(t1 - t0)}",
    )


duration_text = _duration

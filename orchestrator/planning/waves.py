"""Split subscribers into restart waves that keep phones served.

Rules (reference section 7): backups of a CallManager group restart before its
primary; two members of one group never restart together (they serve the same
phones); at least one TFTP node stays up; at most ``max_parallel`` nodes per wave;
and as few waves as those rules allow.

A node can be primary of one group and backup of another, so "backups first" can
form a cycle (two subscribers backing each other up is the usual design). Within
such a cycle one rule has to give: the greedy split breaks it deterministically, the
exact search may break it whichever way allows fewer waves; either way it is
reported. Every ordering that lies on no cycle is a hard rule.

Minimal wave count is an NP-hard colouring problem in general. We place nodes
greedily (first fit in precedence order), then run an exact search with a fixed
work budget to find a schedule with fewer waves or prove there is none. Real
clusters (at most ~20 subscribers) finish the search well within the budget; when
it runs out, the greedy schedule stands and ``optimal`` is False.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

SEARCH_BUDGET = 50_000


@dataclass(frozen=True)
class WaveProblem:
    nodes: tuple[str, ...]
    groups: dict[str, list[str]]
    tftp: frozenset[str]
    # A TFTP node outside these waves (the publisher, restarted earlier) stays up.
    tftp_elsewhere: bool
    max_parallel: int

    def members(self, group: str) -> list[str]:
        return [m for m in self.groups[group] if m in self.nodes]

    @property
    def tftp_limit(self) -> int | None:
        """Most TFTP nodes one wave may hold, or None when the rule does not bind."""
        if self.tftp_elsewhere or len(self.tftp) <= 1:
            return None
        return len(self.tftp) - 1


@dataclass
class WaveSchedule:
    waves: list[list[str]]
    optimal: bool
    # (before, after, group): backups that could not precede their primary (cycles).
    dropped: list[tuple[str, str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def precedence_edges(problem: WaveProblem) -> list[tuple[str, str, str]]:
    """(backup, primary, group) for every group, among the nodes being scheduled."""
    edges: list[tuple[str, str, str]] = []
    for group in sorted(problem.groups):
        members = problem.members(group)
        if problem.groups[group] and problem.groups[group][0] in problem.nodes:
            primary = problem.groups[group][0]
            edges.extend((b, primary, group) for b in members if b != primary)
    return edges


def cycle_edges(problem: WaveProblem) -> list[tuple[str, str, str]]:
    """The backup->primary rules that lie on a cycle (the primary, through other
    rules, waits for the backup): the only ones a schedule may break."""
    edges = precedence_edges(problem)
    within = set(problem.nodes)
    return [e for e in edges if e[0] in _reachable(edges, e[1], within)]


def broken_edges(problem: WaveProblem, waves: list[list[str]]) -> list[tuple[str, str, str]]:
    """The backup->primary rules ``waves`` does not keep."""
    index = {n: i for i, wave in enumerate(waves) for n in wave}
    return [
        (b, a, g)
        for b, a, g in precedence_edges(problem)
        if b in index and a in index and index[b] >= index[a]
    ]


def conflicts(problem: WaveProblem) -> dict[str, set[str]]:
    together: dict[str, set[str]] = {n: set() for n in problem.nodes}
    for group in problem.groups:
        members = problem.members(group)
        for node in members:
            together[node].update(m for m in members if m != node)
    return together


def violations(
    problem: WaveProblem, waves: list[list[str]], dropped: Iterable[tuple[str, str, str]] = ()
) -> list[str]:
    """Every broken rule in ``waves``; empty when the schedule is safe."""
    problems = []
    placed = [n for wave in waves for n in wave]
    if sorted(placed) != sorted(problem.nodes):
        problems.append("waves do not hold every node exactly once")
    index = {n: i for i, wave in enumerate(waves) for n in wave}
    limit = problem.tftp_limit
    for i, wave in enumerate(waves):
        if not wave:
            problems.append(f"wave {i + 1} is empty")
        if len(wave) > problem.max_parallel:
            problems.append(f"wave {i + 1} has {len(wave)} nodes > {problem.max_parallel}")
        if limit is not None and len(problem.tftp.intersection(wave)) > limit:
            problems.append(f"wave {i + 1} takes every TFTP node down")
        for group in problem.groups:
            shared = [n for n in wave if n in problem.members(group)]
            if len(shared) > 1:
                problems.append(f"wave {i + 1} restarts {', '.join(shared)} of group {group}")
    skipped = set(dropped)
    for before, after, group in precedence_edges(problem):
        if (before, after, group) in skipped or before not in index or after not in index:
            continue
        if index[before] >= index[after]:
            problems.append(f"backup {before} of {group} is not before its primary {after}")
    return problems


def _order(problem: WaveProblem, edges: list[tuple[str, str, str]]) -> list[str]:
    """Precedence order (Kahn); on a cycle, release the node that breaks fewest edges."""
    primaries = {after for _, after, _ in edges}
    remaining = set(problem.nodes)
    order: list[str] = []
    while remaining:
        blocked = {
            after for before, after, _ in edges if before in remaining and after in remaining
        }
        ready = sorted(remaining - blocked, key=lambda n: (n in primaries, n))
        if not ready:
            ready = [_cycle_breaker(edges, remaining)]
        order.append(ready[0])
        remaining.discard(ready[0])
    return order


def _reachable(edges: list[tuple[str, str, str]], start: str, within: set[str]) -> set[str]:
    seen, frontier = {start}, [start]
    while frontier:
        current = frontier.pop()
        for before, after, _ in edges:
            if before == current and after in within and after not in seen:
                seen.add(after)
                frontier.append(after)
    return seen


def _cycle_breaker(edges: list[tuple[str, str, str]], remaining: set[str]) -> str:
    """The node to release when every remaining node waits for another.

    Only a node whose waiting-for nodes all lie on a cycle through it may go: then
    each backup->primary rule we give up was impossible anyway. A source component
    of the remaining graph always has such nodes. Among them, break fewest rules.
    """

    def waits_for(node: str) -> list[str]:
        return [b for b, a, _ in edges if a == node and b in remaining]

    candidates = [
        node
        for node in sorted(remaining)
        if set(waits_for(node)) <= _reachable(edges, node, remaining)
    ]
    return min(candidates, key=lambda node: (len(waits_for(node)), node))


class _OutOfBudget(Exception):
    pass


class _Packer:
    def __init__(
        self,
        problem: WaveProblem,
        order: list[str],
        preds: dict[str, list[str]],
        heights: dict[str, int],
    ) -> None:
        self.problem = problem
        self.order = order
        self.preds = preds
        self.heights = heights
        self.together = conflicts(problem)
        self.limit = problem.tftp_limit
        self.work = 0

    def fits(self, wave: list[str], node: str) -> bool:
        if len(wave) >= self.problem.max_parallel:
            return False
        if any(other in self.together[node] for other in wave):
            return False
        if self.limit is not None and node in self.problem.tftp:
            return sum(n in self.problem.tftp for n in wave) < self.limit
        return True

    def earliest(self, placed: dict[str, int], node: str) -> int:
        return max((placed[p] + 1 for p in self.preds[node]), default=0)

    def greedy(self) -> list[list[str]]:
        waves: list[list[str]] = []
        placed: dict[str, int] = {}
        for node in self.order:
            start = self.earliest(placed, node)
            target = next((w for w in range(start, len(waves)) if self.fits(waves[w], node)), None)
            if target is None:
                target = max(start, len(waves))
                while len(waves) <= target:
                    waves.append([])
            waves[target].append(node)
            placed[node] = target
        return waves

    def exact(self, count: int) -> list[list[str]] | None:
        """A schedule with ``count`` waves, or None if none exists."""
        waves: list[list[str]] = [[] for _ in range(count)]
        placed: dict[str, int] = {}

        def place(i: int) -> bool:
            self.work += 1
            if self.work > SEARCH_BUDGET:
                raise _OutOfBudget
            if i == len(self.order):
                return all(waves)
            node = self.order[i]
            for w in range(self.earliest(placed, node), count - self.heights[node] + 1):
                if self.fits(waves[w], node):
                    waves[w].append(node)
                    placed[node] = w
                    if place(i + 1):
                        return True
                    waves[w].pop()
                    del placed[node]
            return False

        return waves if place(0) else None


def lower_bound(problem: WaveProblem, heights: dict[str, int]) -> int:
    if not problem.nodes:
        return 0
    bounds = [math.ceil(len(problem.nodes) / problem.max_parallel), max(heights.values())]
    bounds.extend(len(problem.members(g)) for g in problem.groups)
    if problem.tftp_limit:
        bounds.append(math.ceil(len(problem.tftp) / problem.tftp_limit))
    return max(bounds)


def _precedence(
    order: list[str], edges: list[tuple[str, str, str]]
) -> tuple[dict[str, list[str]], dict[str, int]]:
    """Predecessors and heights (longest chain from a node) for ``edges`` along ``order``."""
    preds: dict[str, list[str]] = {n: [] for n in order}
    succs: dict[str, list[str]] = {n: [] for n in order}
    for before, after, _ in edges:
        preds[after].append(before)
        succs[before].append(after)
    heights: dict[str, int] = {}
    for node in reversed(order):
        heights[node] = 1 + max((heights[s] for s in succs[node]), default=0)
    return preds, heights


def schedule_waves(problem: WaveProblem) -> WaveSchedule:
    if not problem.nodes:
        return WaveSchedule(waves=[], optimal=True)
    edges = precedence_edges(problem)
    order = _order(problem, edges)
    position = {n: i for i, n in enumerate(order)}
    kept = [e for e in edges if position[e[0]] < position[e[1]]]
    # Greedy: every rule the deterministic cycle break kept.
    preds, heights = _precedence(order, kept)
    best = [sorted(wave) for wave in _Packer(problem, order, preds, heights).greedy()]
    # Exact search: only the rules on no cycle bind; a cycle may break whichever way
    # gives fewer waves (breaking it the other way can save a wave). ``order`` is a
    # topological order of these rules: cycle breaking only ever releases cycle edges.
    soft = set(cycle_edges(problem))
    hard_preds, hard_heights = _precedence(order, [e for e in edges if e not in soft])
    packer = _Packer(problem, order, hard_preds, hard_heights)
    floor = lower_bound(problem, hard_heights)
    optimal = len(best) <= floor
    try:
        for count in range(floor, len(best)):
            found = packer.exact(count)
            if found is not None:
                best = [sorted(wave) for wave in found]
                break
        optimal = True
    except _OutOfBudget:
        pass
    dropped = broken_edges(problem, best)

    notes = []
    for before, after, group in dropped:
        notes.append(
            f"{before} is a backup of {group} but restarts after its primary "
            f"{after}: they back each other up, so one of them has to go first"
        )
    if not problem.tftp_elsewhere and len(problem.tftp) == 1:
        (only,) = problem.tftp
        notes.append(f"{only} is the only TFTP node: TFTP is unavailable while it restarts")
    if not optimal:
        notes.append(
            f"wave split found greedily ({len(best)} waves, at least {floor} "
            "needed); a shorter split may exist"
        )
    return WaveSchedule(waves=best, optimal=optimal, dropped=dropped, notes=notes)

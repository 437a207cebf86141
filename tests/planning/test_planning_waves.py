"""Wave rules on random clusters (hypothesis) and minimality against brute force."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator.planning import waves as waves_module
from orchestrator.planning.waves import (
    WaveProblem,
    cycle_edges,
    precedence_edges,
    schedule_waves,
    violations,
)

PUB = "pub"


@st.composite
def problems(draw: st.DrawFn, max_nodes: int = 9) -> WaveProblem:
    count = draw(st.integers(min_value=0, max_value=max_nodes))
    nodes = tuple(f"s{i}" for i in range(count))
    groups: dict[str, list[str]] = {}
    for index in range(draw(st.integers(min_value=0, max_value=4))):
        pool = [*nodes, PUB]  # the publisher may be a group member too
        members = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4, unique=True))
        groups[f"G{index}"] = members
    tftp = draw(st.sets(st.sampled_from(nodes))) if nodes else set()
    return WaveProblem(
        nodes=nodes,
        groups=groups,
        tftp=frozenset(tftp),
        tftp_elsewhere=draw(st.booleans()),
        max_parallel=draw(st.integers(min_value=1, max_value=4)),
    )


def reaches(edges: list[tuple[str, str, str]], start: str, goal: str) -> bool:
    frontier, seen = [start], {start}
    while frontier:
        current = frontier.pop()
        if current == goal:
            return True
        for before, after, _ in edges:
            if before == current and after not in seen:
                seen.add(after)
                frontier.append(after)
    return False


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(problems())
def test_every_schedule_obeys_the_rules(problem):
    schedule = schedule_waves(problem)
    assert violations(problem, schedule.waves, schedule.dropped) == []


@FAST
@given(problems())
def test_only_cycles_excuse_a_primary_going_first(problem):
    schedule = schedule_waves(problem)
    edges = precedence_edges(problem)
    for before, after, _ in schedule.dropped:
        # Dropping backup -> primary is only allowed when primary ... -> backup exists.
        assert reaches(edges, after, before)


@FAST
@given(problems())
def test_tftp_always_up(problem):
    schedule = schedule_waves(problem)
    if problem.tftp_elsewhere or len(problem.tftp) < 2:
        return
    for wave in schedule.waves:
        assert problem.tftp - set(wave), f"{wave} takes every TFTP node down"


def brute_force_minimum(problem: WaveProblem, dropped) -> int:
    """Fewest waves by trying every assignment of nodes to 1, 2, ... waves."""
    for count in range(1, len(problem.nodes) + 1):
        for assignment in itertools.product(range(count), repeat=len(problem.nodes)):
            waves = [
                [n for n, w in zip(problem.nodes, assignment, strict=True) if w == i]
                for i in range(count)
            ]
            if all(waves) and not violations(problem, waves, dropped):
                return count
    return 0


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_nodes=5))
def test_wave_count_is_minimal_on_small_clusters(problem):
    schedule = schedule_waves(problem)
    # Small clusters stay within the search budget, so the planner proves optimality.
    assert schedule.optimal
    # Minimal relative to the precedence kept after breaking backup cycles.
    assert len(schedule.waves) == brute_force_minimum(problem, schedule.dropped)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_nodes=5))
def test_wave_count_is_minimal_over_every_way_to_break_a_cycle(problem):
    # The brute force may break any backup rule that lies on a cycle, whichever way.
    schedule = schedule_waves(problem)
    assert schedule.optimal
    assert len(schedule.waves) == brute_force_minimum(problem, cycle_edges(problem))


def test_breaking_a_mutual_backup_cycle_the_other_way_saves_a_wave():
    # QA case: sub1/sub2 back each other up; TFTP on sub1 and sub4 only; sub4 before sub3.
    # Releasing sub1 first forces sub1 and sub4 (both TFTP) into wave 1: three waves.
    # Releasing sub2 first gives {sub2, sub4} then {sub1, sub3}: two.
    problem = WaveProblem(
        nodes=("sub1", "sub2", "sub3", "sub4"),
        groups={"G1": ["sub1", "sub2"], "G2": ["sub2", "sub1"], "G3": ["sub3", "sub4"]},
        tftp=frozenset({"sub1", "sub4"}),
        tftp_elsewhere=False,
        max_parallel=2,
    )
    schedule = schedule_waves(problem)
    assert schedule.waves == [["sub2", "sub4"], ["sub1", "sub3"]]
    assert schedule.optimal
    assert schedule.dropped == [("sub1", "sub2", "G2")]
    assert violations(problem, schedule.waves, schedule.dropped) == []
    assert brute_force_minimum(problem, cycle_edges(problem)) == 2


def test_odd_conflict_cycle_needs_three_waves():
    # Three groups led by the publisher: only backups, pairwise conflicts a-b, b-c, c-a.
    problem = WaveProblem(
        nodes=("a", "b", "c"),
        groups={"G1": [PUB, "a", "b"], "G2": [PUB, "b", "c"], "G3": [PUB, "c", "a"]},
        tftp=frozenset(),
        tftp_elsewhere=True,
        max_parallel=3,
    )
    schedule = schedule_waves(problem)
    assert len(schedule.waves) == 3
    assert schedule.optimal


def test_search_budget_exhausted_keeps_greedy_and_says_so(monkeypatch):
    monkeypatch.setattr(waves_module, "SEARCH_BUDGET", 0)
    problem = WaveProblem(
        nodes=("a", "b", "c"),
        groups={"G1": [PUB, "a", "b"], "G2": [PUB, "b", "c"], "G3": [PUB, "c", "a"]},
        tftp=frozenset(),
        tftp_elsewhere=True,
        max_parallel=3,
    )
    schedule = schedule_waves(problem)
    assert not schedule.optimal
    assert violations(problem, schedule.waves) == []
    assert any("found greedily" in note for note in schedule.notes)


def test_exact_search_beats_greedy(monkeypatch):
    # Found by random search: first-fit puts s0 with s1, s3, s4 and needs a third wave
    # for s5 (after its backup s2); the search finds two waves.
    problem = WaveProblem(
        nodes=("s0", "s1", "s2", "s3", "s4", "s5", "s6"),
        groups={"G0": ["s1"], "G1": [PUB, "s2", "s0"], "G2": ["s5", "s2"]},
        tftp=frozenset({"s6", "s0"}),
        tftp_elsewhere=False,
        max_parallel=4,
    )
    schedule = schedule_waves(problem)
    assert violations(problem, schedule.waves) == []
    assert len(schedule.waves) == brute_force_minimum(problem, schedule.dropped) == 2
    monkeypatch.setattr(waves_module, "SEARCH_BUDGET", 0)
    assert len(schedule_waves(problem).waves) == 3


def test_large_cluster_is_fast_and_safe():
    # A megacluster-sized case: 20 subscribers in 8 groups of three plus TFTP nodes.
    nodes = tuple(f"s{i:02d}" for i in range(20))
    groups = {f"G{g}": [nodes[(g * 3 + k) % 18] for k in range(3)] for g in range(8)}
    problem = WaveProblem(
        nodes=nodes,
        groups=groups,
        tftp=frozenset({"s18", "s19"}),
        tftp_elsewhere=False,
        max_parallel=4,
    )
    schedule = schedule_waves(problem)
    assert violations(problem, schedule.waves, schedule.dropped) == []
    assert len(schedule.waves) >= 5


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_wave_size_limit(limit):
    problem = WaveProblem(
        nodes=tuple(f"s{i}" for i in range(7)),
        groups={},
        tftp=frozenset(),
        tftp_elsewhere=True,
        max_parallel=limit,
    )
    schedule = schedule_waves(problem)
    assert max(len(w) for w in schedule.waves) <= limit
    assert len(schedule.waves) == -(-7 // limit)


def test_violations_reports_each_rule():
    problem = WaveProblem(
        nodes=("a", "b", "t"),
        groups={"G": ["a", "b"]},
        tftp=frozenset({"a", "t"}),
        tftp_elsewhere=False,
        max_parallel=2,
    )
    found = violations(problem, [["a", "t", "b"]])
    assert "wave 1 has 3 nodes > 2" in found
    assert "wave 1 takes every TFTP node down" in found
    assert "wave 1 restarts a, b of group G" in found
    assert violations(problem, [["a"], ["b", "t"]]) == ["backup b of G is not before its primary a"]

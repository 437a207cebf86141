"""The lab's timing profiles and the playbook pacing derived from them."""

from __future__ import annotations

import pytest

from orchestrator.lab.config import demo_config
from orchestrator.lab.runner import lab_pacing
from orchestrator.lab.timing import PROFILES


def test_realistic_replication_settle_is_cisco_small_cluster_budget() -> None:
    # reference 4: 30 minutes (small cluster) to 2 hours for replication to settle
    assert PROFILES["realistic"].replication_settle_seconds == 1800.0
    pacing = lab_pacing(demo_config(profile="realistic"))
    assert pacing["estimates"]["replication_settle"] == 1800


def test_realistic_check_estimates_cover_the_login() -> None:
    timing = PROFILES["realistic"]
    estimates = lab_pacing(demo_config(profile="realistic"))["estimates"]
    for step in ("precheck", "verify"):
        assert estimates[step] >= timing.login_delay + timing.command_delay
        assert estimates[step] < timing.install_seconds


@pytest.mark.parametrize("profile", ["fast", "demo"])
def test_quick_profiles_keep_one_second_checks(profile: str) -> None:
    estimates = lab_pacing(demo_config(profile=profile))["estimates"]  # type: ignore[arg-type]
    assert (estimates["precheck"], estimates["verify"]) == (1, 1)


def test_check_estimates_follow_a_slow_login_override() -> None:
    config = demo_config(profile="fast").model_copy(update={"timing": {"login_delay": 30.0}})
    estimates = lab_pacing(config)["estimates"]
    assert estimates["precheck"] == estimates["verify"] == 30

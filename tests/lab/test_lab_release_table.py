"""The lab's own table of which releases let a subscriber learn new models without a
restart (reference section 7), written apart from the product's rule."""

from __future__ import annotations

import pytest

from orchestrator.cucm.release import Release, RestartScope, restart_rule
from orchestrator.lab import phones


@pytest.mark.parametrize(
    ("release", "learns"),
    [
        ("9.1.2.10000-28", False),
        ("10.5.2.15900-8", False),
        ("11.5.1.14900-11", False),  # 11.5(1)SU4
        ("11.5.1.15900-18", True),  # 11.5(1)SU5
        ("12.0.1.21900-7", False),  # 12.0(1)SU1
        ("12.0.1.22900-11", True),  # 12.0(1)SU2
        ("12.5.1.14900-63", True),
        ("14.0.1.10000-20", True),
        ("15.0.1.10000-1", True),
    ],
)
def test_lab_table_follows_the_reference(release, learns):
    parsed = Release.parse(release)
    assert phones.release_learns_without_restart(parsed) is learns
    # the product must agree with the lab's independent table (not the other way round)
    assert (restart_rule(parsed).scope is RestartScope.SERVICES) is learns


def test_lab_ground_truth_does_not_import_the_product_rule():
    assert not hasattr(phones, "restart_rule")

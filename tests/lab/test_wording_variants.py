"""Wording that differs between releases (reference 9.5): the lab prints each release's
variant, and a rule picks one explicitly."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from orchestrator.cucm import texts
from orchestrator.lab.config import Rules

from .conftest import LabHandle, node

MODERN = "12.5.1.14900-63"


@pytest.mark.parametrize(
    ("rules", "wording"),
    [
        (Rules(), {"old": texts.UPGRADE_WARNING_EXITING, "new": texts.UPGRADE_WARNING_CANCELLING}),
        (Rules(upgrade_warning="canceling"), {"old": texts.UPGRADE_WARNING}),
    ],
)
def test_upgrade_warning_per_release(
    make_lab: Callable[..., LabHandle], rules: Rules, wording: dict[str, str]
) -> None:
    lab = make_lab([node("old", "publisher"), node("new", release=MODERN)], rules=rules)
    for name, text in wording.items():
        cli = lab.login(name)
        cli.send("utils system upgrade initiate\r")
        head = cli.read_until(
            r'Please select an option \(1 - \d or "q" \): $|\(yes/no\) \[yes\]: $'
        )
        assert text in head
        assert [w for w in texts.UPGRADE_WARNINGS.values() if w in head] == [text]


@pytest.mark.parametrize(
    ("release", "rules", "banner"),
    [
        ("11.5.1.10000-6", Rules(), "Appliance is being Restarted ..."),
        (MODERN, Rules(), "Shutting down Service Manager. Please wait..."),
        (MODERN, Rules(restart_banner="appliance"), "Appliance is being Restarted ..."),
    ],
)
def test_restart_banner_per_release(
    make_lab: Callable[..., LabHandle], release: str, rules: Rules, banner: str
) -> None:
    lab = make_lab([node("pub", "publisher")], release=release, rules=rules)
    cli = lab.login("pub")
    cli.send("utils system restart\r")
    cli.answer(texts.RESTART_CONFIRM, "yes")
    assert cli.wait_closed()
    assert banner in cli.buffer

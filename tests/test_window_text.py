"""``--window``: absolute ISO 8601, or relative (now / a duration) for schedulers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from orchestrator.app import parse_window
from orchestrator.errors import UserError

NOW = datetime(2026, 12, 5, 1, 0, 7, 123, tzinfo=UTC)


def test_now_for_a_duration():
    window = parse_window("now/PT4H", now=NOW)
    assert window.start == NOW.replace(microsecond=0)
    assert window.end - window.start == timedelta(hours=4)
    assert parse_window("now/pt3h30m", now=NOW).end == window.start + timedelta(hours=3.5)


def test_a_start_with_a_duration_and_absolute_ends_still_work():
    window = parse_window("2026-12-05T02:00+01:00/PT45M")
    assert window.end.isoformat() == "2026-12-05T02:45:00+01:00"
    window = parse_window("2026-12-05T02:00+01:00/2026-12-05T05:00+01:00")
    assert window.end - window.start == timedelta(hours=3)


@pytest.mark.parametrize("text", ["now/PT", "now/P1D", "now/-PT4H", "soon/PT4H", "now"])
def test_wrong_forms_are_refused_with_an_example(text):
    with pytest.raises(UserError) as caught:
        parse_window(text, now=NOW)
    assert "now/PT4H" in caught.value.hint


def test_the_playbook_window_may_be_relative_to_the_start():
    from orchestrator.config.playbook import Window

    window = Window.model_validate({"start": "now", "end": "PT4H"})
    assert window.end - window.start == timedelta(hours=4)
    assert abs(window.start - datetime.now(UTC)) < timedelta(minutes=1)

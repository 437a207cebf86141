"""Whatever the user writes, loading ends in a model or a ConfigError, never a traceback."""

from __future__ import annotations

from config_samples import GOOD_INVENTORY, GOOD_PLAYBOOK
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator.config import ConfigError, load_inventory, load_playbook

FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    lines = text.splitlines()
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        index = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        action = draw(st.sampled_from(["drop", "dup", "indent", "garble", "value"]))
        if action == "drop":
            del lines[index]
        elif action == "dup":
            lines.insert(index, lines[index])
        elif action == "indent":
            lines[index] = " " + lines[index]
        elif action == "garble":
            lines[index] = lines[index] + draw(
                st.sampled_from(["[", "{", ":", "'", "- x", "&a", "*b", "\t"])
            )
        else:
            key = lines[index].split(":")[0]
            lines[index] = f"{key}: " + draw(
                st.sampled_from(
                    [
                        "",
                        "[]",
                        "{}",
                        "-1",
                        "0",
                        "99999",
                        "yes",
                        "null",
                        "1.5",
                        "x" * 300,
                        "2026-01-01",
                        "[1, 2]",
                        "{a: 1}",
                        "'10.0.0'",
                    ]
                )
            )
        if not lines:
            lines = ["x"]
    return "\n".join(lines) + "\n"


@FUZZ
@given(text=mutated(GOOD_INVENTORY))
def test_mutated_inventory_never_raises_anything_else(files, text):
    try:
        inventory = load_inventory(files.write(text))
    except ConfigError as error:
        assert error.message
        assert str(error).startswith("inventory.yml")
    else:
        assert inventory.cluster


@FUZZ
@given(text=mutated(GOOD_PLAYBOOK))
def test_mutated_playbook_never_raises_anything_else(files, text):
    try:
        playbook = load_playbook(files.write(text, "playbook.yml"))
    except ConfigError as error:
        assert error.message
        assert str(error).startswith("playbook.yml")
    else:
        assert playbook.models


@FUZZ
@given(text=st.text(max_size=200))
def test_arbitrary_text_never_raises_anything_else(files, text):
    try:
        load_inventory(files.write(text))
    except ConfigError as error:
        assert str(error).startswith("inventory.yml")

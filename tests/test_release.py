import pytest

from orchestrator.cucm.release import (
    Release,
    ReleaseError,
    RestartScope,
    cop_base_name,
    restart_rule,
    supports_sha512_files,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.5.1.14900-63", (12, 5, 1, 14900, 63)),
        ("12.5.1.14900(63)", (12, 5, 1, 14900, 63)),
        ("15.0.1.10000-1", (15, 0, 1, 10000, 1)),
        ("9.1.2.10000-28", (9, 1, 2, 10000, 28)),
    ],
)
def test_parse_both_build_styles(text, expected):
    assert Release.parse(text).key == expected


def test_parse_rejects_garbage():
    with pytest.raises(ReleaseError, match="not a CUCM release"):
        Release.parse("twelve")


@pytest.mark.parametrize(
    ("text", "scope"),
    [
        ("9.1.2.10000-28", RestartScope.REBOOT),
        ("10.5.2.15900-8", RestartScope.REBOOT),
        ("11.0.1.10000-10", RestartScope.REBOOT),
        ("11.5.1.14900-11", RestartScope.REBOOT),  # SU4: stricter rule
        ("11.5.1.15900-18", RestartScope.SERVICES),  # SU5
        ("12.0.1.21900-7", RestartScope.REBOOT),  # 12.0(1)SU1
        ("12.0.1.22900-11", RestartScope.SERVICES),  # 12.0(1)SU2
        ("12.5.1.14900-63", RestartScope.SERVICES),
        ("15.0.1.10000-1", RestartScope.SERVICES),
    ],
)
def test_restart_rule_by_release(text, scope):
    rule = restart_rule(Release.parse(text))
    assert rule.scope is scope
    assert text.split("-")[0] in rule.reason


def test_sha512_support_and_base_names():
    assert supports_sha512_files(Release.parse("14.0.1.11900-132"))
    assert not supports_sha512_files(Release.parse("12.5.1.13900-152"))
    assert supports_sha512_files(Release.parse("12.5.1.14900-63"))
    assert cop_base_name("cmterm-devicepack15.0.1.15031-2.cop.sha512") == (
        "cmterm-devicepack15.0.1.15031-2.cop"
    )
    assert cop_base_name("a.cop.sgn") == "a.cop"

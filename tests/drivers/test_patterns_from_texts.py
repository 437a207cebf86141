"""The SSH driver's patterns are built from cucm/texts.py's exact texts (``words``):
each matches the text it is built from, and the drift the CLI shows between releases."""

from __future__ import annotations

import re

import pytest

from orchestrator.cucm import texts
from orchestrator.drivers.ssh import channel, parsers, patterns
from orchestrator.drivers.ssh.patterns import words


def test_words_tolerates_spacing_punctuation_and_quotes() -> None:
    regex = re.compile(words(texts.SELECT_OPTION, last=r"\d+"))
    assert regex.fullmatch(texts.SELECT_OPTION.format(last=4))
    assert regex.fullmatch("Please  select an option (1-3 or q):")
    assert not regex.search("Please select an option (a - 3 or q):")
    assert re.fullmatch(words("The upgrade was canceled."), "The upgrade   was canceled")
    # placeholders: their regex, default one non-space run; a slice of the words
    assert re.fullmatch(words(texts.INSTALL_FAILED), "Installation of x.cop.sgn failed")
    assert words(texts.GOING_DOWN, 3, 7) == r"going\s+down\s+for\s+reboot"


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        (patterns.PAGINATION_OFF, texts.PAGINATION_OFF),
        (patterns.COMMAND_FAILED, texts.COMMAND_FAILED),
        (patterns.UNKNOWN_COMMAND, texts.UNKNOWN_COMMAND),
        (patterns.RESTART_CONFIRM, texts.RESTART_WARNING + texts.RESTART_CONFIRM),
        (patterns.RESTART_BANNER, texts.RESTART_BEGIN),
        (patterns.RESTART_BANNER, texts.RESTART_BEGIN_SERVICE_MANAGER),
        (patterns.RESTART_BANNER, texts.GOING_DOWN),
        *((patterns.UPGRADE_WARNING, text) for text in texts.UPGRADE_WARNINGS.values()),
        (patterns.PROMPT, "\r\n" + texts.PROMPT + " "),
        (channel.PAGER_MORE, texts.PAGER_PROMPT),
        (channel.PAGER_FILE_VIEW, texts.FILE_VIEW_PAGER.format(first=1, last=20, total=45)),
        (parsers._NO_OPTIONS, texts.NO_OPTIONS),
        (parsers._SINGLE_NODE, texts.DBREPL_SINGLE_NODE),
    ],
)
def test_each_pattern_matches_the_text_it_is_built_from(
    pattern: re.Pattern[str], text: str
) -> None:
    assert pattern.search(channel.normalize(text)), (pattern.pattern, text)

"""Tolerant regexes for what the CUCM CLI prints, built from the exact texts in
``orchestrator.cucm.texts`` (``words``): spacing and punctuation drift between releases,
the words do not. Only the shapes no text describes (a yes/no question of any wording,
the prompt's position) are written here as regexes."""

from __future__ import annotations

import re

from orchestrator.cucm import texts

# one token of a text: a {placeholder}, a word (apostrophes, hyphens, dots and '=' inside
# it, as in "Don't", "Switch-version", "q=quit"), or one punctuation character
_TOKEN = re.compile(r"\{\w+\}|\w+(?:['=.-]\w+)*|[^\w\s]")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_QUOTES = {'"', "'"}


def words(text: str, start: int = 0, stop: int | None = None, /, **fields: str) -> str:
    """A regex for ``text`` (or its words ``start``..``stop``, split at white space)
    that tolerates the CLI's drift: any white space between two words, none or any
    around punctuation, quotes optional, the sentence's final '.'/'!' optional;
    ``{name}`` matches ``fields[name]`` (a regex; default one non-space run)."""
    piece = " ".join(text.split()[start:stop]).rstrip(".!")
    parts: list[str] = []
    wordish = False
    for token in _TOKEN.findall(piece):
        placeholder = _PLACEHOLDER.fullmatch(token)
        if placeholder:
            regex, is_word = fields.get(placeholder.group(1), r"\S+"), True
        elif token in _QUOTES:
            regex, is_word = re.escape(token) + "?", False
        else:
            regex, is_word = re.escape(token), token[0].isalnum() or token[0] == "_"
        if parts:
            parts.append(r"\s+" if wordish and is_word else r"\s*")
        parts.append(regex)
        wordish = is_word
    return "".join(parts)


def line_of(text: str, index: int) -> str:
    """Line ``index`` of a multi-line CLI text."""
    return text.splitlines()[index]


def either(*regexes: str) -> str:
    return "(?:" + "|".join(regexes) + ")"


# The prompt is always ``admin:`` whatever the account; ``\x1b[K`` is kept in the
# alternatives for raw text, although ``Channel`` already turns it into a line break.
PROMPT = re.compile(r"(?:^|[\r\n]|\x1b\[K)" + re.escape(texts.PROMPT) + r"\s*\Z")
PAGINATION_OFF = re.compile(words(texts.PAGINATION_OFF), re.I)
COMMAND_FAILED = re.compile(words(texts.COMMAND_FAILED), re.I)
UNKNOWN_COMMAND = re.compile(words(texts.UNKNOWN_COMMAND), re.I)
FAILURES = (COMMAND_FAILED, UNKNOWN_COMMAND)
ALREADY_IN_PROGRESS = words(texts.ALREADY_IN_PROGRESS)

RESTART_CONFIRM = re.compile(words(texts.RESTART_CONFIRM) + r"\s*\Z", re.I)
# Any of the banners seen (reference 4 and 9.5) means the node took the order.
RESTART_BANNER = re.compile(
    either(
        words(line_of(texts.RESTART_BEGIN, 0), 0, 4),  # Appliance is being Restarted
        words(line_of(texts.RESTART_BEGIN, 2)),  # Stopping Service Manager
        words(line_of(texts.RESTART_BEGIN_SERVICE_MANAGER, 1), 0, 4),  # Shutting down ...
        words(line_of(texts.RESTART_BEGIN, 1), 1, 6),  # Restart could take up to
        words(texts.GOING_DOWN, 3, 7),  # going down for reboot
    ),
    re.I,
)
# The wizard's first warning: "canceling" / "cancelling" the upgrade (10.x-12.5) or
# "exiting the upgrade command" (older, reference 9.5).
UPGRADE_WARNING = re.compile(
    words(texts.UPGRADE_WARNING, 1, 8)  # Do not close this window without first
    + r"\s+"
    + either(*(words(text, 8) for text in texts.UPGRADE_WARNINGS.values())),
    re.I,
)

# Any yes/no question: "(yes/no)", "(y/n)", "Enter (yes/no)?", "... (yes/no) [yes]:"
# (reference 2, 4, 9.5). A dialog stops at one it does not expect (``Dialog.unknown_prompt``).
YES_NO_QUESTION = re.compile(
    r"(?:^|\n)[ \t]*(?P<message>[^\n]*\(\s*(?:yes\s*/\s*no|y\s*/\s*n)\s*\)[^\n]*?)[ \t]*\Z",
    re.I,
)

"""Tolerant regexes for what the CUCM CLI prints (built from the stable words of
``orchestrator.cucm.texts``; spacing and punctuation drift between releases)."""

from __future__ import annotations

import re

# The prompt is always ``admin:`` whatever the account; ``\x1b[K`` is kept in the
# alternatives for raw text, although ``Channel`` already turns it into a line break.
PROMPT = re.compile(r"(?:^|[\r\n]|\x1b\[K)admin:\s*\Z")
PAGINATION_OFF = re.compile(r"Automatic\s+pagination\s+is\s+turned\s+off", re.I)
COMMAND_FAILED = re.compile(r"Executed\s+command\s+unsuccessfully", re.I)
UNKNOWN_COMMAND = re.compile(r"No\s+valid\s+command\s+entered", re.I)
FAILURES = (COMMAND_FAILED, UNKNOWN_COMMAND)

RESTART_CONFIRM = re.compile(r"Enter\s*\(yes/no\)\s*\?\s*\Z", re.I)
# Any of the banners seen (reference 4 and 9.5) means the node took the order.
RESTART_BANNER = re.compile(
    r"Appliance is being Restarted|Stopping Service Manager|Shutting down Service Manager"
    r"|Restart could take up to|going down for reboot",
    re.I,
)
# The wizard's first warning: "canceling" / "cancelling" the upgrade (10.x-12.5) or
# "exiting the upgrade command" (older, reference 9.5).
UPGRADE_WARNING = re.compile(
    r"Do not close this window without first\s+(?:cancel+ing the upgrade|exiting the upgrade"
    r"\s+command)",
    re.I,
)

# Any yes/no question: "(yes/no)", "(y/n)", "Enter (yes/no)?", "... (yes/no) [yes]:"
# (reference 2, 4, 9.5). A dialog stops at one it does not expect (``Dialog.unknown_prompt``).
YES_NO_QUESTION = re.compile(
    r"(?:^|\n)[ \t]*(?P<message>[^\n]*\(\s*(?:yes\s*/\s*no|y\s*/\s*n)\s*\)[^\n]*?)[ \t]*\Z",
    re.I,
)

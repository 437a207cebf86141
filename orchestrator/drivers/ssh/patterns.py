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
RESTART_BANNER = re.compile(
    r"Appliance is being Restarted|Stopping Service Manager|going down for reboot", re.I
)

"""``utils system restart`` as dialog data.

The restart succeeds when the channel closes *after* the restart banner: a close
before it (or the prompt coming back) means the node did not take the order.
"""

from __future__ import annotations

from orchestrator.cucm import texts
from orchestrator.drivers.ssh import patterns
from orchestrator.drivers.ssh.dialogs import Dialog, Rule, line, prompt
from orchestrator.drivers.ssh.patterns import either, words

_FAILED = either(*(failure.pattern for failure in patterns.FAILURES))


def session_timeout_dialog(timeout: float = 60.0) -> Dialog:
    """`set cli session timeout N`: answers its `Continue (y/n)?` (reference 9.6)."""
    return Dialog(
        name="set_session_timeout",
        rules=[
            Rule("continue", prompt(words(texts.SESSION_TIMEOUT_CONTINUE)), "y"),
            Rule("failed", line(_FAILED), outcome="failed"),
            Rule("prompt", patterns.PROMPT, outcome="set"),
        ],
        timeouts={"default": timeout},
        end_prompt=patterns.PROMPT,
        unknown_prompt=patterns.YES_NO_QUESTION,
    )


RESTARTING = "restarting"
REFUSED = "refused"


def restart_system_dialog(
    *, confirm_timeout: float = 120.0, close_timeout: float = 900.0
) -> Dialog:
    return Dialog(
        name="restart_system",
        rules=[
            # at a line start, like any question, so it ties with (and beats) the
            # unknown-question rule at the same place
            Rule("confirm", prompt(patterns.RESTART_CONFIRM.pattern.removesuffix(r"\s*\Z")), "yes"),
            Rule("banner", line(patterns.RESTART_BANNER.pattern), phase=RESTARTING),
            Rule(
                "failed",
                line(either(_FAILED, patterns.ALREADY_IN_PROGRESS)),
                outcome=REFUSED,
            ),
            # The prompt coming back means no restart (e.g. refused during an upgrade).
            Rule("prompt", patterns.PROMPT, outcome=REFUSED),
        ],
        timeouts={"default": confirm_timeout, RESTARTING: close_timeout, "end": confirm_timeout},
        end_prompt=None,
        unknown_prompt=patterns.YES_NO_QUESTION,  # e.g. "Continue (y/n)?" before the confirm
        abort_to=patterns.PROMPT,
    )

"""Prompt/answer dialogs as data, and the runner that plays them over a ``Channel``.

A dialog is an ordered list of ``Rule``s. The runner reads until the earliest match of
any rule, answers (only after the prompt has been read: CUCM drops type-ahead at
confirmation prompts), and stops at the first terminal outcome. A prompt that comes
straight back is answered again (bounded); a one-shot prompt that comes back later
means the wizard went somewhere we did not plan for, so we stop rather than guess.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import structlog

from orchestrator.drivers.ssh.channel import Channel, Transcript
from orchestrator.drivers.ssh.errors import CommandTimeout, SessionClosed

log = structlog.get_logger(__name__)

# Generic outcomes every dialog can end with besides its own.
TIMEOUT = "timeout"
SESSION_CLOSED = "session_closed"
UNEXPECTED = "unexpected"
UNKNOWN_PROMPT = "unknown_prompt"

# Ctrl-C: how a dialog is left without answering a question it did not expect.
ABORT_KEY = "\x03"


@dataclass(frozen=True)
class Decision:
    """What a callback decided: an answer to type and/or a terminal outcome."""

    answer: str | None = None
    outcome: str | None = None
    message: str = ""
    secret: bool = False


@dataclass
class DialogState:
    """What the callbacks see: captures so far and the text read since the last answer."""

    captures: dict[str, str] = field(default_factory=dict)
    pending_text: str = ""
    phase: str = "start"
    hits: Counter[str] = field(default_factory=Counter)


Callback = Callable[[DialogState, re.Match[str]], "Decision | str | None"]
Responder = str | Callback | None


@dataclass(frozen=True)
class Rule:
    """``pattern`` -> type ``response`` (text, or callback deciding), maybe end the dialog.

    ``capture`` stores the ``value`` group (else group 0) under that name; ``phase``
    switches the read timeout and tells the progress hook; ``secret`` masks the answer.
    """

    name: str
    pattern: re.Pattern[str]
    response: Responder = None
    repeatable: bool = False
    outcome: str | None = None
    phase: str | None = None
    capture: str | None = None
    secret: bool = False

    @property
    def is_prompt(self) -> bool:
        return self.response is not None


@dataclass(frozen=True)
class Dialog:
    name: str
    rules: Sequence[Rule]
    # Read timeout per phase; "default" for phases not listed, "end" for the final prompt.
    timeouts: dict[str, float]
    # After a terminal outcome, wait for this so the session is left at the prompt.
    end_prompt: re.Pattern[str] | None = None
    max_retypes: int = 3
    # Any question matching this that no rule expects stops the dialog at once: nothing
    # is answered, Ctrl-C leaves it, and the session waits for ``abort_to`` (default
    # ``end_prompt``). Reference 9.5: treat an unexpected yes/no prompt as a stop.
    unknown_prompt: re.Pattern[str] | None = None
    abort_to: re.Pattern[str] | None = None

    def timeout_for(self, phase: str) -> float:
        return self.timeouts.get(phase, self.timeouts.get("default", 60.0))


@dataclass
class DialogResult:
    outcome: str
    message: str
    captures: dict[str, str]
    phases: list[str]
    transcript: Transcript
    at_prompt: bool  # the session is back at ``end_prompt`` and can be reused

    @property
    def text(self) -> str:
        return self.transcript.text()


Progress = Callable[[str], None]


def prompt(body: str) -> re.Pattern[str]:
    """A prompt: at a line start, the last thing printed (the CLI waits for us)."""
    return re.compile(r"(?:^|\n)[ \t]*(?:" + body + r")[ \t]*\Z")


def line(body: str) -> re.Pattern[str]:
    """A complete output line starting with ``body``; ``message`` is the whole line."""
    return re.compile(r"(?:^|\n)[ \t]*(?P<message>(?:" + body + r")[^\n]*)\n")


def run_dialog(
    channel: Channel,
    dialog: Dialog,
    *,
    command: str | None = None,
    progress: Progress | None = None,
    secrets: Sequence[str] = (),
) -> DialogResult:
    """Play ``dialog`` (typing ``command`` first, if given) until a terminal outcome."""
    state = DialogState()
    phases: list[str] = []
    rules = list(dialog.rules)
    if dialog.unknown_prompt is not None:  # last: a rule expecting the same prompt wins
        rules.append(Rule(UNKNOWN_PROMPT, dialog.unknown_prompt, outcome=UNKNOWN_PROMPT))
    patterns = [r.pattern for r in rules]
    last_rule: str | None = None
    retypes = 0
    outcome: str | None = None
    message = ""
    at_prompt = False

    def enter(phase: str) -> None:
        if phase != state.phase:
            state.phase = phase
            phases.append(phase)
            log.debug("dialog.phase", dialog=dialog.name, phase=phase)
            if progress is not None:
                progress(phase)

    with channel.recording(secrets) as transcript:
        if command is not None:
            channel.send_line(command)
        while outcome is None:
            try:
                hit = channel.read_until(patterns, dialog.timeout_for(state.phase))
            except CommandTimeout as exc:
                outcome, message = TIMEOUT, f"{exc} (phase {state.phase})"
                break
            except SessionClosed as exc:
                outcome, message = SESSION_CLOSED, f"{exc} (phase {state.phase})"
                break
            rule = rules[hit.index]
            state.pending_text += hit.text
            again = state.hits[rule.name] > 0
            state.hits[rule.name] += 1
            if rule.is_prompt and again:
                if last_rule == rule.name:
                    retypes += 1
                    if retypes > dialog.max_retypes:
                        outcome = UNEXPECTED
                        message = f"prompt {rule.name!r} repeated {retypes} times"
                        break
                    log.debug("dialog.retype", dialog=dialog.name, rule=rule.name)
                elif not rule.repeatable:
                    outcome = UNEXPECTED
                    message = f"prompt {rule.name!r} came back: {hit.match.group(0).strip()!r}"
                    break
            else:
                retypes = 0
            last_rule = rule.name
            if rule.capture:
                groups = hit.match.groupdict()
                state.captures[rule.capture] = (groups.get("value") or hit.match.group(0)).strip()
            if rule.phase:
                enter(rule.phase)
            action = _decide(rule, state, hit.match)
            if action.answer is not None:
                channel.send_line(action.answer, secret=action.secret or rule.secret)
                state.pending_text = ""
            if action.outcome is not None:
                outcome = action.outcome
                message = (
                    action.message
                    or (hit.match.groupdict().get("message") or hit.match.group(0)).strip()
                )
                at_prompt = dialog.end_prompt is not None and bool(
                    dialog.end_prompt.search(hit.text)
                )
        if outcome == UNKNOWN_PROMPT:
            state.captures[UNKNOWN_PROMPT] = message  # the question, as printed
            at_prompt = _abort(channel, dialog)
            message = f"unexpected prompt {message!r}: answered nothing and left it with Ctrl-C"
        elif outcome not in (TIMEOUT, SESSION_CLOSED) and dialog.end_prompt and not at_prompt:
            try:
                channel.read_until(dialog.end_prompt, dialog.timeout_for("end"))
                at_prompt = True
            except (CommandTimeout, SessionClosed) as exc:
                log.debug("dialog.no_end_prompt", dialog=dialog.name, error=str(exc))
    log.debug("dialog.done", dialog=dialog.name, outcome=outcome)
    return DialogResult(outcome, message, dict(state.captures), phases, transcript, at_prompt)


def _abort(channel: Channel, dialog: Dialog) -> bool:
    """Leave a question unanswered (Ctrl-C); True if the CLI prompt came back."""
    back = dialog.abort_to or dialog.end_prompt
    try:
        channel.send(ABORT_KEY, controls=ABORT_KEY)
        if back is None:
            return False
        channel.read_until(back, dialog.timeout_for("end"))
    except (CommandTimeout, SessionClosed) as exc:
        log.warning("dialog.abort_failed", dialog=dialog.name, error=str(exc))
        return False
    return True


def _decide(rule: Rule, state: DialogState, match: re.Match[str]) -> Decision:
    response = rule.response
    if callable(response):
        decided = response(state, match)
        action = decided if isinstance(decided, Decision) else Decision(answer=decided)
    else:
        action = Decision(answer=response)
    if rule.outcome is not None and action.outcome is None:
        action = Decision(action.answer, rule.outcome, action.message, action.secret)
    return action

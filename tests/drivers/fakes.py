"""A scripted in-memory stand-in for a paramiko channel, for unit tests of the
channel, dialogs and platform driver (the e2e tests use the lab over real SSH)."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Out:
    """The server prints ``text``."""

    text: str


@dataclass(frozen=True)
class In:
    """The server waits for a typed line equal to ``expect``; ``echo`` overrides what is
    echoed back (a swallowed answer is an ``In`` followed by the same prompt again)."""

    expect: str
    echo: str | None = None


@dataclass(frozen=True)
class Key:
    """The server waits for a single key (pager), no newline."""

    expect: str


@dataclass(frozen=True)
class Close:
    """The server hangs up."""


Step = Out | In | Key | Close


class ScriptError(AssertionError):
    pass


class FakeRaw:
    def __init__(self, script: list[Step], *, chunk: int | None = None) -> None:
        self.steps: deque[Step] = deque(script)
        self.chunk = chunk  # deliver at most this many bytes per recv (boundary tests)
        self.closed = False
        self.out = bytearray()
        self.typed: list[str] = []  # lines and keys received, in order
        self.errors: list[str] = []
        self._line = ""
        self._timeout: float | None = None
        self._advance()

    def _advance(self) -> None:
        while self.steps and isinstance(self.steps[0], Out | Close):
            step = self.steps.popleft()
            if isinstance(step, Out):
                self.out += step.text.encode()
            else:
                self.closed_pending = True
                self.steps.appendleft(step)
                break

    def settimeout(self, timeout: float | None) -> None:
        self._timeout = timeout

    def recv(self, nbytes: int) -> bytes:
        if self.out:
            n = min(nbytes, self.chunk or nbytes)
            data, self.out = bytes(self.out[:n]), self.out[n:]
            return data
        if self.steps and isinstance(self.steps[0], Close):
            self.steps.popleft()
            self.closed = True
            return b""
        if self.closed:
            return b""
        time.sleep(min(self._timeout or 0.0, 0.002))
        raise TimeoutError

    def sendall(self, data: bytes) -> None:
        for ch in data.decode():
            step = self.steps[0] if self.steps else None
            if isinstance(step, Key):
                self.steps.popleft()
                self.typed.append(ch)
                if ch != step.expect:
                    self.errors.append(f"key {ch!r}, expected {step.expect!r}")
                self._advance()
                continue
            if ch in "\r\n":
                self._on_line(self._line)
                self._line = ""
            else:
                self._line += ch

    def _on_line(self, text: str) -> None:
        self.typed.append(text)
        step = self.steps[0] if self.steps else None
        if not isinstance(step, In):
            self.errors.append(f"unexpected input {text!r} (next step {step!r})")
            return
        self.steps.popleft()
        if text != step.expect:
            self.errors.append(f"typed {text!r}, expected {step.expect!r}")
        self.out += ((step.echo if step.echo is not None else text) + "\r\n").encode()
        self._advance()

    def close(self) -> None:
        self.closed = True

    @property
    def done(self) -> bool:
        return not self.steps

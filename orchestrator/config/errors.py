"""Errors about user input that read like a compiler message, never a traceback."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ConfigError(Exception):
    """A problem in a user's file, located as precisely as we can.

    ``str()`` reads like ``inventory/prod.yml, line 12, field nodes[2].address: '10.0.0'
    is not an IP address — use a dotted IPv4 address or a host name``. When a file
    has several problems, the first is this error and the rest are in ``more`` (and
    on the following lines of ``str()``), so a user can fix them all in one go.
    """

    def __init__(
        self,
        file: str | None,
        line: int | None,
        field: str | None,
        message: str,
        hint: str | None = None,
        more: Iterable[ConfigError] = (),
    ) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.message = message
        self.hint = hint
        self.more: tuple[ConfigError, ...] = tuple(more)
        super().__init__(str(self))

    @property
    def problems(self) -> tuple[ConfigError, ...]:
        """This problem followed by the others found in the same file."""
        return (self, *self.more)

    def one_line(self) -> str:
        where = [part for part in (self.file, self.line and f"line {self.line}") if part]
        if self.field:
            where.append(f"field {self.field}")
        text = f"{', '.join(where)}: {self.message}" if where else self.message
        if self.hint:
            text += f" — {self.hint}"
        return text

    def __str__(self) -> str:
        return "\n".join(problem.one_line() for problem in self.problems)

    def __repr__(self) -> str:
        return f"ConfigError({self.one_line()!r})"


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A 'did you mean' hint, or None when nothing is close enough to be helpful."""
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean {matches[0]!r}?" if matches else None


class Invalid(ValueError):
    """Raised inside validators: a message plus a hint, kept apart for ConfigError.

    Pydantic keeps the exception instance in the error's ``ctx``, so the loader can
    recover the hint instead of parsing it back out of pydantic's message.
    """

    def __init__(
        self, message: str, hint: str | None = None, loc: tuple[str | int, ...] = ()
    ) -> None:
        self.message = message
        self.hint = hint
        # A whole-model check names the field it is about, relative to that model.
        self.loc = loc
        super().__init__(message if hint is None else f"{message} — {hint}")

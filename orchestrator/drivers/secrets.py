"""How drivers take passwords: a plain string (tests) or a secret wrapper with reveal()."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class SupportsReveal(Protocol):
    """A secret wrapper (config's ``Secret``): the clear text only leaves via ``reveal()``."""

    def reveal(self) -> str: ...


PasswordLike = str | SupportsReveal


def reveal(password: PasswordLike) -> str:
    return password if isinstance(password, str) else password.reveal()

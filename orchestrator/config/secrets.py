"""Credentials by reference only: the YAML names where a secret lives, never the secret."""

from __future__ import annotations

import getpass
import hmac
import os
import re
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, PrivateAttr, ValidationInfo, model_serializer, model_validator

from orchestrator.config.errors import ConfigError, Invalid, did_you_mean
from orchestrator.config.fields import unprintable
from orchestrator.config.userfile import MAX_SECRET_BYTES, read_user_file

MASK = "********"
REFERENCE_FORMS = "env:VAR, file:PATH, keyring:SERVICE/USER or prompt"
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_PASSWORD = 256


class Secret:
    """A resolved secret. Prints as ``********`` everywhere; ``reveal()`` is the only way in."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    __hash__ = None  # type: ignore[assignment]  # equal secrets must not become dict keys

    def __reduce__(self) -> Any:
        # Pickling would write the secret into a journal or cache file.
        raise TypeError("a Secret cannot be pickled")


class SecretKind(StrEnum):
    ENV = "env"
    FILE = "file"
    KEYRING = "keyring"
    PROMPT = "prompt"


class SecretError(ConfigError):
    """A reference that cannot be resolved. Names the reference, never the secret."""


Prompter = Callable[[str], str]


class SecretRef(BaseModel):
    """Where a secret lives, e.g. ``env:CUCM_PASSWORD``; resolved only when needed.

    In YAML a SecretRef is a string. ``file:`` paths are made absolute against the
    YAML file's directory (pass ``context={"base_dir": ...}`` when validating).
    """

    kind: SecretKind
    target: str = ""

    _cached: Secret | None = PrivateAttr(default=None)
    # Where the reference was written, so resolution errors point at the YAML line.
    _origin: tuple[str | None, int | None, str | None] = PrivateAttr(default=(None, None, None))

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, SecretRef):
            return value
        base_dir = (info.context or {}).get("base_dir")
        if isinstance(value, dict) and value and set(value) <= {"kind", "target"}:
            # the mapping form (also how Python builds one): the same checks as the text
            kind, target = value.get("kind"), value.get("target", "")
            if not isinstance(kind, str) or not isinstance(target, str):
                raise Invalid(
                    "kind and target of a password reference must be text",
                    f"write one of {REFERENCE_FORMS}",
                )
            return _parse_reference("prompt" if kind == "prompt" else f"{kind}:{target}", base_dir)
        if not isinstance(value, str):
            # Don't echo it: a numeric password is still a password.
            raise Invalid(
                "a password must be a reference, not a value", f"write one of {REFERENCE_FORMS}"
            )
        return _parse_reference(value.strip(), base_dir)

    @model_serializer
    def _dump(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        """The reference in YAML form; safe to print."""
        return "prompt" if self.kind is SecretKind.PROMPT else f"{self.kind}:{self.target}"

    def __str__(self) -> str:
        return self.reference

    def __eq__(self, other: object) -> bool:
        # Where it was written and whether it was resolved do not change what it is.
        if not isinstance(other, SecretRef):
            return NotImplemented
        return (self.kind, self.target) == (other.kind, other.target)

    __hash__ = None  # type: ignore[assignment]

    def locate(self, file: str | None, line: int | None, field: str | None) -> None:
        self._origin = (file, line, field)

    def resolve(self, prompt: Prompter | None = None) -> Secret:
        """Fetch the secret (once; later calls reuse it). ``prompt`` replaces getpass."""
        if self._cached is None:
            value = self._fetch(prompt)
            # Typed into a node's CLI (the SFTP password) or sent in a login: a control
            # character would end the prompt and run the rest as a command. Named by
            # its code point only, never echoed.
            bad = unprintable(value)
            if bad is not None:
                raise self._fail(
                    f"the password contains a {bad}",
                    "store the password alone, without control characters",
                )
            if len(value) > MAX_PASSWORD:
                raise self._fail(f"the password is longer than {MAX_PASSWORD} characters")
            self._cached = Secret(value)
        return self._cached

    def _fail(self, message: str, hint: str | None = None) -> SecretError:
        file, line, field = self._origin
        return SecretError(file, line, field, f"{self.reference}: {message}", hint)

    def _fetch(self, prompt: Prompter | None) -> str:
        if self.kind is SecretKind.ENV:
            value = os.environ.get(self.target)
            if value is None:
                raise self._fail(
                    "environment variable is not set",
                    f"export {self.target} before running devpack",
                )
            if not value:
                raise self._fail("environment variable is empty")
            return value
        if self.kind is SecretKind.FILE:
            return self._read_file()
        if self.kind is SecretKind.KEYRING:
            return self._read_keyring()
        return self._ask(prompt)

    def _read_file(self) -> str:
        try:
            text = read_user_file(Path(self.target), MAX_SECRET_BYTES)
        except ConfigError as exc:
            if exc.message == "file not found":
                raise self._fail(
                    "file not found",
                    f"create {self.target} holding only the password (one line) and make "
                    f"it readable by you alone: chmod 600 {self.target}; or change the "
                    "reference (a relative path is relative to the folder of the file "
                    "that holds the reference)",
                ) from None
            raise self._fail(f"file cannot be read: it {exc.message}", exc.hint) from None
        # Editors add a final newline; a password never ends in one.
        value = text.rstrip("\r\n")
        if not value:
            raise self._fail("file is empty")
        return value

    def _read_keyring(self) -> str:
        service, _, user = self.target.rpartition("/")
        try:
            import keyring
            from keyring.errors import KeyringError

            try:
                value = keyring.get_password(service, user)
            except KeyringError as exc:
                raise self._fail(
                    f"keyring failed: {type(exc).__name__}",
                    "check that a keyring backend is available",
                ) from None
        except ImportError:
            raise self._fail("the keyring package is not installed") from None
        if value is None:
            raise self._fail(
                "no such entry in the keyring",
                f"store it with: keyring set {service} {user}",
            )
        return value

    def _ask(self, prompt: Prompter | None) -> str:
        field = self._origin[2] or "password"
        if prompt is None:
            if not sys.stdin.isatty():
                raise self._fail(
                    "needs an interactive terminal",
                    "use env:VAR, file:PATH or keyring:SERVICE/USER for unattended runs",
                )
            prompt = getpass.getpass
        value = prompt(f"{field}: ")
        if not value:
            raise self._fail("no password entered")
        return value


def _parse_reference(text: str, base_dir: Path | None) -> dict[str, str]:
    kind, sep, target = text.partition(":")
    if text == "prompt":
        return {"kind": "prompt", "target": ""}
    if not sep or kind not in {k.value for k in SecretKind} - {"prompt"}:
        near = did_you_mean(kind.lower(), [k.value for k in SecretKind]) if sep else None
        raise Invalid(
            "a plain password is not allowed; give a reference to where it is kept",
            (f"{near} " if near else "") + f"write one of {REFERENCE_FORMS}",
        )
    if kind == "env":
        if not _ENV_NAME.match(target):
            raise Invalid("env: needs an environment variable name", "e.g. env:CUCM_PASSWORD")
        return {"kind": kind, "target": target}
    if kind == "file":
        if not target:
            raise Invalid("file: needs a path", "e.g. file:secrets/cucm-admin.txt")
        bad = unprintable(target)
        if bad is not None:
            raise Invalid(f"the path contains a {bad}", "remove it")
        path = Path(target).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = Path(base_dir) / path
        return {"kind": kind, "target": str(path)}
    service, slash, user = target.rpartition("/")
    if not slash or not service or not user or unprintable(target):
        raise Invalid("keyring: needs SERVICE/USER", "e.g. keyring:devpack/axladmin")
    return {"kind": kind, "target": target}

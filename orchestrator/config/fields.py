"""Field types shared by the inventory, playbook and plan: the one place that says what a
node can be sent and what may appear in a path or a printed command."""

from __future__ import annotations

import ipaddress
import math
import re
import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr

from orchestrator.config.errors import ConfigError, Invalid
from orchestrator.cucm.release import Release, ReleaseError

_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
# Cluster and node names end up in file names, lock names and printed commands.
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*$")
SAFE_NAME_HINT = "use letters, digits, '.', '_' and '-', not starting with '-' or '.'"

# Longest values a node's CLI (or a file system) is asked to take; generous for real ones.
MAX_TEXT = 255
MAX_CLUSTER_NAME = 64
MAX_NODE_NAME = 128
MAX_USERNAME = 64
MAX_MODEL_NAME = 100  # typemodel names are at most 100 characters
MAX_SECONDS = 7 * 24 * 3600  # no wait, timeout or estimate is longer than a week
MAX_PARALLEL = 256


class Origin:
    """The file a model was loaded from. Equal to any other origin (or none): where a
    model was written does not change what it is."""

    __slots__ = ("document",)

    def __init__(self, document: object) -> None:
        self.document = document

    def __eq__(self, other: object) -> bool:
        return other is None or isinstance(other, Origin)

    __hash__ = None  # type: ignore[assignment]


class StrictModel(BaseModel):
    """Unknown keys are errors: a typo must not silently fall back to a default."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    # The file a loaded model came from, so later checks (a file it names does not
    # exist) can point at the line the user wrote.
    _source: Origin | None = PrivateAttr(default=None)

    def problem(
        self, loc: tuple[str | int, ...], message: str, hint: str | None = None
    ) -> ConfigError:
        """A ConfigError about field ``loc`` of this (loaded) model."""
        # a yamlfile.Document (typed loosely here: yamlfile imports this module)
        source: Any = self._source.document if self._source is not None else None
        if source is None:
            return ConfigError(None, None, ".".join(map(str, loc)) or None, message, hint)
        from orchestrator.config.loader import field_path  # loader imports the models

        return ConfigError(
            source.display,
            source.line_of(loc),
            field_path(loc) or None,
            message,
            hint,
        )


def unprintable(value: str) -> str | None:
    """'control character U+0003 (character 5)' for the first character that a CLI
    session must never be sent, or None when every character is printable."""
    for index, char in enumerate(value, start=1):
        if not char.isprintable():
            kind = "control" if unicodedata.category(char) == "Cc" else "non-printable"
            return f"{kind} character U+{ord(char):04X} (character {index})"
    return None


def check_printable(value: str, max_length: int = MAX_TEXT) -> str:
    """Printable characters only and not too long: what may be typed into a node's CLI."""
    bad = unprintable(value)
    if bad is not None:
        raise Invalid(
            f"contains a {bad}",
            "remove it (only printable characters can be sent to a node); "
            "retype the value if it was pasted",
        )
    if len(value) > max_length:
        raise Invalid(f"is {len(value)} characters long", f"at most {max_length} are allowed")
    return value


def check_safe_name(value: str, max_length: int = MAX_CLUSTER_NAME) -> str:
    """A name that is safe in a file name and a printed command line."""
    check_printable(value, max_length)
    if not _SAFE_NAME.match(value):
        bad = next((c for c in value if not re.match(r"[A-Za-z0-9._-]", c)), None)
        if bad:
            why = f"{bad!r} is not allowed"
        else:
            why = f"it starts with {value[0]!r}" if value else "it is empty"
        raise Invalid(f"{value!r} cannot be used as a name ({why})", SAFE_NAME_HINT)
    return value


def check_username(value: str) -> str:
    check_printable(value, MAX_USERNAME)
    if any(char.isspace() for char in value):
        raise Invalid(f"{value!r} contains a space", "a user name is one word")
    return value


def check_directory(value: str) -> str:
    check_printable(value)
    if not value.startswith("/"):
        raise Invalid(
            f"{value!r} is not an absolute path",
            "give the directory on the SFTP server from its root, e.g. /cop",
        )
    return value


def check_address(value: str) -> str:
    """An IP address or a host name; loopback and private ranges are fine (labs)."""
    if not value:
        raise Invalid("the address is empty", "use an IP address or a host name")
    check_printable(value, 253)
    if ":" in value:
        try:
            address = ipaddress.IPv6Address(value)
        except ValueError:
            raise Invalid(
                f"{value!r} is not an IPv6 address", "IPv6 addresses look like 2001:db8::10"
            ) from None
        if address.scope_id is not None and not re.fullmatch(r"\w+", address.scope_id):
            raise Invalid(f"{value!r} has a bad zone after '%'", "e.g. fe80::1%eth0")
        return str(address)
    if re.fullmatch(r"[0-9.]+", value):
        try:
            return str(ipaddress.IPv4Address(value))
        except ValueError:
            raise Invalid(
                f"{value!r} is not an IP address", "use a dotted IPv4 address or a host name"
            ) from None
    name = value[:-1] if value.endswith(".") else value
    labels = name.split(".")
    if len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        raise Invalid(
            f"{value!r} is not a valid host name",
            "use letters, digits, hyphens and dots, or an IP address",
        )
    if labels[-1].isdigit():
        raise Invalid(f"{value!r} is not an IP address", "use a dotted IPv4 address or a host name")
    return value


def check_release(value: str) -> str:
    check_printable(value, 64)
    try:
        Release.parse(value)
    except ReleaseError as exc:
        raise Invalid(str(exc)) from None
    return value


def _text(value: object) -> object:
    # YAML reads 12.5 or 10.1.1.10-without-dots as numbers; accept them as text so
    # the real check can say what is wrong with the value.
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            return value  # .inf / .nan are not text anyone meant
        return str(value)
    return value


def _printable(max_length: int) -> AfterValidator:
    return AfterValidator(lambda value: check_printable(value, max_length))


Address = Annotated[str, BeforeValidator(_text), AfterValidator(check_address)]
ReleaseText = Annotated[str, BeforeValidator(_text), AfterValidator(check_release)]
# Any text sent to a node or printed: printable, non-empty, bounded.
Text = Annotated[str, BeforeValidator(_text), Field(min_length=1), _printable(MAX_TEXT)]
ModelName = Annotated[str, BeforeValidator(_text), Field(min_length=1), _printable(MAX_MODEL_NAME)]
ClusterName = Annotated[
    str, BeforeValidator(_text), Field(min_length=1), AfterValidator(check_safe_name)
]
NodeName = Annotated[
    str,
    BeforeValidator(_text),
    Field(min_length=1),
    AfterValidator(lambda value: check_safe_name(value, MAX_NODE_NAME)),
]
Username = Annotated[
    str, BeforeValidator(_text), Field(min_length=1), AfterValidator(check_username)
]
Directory = Annotated[
    str, BeforeValidator(_text), Field(min_length=1), AfterValidator(check_directory)
]
# Numbers: strict, so `ssh_port: true` is not port 1 and "22" is not silently 22;
# floats must be finite.
Port = Annotated[int, Field(strict=True, ge=1, le=65535)]
PositiveSeconds = Annotated[int, Field(strict=True, gt=0, le=MAX_SECONDS)]
Seconds = Annotated[int, Field(strict=True, ge=0, le=MAX_SECONDS)]
Count = Annotated[int, Field(strict=True, ge=1, le=MAX_PARALLEL)]
FloatSeconds = Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0, le=MAX_SECONDS)]
# An estimate may be a fraction of a second (a lab's compressed clock) or zero.
EstimateSeconds = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=MAX_SECONDS)]
Share = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=1)]
Flag = Annotated[bool, Field(strict=True)]

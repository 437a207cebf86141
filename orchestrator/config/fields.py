"""Field types shared by the inventory and playbook models."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from orchestrator.config.errors import Invalid
from orchestrator.cucm.release import Release, ReleaseError

_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


class StrictModel(BaseModel):
    """Unknown keys are errors: a typo must not silently fall back to a default."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def check_address(value: str) -> str:
    """An IP address or a host name; loopback and private ranges are fine (labs)."""
    if not value:
        raise Invalid("the address is empty", "use an IP address or a host name")
    if ":" in value:
        try:
            return str(ipaddress.IPv6Address(value))
        except ValueError:
            raise Invalid(f"{value!r} is not an IPv6 address",
                          "IPv6 addresses look like 2001:db8::10") from None
    if re.fullmatch(r"[0-9.]+", value):
        try:
            return str(ipaddress.IPv4Address(value))
        except ValueError:
            raise Invalid(f"{value!r} is not an IP address",
                          "use a dotted IPv4 address or a host name") from None
    name = value[:-1] if value.endswith(".") else value
    labels = name.split(".")
    if len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        raise Invalid(f"{value!r} is not a valid host name",
                      "use letters, digits, hyphens and dots, or an IP address")
    if labels[-1].isdigit():
        raise Invalid(f"{value!r} is not an IP address",
                      "use a dotted IPv4 address or a host name")
    return value


def check_release(value: str) -> str:
    try:
        Release.parse(value)
    except ReleaseError as exc:
        raise Invalid(str(exc)) from None
    return value


def _text(value: object) -> object:
    # YAML reads 12.5 or 10.1.1.10-without-dots as numbers; accept them as text so
    # the real check can say what is wrong with the value.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


Address = Annotated[str, BeforeValidator(_text), AfterValidator(check_address)]
ReleaseText = Annotated[str, BeforeValidator(_text), AfterValidator(check_release)]
Port = Annotated[int, Field(ge=1, le=65535)]
PositiveSeconds = Annotated[int, Field(gt=0)]
Name = Annotated[str, BeforeValidator(_text), Field(min_length=1)]

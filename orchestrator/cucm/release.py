"""CUCM release numbers and Cisco's device-pack restart rule (reference section 7)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import total_ordering

_RELEASE = re.compile(
    r"^\s*(?P<major>\d+)\.(?P<minor>\d+)\.(?P<maint>\d+)\.(?P<build>\d+)"
    r"(?:[-(](?P<patch>\d+)\)?)?\s*$"
)


class ReleaseError(ValueError):
    """A text that is not a CUCM release number."""


@total_ordering
@dataclass(frozen=True)
class Release:
    """A CUCM release such as ``12.5.1.14900-63`` (AXL prints ``12.5.1.14900(63)``)."""

    major: int
    minor: int
    maint: int
    build: int
    patch: int = 0

    @classmethod
    def parse(cls, text: str) -> Release:
        match = _RELEASE.match(text)
        if not match:
            raise ReleaseError(
                f"{text!r} is not a CUCM release "
                "(expected e.g. 12.5.1.14900-63 or 12.5.1.14900(63))"
            )
        parts = {k: int(v) if v is not None else 0 for k, v in match.groupdict().items()}
        return cls(**parts)

    @property
    def key(self) -> tuple[int, int, int, int, int]:
        return (self.major, self.minor, self.maint, self.build, self.patch)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Release):
            return NotImplemented
        return self.key < other.key

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.maint}.{self.build}-{self.patch}"

    @property
    def train(self) -> str:
        return f"{self.major}.{self.minor}"


class RestartScope(StrEnum):
    """What a device pack install needs restarted before every CallManager knows the models."""

    REBOOT = "reboot"
    SERVICES = "services"


# First builds that no longer need a cluster reboot: 11.5(1)SU5 and 12.0(1)SU2.
# Cisco words 11.5(1)SU1-SU4 inconsistently; we take the stricter rule (reboot).
SERVICES_FROM: dict[str, Release] = {
    "11.5": Release(11, 5, 1, 15900, 0),
    "12.0": Release(12, 0, 1, 22900, 0),
}


@dataclass(frozen=True)
class RestartRule:
    scope: RestartScope
    reason: str


def restart_rule(release: Release) -> RestartRule:
    """Cisco's rule: full reboot up to 11.5(1)SU4 / 12.0(1)SU1, service restarts after."""
    if release.major < 11 or (release.major == 11 and release.minor < 5):
        return RestartRule(
            RestartScope.REBOOT,
            f"{release} is older than 11.5(1): Cisco requires a cluster reboot, publisher first",
        )
    threshold = SERVICES_FROM.get(release.train)
    if threshold is not None and release < threshold:
        name = "11.5(1)SU5" if release.major == 11 else "12.0(1)SU2"
        return RestartRule(
            RestartScope.REBOOT,
            f"{release} is older than {threshold} ({name}):"
            " Cisco requires a cluster reboot, publisher first",
        )
    return RestartRule(
        RestartScope.SERVICES,
        f"{release} is 11.5(1)SU5 / 12.0(1)SU2 or later: restart Cisco Tftp on TFTP nodes, "
        "Cisco Tomcat on every node and Cisco CallManager on the publisher",
    )


def supports_sha512_files(release: Release) -> bool:
    """Whether ``*.cop.sha512`` files install without the sha512 signing-key COP first."""
    if release.major >= 14:
        return True
    return release.train == "12.5" and release >= Release(12, 5, 1, 14900, 63)


def cop_base_name(file_name: str) -> str:
    """Strip ``.sgn`` / ``.sha512``: ``show version active`` lists options without them."""
    for suffix in (".sgn", ".sha512"):
        if file_name.endswith(suffix):
            return file_name[: -len(suffix)]
    return file_name


def axl_version_for(release: Release) -> str:
    """The AXL schema version to speak to a publisher of ``release``.

    Requests must name a version the publisher knows; 12.5 requests are accepted by
    12.5, 14 and 15, so newer clusters are spoken to in 12.5 (the WSDL we ship).
    """
    if (release.major, release.minor) >= (12, 5):
        return "12.5"
    return f"{release.major}.{release.minor}"

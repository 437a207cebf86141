"""The playbook: which COP, where to fetch it, and how carefully to roll it out."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BeforeValidator, Field, StrictBool, field_validator, model_validator

from orchestrator.config.errors import Invalid
from orchestrator.config.estimates import Estimates
from orchestrator.config.fields import (
    Address,
    Count,
    Directory,
    Flag,
    FloatSeconds,
    ModelName,
    Port,
    PositiveSeconds,
    Seconds,
    StrictModel,
    Text,
    Username,
)
from orchestrator.config.secrets import SecretRef
from orchestrator.cucm.release import cop_base_name

_COP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*\.cop\.(?:sgn|sha512)$")


def _hex_digest(value: object, digits: int, what: str, hint: str) -> object:
    """A checksum as lowercase hex without separators (the CLI prints aa:bb:...)."""
    if not isinstance(value, str):
        return value
    text = value.strip().replace(":", "").lower()
    if not re.fullmatch(rf"[0-9a-f]{{{digits}}}", text):
        raise Invalid(f"{value!r} is not {what}", hint)
    return text


class Cop(StrictModel):
    file: Text
    md5: str | None = None
    sha512: str | None = None
    # The file's size: the prechecks ask for twice this much free space in every node's
    # common partition (without it, a large device pack is assumed).
    size_mb: int | None = Field(default=None, ge=1, le=100_000, strict=True)

    @field_validator("file")
    @classmethod
    def _cop_file_name(cls, value: str) -> str:
        if "/" in value or "\\" in value:
            raise Invalid(f"{value!r} is a path; give only the file name",
                          "the directory goes under sftp: directory")
        if not _COP_NAME.match(value):
            raise Invalid(f"{value!r} does not look like a signed COP file",
                          "COP files end in .cop.sgn or .cop.sha512, "
                          "e.g. cmterm-devicepack12.5.1.17123-1.cop.sgn")
        return value

    @field_validator("md5", mode="before")
    @classmethod
    def _md5(cls, value: object) -> object:
        return _hex_digest(value, 32, "an MD5 checksum",
                           "32 hexadecimal digits, colons allowed "
                           "(as the CLI prints it: c4:13:ad:...)")

    @field_validator("sha512", mode="before")
    @classmethod
    def _sha512(cls, value: object) -> object:
        return _hex_digest(value, 128, "a SHA-512 checksum", "128 hexadecimal digits")

    @model_validator(mode="after")
    def _some_checksum(self) -> Cop:
        if self.md5 is None and self.sha512 is None:
            raise Invalid("no checksum for the COP file",
                          "add md5: (and/or sha512:) from Cisco's download page; "
                          "devpack refuses to install an unverified file")
        return self

    @property
    def base_name(self) -> str:
        """The name ``show version active`` lists once the COP is installed."""
        return cop_base_name(self.file)

    @property
    def md5_colons(self) -> str | None:
        """MD5 the way the install wizard prints it (``File checksum: c4:13:...``)."""
        if self.md5 is None:
            return None
        return ":".join(self.md5[i : i + 2] for i in range(0, 32, 2))


class Sftp(StrictModel):
    host: Address
    port: Port = 22
    directory: Directory
    username: Username
    password: SecretRef


class Strategy(StrEnum):
    AUTO = "auto"
    REBOOT = "reboot"
    SERVICES = "services"


class Restart(StrictModel):
    strategy: Strategy = Strategy.AUTO


class Waves(StrictModel):
    max_parallel: Count = Field(default=2, description="nodes restarting at once")
    install_parallel: Count = Field(default=4, description="nodes installing at once")


class Gates(StrictModel):
    replication: Flag = True
    settle_seconds: Seconds = 120


class Timeouts(StrictModel):
    # Defaults follow Cisco's budgets: device packs take tens of minutes, a reboot up
    # to 30 minutes per node, replication 30 minutes to 2 hours.
    install: PositiveSeconds = 3600
    reboot: PositiveSeconds = 1800
    services: PositiveSeconds = 1200
    replication: PositiveSeconds = 3600


def _datetime_text(value: object) -> object:
    # YAML already turned unquoted timestamps into datetimes; quoted ones are text.
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            raise Invalid(f"{value!r} is not an ISO 8601 date and time",
                          "e.g. 2026-11-28T01:00:00+01:00") from None
    return value


Moment = Annotated[datetime, BeforeValidator(_datetime_text)]


class Window(StrictModel):
    start: Moment
    end: Moment

    @field_validator("start", "end")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise Invalid("a maintenance window time needs a time zone",
                          "add Z or an offset such as +01:00")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end <= self.start:
            raise Invalid("the window ends before it starts", loc=("end",))
        return self


class Install(StrictModel):
    # Another admin's open install wizard stops the run at prechecks unless this says
    # to take it over (answering yes to "Assume control"); a takeover is journaled,
    # logged and shown in the report.
    take_over_held_wizard: StrictBool = False


class BackupAction(StrEnum):
    WARN = "warn"
    REFUSE = "refuse"


class Backup(StrictModel):
    """Cisco's step 1 for a device pack is a DRS backup (a pack cannot be uninstalled):
    prechecks read `utils disaster_recovery status backup` on the publisher and warn, or
    refuse the run, when the last successful backup is older than ``max_age_hours`` or
    there is none."""

    max_age_hours: int = Field(default=24, ge=1, le=24 * 366, strict=True)
    when_missing_or_old: BackupAction = BackupAction.WARN


class Polling(StrictModel):
    """How often to look while waiting: first after ``first`` s, doubling up to ``max`` s."""

    first: FloatSeconds = 2.0
    max: FloatSeconds = 15.0

    @model_validator(mode="after")
    def _first_within_max(self) -> Polling:
        if self.first > self.max:
            raise Invalid(f"first ({self.first:g} s) is longer than max ({self.max:g} s)",
                          "the first look comes after `first` seconds and the wait "
                          "doubles up to `max`: make first <= max", loc=("first",))
        return self


class Playbook(StrictModel):
    cop: Cop
    sftp: Sftp
    models: list[ModelName] = Field(min_length=1)
    restart: Restart = Field(default_factory=Restart)
    install: Install = Field(default_factory=Install)
    waves: Waves = Field(default_factory=Waves)
    gates: Gates = Field(default_factory=Gates)
    timeouts: Timeouts = Field(default_factory=Timeouts)
    window: Window | None = None
    polling: Polling = Field(default_factory=Polling)
    backup: Backup = Field(default_factory=Backup)
    # How long things take on this cluster; the plan's durations and the window check.
    estimates: Estimates = Field(default_factory=Estimates)

    @field_validator("models")
    @classmethod
    def _unique_models(cls, models: list[str]) -> list[str]:
        seen: set[str] = set()
        for model in models:
            if model.lower() in seen:
                raise Invalid(f"model {model!r} is listed twice")
            seen.add(model.lower())
        return models

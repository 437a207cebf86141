"""The playbook: which COP, where to fetch it, and how carefully to roll it out."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import Annotated, Literal

from pydantic import (
    BeforeValidator,
    Field,
    StrictBool,
    ValidationInfo,
    field_validator,
    model_validator,
)

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
    unprintable,
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

_DURATION = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?$")


def window_duration(text: str) -> timedelta | None:
    """An ISO 8601 duration in hours and minutes (``PT4H``, ``PT3H30M``), else None: the
    relative end of a window, in the playbook and in ``--window now/PT4H``."""
    match = _DURATION.match(text.strip().upper())
    if not match or not any(match.groups()):
        return None
    hours, minutes = (int(part or 0) for part in match.groups())
    return timedelta(hours=hours, minutes=minutes)


def window_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class Window(StrictModel):
    """``start``/``end`` as times with a zone, or relative to when devpack starts:
    ``start: now`` and ``end: PT4H`` (a scheduled run's window)."""

    start: Moment
    end: Moment

    @model_validator(mode="before")
    @classmethod
    def _relative(cls, data: object) -> object:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if isinstance(data.get("start"), str) and data["start"].strip().lower() == "now":
            data["start"] = window_now()
        end, start = data.get("end"), data.get("start")
        if isinstance(end, str) and isinstance(start, datetime):
            duration = window_duration(end)
            if duration is not None:
                data["end"] = start + duration
        return data

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


# The names the planner gives its stages (planning/planner.py; a test holds them equal):
# what ``approvals`` patterns are checked against when the playbook is loaded.
STAGE_NAMES = (
    "prechecks",
    "install-publisher",
    "install-tftp",
    "install-subscribers",
    "verify-publisher",
    "verify",
    "restart-publisher",
    *(f"restart-wave-{n}" for n in range(1, 100)),
    "postchecks",
)
_APPROVAL = re.compile(r"^[a-z0-9*?-]{1,64}$")


def _approval(value: object) -> object:
    """A stage name or a shell-style pattern (``restart-wave-*``) that names a stage."""
    if not isinstance(value, str):
        return value
    if not _APPROVAL.match(value):
        raise Invalid(f"{value!r} is not a stage name or pattern",
                      "use stage names such as restart-publisher or restart-wave-*")
    if not any(fnmatchcase(name, value) for name in STAGE_NAMES):
        raise Invalid(f"{value!r} names no stage devpack plans",
                      "stages: prechecks, install-publisher, install-subscribers, "
                      "verify-publisher, verify, restart-publisher, restart-wave-N, postchecks")
    return value


Approval = Annotated[str, BeforeValidator(_approval)]

MAX_NOTIFY_URL = 2048
_REFERENCE = re.compile(r"^(env|file|keyring):")
_URL_PASSWORD = re.compile(r"^[A-Za-z0-9+.-]+://[^/@]*:[^/@]*@")


def _notify_target(value: object, info: ValidationInfo) -> object:
    """An apprise URL written out (only if it carries no password), or a reference to one
    (env:/file:/keyring:, like passwords) for URLs that carry a secret."""
    if not isinstance(value, str):
        raise Invalid("a notification target must be an apprise URL or a reference to one",
                      "e.g. json://host/path, or env:DEVPACK_TEAMS_URL")
    if _REFERENCE.match(value):
        return SecretRef.model_validate(value, context=info.context)
    if "://" not in value or unprintable(value) or len(value) > MAX_NOTIFY_URL:
        raise Invalid(f"{value[:80]!r} is not an apprise URL",
                      "e.g. mailto://..., msteams://..., json://host/path; a URL with a "
                      "secret in it goes by reference: env:VAR, file:PATH, keyring:SERVICE/USER")
    if _URL_PASSWORD.match(value):
        # never echoed: it holds a password
        raise Invalid("this URL carries a password in clear text",
                      "keep the URL in a file or variable and write file:PATH or env:VAR")
    return value


NotifyTarget = Annotated[str | SecretRef, BeforeValidator(_notify_target)]


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
    # Install now, restart later: end the run after the installs and their verification
    # (paused, exit 7); ``devpack resume`` does the restarts. Same as --stop-after install.
    stop_after: Literal["install"] | None = None
    # Stages to pause before until ``devpack resume`` approves them (a change board, an
    # AWX approval node): names or patterns, e.g. [restart-publisher, restart-wave-*].
    approvals: list[Approval] = Field(default_factory=list)
    # apprise URLs told of the run's start, pauses, failure, interruption and completion
    notify: list[NotifyTarget] = Field(default_factory=list, max_length=20)

    @field_validator("models")
    @classmethod
    def _unique_models(cls, models: list[str]) -> list[str]:
        seen: set[str] = set()
        for model in models:
            if model.lower() in seen:
                raise Invalid(f"model {model!r} is listed twice")
            seen.add(model.lower())
        return models

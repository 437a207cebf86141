"""The playbook: which COP, where to fetch it, and how carefully to roll it out."""

from __future__ import annotations

import hashlib
import math
import os
import re
import stat
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from fnmatch import fnmatchcase
from pathlib import Path
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
    Share,
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


class CopKind(StrEnum):
    """What a COP is for; each kind says how it is verified and what restart it needs
    (``planning/copkinds.py``)."""

    DEVICEPACK = "devicepack"
    LOCALE = "locale"
    DIALPLAN = "dialplan"
    SIGNING_KEY = "signing-key"
    OTHER = "other"


def _file_digests(path: Path) -> tuple[str, str, int]:
    """(md5, sha512, size in bytes) of a local file, read once in chunks."""
    md5, sha512 = hashlib.md5(usedforsecurity=False), hashlib.sha512()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            md5.update(chunk)
            sha512.update(chunk)
            size += len(chunk)
    return md5.hexdigest(), sha512.hexdigest(), size


def _check_cop_name(value: str, loc: tuple[str | int, ...] = ()) -> str:
    if "/" in value or "\\" in value:
        raise Invalid(
            f"{value!r} is a path; give only the file name",
            "the directory goes under sftp: directory (or give the path as "
            "source: for devpack to serve it)",
            loc=loc,
        )
    if not _COP_NAME.match(value):
        raise Invalid(
            f"{value!r} does not look like a signed COP file",
            "COP files end in .cop.sgn or .cop.sha512, "
            "e.g. cmterm-devicepack12.5.1.17123-1.cop.sgn",
            loc=loc,
        )
    return value


class Cop(StrictModel):
    # Without ``source``, the file name on the SFTP server; with it, optional (the
    # source's own name) and, if given, it must be that name.
    file: Text | None = None
    kind: CopKind = CopKind.DEVICEPACK
    md5: str | None = None
    sha512: str | None = None
    # The file's size: the prechecks ask for twice this much free space in every node's
    # common partition (without it, a large device pack is assumed). Read from the
    # file when devpack serves it.
    size_mb: int | None = Field(default=None, ge=1, le=100_000, strict=True)
    # A local file devpack serves to the nodes itself over SFTP (sftp.serve); relative
    # paths are relative to the playbook's folder. devpack computes its checksums.
    source: Path | None = None

    @field_validator("file")
    @classmethod
    def _cop_file_name(cls, value: str | None) -> str | None:
        return None if value is None else _check_cop_name(value)

    @field_validator("md5", mode="before")
    @classmethod
    def _md5(cls, value: object) -> object:
        return _hex_digest(
            value,
            32,
            "an MD5 checksum",
            "32 hexadecimal digits, colons allowed (as the CLI prints it: c4:13:ad:...)",
        )

    @field_validator("sha512", mode="before")
    @classmethod
    def _sha512(cls, value: object) -> object:
        return _hex_digest(value, 128, "a SHA-512 checksum", "128 hexadecimal digits")

    @field_validator("source")
    @classmethod
    def _local_file(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        if value is None:
            return None
        base = (info.context or {}).get("base_dir")
        path = value if value.is_absolute() or base is None else Path(base) / value
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            raise Invalid(
                f"{str(value)!r} does not exist",
                "give the path of the COP file on this machine (relative to the playbook's folder)",
            ) from None
        except OSError as exc:
            raise Invalid(f"{str(value)!r} cannot be read: {exc.strerror}") from None
        if not stat.S_ISREG(mode):
            raise Invalid(
                f"{str(value)!r} is not a regular file", "give the path of the COP file itself"
            )
        if not os.access(path, os.R_OK):
            raise Invalid(f"{str(value)!r} is not readable", "fix its permissions")
        return path.resolve()

    @model_validator(mode="after")
    def _checksums(self) -> Cop:
        if self.source is not None:
            self._from_source(self.source)
        if self.file is None:
            raise Invalid(
                "no file name for the COP",
                "give file: (the name on the SFTP server) or source: (a local file devpack serves)",
                loc=("file",),
            )
        if self.md5 is None and self.sha512 is None:
            raise Invalid(
                "no checksum for the COP file",
                "add md5: (and/or sha512:) from Cisco's download page; "
                "devpack refuses to install an unverified file",
            )
        return self

    def _from_source(self, source: Path) -> None:
        name = _check_cop_name(source.name, loc=("source",))
        if self.file is not None and self.file != name:
            raise Invalid(
                f"file {self.file!r} is not the name of source ({name!r})",
                "drop file: (the source's name is used) or make them agree",
                loc=("file",),
            )
        md5, sha512, size = _file_digests(source)
        for field, given, actual in (("md5", self.md5, md5), ("sha512", self.sha512, sha512)):
            if given is not None and given != actual:
                raise Invalid(
                    f"{field} does not match {source}: the file's is {actual}",
                    "the file is not the one Cisco published (or the checksum is "
                    "mistyped): download it again and compare",
                    loc=(field,),
                )
        object.__setattr__(self, "file", name)
        object.__setattr__(self, "md5", md5)
        object.__setattr__(self, "sha512", sha512)
        if self.size_mb is None:
            object.__setattr__(self, "size_mb", max(1, math.ceil(size / 2**20)))

    @property
    def file_name(self) -> str:
        assert self.file is not None  # the model validator guarantees it
        return self.file

    @property
    def base_name(self) -> str:
        """The name ``show version active`` lists once the COP is installed."""
        return cop_base_name(self.file_name)

    @property
    def md5_colons(self) -> str | None:
        """MD5 the way the install wizard prints it (``File checksum: c4:13:...``)."""
        if self.md5 is None:
            return None
        return ":".join(self.md5[i : i + 2] for i in range(0, 32, 2))


class Serve(StrictModel):
    """devpack serves the COP files itself over SFTP for the length of the run."""

    # An address of this host the nodes can reach (the SFTP server listens there).
    address: Address
    # A node's install wizard always connects to port 22; another port only for a lab.
    port: Port = 22


SERVED_DIRECTORY = "/devpack"  # what the wizard is told when devpack serves the files


class Sftp(StrictModel):
    host: Address | None = None
    port: Port = 22
    directory: Directory | None = None
    username: Username | None = None
    password: SecretRef | None = None
    serve: Serve | None = None

    @model_validator(mode="after")
    def _one_mode(self) -> Sftp:
        own = {
            "host": self.host,
            "directory": self.directory,
            "username": self.username,
            "password": self.password,
        }
        if self.serve is not None:
            given = [name for name, value in own.items() if value is not None]
            if given:
                raise Invalid(
                    f"{given[0]} is set while devpack serves the files",
                    "with sftp.serve devpack makes its own one-time account and "
                    "directory: drop host, directory, username and password",
                    loc=(given[0],),
                )
            return self
        for name, value in own.items():
            if value is None:
                raise Invalid(
                    "is required but missing",
                    "your SFTP server's host, directory, username and password "
                    "reference; or sftp.serve with the cop's source to let "
                    "devpack serve the file",
                    loc=(name,),
                )
        return self

    @property
    def served(self) -> bool:
        return self.serve is not None


class Strategy(StrEnum):
    AUTO = "auto"
    REBOOT = "reboot"
    SERVICES = "services"


class Restart(StrictModel):
    strategy: Strategy = Strategy.AUTO
    # A service that ran before a restart and comes back Commanded Out of Service does
    # not start by itself (reference 9.3): the run stops at once naming it and Cisco's
    # remedy (utils service start NAME). true: devpack starts it (journaled first, once
    # per service and wait) and judges the node again.
    start_services_out_of_service: StrictBool = False


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
            raise Invalid(
                f"{value!r} is not an ISO 8601 date and time", "e.g. 2026-11-28T01:00:00+01:00"
            ) from None
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
            raise Invalid(
                "a maintenance window time needs a time zone", "add Z or an offset such as +01:00"
            )
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


class ReportOptions(StrictModel):
    """What the run's report includes besides JSON, Markdown and HTML."""

    # report.pdf too, printed by headless Chromium where one is installed (without it
    # the run warns and writes the rest)
    pdf: bool = Field(default=False, strict=True)


class Polling(StrictModel):
    """How often to look while waiting: first after ``first`` s, doubling up to ``max`` s.

    A reboot and a replication gate are looked at once, then left alone for
    ``quiet_share`` of their estimate, then polled at that pace: a node that takes 15
    minutes to reboot is not polled every 15 s from the first second. 0.3 of the
    default estimates (900 s reboot, 1800 s replication) is 4.5 and 9 minutes, under
    the low end of Cisco's ranges (5-15 minutes, 30 minutes for a small cluster): a
    phase shorter than ``quiet_share`` x its estimate is noticed late.
    """

    first: FloatSeconds = 2.0
    max: FloatSeconds = 15.0
    quiet_share: Share = 0.3

    @model_validator(mode="after")
    def _first_within_max(self) -> Polling:
        if self.first > self.max:
            raise Invalid(
                f"first ({self.first:g} s) is longer than max ({self.max:g} s)",
                "the first look comes after `first` seconds and the wait "
                "doubles up to `max`: make first <= max",
                loc=("first",),
            )
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
        raise Invalid(
            f"{value!r} is not a stage name or pattern",
            "use stage names such as restart-publisher or restart-wave-*",
        )
    if not any(fnmatchcase(name, value) for name in STAGE_NAMES):
        raise Invalid(
            f"{value!r} names no stage devpack plans",
            "stages: prechecks, install-publisher, install-subscribers, "
            "verify-publisher, verify, restart-publisher, restart-wave-N, postchecks",
        )
    return value


Approval = Annotated[str, BeforeValidator(_approval)]

MAX_NOTIFY_URL = 2048
_REFERENCE = re.compile(r"^(env|file|keyring):")
_URL_PASSWORD = re.compile(r"^[A-Za-z0-9+.-]+://[^/@]*:[^/@]*@")


def _notify_target(value: object, info: ValidationInfo) -> object:
    """An apprise URL written out (only if it carries no password), or a reference to one
    (env:/file:/keyring:, like passwords) for URLs that carry a secret."""
    if not isinstance(value, str):
        raise Invalid(
            "a notification target must be an apprise URL or a reference to one",
            "e.g. json://host/path, or env:DEVPACK_TEAMS_URL",
        )
    if _REFERENCE.match(value):
        return SecretRef.model_validate(value, context=info.context)
    if "://" not in value or unprintable(value) or len(value) > MAX_NOTIFY_URL:
        raise Invalid(
            f"{value[:80]!r} is not an apprise URL",
            "e.g. mailto://..., msteams://..., json://host/path; a URL with a "
            "secret in it goes by reference: env:VAR, file:PATH, keyring:SERVICE/USER",
        )
    if _URL_PASSWORD.match(value):
        # never echoed: it holds a password
        raise Invalid(
            "this URL carries a password in clear text",
            "keep the URL in a file or variable and write file:PATH or env:VAR",
        )
    return value


NotifyTarget = Annotated[str | SecretRef, BeforeValidator(_notify_target)]


class Playbook(StrictModel):
    # One COP (``cop:``) or several (``cops:``, installed on each node in order, the
    # signing-key COP first); after loading, ``cops`` always holds them all and ``cop``
    # is the main one (the device pack, if there is one).
    cop: Cop | None = None
    cops: list[Cop] | None = Field(default=None, min_length=1, max_length=16)
    sftp: Sftp
    # The phone models the device pack adds (required only with a device pack).
    models: list[ModelName] = Field(default_factory=list)
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
    report: ReportOptions = Field(default_factory=ReportOptions)

    @field_validator("models")
    @classmethod
    def _unique_models(cls, models: list[str]) -> list[str]:
        seen: set[str] = set()
        for model in models:
            if model.lower() in seen:
                raise Invalid(f"model {model!r} is listed twice")
            seen.add(model.lower())
        return models

    @model_validator(mode="after")
    def _the_cops(self) -> Playbook:
        if (self.cop is None) == (self.cops is None):
            raise Invalid(
                "give either cop: (one COP) or cops: (a list)",
                "not both, and not neither",
                loc=("cop",),
            )
        listed: list[Cop] = (
            self.cops if self.cops is not None else [self.cop] if self.cop is not None else []
        )
        names: set[str] = set()
        for index, cop in enumerate(listed):
            where: tuple[str | int, ...] = ("cops", index) if self.cops else ("cop",)
            if cop.base_name in names:
                raise Invalid(f"{cop.file_name} is listed twice", loc=(*where, "file"))
            names.add(cop.base_name)
            if cop.source is not None and not self.sftp.served:
                raise Invalid(
                    "source is set but sftp.serve is not",
                    "add sftp: serve: address: (an address of this host the "
                    "nodes reach) to let devpack serve the file",
                    loc=(*where, "source"),
                )
            if cop.source is None and self.sftp.served:
                raise Invalid(
                    "sftp.serve is set but this COP has no source",
                    "give source: (the local file devpack serves)",
                    loc=(*where, "source"),
                )
        packs = [c for c in listed if c.kind is CopKind.DEVICEPACK]
        if packs and not self.models:
            raise Invalid(
                "must not be empty with a device pack",
                "list the phone models the pack adds (they are verified via AXL)",
                loc=("models",),
            )
        if self.models and not packs:
            raise Invalid(
                "models are verified only for a device pack",
                "drop models:, or mark the device pack with kind: devicepack",
                loc=("models",),
            )
        # The signing-key COP first: .cop.sha512 files need it on older releases.
        ordered = sorted(listed, key=lambda c: c.kind is not CopKind.SIGNING_KEY)
        main = (
            packs[0]
            if packs
            else next((c for c in ordered if c.kind is not CopKind.SIGNING_KEY), ordered[0])
        )
        object.__setattr__(self, "cops", ordered)
        object.__setattr__(self, "cop", main)
        return self

    @property
    def main_cop(self) -> Cop:
        assert self.cop is not None
        return self.cop

    @property
    def all_cops(self) -> list[Cop]:
        assert self.cops is not None
        return self.cops

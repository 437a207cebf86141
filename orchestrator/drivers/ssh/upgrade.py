"""The ``utils system upgrade`` wizard as dialog data (COP install, status, cancel).

Covers 10.x/11.x and 12.5+ (readiness warning, publisher-credentials question,
4-entry Source menu, continue/switch-version questions). We always answer
``Continue with upgrade after download`` with ``no`` so the wizard shows the checksum
and asks ``Start installation``: that is the only point where a wrong file can be
refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from orchestrator.cucm import texts
from orchestrator.drivers.ssh import patterns
from orchestrator.drivers.ssh.dialogs import (
    SESSION_CLOSED,
    TIMEOUT,
    UNEXPECTED,
    UNKNOWN_PROMPT,
    Callback,
    Decision,
    Dialog,
    DialogResult,
    DialogState,
    Rule,
    line,
    prompt,
)
from orchestrator.drivers.ssh.patterns import either, line_of, words
from orchestrator.drivers.ssh.transport import PasswordLike, reveal


class InstallOutcome(StrEnum):
    INSTALLED = "installed"
    FAILED = "failed"
    NOT_OFFERED = "not_offered"  # our file is not in the list (installed already? wrong dir?)
    CHECKSUM_MISMATCH = "checksum_mismatch"  # we answered "no" to Start installation
    SERVER_UNREACHABLE = "server_unreachable"
    BAD_CREDENTIALS = "bad_credentials"
    BAD_DIRECTORY = "bad_directory"
    NO_VALID_OPTIONS = "no_valid_options"
    DISK_SPACE = "disk_space"
    CHECKSUM_FAILED = "checksum_failed"  # the node's own signature/checksum check
    INVALID_FILE = "invalid_file"
    ALREADY_IN_PROGRESS = "already_in_progress"
    LOCKED = "locked"  # another session holds the wizard and we may not take it over
    COMMAND_FAILED = "command_failed"
    UNEXPECTED = UNEXPECTED
    UNKNOWN_PROMPT = UNKNOWN_PROMPT  # a question no rule expects: answered nothing, left
    TIMEOUT = TIMEOUT
    SESSION_CLOSED = SESSION_CLOSED


# Error texts of the upgrade framework (reference section 2), first words only.
ERROR_TEXTS: dict[InstallOutcome, str] = {
    InstallOutcome.SERVER_UNREACHABLE: words(texts.ERR_SERVER_UNREACHABLE),
    InstallOutcome.BAD_CREDENTIALS: words(texts.ERR_BAD_CREDENTIALS),
    InstallOutcome.BAD_DIRECTORY: words(texts.ERR_BAD_DIRECTORY),
    InstallOutcome.NO_VALID_OPTIONS: words(texts.ERR_NO_VALID_OPTIONS, 0, 10),
    InstallOutcome.DISK_SPACE: words(texts.ERR_DISK_SPACE, 0, 6),
    InstallOutcome.CHECKSUM_FAILED: words(texts.ERR_CHECKSUM, 0, 4),
    InstallOutcome.INVALID_FILE: words(texts.ERR_INVALID_FILE),
    InstallOutcome.ALREADY_IN_PROGRESS: patterns.ALREADY_IN_PROGRESS,
    InstallOutcome.COMMAND_FAILED: either(*(p.pattern for p in patterns.FAILURES)),
}

# the Source menu's entries: "1) Remote Filesystem via SFTP", "2) ... via FTP"
SOURCE_LABELS = {
    "sftp": words(line_of(texts.SOURCE_MENU_LEGACY, 2), 3),
    "ftp": words(line_of(texts.SOURCE_MENU_LEGACY, 3), 3),
}

# "Directory [/cop]:" or "Server (10.1.1.50):" -- a remembered default; we type ours anyway.
_DEFAULT = r"(?:\s*[\[(][^\])\n]*[\])])?"
_YES_NO = r"\(yes/no\)(?:\s*\[(?:yes|no)\])?"
_ANOTHER_SESSION = line(words(texts.ANOTHER_SESSION, 0, 5))
_ASSUME_CONTROL = prompt(words(texts.ASSUME_CONTROL, 0, 2) + r"\s*" + _YES_NO + ":")
_PUBLISHER_CREDENTIALS = prompt(
    words(texts.USE_PUBLISHER_CREDENTIALS, 0, 5) + r"\s*" + _YES_NO + ":"
)
_SELECT = prompt(words(texts.SELECT_OPTION, last=r"\d+"))
_VALUE = r"(?P<value>\S+)"  # what a Rule captures


def _asked(text: str) -> re.Pattern[str]:
    """A wizard question such as ``Directory:``, perhaps with a remembered default."""
    return prompt(words(text.removesuffix(":")) + _DEFAULT + ":")


TOOK_OVER = "took_over_wizard"  # capture set when we answered yes to Assume control
_MENU_ITEM = re.compile(r"(?m)^[ \t]*(?P<key>\d+)\)[ \t]*(?P<label>\S.*?)[ \t]*$")


def md5_key(checksum: str) -> str:
    """Checksums compare case- and separator-insensitively (the CLI prints aa:bb:...)."""
    return re.sub(r"[^0-9a-f]", "", checksum.lower())


@dataclass(frozen=True)
class CopInstallRequest:
    file_name: str  # exactly as listed by the wizard, e.g. cmterm-...cop.sgn
    expected_md5: str
    server: str
    directory: str
    user: str
    password: PasswordLike = field(repr=False)
    source: str = "sftp"  # "sftp" | "ftp"
    use_publisher_credentials: bool = False  # "no": use our SFTP source on subscribers too
    # Another session's open wizard is taken over only when the playbook says so
    # (install.take_over_held_wizard); otherwise the install stops as LOCKED.
    assume_control: bool = False
    smtp_host: str = ""
    prompt_timeout: float = 120.0
    # An unreachable SFTP server can take many minutes to be reported.
    download_timeout: float = 1800.0
    install_timeout: float = 3600.0

    def typed_values(self) -> list[tuple[str, str]]:
        """Every value the wizard may be given, named for a refusal message."""
        return [
            ("the COP file name", self.file_name),
            ("the SFTP server", self.server),
            ("the SFTP directory", self.directory),
            ("the SFTP user name", self.user),
            ("the SFTP password", reveal(self.password)),
            ("the SMTP host", self.smtp_host),
        ]


@dataclass
class InstallResult:
    outcome: InstallOutcome
    message: str
    file_name: str
    checksum: str | None
    checksum_ok: bool | None
    file_version: str | None
    upgrade_log: str | None
    phases: list[str]
    transcript: str  # password masked
    answers: list[str]  # what we typed, password masked
    at_prompt: bool
    took_over_wizard: bool = False  # we answered yes to another session's Assume control

    @property
    def ok(self) -> bool:
        return self.outcome is InstallOutcome.INSTALLED


def _menu(text: str) -> dict[str, str]:
    return {m.group("key"): m.group("label") for m in _MENU_ITEM.finditer(text)}


def _select(request: CopInstallRequest) -> Callback:
    source_label = re.compile(SOURCE_LABELS.get(request.source, request.source), re.I)

    def choose(state: DialogState, match: re.Match[str]) -> Decision:
        items = _menu(state.pending_text)
        if any("Remote Filesystem" in label for label in items.values()):
            for key, label in items.items():
                if source_label.search(label):
                    return Decision(key)
            return Decision("q", InstallOutcome.UNEXPECTED, f"no {request.source} source: {items}")
        if "Available options and upgrades" in state.pending_text or state.hits["available"]:
            for key, label in items.items():
                if label.strip() == request.file_name:
                    state.captures["selected"] = key
                    return Decision(key)
            offered = ", ".join(items.values()) or "nothing"
            return Decision(
                "q",
                InstallOutcome.NOT_OFFERED,
                f"{request.file_name} not offered in {request.server}:{request.directory} "
                f"(offered: {offered})",
            )
        return Decision("q", InstallOutcome.UNEXPECTED, f"unknown menu: {items}")

    return choose


def _start_installation(request: CopInstallRequest) -> Callback:
    def decide(state: DialogState, match: re.Match[str]) -> Decision:
        printed = state.captures.get("checksum")
        if printed is None:
            return Decision("no", InstallOutcome.CHECKSUM_MISMATCH, "no checksum was printed")
        if md5_key(printed) != md5_key(request.expected_md5):
            return Decision(
                "no",
                InstallOutcome.CHECKSUM_MISMATCH,
                f"checksum {printed} does not match the expected {request.expected_md5}",
            )
        return Decision("yes")

    return decide


def _back_at_prompt(state: DialogState, match: re.Match[str]) -> Decision:
    tail = [ln.strip() for ln in state.pending_text.splitlines() if ln.strip()][-4:-1]
    return Decision(
        None,
        InstallOutcome.UNEXPECTED,
        "the wizard returned to the admin prompt without a result"
        + (f" (last lines: {' | '.join(tail)})" if tail else ""),
    )


def install_cop_dialog(request: CopInstallRequest) -> Dialog:
    """Rules for ``utils system upgrade initiate`` installing ``request.file_name``."""
    yes_no = {True: "yes", False: "no"}

    def assume(state: DialogState, match: re.Match[str]) -> Decision:
        if request.assume_control:
            state.captures[TOOK_OVER] = "yes"
            return Decision("yes")
        return Decision(
            "no",
            InstallOutcome.LOCKED,
            "another session is configuring an upgrade (Another user session is currently "
            "configuring an upgrade); answered no to Assume control",
        )

    rules: list[Rule] = [
        Rule(
            "installed",
            line(words(texts.INSTALL_SUCCESS, file=_VALUE)),
            outcome=InstallOutcome.INSTALLED,
            capture="installed",
        ),
        Rule(
            "install_failed",
            line(words(texts.INSTALL_FAILED, file=_VALUE)),
            outcome=InstallOutcome.FAILED,
        ),
        *(
            Rule(outcome.value, line(text), outcome=outcome)
            for outcome, text in ERROR_TEXTS.items()
        ),
        Rule("another_session", _ANOTHER_SESSION),
        Rule("assume_control", _ASSUME_CONTROL, assume),
        Rule(
            "publisher_credentials",
            _PUBLISHER_CREDENTIALS,
            yes_no[request.use_publisher_credentials],
        ),
        Rule(
            "select",
            _SELECT,
            _select(request),
            repeatable=True,  # the Source menu, then the file list
        ),
        Rule("directory", _asked(texts.DIRECTORY), request.directory),
        Rule("server", _asked(texts.SERVER), request.server),
        Rule("user", _asked(texts.USER_NAME), request.user),
        Rule(
            "password",
            _asked(texts.PASSWORD),
            lambda s, m: reveal(request.password),
            secret=True,
        ),
        Rule(
            "smtp",
            prompt(words(texts.SMTP, 0, 5) + r"[^\n]*:"),
            request.smtp_host,
            phase="checking",
        ),
        Rule(
            "continue_after_download",
            prompt(words(texts.CONTINUE_AFTER_DOWNLOAD, 0, 5) + r"\s*" + _YES_NO + ":"),
            "no",
        ),
        Rule(
            "switch_version",
            prompt(words(texts.SWITCH_VERSION, 0, 4) + r"[^\n]*" + _YES_NO + ":"),
            "no",
        ),
        Rule("checking", line(words(texts.CHECKING, 0, 4)), phase="checking"),
        Rule("available", line(words(texts.AVAILABLE, 0, 5))),
        Rule("accessing", line(words(texts.ACCESSING, 0, 3)), phase="downloading"),
        Rule(
            "file_version",
            line(words(texts.FILE_VERSION, version=_VALUE)),
            capture="file_version",
        ),
        Rule(
            "checksum",
            line(words(texts.FILE_CHECKSUM, checksum=r"(?P<value>[0-9A-Fa-f:]+)")),
            capture="checksum",
            phase="checksum",
        ),
        Rule(
            "start_installation",
            prompt(words(texts.START_INSTALLATION, 0, 2) + r"\s*" + _YES_NO + ":"),
            _start_installation(request),
        ),
        Rule("upgrade_log", line(words(texts.UPGRADE_LOG, log=_VALUE)), capture="upgrade_log"),
        Rule("upgrading", line(words(texts.UPGRADING, 0, 3)), phase="installing"),
        Rule("back_at_prompt", patterns.PROMPT, _back_at_prompt, repeatable=True),
    ]
    return Dialog(
        name="install_cop",
        rules=rules,
        timeouts={
            "default": request.prompt_timeout,
            "checking": request.download_timeout,
            "downloading": request.download_timeout,
            "installing": request.install_timeout,
            "end": request.prompt_timeout,
        },
        end_prompt=patterns.PROMPT,
        unknown_prompt=patterns.YES_NO_QUESTION,
    )


def install_result(request: CopInstallRequest, result: DialogResult) -> InstallResult:
    outcome = InstallOutcome(result.outcome)
    message = result.message
    checksum = result.captures.get("checksum")
    return InstallResult(
        outcome=outcome,
        message=message,
        file_name=request.file_name,
        checksum=checksum,
        checksum_ok=None
        if checksum is None
        else md5_key(checksum) == md5_key(request.expected_md5),
        file_version=result.captures.get("file_version"),
        upgrade_log=result.captures.get("upgrade_log"),
        phases=result.phases,
        transcript=result.transcript.text(),
        answers=result.transcript.sent,
        at_prompt=result.at_prompt,
        took_over_wizard=TOOK_OVER in result.captures,
    )


# -- is the wizard held by another session? -----------------------------------------------


class WizardProbe(StrEnum):
    FREE = "free"  # nobody configures an upgrade here
    HELD = "held"  # another session has the wizard open ("Assume control")
    IN_PROGRESS = "in_progress"  # an upgrade or COP install is running
    UNKNOWN = "unknown"


def wizard_probe_dialog(timeout: float = 120.0) -> Dialog:
    """Open the wizard only to see who holds it, and leave without changing anything.

    The CLI has no read-only way to tell that another session holds the wizard
    (``utils system upgrade status`` shows a held wizard as idle), so we start it: a held
    wizard says so and asks ``Assume control``, which we answer ``no``; a free one shows
    the Source menu, which we leave with ``q`` (Cisco's own way out of the wizard, before
    any source is chosen or saved). 12.5+ subscribers first ask whether to use the
    publisher's credentials: ``no`` saves nothing. The node is left as it was; the only
    trace is another admin seeing our session briefly in the wizard.
    """
    return Dialog(
        name="upgrade_wizard_probe",
        rules=[
            Rule(
                "already_in_progress",
                line(ERROR_TEXTS[InstallOutcome.ALREADY_IN_PROGRESS]),
                outcome=WizardProbe.IN_PROGRESS,
            ),
            Rule("another_session", _ANOTHER_SESSION),
            Rule("assume_control", _ASSUME_CONTROL, "no", outcome=WizardProbe.HELD),
            Rule("publisher_credentials", _PUBLISHER_CREDENTIALS, "no"),
            Rule("select", _SELECT, "q", outcome=WizardProbe.FREE),
            Rule("back_at_prompt", patterns.PROMPT, outcome=WizardProbe.UNKNOWN),
        ],
        timeouts={"default": timeout},
        end_prompt=patterns.PROMPT,
        unknown_prompt=patterns.YES_NO_QUESTION,
    )


# -- utils system upgrade cancel -------------------------------------------------------


class CancelOutcome(StrEnum):
    CANCELED = "canceled"
    NOT_CANCELABLE = "not_cancelable"  # a COP install is running: wait for it instead
    UNKNOWN = "unknown"


def cancel_dialog(timeout: float = 120.0) -> Dialog:
    # Whether cancel asks for confirmation is not documented: a question stops it
    # unanswered, like any question no dialog expects.
    return Dialog(
        name="upgrade_cancel",
        rules=[
            Rule("canceled", line(words(texts.UPGRADE_CANCELED)), outcome=CancelOutcome.CANCELED),
            Rule(
                "cannot_cancel",
                line(words(texts.COP_CANNOT_CANCEL)),
                outcome=CancelOutcome.NOT_CANCELABLE,
            ),
            Rule("prompt", patterns.PROMPT, outcome=CancelOutcome.UNKNOWN),
        ],
        timeouts={"default": timeout},
        end_prompt=patterns.PROMPT,
        unknown_prompt=patterns.YES_NO_QUESTION,
    )

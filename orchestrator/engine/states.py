"""The run's vocabulary: run and step states, step outcomes, and the shape of what each
executor journals beside a state.

All are ``StrEnum``: the journal stores the plain words (``done``, ``requested``), so a
journal written before these types existed loads unchanged and ``sqlite3`` shows what
happened in words. The state machines themselves are described in ``engine/steps.py``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypedDict


class RunState(StrEnum):
    """A run's journaled state (entries without a step)."""

    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    PAUSED_WINDOW = "paused_window"
    # held as asked (``--stop-after install``, an approval): not a failure; detail
    # ``before`` names the stage a resume starts with (and so approves)
    PAUSED = "paused"
    INTERRUPTED = "interrupted"
    WAITING_FOR_WINDOW = "waiting_for_window"
    UNKNOWN = "unknown"  # no run-level entry yet


class StepState(StrEnum):
    """A step's journaled states (also stages ``stage/<name>`` and gates ``gate/<name>``)."""

    PENDING = "pending"  # not journaled yet
    STARTED = "started"  # a stage began
    CHECKING = "checking"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"
    # install
    WAITING_FOR_RUNNING_INSTALL = "waiting_for_running_install"
    REQUESTED = "requested"  # also: a reboot was asked for
    SESSION_LOST = "session_lost"
    TOOK_OVER_WIZARD = "took_over_wizard"
    COP_INSTALLED = "cop_installed"  # one COP of several is on the node; the step goes on
    # reboot
    DOWN = "down"
    BOOTED = "booted"
    WAITING_FOR_SERVICES = "waiting_for_services"
    SERVICES_UP = "services_up"
    # service restarts
    SERVICE_RESTART_REQUESTED = "service_restart_requested"
    SERVICE_RESTARTED = "service_restarted"
    SERVICE_SKIPPED = "service_skipped"
    # services gate: a service STARTED before the restart came back Commanded Out of
    # Service and devpack starts it (restart.start_services_out_of_service)
    SERVICE_START_REQUESTED = "service_start_requested"
    # gates
    WAITING_FOR_REPLICATION = "waiting_for_replication"
    REPLICATED = "replicated"
    SETTLING = "settling"


# Step states that end a step; anything else means "was in progress when we stopped".
TERMINAL = frozenset({StepState.DONE, StepState.SKIPPED, StepState.FAILED})
# A step that needs nothing more on resume.
FINISHED = frozenset({StepState.DONE, StepState.SKIPPED})


class InstallResult(StrEnum):
    """How an install step ended well (``run_install``'s answer)."""

    INSTALLED = "installed"
    ALREADY_INSTALLED = "already_installed"


class InstallOutcome(StrEnum):
    """The install outcomes the engine tells apart (the words the journal keeps). Most
    are the SSH driver's (``drivers.ssh.upgrade.InstallOutcome``, which the gateway
    reports as its word); the engine adds its own judgements."""

    INSTALLED = "installed"
    # the wizard offers no file, or refuses a second install: installed, or being
    # installed by another session?
    NOT_OFFERED = "not_offered"
    NO_VALID_OPTIONS = "no_valid_options"
    ALREADY_IN_PROGRESS = "already_in_progress"
    CHECKSUM_MISMATCH = "checksum_mismatch"
    BAD_CREDENTIALS = "bad_credentials"
    BAD_DIRECTORY = "bad_directory"
    SERVER_UNREACHABLE = "server_unreachable"
    DISK_SPACE = "disk_space"
    INVALID_FILE = "invalid_file"
    LOCKED = "locked"
    FAILED = "failed"
    UNKNOWN_PROMPT = "unknown_prompt"
    # the engine's own
    UNSAFE_VALUE = "unsafe_value"  # a value to type holds a control character: nothing typed
    FRAMEWORK_STUCK = "framework_stuck"  # an install cut off left the framework stuck
    TIMEOUT = "timeout"  # a wait of the step ran out


ENGINE_INSTALL_OUTCOMES = frozenset(
    {InstallOutcome.UNSAFE_VALUE, InstallOutcome.FRAMEWORK_STUCK, InstallOutcome.TIMEOUT}
)


# ----- what each executor journals beside its states ---------------------------------
# Journal detail is JSON; these say which keys a resume may read back. total=False: each
# entry carries only the keys of its state.


class FailureDetail(TypedDict, total=False):
    message: str
    hint: str
    outcome: str  # an InstallOutcome (the driver's word when the engine has none for it)
    transcript: str  # a dialog stopped at a question: what it saw (passwords masked)
    problems: list[str]
    missing: list[str]


class InstallDetail(FailureDetail, total=False):
    requested_at: float  # on "requested": proves on resume that this run asked
    file: str
    error: str  # on "session_lost"
    took_over_wizard: str  # on "took_over_wizard": what the report says
    checksum: str | None
    log: str | None
    transcript_file: str  # on "done"/"failed": transcripts/<node>-install.txt in the run folder


class RebootDetail(FailureDetail, total=False):
    boot_before: float | None  # on "requested": a newer boot proves the request was taken
    requested_at: float
    boot_time: float  # on "booted"
    reason: str  # on "skipped"
    installed: float
    boot: float | None


class ServiceRestartDetail(FailureDetail, total=False):
    requested_service: str  # on "service_restart_requested"
    start_before: float | None  # its StartTime then: a newer one proves the restart
    restarted: list[str]  # on "service_restarted" / "done": never restarted again
    service: str  # on "service_skipped"
    reason: str


class PrecheckDetail(FailureDetail, total=False):
    expected_services: list[str]  # on "done": what must be STARTED after a restart
    warnings: list[str]


class VerifyDetail(FailureDetail, total=False):
    models: list[str]
    verified: list[str]


class GateDetail(FailureDetail, total=False):
    # on "replicated": the replication status check judged (started: node-local stamp,
    # zone, UTC) and the last restart it had to follow (node, Boot line in UTC), so the
    # journal proves the gate judged evidence from after the restart
    check_started: str
    after_restart: str
    checks_started: int  # new status checks the gate started (`utils dbreplication status`)

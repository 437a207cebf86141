"""The change ticket a run belongs to: what a change manager files with the report.

The change id and operator come from ``--change-id`` / ``--operator`` (else
``DEVPACK_CHANGE_ID`` / ``DEVPACK_OPERATOR``; the operator defaults to the OS user). The
rest is recorded, not typed: the host devpack ran from, devpack's and Python's versions,
and digests of the inputs (the inventory and playbook files, each COP's checksums).
Never a password: the files hold passwords only by reference, and only their digests go
in.

The ticket is journaled with the run (a ``record/ticket`` entry, so every journal backend
keeps it and a resume finds it); a resume may override the change id or operator, which
is journaled as a further entry with a note, and both are shown.
"""

from __future__ import annotations

import getpass
import os
import platform
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from orchestrator import __version__
from orchestrator.config.errors import Invalid
from orchestrator.config.fields import check_printable
from orchestrator.config.playbook import Playbook
from orchestrator.engine.journal import JournalStore
from orchestrator.errors import EXIT_INPUT, UserError
from orchestrator.fingerprint import input_digests

CHANGE_ID_ENV = "DEVPACK_CHANGE_ID"
OPERATOR_ENV = "DEVPACK_OPERATOR"
MAX_CHANGE_ID = 64
MAX_OPERATOR = 128
# journal step ids of records that are no step of the plan (the report's timeline and
# the step table skip them)
RECORD_PREFIX = "record/"
TICKET_STEP = RECORD_PREFIX + "ticket"
RECORDED = "recorded"


class ChangeTicket(BaseModel):
    model_config = ConfigDict(extra="ignore")

    change_id: str | None = None
    operator: str = ""
    host: str = ""
    devpack_version: str = ""
    python_version: str = ""
    # "inventory" / "playbook" -> sha256 of the file; "cop <file>" -> its checksums
    inputs: dict[str, str] = Field(default_factory=dict)
    recorded_at: float = 0.0
    # what a resume changed: "2026-11-30T02:10:00Z resume by bob: operator alice -> bob"
    notes: list[str] = Field(default_factory=list)
    # the maintenance window each start or resume ran under, where it came from:
    # "2026-11-30T01:00:00+01:00 / 2026-11-30T05:00:00+01:00 (--window)"
    windows: list[str] = Field(default_factory=list)


@dataclass(frozen=True)
class TicketFlags:
    """``--change-id`` / ``--operator`` as given (or their environment defaults)."""

    change_id: str | None = None
    operator: str | None = None
    # the window this start or resume runs under, as ``window_text`` spells it
    window: str | None = None


def window_text(start: str, end: str, source: str) -> str:
    """One window as the ticket lists it; ``source`` is ``--window`` or ``playbook``."""
    return f"{start} / {end} ({source})"


def check_ticket_text(value: str, flag: str, max_length: int) -> str:
    """A change id or operator as typed: printable, not empty, not too long (exit 2)."""
    if not value.strip():
        raise UserError(f"{flag} is empty", f"give {flag} a value, or leave it out", EXIT_INPUT)
    try:
        return check_printable(value, max_length)
    except Invalid as exc:
        raise UserError(f"{flag} {exc.message}", exc.hint or "", EXIT_INPUT) from None


def os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (a container without a passwd entry)
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"


def given(change_id: str | None, operator: str | None) -> TicketFlags:
    """The flags, else the environment; validated. None: not given at all."""
    change_id = change_id if change_id is not None else os.environ.get(CHANGE_ID_ENV)
    operator = operator if operator is not None else os.environ.get(OPERATOR_ENV)
    if change_id is not None:
        change_id = check_ticket_text(change_id, "--change-id", MAX_CHANGE_ID)
    if operator is not None:
        operator = check_ticket_text(operator, "--operator", MAX_OPERATOR)
    return TicketFlags(change_id, operator)


def new_ticket(
    change_id: str | None,
    operator: str | None,
    inventory: Path,
    playbook_path: Path,
    playbook: Playbook,
) -> ChangeTicket:
    return ChangeTicket(
        change_id=change_id,
        operator=operator or os_user(),
        host=socket.gethostname(),
        devpack_version=__version__,
        python_version=platform.python_version(),
        inputs=input_digests(inventory, playbook_path, playbook),
        recorded_at=time.time(),
    )


def override_note(
    ticket: ChangeTicket, change_id: str | None, operator: str | None, by: str, at: str
) -> str | None:
    """What a resume's flags change in the journaled ticket, as one note; None: nothing."""
    changes = []
    if change_id is not None and change_id != ticket.change_id:
        changes.append(f"change id {ticket.change_id or '(none)'} -> {change_id}")
    if operator is not None and operator != ticket.operator:
        changes.append(f"operator {ticket.operator or '(none)'} -> {operator}")
    if not changes:
        return None
    return f"{at} resume by {by} on {socket.gethostname()}: " + ", ".join(changes)


def fold(details: Iterable[dict[str, Any]]) -> ChangeTicket | None:
    """The ticket from its journal entries: the first records it, later ones (resumes)
    override the change id or operator and add their note."""
    ticket: ChangeTicket | None = None
    for detail in details:
        if ticket is None:
            ticket = ChangeTicket.model_validate(detail)
            continue
        update: dict[str, Any] = {
            "notes": [*ticket.notes, *detail.get("notes", [])],
            "windows": [*ticket.windows, *detail.get("windows", [])],
        }
        for key in ("change_id", "operator"):
            if detail.get(key) is not None:
                update[key] = detail[key]
        ticket = ticket.model_copy(update=update)
    return ticket


def _stamp(epoch: float) -> str:
    from orchestrator.report.schema import iso  # one ISO 8601 spelling for every stamp

    return iso(epoch) or ""


def record(
    journal: JournalStore,
    run_id: str,
    flags: TicketFlags,
    inventory: Path,
    playbook_path: Path,
    playbook: Playbook,
    *,
    resumed: bool,
) -> ChangeTicket | None:
    """Journal the run's ticket when it starts; on a resume, what its flags change (with a
    note saying who changed what, when). Returns the ticket as it now stands."""
    entries = [e.detail for e in journal.entries(run_id) if e.step == TICKET_STEP]
    if not entries:
        ticket = new_ticket(flags.change_id, flags.operator, inventory, playbook_path, playbook)
        if flags.window:
            ticket.windows.append(flags.window)
        if resumed:  # a run journaled before devpack recorded tickets
            ticket.notes.append(
                f"{_stamp(ticket.recorded_at)} recorded at a resume: the run started "
                "before devpack recorded change tickets"
            )
        journal.write(run_id, RECORDED, step=TICKET_STEP, **ticket.model_dump())
        return ticket
    journaled = fold(entries)
    assert journaled is not None
    note = override_note(
        journaled, flags.change_id, flags.operator, flags.operator or os_user(), _stamp(time.time())
    )
    # a resume under another window (a later night, --window) adds it to the list
    window = flags.window if flags.window and flags.window not in journaled.windows[-1:] else None
    if note is None and window is None:
        return journaled
    change: dict[str, Any] = {
        "change_id": flags.change_id,
        "operator": flags.operator,
        "notes": [note] if note else [],
        "windows": [window] if window else [],
    }
    journal.write(run_id, RECORDED, step=TICKET_STEP, **change)
    return fold([*entries, change])

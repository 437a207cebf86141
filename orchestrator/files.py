"""Files devpack writes (state dir, journal, logs, reports, plans): private to the user.

Modes are set explicitly after creation, so the umask does not decide them: folders
0700 and files 0600, or 0750 / 0640 with ``DEVPACK_GROUP_READABLE=1`` (e.g. for a team
that reads reports through a shared group). A path that is not a regular file (such as
``/dev/stdout`` given as an output) is written but never chmod-ed.
"""

from __future__ import annotations

import os
import shlex
import stat
from pathlib import Path
from typing import TextIO, cast

from orchestrator.errors import UserError

GROUP_READABLE_ENV = "DEVPACK_GROUP_READABLE"


def group_readable() -> bool:
    return os.environ.get(GROUP_READABLE_ENV, "") not in ("", "0", "no", "false")


def dir_mode() -> int:
    return 0o750 if group_readable() else 0o700


def file_mode() -> int:
    return 0o640 if group_readable() else 0o600


def make_dirs(path: Path) -> None:
    """``mkdir -p`` where every folder created gets the private mode (existing ones are
    left as they are: they may be the operator's own, such as a home directory)."""
    missing: list[Path] = []
    here = path
    while not here.exists() and here != here.parent:
        missing.append(here)
        here = here.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=dir_mode())
        except FileExistsError:
            if not folder.is_dir():
                raise
            continue  # created meanwhile by another thread or process
        os.chmod(folder, dir_mode())
    if not path.is_dir():
        raise NotADirectoryError(20, "Not a directory", str(path))


def make_private(path: Path) -> None:
    """Give an existing regular file the private mode (journal files sqlite created)."""
    try:
        if stat.S_ISREG(os.lstat(path).st_mode):
            os.chmod(path, file_mode())
    except FileNotFoundError:
        pass


def open_private(path: Path, mode: str = "w") -> TextIO:
    """Open for writing (``w``) or appending (``a``) with the private mode."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode == "a" else os.O_TRUNC)
    fd = os.open(path, flags, file_mode())
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            os.fchmod(fd, file_mode())
        return cast(
            TextIO, os.fdopen(fd, mode, buffering=1 if mode == "a" else -1, encoding="utf-8")
        )
    except BaseException:
        os.close(fd)
        raise


def write_private(path: Path, text: str) -> None:
    with open_private(path) as handle:
        handle.write(text)


def check_writable_dir(path: Path, what: str) -> None:
    """Before any network I/O: ``path`` is a folder this user can write, or one that can
    be made (UserError, exit 2, if not). ``what`` names it (``--state-dir``)."""
    here = path
    while not here.exists() and here != here.parent:
        here = here.parent
    if not here.is_dir():
        where = "is" if here == path else f"cannot be made: {here} is"
        raise UserError(
            f"{what} {path} {where} not a folder",
            f"give a folder for {what} (it is created if missing)",
        )
    if not os.access(here, os.W_OK | os.X_OK):
        raise UserError(
            f"{what} {path}: {here} is not writable by this user",
            "give a folder you can write, or fix its permissions",
        )


def check_writable_file(path: Path, what: str) -> None:
    """Before any network I/O: ``path`` can be written as a file (UserError if not)."""
    if path.is_dir():
        raise UserError(f"{what} {path} is a folder", "give a file name")
    parent = path.parent
    if not parent.is_dir():
        raise UserError(
            f"{what} {path}: the folder {parent} does not exist",
            f"create it (mkdir -p {shlex.quote(str(parent))}) or give another path",
        )
    if not path.exists() and not os.access(parent, os.W_OK | os.X_OK):
        raise UserError(
            f"{what} {path}: the folder {parent} is not writable by this user",
            "give another path",
        )


def write_output(path: Path, text: str, what: str) -> None:
    """Write a file devpack produces (private mode) or say why it cannot (exit 2)."""
    try:
        write_private(path, text)
    except OSError as exc:
        raise UserError(
            f"cannot write {what} {path}: {exc.strerror or exc}",
            "free space there, or give another path",
        ) from None

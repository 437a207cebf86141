"""Reading a file a user named: only regular files, only so many bytes, only UTF-8.

A FIFO would hang the read, /dev/zero never ends, a directory or a symlink loop only
gives an OSError; each becomes a ConfigError naming the file (exit 2).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from orchestrator.config.errors import ConfigError

# Generous for what a user writes by hand or devpack writes for them.
MAX_YAML_BYTES = 1 << 20
MAX_PLAN_BYTES = 8 << 20
MAX_KNOWN_HOSTS_BYTES = 4 << 20
MAX_SECRET_BYTES = 4096


def _size(limit: int) -> str:
    return f"{limit // 1024} KiB" if limit < 1 << 20 else f"{limit >> 20} MiB"


def read_user_file(
    path: Path, limit: int, shown: str | None = None, missing_hint: str | None = None
) -> str:
    """The text of ``path``; ConfigError (file named ``shown``) if it is not a readable,
    regular, UTF-8 file of at most ``limit`` bytes."""
    shown = shown or str(path)

    def fail(message: str, hint: str | None = None) -> ConfigError:
        return ConfigError(shown, None, None, message, hint)

    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise fail("file not found", missing_hint) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise fail("is a loop of symbolic links", "point it at the real file") from None
        raise fail(f"cannot be read: {exc.strerror}") from None
    except ValueError:  # a NUL byte in the path
        raise fail("is not a usable path (it contains a NUL character)") from None
    if stat.S_ISDIR(info.st_mode):
        raise fail("is a directory, not a file", "give the path of the file itself")
    if not stat.S_ISREG(info.st_mode):
        raise fail(
            "is not a regular file (a pipe, device or socket)", "give the path of an ordinary file"
        )
    if info.st_size > limit:
        raise fail(
            f"is too large ({info.st_size} bytes, at most {_size(limit)})",
            "check that this is the right file",
        )
    try:
        # O_NONBLOCK: should it have become a FIFO since the stat, open must not hang.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise fail("is not a regular file", "give the path of an ordinary file")
            data = handle.read(limit + 1)
    except OSError as exc:
        raise fail(f"cannot be read: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise fail(f"is too large (more than {_size(limit)})", "check that this is the right file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail(
            f"is not UTF-8 text ({exc.reason} at byte {exc.start})",
            "is this a binary file? give the text file",
        ) from None

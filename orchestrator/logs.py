"""Structured logging: JSON lines per run to a file, secrets redacted on the way out."""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from collections.abc import Iterable, MutableMapping
from pathlib import Path
from typing import Any, TextIO

import structlog

from orchestrator.files import make_dirs, open_private

_SECRET_KEYS = re.compile(r"pass(word|wd)?|secret|token|authorization|credential", re.I)
REDACTED = "********"


class Redactor:
    """A structlog processor: masks secret-looking keys and any known secret value."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._values: set[str] = {s for s in secrets if s}

    def add(self, secret: str) -> None:
        if secret:
            self._values.add(secret)

    def scrub(self, text: str) -> str:
        for value in self._values:
            text = text.replace(value, REDACTED)
        return text

    def __call__(
        self, _logger: Any, _name: str, event: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        for key, value in list(event.items()):
            if _SECRET_KEYS.search(key) and value not in (None, ""):
                event[key] = REDACTED
            elif isinstance(value, str):
                event[key] = self.scrub(value)
        return event


REDACTOR = Redactor()


class _RunRouter:
    """Fleet mode: several runs log at once from one process; each event goes to the file
    of the run in its ``run`` field (bound per cluster thread), others to ``fallback``."""

    def __init__(self, fallback: Path) -> None:
        make_dirs(fallback.parent)
        self._lock = threading.Lock()
        self._fallback = open_private(fallback, "a")
        self._files: dict[str, TextIO] = {}

    def register(self, run: str, path: Path) -> None:
        make_dirs(path.parent)
        with self._lock:
            if run not in self._files:
                self._files[run] = open_private(path, "a")

    def __call__(
        self, _logger: Any, _name: str, event: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        line = json.dumps(event, default=str)
        with self._lock:
            self._files.get(str(event.get("run")), self._fallback).write(line + "\n")
        raise structlog.DropEvent

    def close(self) -> None:
        with self._lock:
            for handle in [self._fallback, *self._files.values()]:
                handle.close()
            self._files.clear()


_router: _RunRouter | None = None


class _Verbosity:
    """-v / --debug: the level the run's log keeps, and whether its events are mirrored
    on stderr (one line each, after redaction)."""

    level: int = logging.INFO
    console: bool = False


VERBOSITY = _Verbosity()


def set_verbosity(*, debug: bool, verbose: bool) -> None:
    VERBOSITY.level = logging.DEBUG if debug else logging.INFO
    VERBOSITY.console = verbose


def _to_stderr(
    _logger: Any, _name: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    if VERBOSITY.console:
        shown = {k: v for k, v in event.items() if k not in ("timestamp",)}
        level = shown.pop("level", "info")
        text = shown.pop("event", "")
        rest = " ".join(f"{k}={v}" for k, v in shown.items())
        sys.stderr.write(f"[{level}] {text} {rest}".rstrip() + "\n")
    return event


def route_runs(fallback: Path | None, level: int = logging.INFO) -> None:
    """Fleet mode on (``fallback`` for lines of no run) or off (None).

    While on, ``configure(path)`` registers ``path`` for the run bound in the caller's
    context instead of replacing the process-wide configuration.
    """
    global _router
    level = min(level, VERBOSITY.level)
    if _router is not None:
        _router.close()
        _router = None
    if fallback is None:
        configure(None)
        return
    _router = _RunRouter(fallback)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            REDACTOR,
            _to_stderr,
            _router,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.ReturnLoggerFactory(),
        cache_logger_on_first_use=False,
    )


def register_run(log_file: Path) -> None:
    """Fleet mode: from now on, lines of the run bound in the caller's context go to
    ``log_file`` (a run's discovery comes before its journal and lock, and is its run's
    too). Outside fleet mode nothing: the run's log is configured when the run starts."""
    if _router is not None:
        configure(log_file)


def configure(log_file: Path | None, level: int = logging.INFO) -> None:
    """Send structlog events as JSON lines to ``log_file`` (nothing to the console)."""
    if _router is not None:
        run = structlog.contextvars.get_contextvars().get("run")
        if log_file is not None and run:
            _router.register(str(run), log_file)
        return
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        REDACTOR,
        _to_stderr,
        structlog.processors.JSONRenderer(),
    ]
    level = min(level, VERBOSITY.level)
    if log_file is None:
        structlog.configure(
            processors=processors if VERBOSITY.console else [structlog.processors.JSONRenderer()],
            wrapper_class=structlog.make_filtering_bound_logger(level),
            logger_factory=structlog.ReturnLoggerFactory(),
            cache_logger_on_first_use=False,
        )
        return
    make_dirs(log_file.parent)
    handle = open_private(log_file, "a")
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.WriteLoggerFactory(file=handle),
        cache_logger_on_first_use=False,
    )


def quiet_libraries() -> None:
    """Keep library chatter (paramiko's "Socket exception ..." when a node reboots under
    an open session) off the operator's console; the run's own log says what happened."""
    for name in ("paramiko", "zeep", "urllib3", "apprise"):
        library = logging.getLogger(name)
        library.addHandler(logging.NullHandler())
        library.propagate = False

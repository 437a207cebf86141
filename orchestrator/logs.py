"""Structured logging: JSON lines per run to a file, secrets redacted on the way out."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import structlog

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

    def __call__(self, _logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
        for key, value in list(event.items()):
            if _SECRET_KEYS.search(key) and value not in (None, ""):
                event[key] = REDACTED
            elif isinstance(value, str):
                event[key] = self.scrub(value)
        return event


REDACTOR = Redactor()


def configure(log_file: Path | None, level: int = logging.INFO) -> None:
    """Send structlog events as JSON lines to ``log_file`` (nothing to the console)."""
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        REDACTOR,
        structlog.processors.JSONRenderer(),
    ]
    if log_file is None:
        structlog.configure(
            processors=[structlog.processors.JSONRenderer()],
            logger_factory=structlog.ReturnLoggerFactory(),
            cache_logger_on_first_use=False,
        )
        return
    log_file.parent.mkdir(parents=True, exist_ok=True)
    handle = log_file.open("a", buffering=1)
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.WriteLoggerFactory(file=handle),
        cache_logger_on_first_use=False,
    )

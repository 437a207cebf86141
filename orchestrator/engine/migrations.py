"""Journal schemas are versioned: each backend lists its migrations in order, and
``pending`` says which ones a journal still needs. A journal written by a newer devpack
(a version this one does not know) is refused rather than guessed at."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    statements: tuple[str, ...]


class SchemaTooNew(Exception):
    def __init__(self, found: int, known: int) -> None:
        super().__init__(
            f"its schema is version {found}, written by a newer devpack (this one knows "
            f"up to version {known}); upgrade devpack on this worker"
        )


def pending(current: int, migrations: list[Migration]) -> list[Migration]:
    """The migrations a journal at schema ``current`` (0: none yet) still needs."""
    versions = [m.version for m in migrations]
    if versions != sorted(set(versions)) or versions[0] != 1:
        raise ValueError(f"migrations must be numbered 1, 2, ... in order, not {versions}")
    if current > versions[-1]:
        raise SchemaTooNew(current, versions[-1])
    return [m for m in migrations if m.version > current]

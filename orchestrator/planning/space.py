"""Free space an install needs in a node's common partition: one rule for the plan's
note and the prechecks."""

from __future__ import annotations

# The wizard downloads the COP into the common partition and unpacks it there: ask for
# twice its size (inferred; Cisco publishes no figure). Without ``cop.size_mb`` in the
# playbook, a COP as large as the largest device packs is assumed (inferred).
FREE_SPACE_FACTOR = 2
ASSUMED_COP_SIZE_MB = 1024


def required_free_mb(cop_size_mb: int | None) -> int:
    return FREE_SPACE_FACTOR * (cop_size_mb or ASSUMED_COP_SIZE_MB)


def describe_free_space(cop_size_mb: int | None) -> str:
    need = required_free_mb(cop_size_mb)
    if cop_size_mb:
        return f"{need} MB free (twice the COP's {cop_size_mb} MB)"
    return (
        f"{need} MB free (twice an assumed {ASSUMED_COP_SIZE_MB} MB COP; give cop.size_mb "
        "in the playbook for an exact figure)"
    )

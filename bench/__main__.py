"""``python -m bench``: every benchmark, then one table of figures with targets."""

from __future__ import annotations

import argparse
import logging
import sys
import time

import structlog

from bench import makespan
from bench.table import Figure, render

SIZES = (3, 6, 12)


def quiet() -> None:
    """The lab logs node life at info level; the table is the output."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    logging.getLogger("paramiko").setLevel(logging.CRITICAL)


def makespan_figures(sizes: tuple[int, ...], serial: bool) -> list[Figure]:
    figures = []
    for size in sizes:
        result = makespan.run(size, with_serial=serial)
        b = result.bound
        label = f"1+{size}"
        print(
            f"  {label}: bound {b.total:.2f} s = pub install {b.publisher_install:.2f} + sub "
            f"installs {b.subscriber_installs:.2f} + pub restart {b.publisher_restart:.2f} + "
            f"{b.waves} waves x {b.wave:.2f}; devpack rollout {result.parallel.makespan:.2f} s, "
            f"command wall {result.parallel.wall:.2f} s",
            file=sys.stderr,
        )
        figures += [
            Figure(
                f"{label} lower bound",
                b.total,
                "s",
                note=f"{b.waves} waves" + ("" if b.optimal_waves else " (not proven)"),
            ),
            Figure(
                f"{label} devpack run rollout makespan",
                result.parallel.makespan,
                "s",
                note=f"whole command {result.parallel.wall:.1f} s",
            ),
            Figure(
                f"{label} makespan / lower bound", result.ratio, "", "<= 1.05", lambda v: v <= 1.05
            ),
        ]
        if result.serial is not None:
            ratio = result.serial_ratio or 0.0
            figures += [
                Figure(
                    f"{label} serial rollout makespan",
                    result.serial.makespan,
                    "s",
                    note=f"serial bound {result.serial_bound:.2f} s",
                ),
                Figure(
                    f"{label} serial / devpack",
                    ratio,
                    "x",
                    ">= 2.5 on 1+6" if size == 6 else "",
                    (lambda v: v >= 2.5) if size == 6 else None,
                    note=f"best possible {result.serial_bound / b.total:.2f}x",
                ),
            ]
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", choices=["makespan"], action="append")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--no-serial", action="store_true")
    args = parser.parse_args(argv)
    quiet()
    only = set(args.only or ["makespan"])
    started = time.monotonic()
    figures: list[Figure] = []
    if "makespan" in only:
        print("makespan vs lower bound ...", file=sys.stderr)
        figures += makespan_figures(tuple(args.sizes), not args.no_serial)
    print(render(figures))
    print(f"\n(benchmarks took {time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

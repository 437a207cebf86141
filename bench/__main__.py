"""``python -m bench``: every benchmark, then one table of figures with targets.

``--smoke`` runs every section at its smallest (one 1+3 cluster, a fleet of one small
cluster, a small WSDL) on a faster clock, in well under a minute: it proves the
benchmark still runs against the current lab and engine (``make test`` does it). Its
figures are printed but not judged; only the full run's figures are.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
import time
from dataclasses import dataclass
from typing import Any

import structlog

from bench import clients, clusters, fleet, makespan
from bench.bigwsdl import TOOLKIT_OBJECTS
from bench.table import Figure, render

SIZES = (3, 6, 12)


@dataclass(frozen=True)
class Scales:
    """How fast the lab's clock runs and how big the fleet and the WSDL are."""

    makespan_scale: float = clusters.SCALE
    fleet_scale: float = fleet.SCALE
    fleet_subscribers: int = fleet.SUBSCRIBERS
    wsdl_objects: int = TOOLKIT_OBJECTS


# Ten times faster clocks than the benchmark's; the engine's fixed costs (imports,
# logins) then dominate, which is why smoke figures are not judged.
SMOKE = Scales(
    makespan_scale=clusters.SCALE / 10,
    fleet_scale=fleet.SCALE / 20,
    fleet_subscribers=2,
    wsdl_objects=10,
)
SMOKE_SIZES = [3]
SMOKE_CLUSTERS = 1  # the fleet command on one cluster: its figures are the single run's


def quiet() -> None:
    """The lab logs node life at info level; the table is the output."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    logging.getLogger("paramiko").setLevel(logging.CRITICAL)


def makespan_figures(
    sizes: tuple[int, ...], serial: bool, scale: float = clusters.SCALE
) -> list[Figure]:
    figures = []
    for size in sizes:
        result = makespan.run(size, with_serial=serial, scale=scale)
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


def fleet_figures(
    count: int, subscribers: int = fleet.SUBSCRIBERS, scale: float = fleet.SCALE
) -> list[Figure]:
    single = fleet.fleet_run(1, subscribers, scale)
    many = single if count == 1 else fleet.fleet_run(count, subscribers, scale)
    print(
        f"  1 cluster: {single.wall:.1f} s, cpu {single.cpu:.1f} s; {count} clusters: "
        f"{many.wall:.1f} s, cpu user {many.cpu_user:.1f} + sys {many.cpu_system:.1f} s, "
        f"lab host cpu {many.lab_cpu:.1f} s, completed {many.completed}",
        file=sys.stderr,
    )
    shape = f"{count} x 1+{subscribers}"
    return [
        Figure(
            f"fleet {shape}: clusters completed",
            many.completed,
            "",
            f"= {count}",
            lambda v: v == count,
        ),
        Figure(
            f"fleet {shape}: orchestrator CPU, share of one core",
            many.cpu_share,
            "",
            "< 0.25",
            lambda v: v < 0.25,
            note=f"user {many.cpu_user:.1f} s + sys {many.cpu_system:.1f} s over "
            f"{many.wall:.1f} s; lab host {many.lab_cpu:.1f} s",
        ),
        Figure(
            f"fleet {shape}: orchestrator peak RSS",
            many.max_rss_mib,
            "MiB",
            "< 500",
            lambda v: v < 500,
            note=f"one cluster: {single.max_rss_mib:.0f} MiB",
        ),
        Figure(
            f"fleet {shape}: makespan / one cluster's",
            many.wall / single.wall,
            "",
            "<= 1.10",
            lambda v: v <= 1.10,
            note=f"{many.wall:.1f} s vs {single.wall:.1f} s (whole command)",
        ),
    ]


def ssh_algorithm_figures(label: str, ssh: dict[str, Any]) -> list[Figure]:
    """Login (warm process) and poll costs on one SSH algorithm set (docs/performance.md)."""
    return [
        Figure(
            f"SSH login + a command, warm, {label} (lab)",
            ssh["relogin_s"] * 1000,
            "ms",
            note=f"CPU {ssh['relogin_cpu_s'] * 1000:.1f} ms; {ssh['algorithms']}",
        ),
        Figure(
            f"one poll on an open session, {label} (lab)",
            ssh["command_s"] * 1000,
            "ms",
            note=f"CPU {ssh['command_cpu_s'] * 1000:.2f} ms",
        ),
    ]


def client_figures(wsdl_objects: int = TOOLKIT_OBJECTS) -> list[Figure]:
    r = clients.measure(wsdl_objects)
    axl, cc, ssh, big = r["axl"], r["cc"], r["ssh"], r["bigwsdl"]
    legacy = r["ssh_legacy"]
    return [
        Figure("fresh process: import devpack + read inputs", axl["import_and_inputs_s"], "s"),
        Figure(
            "first AXL query (WSDL + TLS + auth)",
            axl["first_query_s"] * 1000,
            "ms",
            note=f"client built in {axl['client_s'] * 1000:.1f} ms",
        ),
        Figure(
            "first Control Center query (WSDL + TLS + auth)",
            cc["first_query_s"] * 1000,
            "ms",
            note=f"next query {cc['second_query_s'] * 1000:.1f} ms",
        ),
        Figure(
            "SSH login + first command (lab)",
            ssh["login_s"] * 1000,
            "ms",
            note=f"CPU {ssh['login_cpu_s'] * 1000:.1f} ms; includes the lab's 24 ms "
            "simulated login delay (a real node: ~10 s)",
        ),
        Figure(
            "one command on an open session (lab)",
            ssh["command_s"] * 1000,
            "ms",
            note=f"CPU {ssh['command_cpu_s'] * 1000:.2f} ms",
        ),
        *ssh_algorithm_figures("modern, 12.5", ssh),
        *ssh_algorithm_figures("legacy, 11.5", legacy),
        Figure(
            f"Toolkit-size AXL WSDL ({big['size_mb']:.1f} MB): first query",
            big["first_query_s"],
            "s",
            note=f"+{big['rss_growth_mib']:.0f} MiB RSS; parsed once per process",
        ),
        Figure(
            "Toolkit-size WSDL: second client + query (cached)",
            big["second_client_and_query_s"] * 1000,
            "ms",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", choices=["makespan", "fleet", "clients"], action="append")
    parser.add_argument("--clusters", type=int, help=f"fleet size (default {fleet.CLUSTERS})")
    parser.add_argument("--sizes", type=int, nargs="+", help=f"subscribers (default {SIZES})")
    parser.add_argument("--no-serial", action="store_true")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="every section at its smallest on a faster clock; figures are not judged",
    )
    args = parser.parse_args(argv)
    quiet()
    only = set(args.only or ["makespan", "fleet", "clients"])
    scales = SMOKE if args.smoke else Scales()
    sizes = args.sizes or (SMOKE_SIZES if args.smoke else list(SIZES))
    count = args.clusters or (SMOKE_CLUSTERS if args.smoke else fleet.CLUSTERS)
    started = time.monotonic()
    figures: list[Figure] = []
    if "makespan" in only:
        print("makespan vs lower bound ...", file=sys.stderr)
        figures += makespan_figures(tuple(sizes), not args.no_serial, scales.makespan_scale)
    if "fleet" in only:
        print(f"fleet of {count} clusters ...", file=sys.stderr)
        figures += fleet_figures(count, scales.fleet_subscribers, scales.fleet_scale)
    if "clients" in only:
        print("client costs ...", file=sys.stderr)
        figures += client_figures(scales.wsdl_objects)
    if args.smoke:
        print("smoke run: figures at the smallest sizes, not judged")
        figures = [dataclasses.replace(f, target="", check=None) for f in figures]
    print(render(figures))
    print(f"\n(benchmarks took {time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

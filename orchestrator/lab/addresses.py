"""Pick loopback addresses for a lab so several labs can run side by side."""

from __future__ import annotations

import random
import socket


def _bindable(address: str) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((address, 0))
        except OSError:
            return False
    return True


def fixed_block(block: str, count: int) -> tuple[str, list[str]]:
    """The addresses ``allocate_block`` would give, in a block the config names."""
    if count > 200:
        raise ValueError("a lab cluster has at most 200 nodes")
    return f"{block}.2", [f"{block}.{10 + i}" for i in range(count)]


def allocate_block(count: int, rng: random.Random | None = None) -> tuple[str, list[str]]:
    """A random 127.A.B.0/24 block: (service address for SFTP, one address per node).

    Every node gets its own address so nodes look like distinct hosts and can all use
    the same ports, as real nodes do.
    """
    if count > 200:
        raise ValueError("a lab cluster has at most 200 nodes")
    rng = rng or random.SystemRandom()
    for _ in range(50):
        a, b = rng.randint(1, 254), rng.randint(0, 255)
        service = f"127.{a}.{b}.2"
        nodes = [f"127.{a}.{b}.{10 + i}" for i in range(count)]
        if _bindable(service):
            return service, nodes
    raise RuntimeError("no free loopback block found (is 127.0.0.0/8 routed to lo?)")

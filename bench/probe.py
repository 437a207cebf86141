"""Client costs, measured in a fresh process: ``python -m bench.probe MODE INVENTORY
PLAYBOOK [WSDL]`` prints one JSON object. Modes: axl, cc, ssh, bigwsdl. ``ssh`` also
logs in again 10 times on a warm process (a login + one command each) and names the
algorithms negotiated."""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(action: Any) -> tuple[Any, float, float]:
    """(result, wall seconds, CPU seconds of this process)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    return result, time.perf_counter() - wall, time.process_time() - cpu


RELOGINS = 10


def main(mode: str, inventory: Path, playbook: Path, wsdl: Path | None) -> dict[str, Any]:
    started = time.perf_counter()
    from orchestrator import app  # the CLI's use-case layer: what `devpack run` imports

    inputs = app.load_inputs(inventory, playbook)
    figures: dict[str, Any] = {"import_and_inputs_s": time.perf_counter() - started}
    pub = inputs.inventory.publisher
    user = inputs.inventory.credentials.application.username
    secret = inputs.application_password
    if mode in ("axl", "bigwsdl"):
        from orchestrator.drivers.soap.axl import AxlClient

        before = _rss_mib()

        def first() -> list[dict[str, str]]:
            client = AxlClient(
                pub.address,
                pub.https_port,
                user,
                secret,
                ca_bundle=inputs.ca_bundle,
                wsdl=wsdl,
                tls_name=pub.tls_name,
            )
            figures["client_s"] = time.perf_counter() - t0
            return client.sql("select name from typemodel")

        t0 = time.perf_counter()
        _, figures["first_query_s"], figures["first_query_cpu_s"] = _timed(first)
        figures["rss_growth_mib"] = _rss_mib() - before
        # A second client (another cluster's publisher, say) reuses the parsed WSDL.
        _, figures["second_client_and_query_s"], _ = _timed(
            lambda: AxlClient(
                pub.address,
                pub.https_port,
                user,
                secret,
                ca_bundle=inputs.ca_bundle,
                wsdl=wsdl,
                tls_name=pub.tls_name,
            ).sql("select name from typemodel")
        )
    elif mode == "cc":
        from orchestrator.drivers.soap.controlcenter import ControlCenterClient

        def client() -> Any:
            return ControlCenterClient(
                pub.address,
                pub.https_port,
                user,
                secret,
                ca_bundle=inputs.ca_bundle,
                tls_name=pub.tls_name,
            )

        t0 = time.perf_counter()
        cc = client()
        figures["client_s"] = time.perf_counter() - t0
        cc.service_status()
        figures["first_query_s"] = time.perf_counter() - t0
        _, figures["second_query_s"], _ = _timed(cc.service_status)
    elif mode == "ssh":
        gateway = app.open_gateway(inputs)
        _, figures["login_s"], figures["login_cpu_s"] = _timed(
            lambda: gateway.installed_options(pub.label)
        )
        used = gateway.ssh_algorithms[pub.label]
        figures["algorithms"] = f"{used.host_key}, {used.kex}, {used.cipher}, {used.mac}"

        def relogin() -> None:
            for _ in range(RELOGINS):
                gateway.drop(pub.label)
                gateway.installed_options(pub.label)

        # warm (imports and first-use costs paid): what each further node's login costs
        _, wall, cpu = _timed(relogin)
        figures["relogin_s"] = wall / RELOGINS
        figures["relogin_cpu_s"] = cpu / RELOGINS
        runs = 50
        _, wall, cpu = _timed(lambda: [gateway.upgrade_status(pub.label) for _ in range(runs)])
        figures["command_s"] = wall / runs
        figures["command_cpu_s"] = cpu / runs
        gateway.close()
    figures["rss_mib"] = _rss_mib()
    return figures


if __name__ == "__main__":
    mode, inventory, playbook = sys.argv[1:4]
    wsdl = Path(sys.argv[4]) if len(sys.argv) > 4 else None
    print(json.dumps(main(mode, Path(inventory), Path(playbook), wsdl)))

"""RisPort70 client: where each phone is registered, paced to the node's query rate."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.drivers.soap.transport import (
    DEFAULT_PORT,
    PasswordLike,
    RetryPolicy,
    SoapService,
    load_wsdl,
)
from orchestrator.soap import RISPORT_BINDING, RISPORT_WSDL

PATH = "/realtimeservice2/services/RISService70"
ANY_MODEL = 255
MAX_PAGE = 1000
DEFAULT_RATE = 15  # Cisco's default "queries per minute" (18 at most)
NAMES_PER_QUERY = 200  # (inferred) keep SelectItems well below any server-side cap
_PREFERENCE = {"Registered": 0, "PartiallyRegistered": 1, "Rejected": 2, "UnRegistered": 3}


@dataclass(frozen=True)
class DeviceRegistration:
    name: str
    model: int
    status: str  # Registered | UnRegistered | Rejected | PartiallyRegistered | Unknown
    status_reason: int
    node: str  # CmNodes/item/Name: the node that reported it
    active_load: str = ""
    timestamp: int = 0


class RatePacer:
    """Client-side pacing to a server's "N queries per rolling window" limit.

    A token bucket whose tokens each come back one window after they were spent, which is
    the exact dual of RisPort's rolling-minute counter: a classic refill-rate bucket with
    a burst would let ``burst + N`` queries into one window and trip the limit. A small
    margin covers network delay between our clock and the server's.
    """

    def __init__(
        self,
        rate: int = DEFAULT_RATE,
        window_seconds: float = 60.0,
        margin_seconds: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        self.window = window_seconds
        self.margin = margin_seconds
        self._clock, self._sleep = clock, sleep
        self._spent: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Block until a query may be sent; returns the time waited."""
        if self.rate <= 0:
            return 0.0
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                horizon = self.window + self.margin
                while self._spent and self._spent[0] <= now - horizon:
                    self._spent.popleft()
                if len(self._spent) < self.rate:
                    self._spent.append(now)
                    return waited
                delay = self._spent[0] + horizon - now
            self._sleep(delay)
            waited += delay


_pacers: dict[tuple[str, int], RatePacer] = {}
_pacers_lock = threading.Lock()


def shared_pacer(host: str, port: int, rate: int, window_seconds: float = 60.0) -> RatePacer:
    """One pacer per node per process: every client of that node spends the same quota."""
    with _pacers_lock:
        pacer = _pacers.get((host, port))
        if pacer is None or pacer.rate != rate or pacer.window != window_seconds:
            pacer = RatePacer(rate, window_seconds)
            _pacers[(host, port)] = pacer
        return pacer


class RisClient:
    def __init__(
        self,
        host: str,
        port: int = DEFAULT_PORT,
        username: str = "",
        password: PasswordLike = "",
        ca_bundle: Path | str | None = None,
        *,
        rate_per_minute: int = DEFAULT_RATE,
        window_seconds: float = 60.0,
        pacer: RatePacer | None = None,
        page_size: int = MAX_PAGE,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        tls_name: str | None = None,
    ) -> None:
        """``rate_per_minute`` 0 disables pacing (the server's limit still applies)."""
        self.page_size = max(1, min(page_size, MAX_PAGE))
        self.pacer = pacer or shared_pacer(host, port, rate_per_minute, window_seconds)
        self._soap = SoapService(
            host,
            port,
            PATH,
            load_wsdl(RISPORT_WSDL),
            RISPORT_BINDING,
            username,
            password,
            ca_bundle,
            timeout=timeout,
            retry=retry,
            tls_name=tls_name,
            # after a rate fault, one token's worth of the window is the earliest useful retry
            rate_wait=window_seconds / max(1, rate_per_minute),
        )
        self.url = self._soap.url
        self.queries = 0  # sent, for tests and metrics

    def select_cm_devices(
        self,
        model_enums: Iterable[int] | None = None,
        names: Iterable[str] | None = None,
        status: str = "Any",
    ) -> list[DeviceRegistration]:
        """Phones matching the filters, one entry per name (best state wins)."""
        models = sorted(set(model_enums)) if model_enums is not None else [ANY_MODEL]
        name_list = list(names) if names is not None else []
        batches = [
            name_list[i : i + NAMES_PER_QUERY] for i in range(0, len(name_list), NAMES_PER_QUERY)
        ] or [["*"]]
        found: dict[str, DeviceRegistration] = {}
        for model in models:
            for batch in batches:
                for device in self._paged(model, batch, status):
                    current = found.get(device.name)
                    if current is None or _better(device, current):
                        found[device.name] = device
        return sorted(found.values(), key=lambda d: d.name)

    def _paged(self, model: int, names: list[str], status: str) -> list[DeviceRegistration]:
        devices: list[DeviceRegistration] = []
        state_info = ""
        seen_states: set[str] = set()
        while True:
            criteria = {
                "MaxReturnedDevices": self.page_size,
                "DeviceClass": "Phone",
                "Model": model,
                "Status": status,
                "NodeName": "",
                "SelectBy": "Name",
                "SelectItems": {"item": [{"Item": n} for n in names]},
                "Protocol": "Any",
                "DownloadStatus": "Any",
            }
            response = self._query(state_info, criteria)
            page = list(_devices(response))
            devices.extend(page)
            state_info = str(response["StateInfo"] or "")
            # A short page is the last one; an unchanged cursor would loop forever.
            if len(page) < self.page_size or not state_info or state_info in seen_states:
                return devices
            seen_states.add(state_info)

    def _query(self, state_info: str, criteria: dict[str, Any]) -> Any:
        def paced() -> None:
            self.pacer.acquire()
            self.queries += 1

        return self._soap.call(
            "RisPort70 selectCmDevice",
            "selectCmDevice",
            before=paced,
            StateInfo=state_info,
            CmSelectionCriteria=criteria,
        )


def _devices(response: Any) -> Iterable[DeviceRegistration]:
    result = response["SelectCmDeviceResult"]
    nodes = (result["CmNodes"]["item"] if result and result["CmNodes"] else None) or []
    for node in nodes:
        holder = node["CmDevices"]
        for device in (holder["item"] if holder is not None else None) or []:
            yield DeviceRegistration(
                name=str(device["Name"]),
                model=int(device["Model"] or 0),
                status=str(device["Status"] or "Unknown"),
                status_reason=int(device["StatusReason"] or 0),
                node=str(node["Name"]),
                active_load=str(device["ActiveLoadID"] or ""),
                timestamp=int(device["TimeStamp"] or 0),
            )


def _better(new: DeviceRegistration, old: DeviceRegistration) -> bool:
    """A phone can be listed by several nodes: prefer the registration, then the newest."""
    rank_new, rank_old = _PREFERENCE.get(new.status, 9), _PREFERENCE.get(old.status, 9)
    if rank_new != rank_old:
        return rank_new < rank_old
    return new.timestamp > old.timestamp

"""Helpers for the simulator tests (a uniquely named module: tests/ has no packages)."""

from __future__ import annotations

import socket
from datetime import datetime

from simulators.site import GatewaySpec, MeterSpec, SiteSpec

# 18:30 local time: peak until 19:00, then sharp until 21:00 in the default schedule.
EVENING_START = datetime(2024, 6, 3, 18, 30)


class FakeClock:
    """A monotonic clock that only moves when the test says so."""

    def __init__(self) -> None:
        self.now_s = 1_000.0

    def __call__(self) -> float:
        return self.now_s

    def advance(self, seconds: float) -> None:
        self.now_s += seconds


def free_tcp_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def one_gateway_site(*meters: MeterSpec, bus_delay: bool = False, **gateway_options) -> SiteSpec:
    """A site with one gateway on a free port (port 0: the OS picks, GatewaySim.port tells)."""
    gateway = GatewaySpec(name="gw-test", host="127.0.0.1", port=0, meters=meters, **gateway_options)
    return SiteSpec(name="test", gateways=(gateway,), bus_delay=bus_delay)


def constant_meter(device_id: int = 1, base_power_w: float = 1000.0, **options) -> MeterSpec:
    return MeterSpec(
        device_id=device_id, meter_id=f"M-{device_id:04d}", kind="constant", base_power_w=base_power_w, **options
    )

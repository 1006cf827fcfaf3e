"""Fixtures for the simulator tests: sites started in-process and pymodbus clients on real TCP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from pymodbus.client import AsyncModbusTcpClient
from sim_helpers import FakeClock

from simulators.modbus_gateway import SiteSim, serve_site
from simulators.site import SiteSpec


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def start_site() -> AsyncIterator[Callable[..., Awaitable[SiteSim]]]:
    """Start sites with serve_site(...) and stop them all when the test ends."""
    running: list[SiteSim] = []

    async def start(site: SiteSpec, **options) -> SiteSim:
        sim = await serve_site(site, **options)
        running.append(sim)
        return sim

    yield start
    for sim in running:
        await sim.stop()


@pytest.fixture
async def connect() -> AsyncIterator[Callable[[int], Awaitable[AsyncModbusTcpClient]]]:
    """Open connected pymodbus clients to 127.0.0.1:port; closed when the test ends."""
    clients: list[AsyncModbusTcpClient] = []

    async def open_client(port: int) -> AsyncModbusTcpClient:
        client = AsyncModbusTcpClient("127.0.0.1", port=port, timeout=3, retries=0)
        assert await client.connect(), f"cannot connect to 127.0.0.1:{port}"
        clients.append(client)
        return client

    yield open_client
    for client in clients:
        client.close()

"""Fixtures for acquisition tests: a real database built by the migrations, simulated sites on real TCP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from acq_helpers import SteppingClock

from services.acquisition import service
from services.acquisition.entrypoints.events import to_outgoing
from services.acquisition.entrypoints.poller import Poller, PollPolicy
from services.acquisition.fieldbus import FieldBus
from services.acquisition.unit_of_work import AcquisitionUnitOfWork
from simulators.modbus_gateway import SiteSim, serve_site

MIGRATIONS = str(Path(service.__file__).parent / "migrations")


@pytest.fixture
async def new_uow(service_database):
    sessions = await service_database("acquisition", MIGRATIONS)
    return lambda: AcquisitionUnitOfWork(sessions, lambda: None, to_outgoing)


@pytest.fixture
def wall() -> SteppingClock:
    return SteppingClock()


@pytest.fixture
async def field_bus() -> AsyncIterator[FieldBus]:
    bus = FieldBus(timeout_s=0.5, retries=0)
    yield bus
    bus.close()


@pytest.fixture
def poller(new_uow, field_bus, wall) -> Poller:
    return Poller(new_uow, field_bus, wall, PollPolicy(interval_s=60, offline_after=2, jitter_s=0))


@pytest.fixture
async def start_site() -> AsyncIterator:
    running: list[SiteSim] = []

    async def start(site, **options) -> SiteSim:
        sim = await serve_site(site, **options)
        running.append(sim)
        return sim

    yield start
    for sim in running:
        await sim.stop()

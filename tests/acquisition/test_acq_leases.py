"""Several acquisition instances share gateways through Redis leases: none polled twice, a crash moves them."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from acq_helpers import stored_readings
from redis.asyncio import Redis

from services.acquisition import service
from services.acquisition.domain.commands import RegisterGateway, RegisterMeter
from services.acquisition.entrypoints.poller import Poller, PollPolicy
from services.acquisition.fieldbus import FieldBus
from services.kit.leases import LeaseBook, owner_of
from simulators.site import GatewaySpec, MeterSpec, SiteSpec

GATEWAYS = 6


@pytest.fixture
async def redis(infra):
    client = Redis.from_url(infra.redis_url)
    yield client
    await client.aclose()


def six_gateway_site() -> SiteSpec:
    return SiteSpec(name="t", bus_delay=False, gateways=tuple(
        GatewaySpec(name=f"gw-{i}", port=0, meters=(MeterSpec(device_id=1, meter_id=f"M-{i}", kind="constant"),))
        for i in range(GATEWAYS)))


def instance(new_uow, wall, redis, prefix: str, name: str) -> tuple[Poller, FieldBus]:
    bus = FieldBus(timeout_s=0.5, retries=0)
    leases = LeaseBook(redis, prefix, ttl_s=0.6, holder=name)
    policy = PollPolicy(interval_s=3600, jitter_s=0, tick_s=0.05)
    return Poller(new_uow, bus, wall, policy, leases), bus


async def settle(*pollers: Poller) -> None:
    for _ in range(3):
        for poller in pollers:
            await poller.tick()
        await asyncio.sleep(0.05)
    await asyncio.gather(*(t for p in pollers for t in list(p._running.values())))


class TestLeases:
    async def test_two_instances_split_the_gateways_and_a_crashed_ones_move(self, new_uow, wall, redis, start_site):
        sim = await start_site(six_gateway_site())
        for i, gateway in enumerate(sim.gateways):
            await service.register_gateway(new_uow(), RegisterGateway(
                f"GW-{i}", "127.0.0.1", gateway.port, "modbus-tcp"))
            await service.register_meter(new_uow(), RegisterMeter(f"M-{i}", f"GW-{i}", 1))
        prefix = f"test-{uuid.uuid4().hex[:8]}"
        (a, bus_a), (b, bus_b) = (instance(new_uow, wall, redis, prefix, n) for n in ("a", "b"))
        try:
            await b._leases.announce()  # both alive before the first balance, so the split is the final one
            await settle(a, b)
            assert sorted(a.polled_gateways + b.polled_gateways) == [f"GW-{i}" for i in range(GATEWAYS)]
            assert set(a.polled_gateways) == {g for g in a.polled_gateways if owner_of(g, ["a", "b"]) == "a"}
            assert a.polled_gateways and b.polled_gateways  # six gateways never all hash to one of two
            for i in range(GATEWAYS):
                assert len(await stored_readings(new_uow, f"M-{i}")) == 1
            # a crashes: it stops renewing and announcing; b takes its gateways once the leases expire
            polled_by_b = list(b.polled_gateways)
            await asyncio.sleep(0.8)
            await settle(b)
            assert b._leases.held == {f"GW-{i}" for i in range(GATEWAYS)}
            # ...and keeps their schedule: polled by a moments ago, they are due an interval later, not now
            assert b.polled_gateways == polled_by_b
            for gateway_id in a.polled_gateways:
                assert b._next_due[gateway_id] > asyncio.get_running_loop().time() + 3000
        finally:
            bus_a.close()
            bus_b.close()
            await b._leases.release_all()

    async def test_a_lease_held_by_another_is_not_taken(self, redis):
        prefix = f"test-{uuid.uuid4().hex[:8]}"
        a, b = LeaseBook(redis, prefix, 5, "a"), LeaseBook(redis, prefix, 5, "b")
        assert await a.acquire(["GW-1"]) == {"GW-1"}
        assert await b.acquire(["GW-1"]) == set()
        assert await a.holds("GW-1") and not await b.holds("GW-1")
        await b.release(["GW-1"])  # not b's to release
        assert await a.holds("GW-1")
        await a.release_all()
        assert await b.acquire(["GW-1"]) == {"GW-1"}
        await b.release_all()

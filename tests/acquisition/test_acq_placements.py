"""Meter placements from the console's registry (registry.events.v1): kept by meter id, newest wins,
and the property becomes the project of a gateway that has none (so its F-01 poll interval applies)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from acq_helpers import gateway_row
from faststream.kafka import TestKafkaBroker

from services.acquisition import service
from services.acquisition.domain import registry
from services.acquisition.domain.commands import PlaceMeter, RegisterGateway, RegisterMeter, SetProjectInterval
from services.acquisition.entrypoints import consumers
from services.acquisition.entrypoints.consumers import ConsumerDeps
from services.contracts.meterpay.v1 import registry_pb2
from services.kit import messaging

T1 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def placed(meter_id: str, property_id: str, at: datetime, room_id: str = "R-101",
           area_m2: str = "86.50") -> registry_pb2.RegistryEvent:
    return registry_pb2.RegistryEvent(
        event_id=f"{meter_id}@{at.isoformat()}", occurred_at=messaging.timestamp(at),
        meter_placed=registry_pb2.MeterPlaced(meter_id=meter_id, room_id=room_id, property_id=property_id,
                                              area_m2=area_m2, room_path="g.r.p.b.f.r", building_id="B-1"))


async def publish(new_uow, field_bus, wall, *events: registry_pb2.RegistryEvent | bytes) -> None:
    broker = messaging.make_broker("localhost:9092", False)
    consumers.register(broker, ConsumerDeps(new_uow, field_bus, wall, offline_after=3, known_partitions=set()))
    async with TestKafkaBroker(broker) as kafka:
        for event in events:
            body = event if isinstance(event, bytes) else event.SerializeToString()
            await kafka.publish(body, messaging.REGISTRY_EVENTS, key=b"k")


async def placement(new_uow, meter_id: str) -> registry.MeterPlacement | None:
    async with new_uow() as uow:
        return await uow.repo.placement(meter_id)


async def registered(new_uow, gateway_id: str, meter_id: str, project_id: str | None = None) -> None:
    await service.register_gateway(new_uow(), RegisterGateway(gateway_id, "10.0.0.5", 502, "modbus-tcp",
                                                              project_id=project_id))
    await service.register_meter(new_uow(), RegisterMeter(meter_id, gateway_id, 1))


class TestRegistryEventsConsumer:
    async def test_a_placement_is_kept_and_gives_the_gateway_its_project_interval(self, new_uow, field_bus, wall):
        await registered(new_uow, "GW-1", "M-1")
        await service.set_project_interval(new_uow(), SetProjectInterval("P1", 600))
        node = registry_pb2.RegistryEvent(event_id="n1", occurred_at=messaging.timestamp(T1),
                                          node=registry_pb2.NodeChanged(node_id="R-101", kind="room"))
        await publish(new_uow, field_bus, wall, placed("M-1", "P1", T1), node, b"\x0a\xff not a registry event")
        assert await placement(new_uow, "M-1") == registry.MeterPlacement(
            "M-1", "R-101", "P1", "B-1", Decimal("86.50"), T1)
        gateway = await gateway_row(new_uow, "GW-1")
        assert gateway.project_id == "P1" and gateway.interval_s(1800) == 600

    async def test_an_older_or_replayed_placement_changes_nothing(self, new_uow, field_bus, wall):
        await registered(new_uow, "GW-1", "M-1")
        await publish(new_uow, field_bus, wall, placed("M-1", "P1", T1, room_id="R-2"),
                      placed("M-1", "P2", T1 - timedelta(hours=1), room_id="R-1"),
                      placed("M-1", "P1", T1, room_id="R-2"))
        kept = await placement(new_uow, "M-1")
        assert (kept.property_id, kept.room_id, kept.placed_at) == ("P1", "R-2", T1)
        assert (await gateway_row(new_uow, "GW-1")).project_id == "P1"
        assert not await service.place_meter(new_uow(), PlaceMeter("M-1", "R-1", "P2", "B-1", "10", T1))

    async def test_a_meter_placed_before_it_is_registered_brings_its_project_along(self, new_uow, field_bus, wall):
        await publish(new_uow, field_bus, wall, placed("M-9", "P3", T1))
        assert (await placement(new_uow, "M-9")).property_id == "P3"
        await registered(new_uow, "GW-9", "M-9")
        assert (await gateway_row(new_uow, "GW-9")).project_id == "P3"
        # Registering the gateway again (without a project) keeps the project its meters were placed in.
        await service.register_gateway(new_uow(), RegisterGateway("GW-9", "10.0.0.9", 502, "modbus-tcp"))
        assert (await gateway_row(new_uow, "GW-9")).project_id == "P3"


class TestPlacementRules:
    async def test_a_gateway_with_a_project_keeps_it_and_a_move_updates_the_placement(self, new_uow):
        await registered(new_uow, "GW-1", "M-1", project_id="P0")
        assert await service.place_meter(new_uow(), PlaceMeter("M-1", "R-1", "P1", "B-1", "20", T1))
        assert await service.place_meter(new_uow(), PlaceMeter("M-1", "R-7", "P2", "B-2", "35.5",
                                                               T1 + timedelta(minutes=1)))
        kept = await placement(new_uow, "M-1")
        assert (kept.room_id, kept.property_id, kept.area_m2) == ("R-7", "P2", Decimal("35.50"))
        assert (await gateway_row(new_uow, "GW-1")).project_id == "P0"

    @pytest.mark.parametrize(("text", "area"), [("86.50", Decimal("86.50")), ("", None), ("abc", None),
                                                ("-1", None), ("NaN", None), ("1e12", None)])
    def test_an_area_that_is_not_a_room_size_is_kept_as_unknown(self, text, area):
        kept = registry.placement_of(PlaceMeter("M-1", "R-1", "P1", "B-1", text, T1))
        assert kept is not None and kept.area_m2 == area

    def test_a_placement_without_a_meter_is_nothing_to_keep(self):
        assert registry.placement_of(PlaceMeter("", "R-1", "P1", "B-1", "1", T1)) is None

"""Control's Kafka consumers: each decodes its message into a domain command and calls one use case."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from functools import partial

from faststream.kafka import KafkaBroker

from services.contracts.meterpay.v1 import control_pb2, device_pb2, readings_pb2, registry_pb2, wallet_pb2
from services.control.domain.commands import (
    ControlResultReported,
    DeviceStatusObserved,
    MeterPlaced,
    ReadingObserved,
    WalletSupplyChanged,
)
from services.control.domain.policy import Kind, Supply
from services.control.service import facts, readings
from services.control.service.config import ControlConfig
from services.control.service.readings import ReadingWatch
from services.control.unit_of_work import ControlUnitOfWork
from services.kit import messaging
from services.kit.clock import Clock

SERVICE = "control"
# The wallet events that change supply, and whether they put the account in arrears.
IN_ARREARS = {wallet_pb2.WALLET_EVENT_KIND_ARREARS: True, wallet_pb2.WALLET_EVENT_KIND_RECOVERED: False}


@dataclass(frozen=True)
class ConsumerDeps:
    new_uow: Callable[[], ControlUnitOfWork]
    clock: Clock
    config: ControlConfig
    watch: ReadingWatch


def register(broker: KafkaBroker, deps: ConsumerDeps) -> None:
    messaging.subscribe(broker, messaging.WALLET_EVENTS, SERVICE, wallet_pb2.WalletEvent,
                        partial(on_wallet_event, deps))
    messaging.subscribe(broker, messaging.CONTROL_RESULTS, SERVICE, control_pb2.ControlResult,
                        partial(on_control_result, deps))
    messaging.subscribe(broker, messaging.DEVICE_STATUS, SERVICE, device_pb2.DeviceStatus,
                        partial(on_device_status, deps))
    messaging.subscribe(broker, messaging.METER_READINGS, SERVICE, readings_pb2.MeterReading,
                        partial(on_reading, deps))
    messaging.subscribe(broker, messaging.REGISTRY_EVENTS, SERVICE, registry_pb2.RegistryEvent,
                        partial(on_registry_event, deps))


async def on_wallet_event(deps: ConsumerDeps, event: wallet_pb2.WalletEvent) -> None:
    """Arrears and recoveries change supply; the wallet's other events (alarm levels, recharges) do not."""
    in_arrears = IN_ARREARS.get(event.kind)
    if in_arrears is None:
        return
    change = WalletSupplyChanged(event.event_id, tuple(event.meter_ids), in_arrears)
    await facts.apply_supply_change(deps.new_uow(), change, deps.clock.now(), deps.config)


async def on_control_result(deps: ConsumerDeps, result: control_pb2.ControlResult) -> None:
    reported = ControlResultReported(result.command_id, result.attempt,
                                     result.outcome == control_pb2.CONTROL_OUTCOME_CONFIRMED,
                                     supply(result.relay_state), result.detail)
    await facts.record_result(deps.new_uow(), reported, deps.clock.now(), deps.config)


async def on_device_status(deps: ConsumerDeps, status: device_pb2.DeviceStatus) -> None:
    """Meters only: the status of a gateway says nothing about a relay."""
    if status.device_type != device_pb2.DEVICE_TYPE_METER:
        return
    observed = DeviceStatusObserved(
        status.device_id, status.online, supply(status.relay_state),
        status.changed_at.ToDatetime(tzinfo=UTC) if status.HasField("changed_at") else None)
    await facts.observe_device(deps.new_uow(), observed, deps.clock.now(), deps.config)


async def on_reading(deps: ConsumerDeps, reading: readings_pb2.MeterReading) -> None:
    observed = ReadingObserved(reading.meter_id, kind(reading.kind), reading.power_w)
    await readings.observe_reading(deps.new_uow, deps.watch, observed, deps.clock.now(), deps.config)


async def on_registry_event(deps: ConsumerDeps, event: registry_pb2.RegistryEvent) -> None:
    """The console's registry: a meter's placement sets its project; the other changes are not control's."""
    if event.WhichOneof("change") != "meter_placed" or not event.meter_placed.meter_id:
        return
    placed = MeterPlaced(event.meter_placed.meter_id, event.meter_placed.property_id,
                         event.occurred_at.ToDatetime(tzinfo=UTC))
    await facts.place_meter(deps.new_uow(), placed, deps.clock.now())


def supply(relay_state: int) -> Supply:
    """RelayState on the wire; a value this version does not know says nothing."""
    try:
        return Supply(relay_state)
    except ValueError:
        return Supply.UNKNOWN


def kind(meter_kind: int) -> Kind:
    """MeterKind on the wire; a value this version does not know teaches nothing."""
    try:
        return Kind(meter_kind)
    except ValueError:
        return Kind.UNKNOWN

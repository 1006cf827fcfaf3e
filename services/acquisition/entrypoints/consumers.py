"""Kafka consumers of acquisition: control.commands.v1 -> FieldCommand -> execute_field_command;
registry.events.v1 MeterPlaced -> PlaceMeter -> place_meter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial

from faststream.kafka import KafkaBroker

from services.acquisition import service
from services.acquisition.domain.actions import ControlAction
from services.acquisition.domain.commands import FieldCommand, PlaceMeter, SettingRequest
from services.acquisition.fieldbus import FieldBus
from services.acquisition.unit_of_work import NewUow
from services.contracts.meterpay.v1 import control_pb2, registry_pb2
from services.kit import messaging

SERVICE = "acquisition"


@dataclass(frozen=True)
class ConsumerDeps:
    new_uow: NewUow
    bus: FieldBus
    now: Callable[[], datetime]
    offline_after: int
    known_partitions: set[date]   # shared with the poller: months whose reading partition exists
    command_workers: int = 32


def field_command_of(message: control_pb2.ControlCommand) -> FieldCommand:
    s = message.settings
    return FieldCommand(
        command_id=message.command_id, meter_id=message.meter_id, action=ControlAction(message.action),
        attempt=message.attempt, settings=SettingRequest(price_yuan=s.price_yuan, alarm1_fen=s.alarm1_fen,
                                                         alarm2_fen=s.alarm2_fen, overload_w=s.overload_w))


async def on_control_command(deps: ConsumerDeps, message: control_pb2.ControlCommand) -> None:
    """A command from control: executed on the meter's bus, its result published on control.results.v1."""
    await service.execute_field_command(deps.new_uow, deps.bus, deps.now, field_command_of(message),
                                        deps.offline_after, deps.known_partitions)


def place_meter_of(event: registry_pb2.RegistryEvent) -> PlaceMeter:
    placed = event.meter_placed
    return PlaceMeter(meter_id=placed.meter_id, room_id=placed.room_id, property_id=placed.property_id,
                      building_id=placed.building_id, area_m2=placed.area_m2,
                      placed_at=event.occurred_at.ToDatetime(tzinfo=UTC))


async def on_registry_event(deps: ConsumerDeps, event: registry_pb2.RegistryEvent) -> None:
    """The console's registry: where meters are placed; the other changes are not acquisition's."""
    if event.WhichOneof("change") == "meter_placed":
        await service.place_meter(deps.new_uow(), place_meter_of(event))


def register(broker: KafkaBroker, deps: ConsumerDeps) -> None:
    # Commands run concurrently (each meter's bus still takes them in turn): a trip must not wait
    # behind another gateway's slow command. Order per meter needs no partition order here:
    # control keeps at most one command in flight per meter.
    messaging.subscribe(broker, messaging.CONTROL_COMMANDS, SERVICE, control_pb2.ControlCommand,
                        partial(on_control_command, deps), max_workers=deps.command_workers)
    messaging.subscribe(broker, messaging.REGISTRY_EVENTS, SERVICE, registry_pb2.RegistryEvent,
                        partial(on_registry_event, deps))

"""The console's Kafka consumers: the other services' topics -> its read models.

Every topic is consumed in batches (15,000 meters report every minute or so): a batch of protobuf
messages is decoded here into domain facts and handed to one projection use case, one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from faststream.kafka import KafkaBroker
from google.protobuf.timestamp_pb2 import Timestamp

from services.console.domain.live import (
    RELAY_STATES,
    ChargeSeen,
    CommandOutcomeSeen,
    GatewayStatusSeen,
    MeterStatusSeen,
    Projected,
    ReadingSeen,
    WalletEventSeen,
)
from services.console.service import projections
from services.console.unit_of_work import ConsoleUnitOfWork
from services.contracts.meterpay.v1 import (
    charges_pb2,
    common_pb2,
    control_pb2,
    device_pb2,
    readings_pb2,
    wallet_pb2,
)
from services.kit import messaging, metrics
from services.kit.clock import Clock
from services.kit.logging import get_logger

SERVICE = "console"
log = get_logger(__name__)
ARREARS = {wallet_pb2.WALLET_EVENT_KIND_ARREARS: True, wallet_pb2.WALLET_EVENT_KIND_RECOVERED: False}


@dataclass(frozen=True)
class ConsumerDeps:
    new_uow: Callable[[], ConsoleUnitOfWork]
    clock: Clock
    batch_max_records: int = 2000     # facts projected in one transaction
    batch_timeout_ms: int = 50        # how long a batch may wait to fill


def register(broker: KafkaBroker, deps: ConsumerDeps) -> None:
    for topic, message_type, handler in (
            (messaging.DEVICE_STATUS, device_pb2.DeviceStatus, on_device_statuses),
            (messaging.METER_READINGS, readings_pb2.MeterReading, on_readings),
            (messaging.USAGE_CHARGES, charges_pb2.UsageCharge, on_charges),
            (messaging.WALLET_EVENTS, wallet_pb2.WalletEvent, on_wallet_events),
            (messaging.CONTROL_EVENTS, control_pb2.ControlResult, on_control_events)):
        messaging.subscribe_batch(broker, topic, SERVICE, message_type, partial(handler, deps),
                                  deps.batch_max_records, deps.batch_timeout_ms)


async def on_device_statuses(deps: ConsumerDeps, messages: list[device_pb2.DeviceStatus]) -> None:
    now = deps.clock.now()
    meters = [MeterStatusSeen(m.device_id, m.online, relay(m.relay_state), at(m.changed_at, now))
              for m in messages if m.device_type == device_pb2.DEVICE_TYPE_METER and m.device_id]
    gateways = [GatewayStatusSeen(m.device_id, m.online, at(m.changed_at, now))
                for m in messages if m.device_type == device_pb2.DEVICE_TYPE_GATEWAY and m.device_id]
    _counted(messaging.DEVICE_STATUS, await projections.project_device_statuses(deps.new_uow(), meters, gateways))


async def on_readings(deps: ConsumerDeps, messages: list[readings_pb2.MeterReading]) -> None:
    seen = [reading(m) for m in messages if m.meter_id and m.HasField("read_at")]
    _counted(messaging.METER_READINGS, await projections.project_readings(deps.new_uow(), seen))


async def on_charges(deps: ConsumerDeps, messages: list[charges_pb2.UsageCharge]) -> None:
    seen = [ChargeSeen(m.charge_id, m.meter_id, m.to_time.ToDatetime(tzinfo=UTC), m.energy_wh, m.amount_fen)
            for m in messages if m.meter_id and m.charge_id and m.HasField("to_time")]
    _counted(messaging.USAGE_CHARGES, await projections.project_charges(deps.new_uow(), seen))


async def on_wallet_events(deps: ConsumerDeps, messages: list[wallet_pb2.WalletEvent]) -> None:
    now = deps.clock.now()
    seen = [wallet_event(m, now) for m in messages if m.account_id]
    _counted(messaging.WALLET_EVENTS, await projections.project_wallet_events(deps.new_uow(), seen))


async def on_control_events(deps: ConsumerDeps, messages: list[control_pb2.ControlResult]) -> None:
    now = deps.clock.now()
    seen = [command_outcome(m, now) for m in messages if m.command_id and m.meter_id]
    _counted(messaging.CONTROL_EVENTS, await projections.project_command_outcomes(deps.new_uow(), seen))


def reading(m: readings_pb2.MeterReading) -> ReadingSeen:
    bands = ((m.sharp_wh, m.peak_wh, m.flat_wh, m.valley_wh, m.deep_valley_wh) if m.has_band_registers else None)
    return ReadingSeen(m.meter_id, m.read_at.ToDatetime(tzinfo=UTC), m.kind == common_pb2.METER_KIND_WATER,
                       m.total_wh, m.volume_l, bands, m.voltage_dv, m.current_ca, m.power_w, m.power_factor_milli,
                       relay(m.relay_state))


def wallet_event(m: wallet_pb2.WalletEvent, now: datetime) -> WalletEventSeen:
    """A recharge states the level from before its review (the alarm-level event after it has the new one)."""
    level = None if m.kind == wallet_pb2.WALLET_EVENT_KIND_RECHARGED else m.alarm_level
    return WalletEventSeen(m.event_id, m.account_id, m.balance_fen, level, ARREARS.get(m.kind),
                           at(m.occurred_at, now))


def command_outcome(m: control_pb2.ControlResult, now: datetime) -> CommandOutcomeSeen:
    status = m.status or ("confirmed" if m.outcome == control_pb2.CONTROL_OUTCOME_CONFIRMED else "failed")
    return CommandOutcomeSeen(m.command_id, m.meter_id, action_name(m.action), status, relay(m.relay_state),
                              m.detail, m.reason, m.requested_by, at(m.completed_at, now))


def action_name(action: int) -> str:
    """CONTROL_ACTION_POWER_GUARANTEE_ON -> "power_guarantee_on"; a value this version does not know -> its number."""
    try:
        return control_pb2.ControlAction.Name(action).removeprefix("CONTROL_ACTION_").lower()
    except ValueError:
        return str(action)


def relay(state: int) -> str:
    return RELAY_STATES[state] if 0 <= state < len(RELAY_STATES) else "unknown"


def at(stamp: Timestamp, default: datetime) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC) if stamp.seconds or stamp.nanos else default


def _counted(topic: str, projected: Projected) -> None:
    """Facts about meters or accounts not placed in console yet are skipped, and counted."""
    if projected.unknown:
        metrics.messages_consumed.labels(topic, "unplaced").inc(projected.unknown)
        log.debug("facts of unplaced objects skipped", topic=topic, count=projected.unknown)

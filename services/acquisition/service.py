"""Use cases of the acquisition service: registry, readings, statuses, field commands."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from services.acquisition.domain import commands
from services.acquisition.domain.registers import RegisterSnapshot, decode_snapshot
from services.acquisition.fieldbus import FieldError
from services.acquisition.repository import AcquisitionRepository, MeterRow
from services.contracts.meterpay.v1 import common_pb2, control_pb2, device_pb2, readings_pb2
from services.kit import messaging
from services.kit.db import UnitOfWork


class AcquisitionUnitOfWork(UnitOfWork):
    repo: AcquisitionRepository

    def attach_repositories(self, session) -> None:
        self.repo = AcquisitionRepository(session)


class UnknownGateway(ValueError):
    pass


def timestamp(at: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(at)
    return ts


def relay_state_of(snapshot: RegisterSnapshot) -> int:
    return common_pb2.RELAY_STATE_OPEN if snapshot.relay_open else common_pb2.RELAY_STATE_CLOSED


async def register_gateway(uow: AcquisitionUnitOfWork, gateway_id: str, host: str, port: int,
                           protocol: str, poll_interval_s: int | None) -> bool:
    """Add or update a gateway in the registry; True when it is new."""
    if not gateway_id or not host or not 0 < port < 65536:
        raise ValueError("a gateway needs an id, a host and a port in 1..65535")
    async with uow:
        created = await uow.repo.upsert_gateway(gateway_id, host, port, protocol or "modbus-tcp", poll_interval_s)
        await uow.commit()
    return created


async def register_meter(uow: AcquisitionUnitOfWork, meter_id: str, gateway_id: str, device_id: int,
                         kind: int, ct_ratio: int) -> bool:
    """Add or update a meter behind a gateway; True when it is new."""
    if not meter_id or not 1 <= device_id <= 247:
        raise ValueError("a meter needs an id and a Modbus device id in 1..247")
    async with uow:
        if not await uow.repo.gateway_exists(gateway_id):
            raise UnknownGateway(f"unknown gateway {gateway_id!r}")
        created = await uow.repo.upsert_meter(meter_id, gateway_id, device_id,
                                              kind or common_pb2.METER_KIND_ELECTRICITY, ct_ratio or 1)
        await uow.commit()
    return created


@dataclass(frozen=True)
class Reading:
    meter: MeterRow
    snapshot: RegisterSnapshot
    read_at: datetime
    source: int


async def record_reading(uow: AcquisitionUnitOfWork, reading: Reading) -> bool:
    """Store a reading once per (meter, time), publish it, and publish status transitions."""
    m, snap = reading.meter, reading.snapshot
    relay_state = relay_state_of(snap)
    async with uow:
        if not await uow.repo.add_reading(_reading_row(reading, relay_state)):
            return False
        changes: dict[str, object] = dict(missed_polls=0, online=True, relay_state=relay_state)
        if m.last_read_at is None or reading.read_at >= m.last_read_at:
            changes.update(last_total_wh=snap.total_wh, last_read_at=reading.read_at, last_power_w=snap.power_w)
        await uow.repo.update_meter(m.meter_id, **changes)
        await uow.emit(messaging.METER_READINGS, m.meter_id, _reading_message(reading, relay_state))
        if not m.online or m.relay_state != relay_state:
            await uow.emit(messaging.DEVICE_STATUS, m.meter_id, device_pb2.DeviceStatus(
                device_id=m.meter_id, device_type=device_pb2.DEVICE_TYPE_METER, online=True,
                relay_state=relay_state, changed_at=timestamp(reading.read_at)))
        await uow.commit()
    return True


async def record_missed_poll(uow: AcquisitionUnitOfWork, meter: MeterRow, at: datetime, detail: str,
                             offline_after: int) -> None:
    """Count a poll the meter did not answer; after K in a row it is offline (published once)."""
    missed = meter.missed_polls + 1
    goes_offline = meter.online and missed >= offline_after
    async with uow:
        await uow.repo.update_meter(meter.meter_id, missed_polls=missed,
                                    online=meter.online and not goes_offline)
        if goes_offline:
            await uow.emit(messaging.DEVICE_STATUS, meter.meter_id, device_pb2.DeviceStatus(
                device_id=meter.meter_id, device_type=device_pb2.DEVICE_TYPE_METER, online=False,
                relay_state=meter.relay_state, changed_at=timestamp(at), detail=detail[:500]))
        await uow.commit()


async def record_command_result(uow: AcquisitionUnitOfWork, command: control_pb2.ControlCommand,
                                result: control_pb2.ControlResult, received_at: datetime) -> bool:
    """Keep what the device answered to a command and report it; a redelivered command is a no-op."""
    async with uow:
        stored = await uow.repo.add_field_command(dict(
            command_id=command.command_id, attempt=command.attempt, meter_id=command.meter_id,
            action=command.action, outcome=result.outcome, relay_state=result.relay_state,
            detail=result.detail[:500], received_at=received_at,
            completed_at=result.completed_at.ToDatetime().replace(tzinfo=received_at.tzinfo)))
        if not stored:
            return False
        if result.relay_state != common_pb2.RELAY_STATE_UNSPECIFIED:
            await uow.repo.update_meter(command.meter_id, relay_state=result.relay_state)
        await uow.emit(messaging.CONTROL_RESULTS, command.meter_id, result)
        await uow.commit()
    return True


def _reading_row(reading: Reading, relay_state: int) -> dict:
    s = reading.snapshot
    return dict(
        meter_id=reading.meter.meter_id, read_at=reading.read_at, total_wh=s.total_wh, sharp_wh=s.sharp_wh,
        peak_wh=s.peak_wh, flat_wh=s.flat_wh, valley_wh=s.valley_wh, deep_valley_wh=s.deep_valley_wh,
        reverse_wh=s.reverse_wh, voltage_dv=s.voltage_dv, current_ca=s.current_ca, power_w=s.power_w,
        power_factor_milli=s.power_factor_milli, relay_state=relay_state, source=reading.source)


def _reading_message(reading: Reading, relay_state: int) -> readings_pb2.MeterReading:
    s = reading.snapshot
    return readings_pb2.MeterReading(
        meter_id=reading.meter.meter_id, read_at=timestamp(reading.read_at), kind=reading.meter.kind,
        total_wh=s.total_wh, sharp_wh=s.sharp_wh, peak_wh=s.peak_wh, flat_wh=s.flat_wh,
        valley_wh=s.valley_wh, deep_valley_wh=s.deep_valley_wh, has_band_registers=True,
        reverse_wh=s.reverse_wh, voltage_dv=s.voltage_dv, current_ca=s.current_ca, power_w=s.power_w,
        power_factor_milli=s.power_factor_milli, relay_state=relay_state, source=reading.source,
        gateway_id=reading.meter.gateway_id, power_guarantee=s.power_guarantee)


async def execute_field_command(new_uow, bus, now, command: control_pb2.ControlCommand,
                                confirm_delay_s: float) -> bool:
    """Write the command to the meter over its gateway, read the state back, report the outcome."""
    received_at = now()
    async with new_uow() as uow:
        if await uow.repo.field_command_seen(command.command_id, command.attempt):
            return False
        meter = await uow.repo.meter(command.meter_id)
        gateway = await uow.repo.gateway(meter.gateway_id) if meter else None
    outcome, relay_state, detail, snapshot = control_pb2.CONTROL_OUTCOME_FAILED, 0, "", None
    if meter is None or gateway is None:
        detail = f"unknown meter {command.meter_id!r}"
    else:
        link = bus.link(gateway.gateway_id, gateway.host, gateway.port)
        try:
            await link.write_control(meter.device_id, commands.control_code(command.action))
            await asyncio.sleep(confirm_delay_s)
            snapshot = decode_snapshot(await link.read_meter(meter.device_id))
            confirmed, detail = commands.confirm(command.action, snapshot)
            relay_state = relay_state_of(snapshot)
            outcome = control_pb2.CONTROL_OUTCOME_CONFIRMED if confirmed else outcome
        except (FieldError, ValueError) as exc:
            detail = str(exc)
    completed_at = now()
    result = control_pb2.ControlResult(
        command_id=command.command_id, meter_id=command.meter_id, outcome=outcome, relay_state=relay_state,
        detail=detail, completed_at=timestamp(completed_at), attempt=command.attempt)
    if snapshot is not None:
        await record_reading(new_uow(), Reading(meter, snapshot, completed_at, readings_pb2.READING_SOURCE_READ_NOW))
    return await record_command_result(new_uow(), command, result, received_at)

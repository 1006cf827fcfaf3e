"""Talking to one meter in its own protocol: read a sample, drain a gateway's buffer, execute a command.

The wire formats live in domain/ (registers.py, dlt645.py, cjt188.py); this module only
puts frames on the right link, one turn of the bus per request (a command's write and its
read-back of settings in one turn), and turns replies into domain Samples.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime

from services.acquisition.domain import cjt188, dlt645, frames
from services.acquisition.domain.actions import ControlAction, SettingValues, check_supported, closes_valve
from services.acquisition.domain.actions import settings_confirmed as settings_read_back
from services.acquisition.domain.registers import ControlCode, MalformedRegisters, decode_snapshot
from services.acquisition.domain.registry import Gateway, GatewayTransport, Meter, MeterProtocol
from services.acquisition.domain.samples import Sample, from_cjt188, from_dlt645, from_modbus
from services.acquisition.fieldbus import BUFFER_RECORD_REGISTERS, FieldBus, FieldError, ModbusLink, SerialLink

DLT645_POLL = (dlt645.DataId.COMBINED_ACTIVE_BLOCK, dlt645.DataId.ACTIVE_POWER_TOTAL, dlt645.DataId.STATUS_WORD_3)
MODBUS_CONTROL = {
    ControlAction.TRIP: ControlCode.TRIP, ControlAction.CLOSE: ControlCode.CLOSE,
    ControlAction.GUARANTEE_ON: ControlCode.POWER_GUARANTEE_ON,
    ControlAction.GUARANTEE_OFF: ControlCode.POWER_GUARANTEE_OFF,
}
DLT645_RELAY = {
    ControlAction.TRIP: dlt645.RelayCommand.TRIP, ControlAction.CLOSE: dlt645.RelayCommand.CLOSE_NOW,
    ControlAction.GUARANTEE_ON: dlt645.RelayCommand.GUARANTEE_ON,
    ControlAction.GUARANTEE_OFF: dlt645.RelayCommand.GUARANTEE_OFF,
}
_serials = itertools.count()


def link_for(bus: FieldBus, gateway: Gateway) -> ModbusLink | SerialLink:
    if gateway.transport == GatewayTransport.DTU:
        return bus.dtu(gateway.gateway_id)
    if gateway.transport == GatewayTransport.TRANSPARENT_TCP:
        return bus.transparent(gateway.gateway_id, gateway.host, gateway.port)
    return bus.modbus(gateway.gateway_id, gateway.host, gateway.port)


async def read_sample(link: ModbusLink | SerialLink, meter: Meter) -> Sample:
    """One poll of one meter; FieldError when it does not answer or answers garbage."""
    try:
        if meter.protocol == MeterProtocol.DLT645:
            return await _read_dlt645(_serial(link), meter.address)
        if meter.protocol == MeterProtocol.CJT188:
            return await _read_cjt188(_serial(link), meter.address)
        async with _modbus(link).turn() as modbus:
            registers = await modbus.read_meter(meter.device_id)
        return from_modbus(decode_snapshot(registers))
    except (MalformedRegisters, frames.FrameError, frames.MeterRefused) as exc:
        raise FieldError(f"meter {meter.meter_id}: {exc}") from exc


async def _read_dlt645(link: SerialLink, address: str) -> Sample:
    values = []
    for data_id in DLT645_POLL:
        async with link.turn() as serial:
            frame = await serial.exchange(dlt645.read_request(address, data_id), dlt645.split_frame)
        values.append(dlt645.read_reply_value(frame, address, data_id))
    energy = dlt645.decode_energy_block(values[0])
    return from_dlt645(energy, dlt645.decode_sized(values[1], 3, signed=True), dlt645.decode_status_word(values[2]))


async def _read_cjt188(link: SerialLink, address: str) -> Sample:
    number = next(_serials) & 0xFF
    async with link.turn() as serial:
        frame = await serial.exchange(cjt188.read_request(address, number), cjt188.split_frame)
    return from_cjt188(cjt188.decode_read_reply(frame, address, number))


def _serial(link: ModbusLink | SerialLink) -> SerialLink:
    if not isinstance(link, SerialLink):
        raise FieldError("a serial-protocol meter sits behind a Modbus gateway: check the registry")
    return link


def _modbus(link: ModbusLink | SerialLink) -> ModbusLink:
    if not isinstance(link, ModbusLink):
        raise FieldError("a Modbus meter sits behind a serial gateway: check the registry")
    return link


# --------------------------------------------------------------------------- store and forward


@dataclass(frozen=True)
class BufferedReading:
    device_id: int
    read_at: datetime
    sample: Sample


async def drain_buffer(link: ModbusLink, max_records: int) -> list[BufferedReading]:
    """Take up to `max_records` readings the gateway stored while its uplink was down, oldest first.

    Each block is acknowledged (dropped by the gateway) only after it was decoded; the caller
    stores them idempotently, so a crash between read and store replays, never loses.
    """
    taken: list[BufferedReading] = []
    async with link.turn() as modbus:
        while len(taken) < max_records:
            block = await modbus.read_buffer()
            pending = min(block[0], 5)
            if pending == 0:
                break
            for k in range(pending):
                taken.append(_buffered(block[1 + k * BUFFER_RECORD_REGISTERS:1 + (k + 1) * BUFFER_RECORD_REGISTERS]))
            await modbus.acknowledge_buffer(pending)
    return taken


def _buffered(record: list[int]) -> BufferedReading:
    epoch_s = (record[1] << 16) | record[2]
    try:
        sample = from_modbus(decode_snapshot(record[3:]))
    except MalformedRegisters as exc:
        raise FieldError(f"buffered record unreadable: {exc}") from exc
    return BufferedReading(record[0], datetime.fromtimestamp(epoch_s, UTC), sample)


# --------------------------------------------------------------------------- commands


async def execute_command(link: ModbusLink | SerialLink, meter: Meter, action: ControlAction,
                          settings: SettingValues | None) -> tuple[Sample, str]:
    """Write the command, read the state back; returns (sample after, detail of the write)."""
    check_supported(meter.protocol, action)
    if meter.protocol == MeterProtocol.DLT645:
        if action in DLT645_RELAY:
            await _dlt645_relay(_serial(link), meter.address, DLT645_RELAY[action])
        return await read_sample(link, meter), "relay command acknowledged"
    if meter.protocol == MeterProtocol.CJT188:
        if action != ControlAction.READ_NOW:
            await _cjt188_valve(_serial(link), meter.address, closes_valve(action))
        return await read_sample(link, meter), "valve command acknowledged"
    return await _modbus_command(_modbus(link), meter, action, settings)


async def _modbus_command(link: ModbusLink, meter: Meter, action: ControlAction,
                          settings: SettingValues | None) -> tuple[Sample, str]:
    detail = "read"
    if action in MODBUS_CONTROL:
        async with link.turn() as modbus:
            await modbus.write_control(meter.device_id, MODBUS_CONTROL[action])
        detail = "control register written"
    elif settings is not None:
        async with link.turn() as modbus:
            for offset, value in settings.registers().items():
                await modbus.write_settings_at(meter.device_id, offset, [(value >> 16) & 0xFFFF, value & 0xFFFF])
            read_back = await modbus.read_settings(meter.device_id, 8)
        confirmed, detail = settings_read_back(settings, read_back)
        if not confirmed:
            raise FieldError(detail)
    async with link.turn() as modbus:
        return from_modbus(decode_snapshot(await modbus.read_meter(meter.device_id))), detail


async def _dlt645_relay(link: SerialLink, address: str, command: dlt645.RelayCommand) -> None:
    async with link.turn() as serial:
        frame = await serial.exchange(dlt645.relay_request(address, command), dlt645.split_frame)
    try:
        dlt645.check_relay_reply(frame, address)
    except (dlt645.FrameError, dlt645.MeterRefused) as exc:
        raise FieldError(str(exc)) from exc


async def _cjt188_valve(link: SerialLink, address: str, close: bool) -> None:
    number = next(_serials) & 0xFF
    async with link.turn() as serial:
        frame = await serial.exchange(cjt188.valve_request(address, number, close), cjt188.split_frame)
    try:
        cjt188.check_valve_reply(frame, address, number)
    except (cjt188.FrameError, cjt188.MeterRefused) as exc:
        raise FieldError(str(exc)) from exc

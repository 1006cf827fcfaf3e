"""The one event mapper of acquisition: domain event -> Outgoing(topic, key, protobuf message).

The unit of work serialises every published event through to_outgoing (main.py wires it).
Keys: the meter id for readings and command results, the device id for statuses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.acquisition.domain.events import DeviceStatusChanged, FieldCommandCompleted, MeterRead
from services.contracts.meterpay.v1 import control_pb2, device_pb2, readings_pb2
from services.kit import messaging
from services.kit.db import Outgoing
from services.kit.messaging import timestamp


def meter_reading(event: MeterRead) -> Outgoing:
    return Outgoing(messaging.METER_READINGS, event.meter_id, readings_pb2.MeterReading(
        meter_id=event.meter_id, read_at=timestamp(event.read_at), kind=event.kind, total_wh=event.total_wh,
        sharp_wh=event.sharp_wh, peak_wh=event.peak_wh, flat_wh=event.flat_wh, valley_wh=event.valley_wh,
        deep_valley_wh=event.deep_valley_wh, reverse_wh=event.reverse_wh, volume_l=event.volume_l,
        has_band_registers=event.has_band_registers, voltage_dv=event.voltage_dv, current_ca=event.current_ca,
        power_w=event.power_w, power_factor_milli=event.power_factor_milli, relay_state=event.relay_state,
        source=event.source, gateway_id=event.gateway_id, power_guarantee=event.power_guarantee))


def device_status(event: DeviceStatusChanged) -> Outgoing:
    return Outgoing(messaging.DEVICE_STATUS, event.device_id, device_pb2.DeviceStatus(
        device_id=event.device_id, device_type=event.device_type, online=event.online,
        relay_state=event.relay_state, changed_at=timestamp(event.changed_at), detail=event.detail))


def control_result(event: FieldCommandCompleted) -> Outgoing:
    return Outgoing(messaging.CONTROL_RESULTS, event.meter_id, control_pb2.ControlResult(
        command_id=event.command_id, meter_id=event.meter_id, outcome=event.outcome, relay_state=event.relay_state,
        detail=event.detail, completed_at=timestamp(event.completed_at), attempt=event.attempt))


_BY_TYPE: dict[type, Callable[[Any], Outgoing]] = {
    MeterRead: meter_reading, DeviceStatusChanged: device_status, FieldCommandCompleted: control_result}


def to_outgoing(event: object) -> Outgoing:
    """The wire form of any event acquisition publishes."""
    try:
        mapper = _BY_TYPE[type(event)]
    except KeyError:
        raise TypeError(f"acquisition publishes no {type(event).__name__}") from None
    return mapper(event)

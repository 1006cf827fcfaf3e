"""The event mapper: every domain event leaves on its topic, keyed as before, as the same protobuf."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.acquisition.domain.actions import ControlOutcome
from services.acquisition.domain.events import (
    DeviceStatusChanged,
    DeviceType,
    FieldCommandCompleted,
    MeterRead,
    ReadingSource,
)
from services.acquisition.domain.registry import MeterKind
from services.acquisition.domain.samples import RelayState
from services.acquisition.entrypoints.events import to_outgoing
from services.contracts.meterpay.v1 import common_pb2, control_pb2, device_pb2, readings_pb2
from services.kit import messaging
from services.kit.messaging import timestamp

AT = datetime(2026, 11, 21, 10, 0, 0, 123456, tzinfo=UTC)


class TestEventMapper:
    def test_a_reading_is_a_meter_reading_keyed_by_meter(self):
        event = MeterRead(meter_id="W-1", gateway_id="GW-S", kind=MeterKind.WATER, read_at=AT,
                          source=ReadingSource.BACKFILL, total_wh=0, sharp_wh=0, peak_wh=0, flat_wh=0, valley_wh=0,
                          deep_valley_wh=0, reverse_wh=0, volume_l=5360, voltage_dv=0, current_ca=0, power_w=0,
                          power_factor_milli=0, relay_state=RelayState.OPEN, power_guarantee=False,
                          has_band_registers=False)
        out = to_outgoing(event)
        assert (out.topic, out.key) == (messaging.METER_READINGS, "W-1")
        assert out.message.SerializeToString() == readings_pb2.MeterReading(
            meter_id="W-1", read_at=timestamp(AT), kind=common_pb2.METER_KIND_WATER, volume_l=5360,
            relay_state=common_pb2.RELAY_STATE_OPEN, source=readings_pb2.READING_SOURCE_BACKFILL,
            gateway_id="GW-S").SerializeToString()

    def test_a_status_change_is_a_device_status_keyed_by_device_with_its_detail_capped(self):
        out = to_outgoing(DeviceStatusChanged("GW-1", DeviceType.GATEWAY, False, RelayState.UNSPECIFIED, AT,
                                              "链路断开 " + "x" * 600))
        assert (out.topic, out.key) == (messaging.DEVICE_STATUS, "GW-1")
        assert out.message == device_pb2.DeviceStatus(
            device_id="GW-1", device_type=device_pb2.DEVICE_TYPE_GATEWAY, online=False,
            changed_at=timestamp(AT), detail=("链路断开 " + "x" * 600)[:500])

    def test_a_command_result_is_a_control_result_keyed_by_meter(self):
        out = to_outgoing(FieldCommandCompleted("c1", "M-1", 2, ControlOutcome.CONFIRMED, RelayState.OPEN,
                                                "control register written; supply cut", AT))
        assert (out.topic, out.key) == (messaging.CONTROL_RESULTS, "M-1")
        assert out.message == control_pb2.ControlResult(
            command_id="c1", meter_id="M-1", outcome=control_pb2.CONTROL_OUTCOME_CONFIRMED,
            relay_state=common_pb2.RELAY_STATE_OPEN, detail="control register written; supply cut",
            completed_at=timestamp(AT), attempt=2)

    def test_anything_else_is_refused(self):
        with pytest.raises(TypeError, match="publishes no"):
            to_outgoing(object())

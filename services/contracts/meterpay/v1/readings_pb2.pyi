import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from services.contracts.meterpay.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ReadingSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    READING_SOURCE_UNSPECIFIED: _ClassVar[ReadingSource]
    READING_SOURCE_POLL: _ClassVar[ReadingSource]
    READING_SOURCE_BACKFILL: _ClassVar[ReadingSource]
    READING_SOURCE_READ_NOW: _ClassVar[ReadingSource]
    READING_SOURCE_PUSH: _ClassVar[ReadingSource]
    READING_SOURCE_MANUAL: _ClassVar[ReadingSource]
READING_SOURCE_UNSPECIFIED: ReadingSource
READING_SOURCE_POLL: ReadingSource
READING_SOURCE_BACKFILL: ReadingSource
READING_SOURCE_READ_NOW: ReadingSource
READING_SOURCE_PUSH: ReadingSource
READING_SOURCE_MANUAL: ReadingSource

class MeterReading(_message.Message):
    __slots__ = ("meter_id", "read_at", "kind", "total_wh", "sharp_wh", "peak_wh", "flat_wh", "valley_wh", "deep_valley_wh", "has_band_registers", "reverse_wh", "voltage_dv", "current_ca", "power_w", "power_factor_milli", "relay_state", "source", "volume_l", "gateway_id", "power_guarantee")
    METER_ID_FIELD_NUMBER: _ClassVar[int]
    READ_AT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TOTAL_WH_FIELD_NUMBER: _ClassVar[int]
    SHARP_WH_FIELD_NUMBER: _ClassVar[int]
    PEAK_WH_FIELD_NUMBER: _ClassVar[int]
    FLAT_WH_FIELD_NUMBER: _ClassVar[int]
    VALLEY_WH_FIELD_NUMBER: _ClassVar[int]
    DEEP_VALLEY_WH_FIELD_NUMBER: _ClassVar[int]
    HAS_BAND_REGISTERS_FIELD_NUMBER: _ClassVar[int]
    REVERSE_WH_FIELD_NUMBER: _ClassVar[int]
    VOLTAGE_DV_FIELD_NUMBER: _ClassVar[int]
    CURRENT_CA_FIELD_NUMBER: _ClassVar[int]
    POWER_W_FIELD_NUMBER: _ClassVar[int]
    POWER_FACTOR_MILLI_FIELD_NUMBER: _ClassVar[int]
    RELAY_STATE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    VOLUME_L_FIELD_NUMBER: _ClassVar[int]
    GATEWAY_ID_FIELD_NUMBER: _ClassVar[int]
    POWER_GUARANTEE_FIELD_NUMBER: _ClassVar[int]
    meter_id: str
    read_at: _timestamp_pb2.Timestamp
    kind: _common_pb2.MeterKind
    total_wh: int
    sharp_wh: int
    peak_wh: int
    flat_wh: int
    valley_wh: int
    deep_valley_wh: int
    has_band_registers: bool
    reverse_wh: int
    voltage_dv: int
    current_ca: int
    power_w: int
    power_factor_milli: int
    relay_state: _common_pb2.RelayState
    source: ReadingSource
    volume_l: int
    gateway_id: str
    power_guarantee: bool
    def __init__(self, meter_id: _Optional[str] = ..., read_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., kind: _Optional[_Union[_common_pb2.MeterKind, str]] = ..., total_wh: _Optional[int] = ..., sharp_wh: _Optional[int] = ..., peak_wh: _Optional[int] = ..., flat_wh: _Optional[int] = ..., valley_wh: _Optional[int] = ..., deep_valley_wh: _Optional[int] = ..., has_band_registers: _Optional[bool] = ..., reverse_wh: _Optional[int] = ..., voltage_dv: _Optional[int] = ..., current_ca: _Optional[int] = ..., power_w: _Optional[int] = ..., power_factor_milli: _Optional[int] = ..., relay_state: _Optional[_Union[_common_pb2.RelayState, str]] = ..., source: _Optional[_Union[ReadingSource, str]] = ..., volume_l: _Optional[int] = ..., gateway_id: _Optional[str] = ..., power_guarantee: _Optional[bool] = ...) -> None: ...

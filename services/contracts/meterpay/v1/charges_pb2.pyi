import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class UsageCharge(_message.Message):
    __slots__ = ("charge_id", "meter_id", "period", "from_time", "to_time", "energy_wh", "amount_fen", "period_cost_fen", "price_yuan_per_kwh", "tariff_version_id", "commodity")
    CHARGE_ID_FIELD_NUMBER: _ClassVar[int]
    METER_ID_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    FROM_TIME_FIELD_NUMBER: _ClassVar[int]
    TO_TIME_FIELD_NUMBER: _ClassVar[int]
    ENERGY_WH_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    PERIOD_COST_FEN_FIELD_NUMBER: _ClassVar[int]
    PRICE_YUAN_PER_KWH_FIELD_NUMBER: _ClassVar[int]
    TARIFF_VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    COMMODITY_FIELD_NUMBER: _ClassVar[int]
    charge_id: str
    meter_id: str
    period: str
    from_time: _timestamp_pb2.Timestamp
    to_time: _timestamp_pb2.Timestamp
    energy_wh: int
    amount_fen: int
    period_cost_fen: int
    price_yuan_per_kwh: str
    tariff_version_id: str
    commodity: str
    def __init__(self, charge_id: _Optional[str] = ..., meter_id: _Optional[str] = ..., period: _Optional[str] = ..., from_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., to_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., energy_wh: _Optional[int] = ..., amount_fen: _Optional[int] = ..., period_cost_fen: _Optional[int] = ..., price_yuan_per_kwh: _Optional[str] = ..., tariff_version_id: _Optional[str] = ..., commodity: _Optional[str] = ...) -> None: ...

class RatingAnomaly(_message.Message):
    __slots__ = ("meter_id", "read_at", "total_wh", "last_total_wh", "reason")
    METER_ID_FIELD_NUMBER: _ClassVar[int]
    READ_AT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_WH_FIELD_NUMBER: _ClassVar[int]
    LAST_TOTAL_WH_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    meter_id: str
    read_at: _timestamp_pb2.Timestamp
    total_wh: int
    last_total_wh: int
    reason: str
    def __init__(self, meter_id: _Optional[str] = ..., read_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., total_wh: _Optional[int] = ..., last_total_wh: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

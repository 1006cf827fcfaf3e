import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SetSinglePriceRequest(_message.Message):
    __slots__ = ("meter_id", "price_yuan_per_kwh", "version_id")
    METER_ID_FIELD_NUMBER: _ClassVar[int]
    PRICE_YUAN_PER_KWH_FIELD_NUMBER: _ClassVar[int]
    VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    meter_id: str
    price_yuan_per_kwh: str
    version_id: str
    def __init__(self, meter_id: _Optional[str] = ..., price_yuan_per_kwh: _Optional[str] = ..., version_id: _Optional[str] = ...) -> None: ...

class SetSinglePriceReply(_message.Message):
    __slots__ = ("version_id", "created")
    VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    version_id: str
    created: bool
    def __init__(self, version_id: _Optional[str] = ..., created: _Optional[bool] = ...) -> None: ...

class QuoteRequest(_message.Message):
    __slots__ = ("meter_id", "energy_wh", "at")
    METER_ID_FIELD_NUMBER: _ClassVar[int]
    ENERGY_WH_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    meter_id: str
    energy_wh: int
    at: _timestamp_pb2.Timestamp
    def __init__(self, meter_id: _Optional[str] = ..., energy_wh: _Optional[int] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class QuoteReply(_message.Message):
    __slots__ = ("amount_fen", "price_yuan_per_kwh", "version_id")
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    PRICE_YUAN_PER_KWH_FIELD_NUMBER: _ClassVar[int]
    VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    amount_fen: int
    price_yuan_per_kwh: str
    version_id: str
    def __init__(self, amount_fen: _Optional[int] = ..., price_yuan_per_kwh: _Optional[str] = ..., version_id: _Optional[str] = ...) -> None: ...

class CreatePlanRequest(_message.Message):
    __slots__ = ("plan_id", "name", "definition_json", "version_id", "effective_from", "default_plan")
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DEFINITION_JSON_FIELD_NUMBER: _ClassVar[int]
    VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_FROM_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_PLAN_FIELD_NUMBER: _ClassVar[int]
    plan_id: str
    name: str
    definition_json: str
    version_id: str
    effective_from: _timestamp_pb2.Timestamp
    default_plan: bool
    def __init__(self, plan_id: _Optional[str] = ..., name: _Optional[str] = ..., definition_json: _Optional[str] = ..., version_id: _Optional[str] = ..., effective_from: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., default_plan: _Optional[bool] = ...) -> None: ...

class CreatePlanReply(_message.Message):
    __slots__ = ("plan_id", "created")
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    plan_id: str
    created: bool
    def __init__(self, plan_id: _Optional[str] = ..., created: _Optional[bool] = ...) -> None: ...

class AddPlanVersionRequest(_message.Message):
    __slots__ = ("plan_id", "version_id", "definition_json", "effective_from")
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    DEFINITION_JSON_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_FROM_FIELD_NUMBER: _ClassVar[int]
    plan_id: str
    version_id: str
    definition_json: str
    effective_from: _timestamp_pb2.Timestamp
    def __init__(self, plan_id: _Optional[str] = ..., version_id: _Optional[str] = ..., definition_json: _Optional[str] = ..., effective_from: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AddPlanVersionReply(_message.Message):
    __slots__ = ("version_id", "created")
    VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    version_id: str
    created: bool
    def __init__(self, version_id: _Optional[str] = ..., created: _Optional[bool] = ...) -> None: ...

class AssignPlanRequest(_message.Message):
    __slots__ = ("plan_id", "meter_ids", "effective_from")
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    METER_IDS_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_FROM_FIELD_NUMBER: _ClassVar[int]
    plan_id: str
    meter_ids: _containers.RepeatedScalarFieldContainer[str]
    effective_from: _timestamp_pb2.Timestamp
    def __init__(self, plan_id: _Optional[str] = ..., meter_ids: _Optional[_Iterable[str]] = ..., effective_from: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AssignPlanReply(_message.Message):
    __slots__ = ("assigned",)
    ASSIGNED_FIELD_NUMBER: _ClassVar[int]
    assigned: int
    def __init__(self, assigned: _Optional[int] = ...) -> None: ...

class PlanSummary(_message.Message):
    __slots__ = ("plan_id", "name", "commodity", "kind", "meter_id")
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    COMMODITY_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    METER_ID_FIELD_NUMBER: _ClassVar[int]
    plan_id: str
    name: str
    commodity: str
    kind: str
    meter_id: str
    def __init__(self, plan_id: _Optional[str] = ..., name: _Optional[str] = ..., commodity: _Optional[str] = ..., kind: _Optional[str] = ..., meter_id: _Optional[str] = ...) -> None: ...

class ListPlansRequest(_message.Message):
    __slots__ = ("limit", "cursor")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    limit: int
    cursor: str
    def __init__(self, limit: _Optional[int] = ..., cursor: _Optional[str] = ...) -> None: ...

class ListPlansReply(_message.Message):
    __slots__ = ("plans", "next_cursor")
    PLANS_FIELD_NUMBER: _ClassVar[int]
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    plans: _containers.RepeatedCompositeFieldContainer[PlanSummary]
    next_cursor: str
    def __init__(self, plans: _Optional[_Iterable[_Union[PlanSummary, _Mapping]]] = ..., next_cursor: _Optional[str] = ...) -> None: ...

class PlanVersionInfo(_message.Message):
    __slots__ = ("version_id", "plan_id", "effective_from", "definition_json")
    VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_FROM_FIELD_NUMBER: _ClassVar[int]
    DEFINITION_JSON_FIELD_NUMBER: _ClassVar[int]
    version_id: str
    plan_id: str
    effective_from: _timestamp_pb2.Timestamp
    definition_json: str
    def __init__(self, version_id: _Optional[str] = ..., plan_id: _Optional[str] = ..., effective_from: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., definition_json: _Optional[str] = ...) -> None: ...

class MeterTariffRequest(_message.Message):
    __slots__ = ("meter_id",)
    METER_ID_FIELD_NUMBER: _ClassVar[int]
    meter_id: str
    def __init__(self, meter_id: _Optional[str] = ...) -> None: ...

class MeterTariffReply(_message.Message):
    __slots__ = ("timeline",)
    TIMELINE_FIELD_NUMBER: _ClassVar[int]
    timeline: _containers.RepeatedCompositeFieldContainer[PlanVersionInfo]
    def __init__(self, timeline: _Optional[_Iterable[_Union[PlanVersionInfo, _Mapping]]] = ...) -> None: ...

class PreviewBillRequest(_message.Message):
    __slots__ = ("meter_id", "period")
    METER_ID_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    meter_id: str
    period: str
    def __init__(self, meter_id: _Optional[str] = ..., period: _Optional[str] = ...) -> None: ...

class BandUsage(_message.Message):
    __slots__ = ("band", "energy_wh")
    BAND_FIELD_NUMBER: _ClassVar[int]
    ENERGY_WH_FIELD_NUMBER: _ClassVar[int]
    band: str
    energy_wh: int
    def __init__(self, band: _Optional[str] = ..., energy_wh: _Optional[int] = ...) -> None: ...

class PreviewBillReply(_message.Message):
    __slots__ = ("meter_id", "period", "energy_wh", "amount_fen", "charges", "bands", "max_demand_w", "basic_charge_yuan")
    METER_ID_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    ENERGY_WH_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    CHARGES_FIELD_NUMBER: _ClassVar[int]
    BANDS_FIELD_NUMBER: _ClassVar[int]
    MAX_DEMAND_W_FIELD_NUMBER: _ClassVar[int]
    BASIC_CHARGE_YUAN_FIELD_NUMBER: _ClassVar[int]
    meter_id: str
    period: str
    energy_wh: int
    amount_fen: int
    charges: int
    bands: _containers.RepeatedCompositeFieldContainer[BandUsage]
    max_demand_w: int
    basic_charge_yuan: str
    def __init__(self, meter_id: _Optional[str] = ..., period: _Optional[str] = ..., energy_wh: _Optional[int] = ..., amount_fen: _Optional[int] = ..., charges: _Optional[int] = ..., bands: _Optional[_Iterable[_Union[BandUsage, _Mapping]]] = ..., max_demand_w: _Optional[int] = ..., basic_charge_yuan: _Optional[str] = ...) -> None: ...

class ResetBaselineRequest(_message.Message):
    __slots__ = ("meter_id", "read_at", "total_wh", "band_wh")
    METER_ID_FIELD_NUMBER: _ClassVar[int]
    READ_AT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_WH_FIELD_NUMBER: _ClassVar[int]
    BAND_WH_FIELD_NUMBER: _ClassVar[int]
    meter_id: str
    read_at: _timestamp_pb2.Timestamp
    total_wh: int
    band_wh: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, meter_id: _Optional[str] = ..., read_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., total_wh: _Optional[int] = ..., band_wh: _Optional[_Iterable[int]] = ...) -> None: ...

class ResetBaselineReply(_message.Message):
    __slots__ = ("reset",)
    RESET_FIELD_NUMBER: _ClassVar[int]
    reset: bool
    def __init__(self, reset: _Optional[bool] = ...) -> None: ...

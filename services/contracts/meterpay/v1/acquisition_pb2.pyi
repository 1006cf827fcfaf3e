import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from services.contracts.meterpay.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Gateway(_message.Message):
    __slots__ = ("gateway_id", "host", "port", "protocol", "poll_interval_s", "project_id")
    GATEWAY_ID_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_FIELD_NUMBER: _ClassVar[int]
    POLL_INTERVAL_S_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    gateway_id: str
    host: str
    port: int
    protocol: str
    poll_interval_s: int
    project_id: str
    def __init__(self, gateway_id: _Optional[str] = ..., host: _Optional[str] = ..., port: _Optional[int] = ..., protocol: _Optional[str] = ..., poll_interval_s: _Optional[int] = ..., project_id: _Optional[str] = ...) -> None: ...

class Meter(_message.Message):
    __slots__ = ("meter_id", "gateway_id", "device_id", "kind", "ct_ratio", "protocol", "address", "bus")
    METER_ID_FIELD_NUMBER: _ClassVar[int]
    GATEWAY_ID_FIELD_NUMBER: _ClassVar[int]
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CT_RATIO_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    BUS_FIELD_NUMBER: _ClassVar[int]
    meter_id: str
    gateway_id: str
    device_id: int
    kind: _common_pb2.MeterKind
    ct_ratio: int
    protocol: str
    address: str
    bus: int
    def __init__(self, meter_id: _Optional[str] = ..., gateway_id: _Optional[str] = ..., device_id: _Optional[int] = ..., kind: _Optional[_Union[_common_pb2.MeterKind, str]] = ..., ct_ratio: _Optional[int] = ..., protocol: _Optional[str] = ..., address: _Optional[str] = ..., bus: _Optional[int] = ...) -> None: ...

class MeterView(_message.Message):
    __slots__ = ("meter", "online", "relay_state", "last_total_wh", "last_read_at", "power_w")
    METER_FIELD_NUMBER: _ClassVar[int]
    ONLINE_FIELD_NUMBER: _ClassVar[int]
    RELAY_STATE_FIELD_NUMBER: _ClassVar[int]
    LAST_TOTAL_WH_FIELD_NUMBER: _ClassVar[int]
    LAST_READ_AT_FIELD_NUMBER: _ClassVar[int]
    POWER_W_FIELD_NUMBER: _ClassVar[int]
    meter: Meter
    online: bool
    relay_state: _common_pb2.RelayState
    last_total_wh: int
    last_read_at: _timestamp_pb2.Timestamp
    power_w: int
    def __init__(self, meter: _Optional[_Union[Meter, _Mapping]] = ..., online: _Optional[bool] = ..., relay_state: _Optional[_Union[_common_pb2.RelayState, str]] = ..., last_total_wh: _Optional[int] = ..., last_read_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., power_w: _Optional[int] = ...) -> None: ...

class RegisterGatewayReply(_message.Message):
    __slots__ = ("created",)
    CREATED_FIELD_NUMBER: _ClassVar[int]
    created: bool
    def __init__(self, created: _Optional[bool] = ...) -> None: ...

class RegisterMeterReply(_message.Message):
    __slots__ = ("created",)
    CREATED_FIELD_NUMBER: _ClassVar[int]
    created: bool
    def __init__(self, created: _Optional[bool] = ...) -> None: ...

class ListMetersRequest(_message.Message):
    __slots__ = ("limit", "cursor")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    limit: int
    cursor: str
    def __init__(self, limit: _Optional[int] = ..., cursor: _Optional[str] = ...) -> None: ...

class ListMetersReply(_message.Message):
    __slots__ = ("meters", "next_cursor")
    METERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    meters: _containers.RepeatedCompositeFieldContainer[MeterView]
    next_cursor: str
    def __init__(self, meters: _Optional[_Iterable[_Union[MeterView, _Mapping]]] = ..., next_cursor: _Optional[str] = ...) -> None: ...

class ReadNowRequest(_message.Message):
    __slots__ = ("meter_ids",)
    METER_IDS_FIELD_NUMBER: _ClassVar[int]
    meter_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, meter_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ReadNowReply(_message.Message):
    __slots__ = ("read", "failed")
    READ_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    read: int
    failed: int
    def __init__(self, read: _Optional[int] = ..., failed: _Optional[int] = ...) -> None: ...

class ImportSheetRequest(_message.Message):
    __slots__ = ("content", "filename")
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    content: bytes
    filename: str
    def __init__(self, content: _Optional[bytes] = ..., filename: _Optional[str] = ...) -> None: ...

class ImportSheetReply(_message.Message):
    __slots__ = ("gateways", "meters_created", "meters_updated")
    GATEWAYS_FIELD_NUMBER: _ClassVar[int]
    METERS_CREATED_FIELD_NUMBER: _ClassVar[int]
    METERS_UPDATED_FIELD_NUMBER: _ClassVar[int]
    gateways: int
    meters_created: int
    meters_updated: int
    def __init__(self, gateways: _Optional[int] = ..., meters_created: _Optional[int] = ..., meters_updated: _Optional[int] = ...) -> None: ...

class SetProjectIntervalRequest(_message.Message):
    __slots__ = ("project_id", "poll_interval_s")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    POLL_INTERVAL_S_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    poll_interval_s: int
    def __init__(self, project_id: _Optional[str] = ..., poll_interval_s: _Optional[int] = ...) -> None: ...

class SetProjectIntervalReply(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

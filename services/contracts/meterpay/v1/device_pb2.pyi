import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from services.contracts.meterpay.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DeviceType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DEVICE_TYPE_UNSPECIFIED: _ClassVar[DeviceType]
    DEVICE_TYPE_METER: _ClassVar[DeviceType]
    DEVICE_TYPE_GATEWAY: _ClassVar[DeviceType]
DEVICE_TYPE_UNSPECIFIED: DeviceType
DEVICE_TYPE_METER: DeviceType
DEVICE_TYPE_GATEWAY: DeviceType

class DeviceStatus(_message.Message):
    __slots__ = ("device_id", "device_type", "online", "relay_state", "changed_at", "detail")
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    DEVICE_TYPE_FIELD_NUMBER: _ClassVar[int]
    ONLINE_FIELD_NUMBER: _ClassVar[int]
    RELAY_STATE_FIELD_NUMBER: _ClassVar[int]
    CHANGED_AT_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    device_type: DeviceType
    online: bool
    relay_state: _common_pb2.RelayState
    changed_at: _timestamp_pb2.Timestamp
    detail: str
    def __init__(self, device_id: _Optional[str] = ..., device_type: _Optional[_Union[DeviceType, str]] = ..., online: _Optional[bool] = ..., relay_state: _Optional[_Union[_common_pb2.RelayState, str]] = ..., changed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., detail: _Optional[str] = ...) -> None: ...

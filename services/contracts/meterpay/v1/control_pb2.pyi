import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from services.contracts.meterpay.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ControlAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONTROL_ACTION_UNSPECIFIED: _ClassVar[ControlAction]
    CONTROL_ACTION_TRIP: _ClassVar[ControlAction]
    CONTROL_ACTION_CLOSE: _ClassVar[ControlAction]
    CONTROL_ACTION_POWER_GUARANTEE_ON: _ClassVar[ControlAction]
    CONTROL_ACTION_POWER_GUARANTEE_OFF: _ClassVar[ControlAction]

class ControlOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONTROL_OUTCOME_UNSPECIFIED: _ClassVar[ControlOutcome]
    CONTROL_OUTCOME_CONFIRMED: _ClassVar[ControlOutcome]
    CONTROL_OUTCOME_FAILED: _ClassVar[ControlOutcome]
CONTROL_ACTION_UNSPECIFIED: ControlAction
CONTROL_ACTION_TRIP: ControlAction
CONTROL_ACTION_CLOSE: ControlAction
CONTROL_ACTION_POWER_GUARANTEE_ON: ControlAction
CONTROL_ACTION_POWER_GUARANTEE_OFF: ControlAction
CONTROL_OUTCOME_UNSPECIFIED: ControlOutcome
CONTROL_OUTCOME_CONFIRMED: ControlOutcome
CONTROL_OUTCOME_FAILED: ControlOutcome

class ControlCommand(_message.Message):
    __slots__ = ("command_id", "meter_id", "action", "issued_at", "reason", "requested_by", "attempt")
    COMMAND_ID_FIELD_NUMBER: _ClassVar[int]
    METER_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    ISSUED_AT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    command_id: str
    meter_id: str
    action: ControlAction
    issued_at: _timestamp_pb2.Timestamp
    reason: str
    requested_by: str
    attempt: int
    def __init__(self, command_id: _Optional[str] = ..., meter_id: _Optional[str] = ..., action: _Optional[_Union[ControlAction, str]] = ..., issued_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ..., requested_by: _Optional[str] = ..., attempt: _Optional[int] = ...) -> None: ...

class ControlResult(_message.Message):
    __slots__ = ("command_id", "meter_id", "outcome", "relay_state", "detail", "completed_at", "attempt")
    COMMAND_ID_FIELD_NUMBER: _ClassVar[int]
    METER_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    RELAY_STATE_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    command_id: str
    meter_id: str
    outcome: ControlOutcome
    relay_state: _common_pb2.RelayState
    detail: str
    completed_at: _timestamp_pb2.Timestamp
    attempt: int
    def __init__(self, command_id: _Optional[str] = ..., meter_id: _Optional[str] = ..., outcome: _Optional[_Union[ControlOutcome, str]] = ..., relay_state: _Optional[_Union[_common_pb2.RelayState, str]] = ..., detail: _Optional[str] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., attempt: _Optional[int] = ...) -> None: ...

class MeterControl(_message.Message):
    __slots__ = ("meter_id", "mode", "in_arrears", "desired_state", "known_state")
    METER_ID_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    IN_ARREARS_FIELD_NUMBER: _ClassVar[int]
    DESIRED_STATE_FIELD_NUMBER: _ClassVar[int]
    KNOWN_STATE_FIELD_NUMBER: _ClassVar[int]
    meter_id: str
    mode: str
    in_arrears: bool
    desired_state: _common_pb2.RelayState
    known_state: _common_pb2.RelayState
    def __init__(self, meter_id: _Optional[str] = ..., mode: _Optional[str] = ..., in_arrears: _Optional[bool] = ..., desired_state: _Optional[_Union[_common_pb2.RelayState, str]] = ..., known_state: _Optional[_Union[_common_pb2.RelayState, str]] = ...) -> None: ...

class ControlCommandView(_message.Message):
    __slots__ = ("command_id", "meter_id", "action", "status", "requested_by", "reason", "created_at", "completed_at", "detail")
    COMMAND_ID_FIELD_NUMBER: _ClassVar[int]
    METER_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    command_id: str
    meter_id: str
    action: ControlAction
    status: str
    requested_by: str
    reason: str
    created_at: _timestamp_pb2.Timestamp
    completed_at: _timestamp_pb2.Timestamp
    detail: str
    def __init__(self, command_id: _Optional[str] = ..., meter_id: _Optional[str] = ..., action: _Optional[_Union[ControlAction, str]] = ..., status: _Optional[str] = ..., requested_by: _Optional[str] = ..., reason: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., detail: _Optional[str] = ...) -> None: ...

class ListCommandsRequest(_message.Message):
    __slots__ = ("meter_id", "limit")
    METER_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    meter_id: str
    limit: int
    def __init__(self, meter_id: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class ListCommandsReply(_message.Message):
    __slots__ = ("commands",)
    COMMANDS_FIELD_NUMBER: _ClassVar[int]
    commands: _containers.RepeatedCompositeFieldContainer[ControlCommandView]
    def __init__(self, commands: _Optional[_Iterable[_Union[ControlCommandView, _Mapping]]] = ...) -> None: ...

class ListMeterControlsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListMeterControlsReply(_message.Message):
    __slots__ = ("meters",)
    METERS_FIELD_NUMBER: _ClassVar[int]
    meters: _containers.RepeatedCompositeFieldContainer[MeterControl]
    def __init__(self, meters: _Optional[_Iterable[_Union[MeterControl, _Mapping]]] = ...) -> None: ...

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
    CONTROL_ACTION_VALVE_CLOSE: _ClassVar[ControlAction]
    CONTROL_ACTION_VALVE_OPEN: _ClassVar[ControlAction]
    CONTROL_ACTION_PRICE_PUSH: _ClassVar[ControlAction]
    CONTROL_ACTION_THRESHOLD_PUSH: _ClassVar[ControlAction]
    CONTROL_ACTION_READ_NOW: _ClassVar[ControlAction]

class ControlOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONTROL_OUTCOME_UNSPECIFIED: _ClassVar[ControlOutcome]
    CONTROL_OUTCOME_CONFIRMED: _ClassVar[ControlOutcome]
    CONTROL_OUTCOME_FAILED: _ClassVar[ControlOutcome]

class Operation(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OPERATION_UNSPECIFIED: _ClassVar[Operation]
    OPERATION_FORCED_OFF: _ClassVar[Operation]
    OPERATION_RESTORE_PREPAID: _ClassVar[Operation]
    OPERATION_POWER_GUARANTEE_ON: _ClassVar[Operation]
    OPERATION_POWER_GUARANTEE_OFF: _ClassVar[Operation]
    OPERATION_PRICE_PUSH: _ClassVar[Operation]
    OPERATION_THRESHOLD_PUSH: _ClassVar[Operation]
    OPERATION_READ_NOW: _ClassVar[Operation]
CONTROL_ACTION_UNSPECIFIED: ControlAction
CONTROL_ACTION_TRIP: ControlAction
CONTROL_ACTION_CLOSE: ControlAction
CONTROL_ACTION_POWER_GUARANTEE_ON: ControlAction
CONTROL_ACTION_POWER_GUARANTEE_OFF: ControlAction
CONTROL_ACTION_VALVE_CLOSE: ControlAction
CONTROL_ACTION_VALVE_OPEN: ControlAction
CONTROL_ACTION_PRICE_PUSH: ControlAction
CONTROL_ACTION_THRESHOLD_PUSH: ControlAction
CONTROL_ACTION_READ_NOW: ControlAction
CONTROL_OUTCOME_UNSPECIFIED: ControlOutcome
CONTROL_OUTCOME_CONFIRMED: ControlOutcome
CONTROL_OUTCOME_FAILED: ControlOutcome
OPERATION_UNSPECIFIED: Operation
OPERATION_FORCED_OFF: Operation
OPERATION_RESTORE_PREPAID: Operation
OPERATION_POWER_GUARANTEE_ON: Operation
OPERATION_POWER_GUARANTEE_OFF: Operation
OPERATION_PRICE_PUSH: Operation
OPERATION_THRESHOLD_PUSH: Operation
OPERATION_READ_NOW: Operation

class SettingPush(_message.Message):
    __slots__ = ("price_yuan", "overload_w", "alarm1_fen", "alarm2_fen")
    PRICE_YUAN_FIELD_NUMBER: _ClassVar[int]
    OVERLOAD_W_FIELD_NUMBER: _ClassVar[int]
    ALARM1_FEN_FIELD_NUMBER: _ClassVar[int]
    ALARM2_FEN_FIELD_NUMBER: _ClassVar[int]
    price_yuan: str
    overload_w: int
    alarm1_fen: int
    alarm2_fen: int
    def __init__(self, price_yuan: _Optional[str] = ..., overload_w: _Optional[int] = ..., alarm1_fen: _Optional[int] = ..., alarm2_fen: _Optional[int] = ...) -> None: ...

class ControlCommand(_message.Message):
    __slots__ = ("command_id", "meter_id", "action", "issued_at", "reason", "requested_by", "attempt", "settings")
    COMMAND_ID_FIELD_NUMBER: _ClassVar[int]
    METER_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    ISSUED_AT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    command_id: str
    meter_id: str
    action: ControlAction
    issued_at: _timestamp_pb2.Timestamp
    reason: str
    requested_by: str
    attempt: int
    settings: SettingPush
    def __init__(self, command_id: _Optional[str] = ..., meter_id: _Optional[str] = ..., action: _Optional[_Union[ControlAction, str]] = ..., issued_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ..., requested_by: _Optional[str] = ..., attempt: _Optional[int] = ..., settings: _Optional[_Union[SettingPush, _Mapping]] = ...) -> None: ...

class ControlResult(_message.Message):
    __slots__ = ("command_id", "meter_id", "outcome", "relay_state", "detail", "completed_at", "attempt", "action", "reason", "requested_by", "status")
    COMMAND_ID_FIELD_NUMBER: _ClassVar[int]
    METER_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    RELAY_STATE_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    command_id: str
    meter_id: str
    outcome: ControlOutcome
    relay_state: _common_pb2.RelayState
    detail: str
    completed_at: _timestamp_pb2.Timestamp
    attempt: int
    action: ControlAction
    reason: str
    requested_by: str
    status: str
    def __init__(self, command_id: _Optional[str] = ..., meter_id: _Optional[str] = ..., outcome: _Optional[_Union[ControlOutcome, str]] = ..., relay_state: _Optional[_Union[_common_pb2.RelayState, str]] = ..., detail: _Optional[str] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., attempt: _Optional[int] = ..., action: _Optional[_Union[ControlAction, str]] = ..., reason: _Optional[str] = ..., requested_by: _Optional[str] = ..., status: _Optional[str] = ...) -> None: ...

class MeterControl(_message.Message):
    __slots__ = ("meter_id", "mode", "in_arrears", "desired_state", "known_state", "tags", "online", "overload_tripped", "last_power_w", "cut_deferred_until", "updated_at")
    METER_ID_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    IN_ARREARS_FIELD_NUMBER: _ClassVar[int]
    DESIRED_STATE_FIELD_NUMBER: _ClassVar[int]
    KNOWN_STATE_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    ONLINE_FIELD_NUMBER: _ClassVar[int]
    OVERLOAD_TRIPPED_FIELD_NUMBER: _ClassVar[int]
    LAST_POWER_W_FIELD_NUMBER: _ClassVar[int]
    CUT_DEFERRED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    meter_id: str
    mode: str
    in_arrears: bool
    desired_state: _common_pb2.RelayState
    known_state: _common_pb2.RelayState
    tags: MeterTags
    online: bool
    overload_tripped: bool
    last_power_w: int
    cut_deferred_until: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, meter_id: _Optional[str] = ..., mode: _Optional[str] = ..., in_arrears: _Optional[bool] = ..., desired_state: _Optional[_Union[_common_pb2.RelayState, str]] = ..., known_state: _Optional[_Union[_common_pb2.RelayState, str]] = ..., tags: _Optional[_Union[MeterTags, _Mapping]] = ..., online: _Optional[bool] = ..., overload_tripped: _Optional[bool] = ..., last_power_w: _Optional[int] = ..., cut_deferred_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ControlCommandView(_message.Message):
    __slots__ = ("command_id", "meter_id", "action", "status", "requested_by", "reason", "created_at", "completed_at", "detail", "batch_id", "attempt", "attempt_limit", "sent_at", "next_attempt_at", "relay_state", "settings", "attempts")
    COMMAND_ID_FIELD_NUMBER: _ClassVar[int]
    METER_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_LIMIT_FIELD_NUMBER: _ClassVar[int]
    SENT_AT_FIELD_NUMBER: _ClassVar[int]
    NEXT_ATTEMPT_AT_FIELD_NUMBER: _ClassVar[int]
    RELAY_STATE_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    command_id: str
    meter_id: str
    action: ControlAction
    status: str
    requested_by: str
    reason: str
    created_at: _timestamp_pb2.Timestamp
    completed_at: _timestamp_pb2.Timestamp
    detail: str
    batch_id: str
    attempt: int
    attempt_limit: int
    sent_at: _timestamp_pb2.Timestamp
    next_attempt_at: _timestamp_pb2.Timestamp
    relay_state: _common_pb2.RelayState
    settings: SettingPush
    attempts: _containers.RepeatedCompositeFieldContainer[CommandAttempt]
    def __init__(self, command_id: _Optional[str] = ..., meter_id: _Optional[str] = ..., action: _Optional[_Union[ControlAction, str]] = ..., status: _Optional[str] = ..., requested_by: _Optional[str] = ..., reason: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., detail: _Optional[str] = ..., batch_id: _Optional[str] = ..., attempt: _Optional[int] = ..., attempt_limit: _Optional[int] = ..., sent_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., next_attempt_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., relay_state: _Optional[_Union[_common_pb2.RelayState, str]] = ..., settings: _Optional[_Union[SettingPush, _Mapping]] = ..., attempts: _Optional[_Iterable[_Union[CommandAttempt, _Mapping]]] = ...) -> None: ...

class CommandAttempt(_message.Message):
    __slots__ = ("attempt", "sent_at", "completed_at", "outcome", "detail", "relay_state")
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    SENT_AT_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    RELAY_STATE_FIELD_NUMBER: _ClassVar[int]
    attempt: int
    sent_at: _timestamp_pb2.Timestamp
    completed_at: _timestamp_pb2.Timestamp
    outcome: str
    detail: str
    relay_state: _common_pb2.RelayState
    def __init__(self, attempt: _Optional[int] = ..., sent_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., outcome: _Optional[str] = ..., detail: _Optional[str] = ..., relay_state: _Optional[_Union[_common_pb2.RelayState, str]] = ...) -> None: ...

class ListCommandsRequest(_message.Message):
    __slots__ = ("meter_id", "limit", "batch_id", "status", "with_attempts", "cursor")
    METER_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    WITH_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    meter_id: str
    limit: int
    batch_id: str
    status: str
    with_attempts: bool
    cursor: str
    def __init__(self, meter_id: _Optional[str] = ..., limit: _Optional[int] = ..., batch_id: _Optional[str] = ..., status: _Optional[str] = ..., with_attempts: _Optional[bool] = ..., cursor: _Optional[str] = ...) -> None: ...

class ListCommandsReply(_message.Message):
    __slots__ = ("commands", "next_cursor")
    COMMANDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    commands: _containers.RepeatedCompositeFieldContainer[ControlCommandView]
    next_cursor: str
    def __init__(self, commands: _Optional[_Iterable[_Union[ControlCommandView, _Mapping]]] = ..., next_cursor: _Optional[str] = ...) -> None: ...

class ListMeterControlsRequest(_message.Message):
    __slots__ = ("selection", "limit", "cursor")
    SELECTION_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    selection: MeterSelection
    limit: int
    cursor: str
    def __init__(self, selection: _Optional[_Union[MeterSelection, _Mapping]] = ..., limit: _Optional[int] = ..., cursor: _Optional[str] = ...) -> None: ...

class ListMeterControlsReply(_message.Message):
    __slots__ = ("meters", "next_cursor")
    METERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    meters: _containers.RepeatedCompositeFieldContainer[MeterControl]
    next_cursor: str
    def __init__(self, meters: _Optional[_Iterable[_Union[MeterControl, _Mapping]]] = ..., next_cursor: _Optional[str] = ...) -> None: ...

class MeterTags(_message.Message):
    __slots__ = ("project", "building", "floor", "tenant", "kind", "overload_threshold_w")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    BUILDING_FIELD_NUMBER: _ClassVar[int]
    FLOOR_FIELD_NUMBER: _ClassVar[int]
    TENANT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    OVERLOAD_THRESHOLD_W_FIELD_NUMBER: _ClassVar[int]
    project: str
    building: str
    floor: str
    tenant: str
    kind: _common_pb2.MeterKind
    overload_threshold_w: int
    def __init__(self, project: _Optional[str] = ..., building: _Optional[str] = ..., floor: _Optional[str] = ..., tenant: _Optional[str] = ..., kind: _Optional[_Union[_common_pb2.MeterKind, str]] = ..., overload_threshold_w: _Optional[int] = ...) -> None: ...

class SetMeterTagsRequest(_message.Message):
    __slots__ = ("meter_id", "tags")
    METER_ID_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    meter_id: str
    tags: MeterTags
    def __init__(self, meter_id: _Optional[str] = ..., tags: _Optional[_Union[MeterTags, _Mapping]] = ...) -> None: ...

class SetMeterTagsReply(_message.Message):
    __slots__ = ("meter",)
    METER_FIELD_NUMBER: _ClassVar[int]
    meter: MeterControl
    def __init__(self, meter: _Optional[_Union[MeterControl, _Mapping]] = ...) -> None: ...

class MeterSelection(_message.Message):
    __slots__ = ("meter_ids", "project", "building", "floor", "tenant", "mode", "state")
    METER_IDS_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    BUILDING_FIELD_NUMBER: _ClassVar[int]
    FLOOR_FIELD_NUMBER: _ClassVar[int]
    TENANT_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    meter_ids: _containers.RepeatedScalarFieldContainer[str]
    project: str
    building: str
    floor: str
    tenant: str
    mode: str
    state: str
    def __init__(self, meter_ids: _Optional[_Iterable[str]] = ..., project: _Optional[str] = ..., building: _Optional[str] = ..., floor: _Optional[str] = ..., tenant: _Optional[str] = ..., mode: _Optional[str] = ..., state: _Optional[str] = ...) -> None: ...

class SubmitCommandRequest(_message.Message):
    __slots__ = ("request_id", "meter_id", "operation", "settings", "requested_by", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    METER_ID_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    meter_id: str
    operation: Operation
    settings: SettingPush
    requested_by: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., meter_id: _Optional[str] = ..., operation: _Optional[_Union[Operation, str]] = ..., settings: _Optional[_Union[SettingPush, _Mapping]] = ..., requested_by: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class SubmitCommandReply(_message.Message):
    __slots__ = ("command", "duplicate")
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    command: ControlCommandView
    duplicate: bool
    def __init__(self, command: _Optional[_Union[ControlCommandView, _Mapping]] = ..., duplicate: _Optional[bool] = ...) -> None: ...

class SubmitBatchRequest(_message.Message):
    __slots__ = ("batch_id", "operation", "selection", "settings", "run_at", "requested_by", "reason")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    SELECTION_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    RUN_AT_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    operation: Operation
    selection: MeterSelection
    settings: SettingPush
    run_at: _timestamp_pb2.Timestamp
    requested_by: str
    reason: str
    def __init__(self, batch_id: _Optional[str] = ..., operation: _Optional[_Union[Operation, str]] = ..., selection: _Optional[_Union[MeterSelection, _Mapping]] = ..., settings: _Optional[_Union[SettingPush, _Mapping]] = ..., run_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., requested_by: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class BatchView(_message.Message):
    __slots__ = ("batch_id", "operation", "status", "requested_by", "reason", "created_at", "run_at", "started_at", "finished_at", "total", "queued", "sent", "confirmed", "failed", "cancelled", "selection", "settings")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    RUN_AT_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    QUEUED_FIELD_NUMBER: _ClassVar[int]
    SENT_FIELD_NUMBER: _ClassVar[int]
    CONFIRMED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    SELECTION_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    operation: Operation
    status: str
    requested_by: str
    reason: str
    created_at: _timestamp_pb2.Timestamp
    run_at: _timestamp_pb2.Timestamp
    started_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    total: int
    queued: int
    sent: int
    confirmed: int
    failed: int
    cancelled: int
    selection: MeterSelection
    settings: SettingPush
    def __init__(self, batch_id: _Optional[str] = ..., operation: _Optional[_Union[Operation, str]] = ..., status: _Optional[str] = ..., requested_by: _Optional[str] = ..., reason: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., run_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., total: _Optional[int] = ..., queued: _Optional[int] = ..., sent: _Optional[int] = ..., confirmed: _Optional[int] = ..., failed: _Optional[int] = ..., cancelled: _Optional[int] = ..., selection: _Optional[_Union[MeterSelection, _Mapping]] = ..., settings: _Optional[_Union[SettingPush, _Mapping]] = ...) -> None: ...

class SubmitBatchReply(_message.Message):
    __slots__ = ("batch", "duplicate")
    BATCH_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    batch: BatchView
    duplicate: bool
    def __init__(self, batch: _Optional[_Union[BatchView, _Mapping]] = ..., duplicate: _Optional[bool] = ...) -> None: ...

class ListBatchesRequest(_message.Message):
    __slots__ = ("limit", "cursor")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    limit: int
    cursor: str
    def __init__(self, limit: _Optional[int] = ..., cursor: _Optional[str] = ...) -> None: ...

class ListBatchesReply(_message.Message):
    __slots__ = ("batches", "next_cursor")
    BATCHES_FIELD_NUMBER: _ClassVar[int]
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    batches: _containers.RepeatedCompositeFieldContainer[BatchView]
    next_cursor: str
    def __init__(self, batches: _Optional[_Iterable[_Union[BatchView, _Mapping]]] = ..., next_cursor: _Optional[str] = ...) -> None: ...

class GetBatchRequest(_message.Message):
    __slots__ = ("batch_id", "with_items", "items_limit", "items_cursor")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    WITH_ITEMS_FIELD_NUMBER: _ClassVar[int]
    ITEMS_LIMIT_FIELD_NUMBER: _ClassVar[int]
    ITEMS_CURSOR_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    with_items: bool
    items_limit: int
    items_cursor: str
    def __init__(self, batch_id: _Optional[str] = ..., with_items: _Optional[bool] = ..., items_limit: _Optional[int] = ..., items_cursor: _Optional[str] = ...) -> None: ...

class GetBatchReply(_message.Message):
    __slots__ = ("batch", "items", "next_items_cursor")
    BATCH_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_ITEMS_CURSOR_FIELD_NUMBER: _ClassVar[int]
    batch: BatchView
    items: _containers.RepeatedCompositeFieldContainer[ControlCommandView]
    next_items_cursor: str
    def __init__(self, batch: _Optional[_Union[BatchView, _Mapping]] = ..., items: _Optional[_Iterable[_Union[ControlCommandView, _Mapping]]] = ..., next_items_cursor: _Optional[str] = ...) -> None: ...

class ResendFailedRequest(_message.Message):
    __slots__ = ("batch_id", "command_ids", "requested_by")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    COMMAND_IDS_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    command_ids: _containers.RepeatedScalarFieldContainer[str]
    requested_by: str
    def __init__(self, batch_id: _Optional[str] = ..., command_ids: _Optional[_Iterable[str]] = ..., requested_by: _Optional[str] = ...) -> None: ...

class ResendFailedReply(_message.Message):
    __slots__ = ("resent", "batch")
    RESENT_FIELD_NUMBER: _ClassVar[int]
    BATCH_FIELD_NUMBER: _ClassVar[int]
    resent: int
    batch: BatchView
    def __init__(self, resent: _Optional[int] = ..., batch: _Optional[_Union[BatchView, _Mapping]] = ...) -> None: ...

class CancelBatchRequest(_message.Message):
    __slots__ = ("batch_id", "requested_by")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    requested_by: str
    def __init__(self, batch_id: _Optional[str] = ..., requested_by: _Optional[str] = ...) -> None: ...

class ProtectionWindow(_message.Message):
    __slots__ = ("project", "night_start", "night_end", "weekends", "holidays", "timezone")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    NIGHT_START_FIELD_NUMBER: _ClassVar[int]
    NIGHT_END_FIELD_NUMBER: _ClassVar[int]
    WEEKENDS_FIELD_NUMBER: _ClassVar[int]
    HOLIDAYS_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    project: str
    night_start: str
    night_end: str
    weekends: bool
    holidays: bool
    timezone: str
    def __init__(self, project: _Optional[str] = ..., night_start: _Optional[str] = ..., night_end: _Optional[str] = ..., weekends: _Optional[bool] = ..., holidays: _Optional[bool] = ..., timezone: _Optional[str] = ...) -> None: ...

class SetProtectionWindowReply(_message.Message):
    __slots__ = ("window",)
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    window: ProtectionWindow
    def __init__(self, window: _Optional[_Union[ProtectionWindow, _Mapping]] = ...) -> None: ...

class ListProtectionWindowsRequest(_message.Message):
    __slots__ = ("limit", "cursor")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    limit: int
    cursor: str
    def __init__(self, limit: _Optional[int] = ..., cursor: _Optional[str] = ...) -> None: ...

class ListProtectionWindowsReply(_message.Message):
    __slots__ = ("windows", "next_cursor")
    WINDOWS_FIELD_NUMBER: _ClassVar[int]
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    windows: _containers.RepeatedCompositeFieldContainer[ProtectionWindow]
    next_cursor: str
    def __init__(self, windows: _Optional[_Iterable[_Union[ProtectionWindow, _Mapping]]] = ..., next_cursor: _Optional[str] = ...) -> None: ...

class ExportMeterStatesRequest(_message.Message):
    __slots__ = ("selection",)
    SELECTION_FIELD_NUMBER: _ClassVar[int]
    selection: MeterSelection
    def __init__(self, selection: _Optional[_Union[MeterSelection, _Mapping]] = ...) -> None: ...

class ExportMeterStatesReply(_message.Message):
    __slots__ = ("xlsx", "filename", "rows")
    XLSX_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    xlsx: bytes
    filename: str
    rows: int
    def __init__(self, xlsx: _Optional[bytes] = ..., filename: _Optional[str] = ..., rows: _Optional[int] = ...) -> None: ...

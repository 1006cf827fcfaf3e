import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RegistryEvent(_message.Message):
    __slots__ = ("event_id", "occurred_at", "node", "meter_placed", "tenant_contacts", "lease", "account_placed")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    METER_PLACED_FIELD_NUMBER: _ClassVar[int]
    TENANT_CONTACTS_FIELD_NUMBER: _ClassVar[int]
    LEASE_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_PLACED_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    occurred_at: _timestamp_pb2.Timestamp
    node: NodeChanged
    meter_placed: MeterPlaced
    tenant_contacts: TenantContactsChanged
    lease: LeaseChanged
    account_placed: AccountPlaced
    def __init__(self, event_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., node: _Optional[_Union[NodeChanged, _Mapping]] = ..., meter_placed: _Optional[_Union[MeterPlaced, _Mapping]] = ..., tenant_contacts: _Optional[_Union[TenantContactsChanged, _Mapping]] = ..., lease: _Optional[_Union[LeaseChanged, _Mapping]] = ..., account_placed: _Optional[_Union[AccountPlaced, _Mapping]] = ...) -> None: ...

class NodeChanged(_message.Message):
    __slots__ = ("node_id", "kind", "name", "parent_id", "path", "property_id", "area_m2", "room_use", "change")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PARENT_ID_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    PROPERTY_ID_FIELD_NUMBER: _ClassVar[int]
    AREA_M2_FIELD_NUMBER: _ClassVar[int]
    ROOM_USE_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    kind: str
    name: str
    parent_id: str
    path: str
    property_id: str
    area_m2: str
    room_use: str
    change: str
    def __init__(self, node_id: _Optional[str] = ..., kind: _Optional[str] = ..., name: _Optional[str] = ..., parent_id: _Optional[str] = ..., path: _Optional[str] = ..., property_id: _Optional[str] = ..., area_m2: _Optional[str] = ..., room_use: _Optional[str] = ..., change: _Optional[str] = ...) -> None: ...

class MeterPlaced(_message.Message):
    __slots__ = ("meter_id", "room_id", "property_id", "area_m2", "room_path", "building_id")
    METER_ID_FIELD_NUMBER: _ClassVar[int]
    ROOM_ID_FIELD_NUMBER: _ClassVar[int]
    PROPERTY_ID_FIELD_NUMBER: _ClassVar[int]
    AREA_M2_FIELD_NUMBER: _ClassVar[int]
    ROOM_PATH_FIELD_NUMBER: _ClassVar[int]
    BUILDING_ID_FIELD_NUMBER: _ClassVar[int]
    meter_id: str
    room_id: str
    property_id: str
    area_m2: str
    room_path: str
    building_id: str
    def __init__(self, meter_id: _Optional[str] = ..., room_id: _Optional[str] = ..., property_id: _Optional[str] = ..., area_m2: _Optional[str] = ..., room_path: _Optional[str] = ..., building_id: _Optional[str] = ...) -> None: ...

class TenantContactsChanged(_message.Message):
    __slots__ = ("tenant_id", "name", "phone", "email", "wechat_openid", "language", "property_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    WECHAT_OPENID_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    PROPERTY_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    name: str
    phone: str
    email: str
    wechat_openid: str
    language: str
    property_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., name: _Optional[str] = ..., phone: _Optional[str] = ..., email: _Optional[str] = ..., wechat_openid: _Optional[str] = ..., language: _Optional[str] = ..., property_id: _Optional[str] = ...) -> None: ...

class LeaseChanged(_message.Message):
    __slots__ = ("lease_id", "tenant_id", "room_ids", "starts_on", "ends_on", "property_id")
    LEASE_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    ROOM_IDS_FIELD_NUMBER: _ClassVar[int]
    STARTS_ON_FIELD_NUMBER: _ClassVar[int]
    ENDS_ON_FIELD_NUMBER: _ClassVar[int]
    PROPERTY_ID_FIELD_NUMBER: _ClassVar[int]
    lease_id: str
    tenant_id: str
    room_ids: _containers.RepeatedScalarFieldContainer[str]
    starts_on: str
    ends_on: str
    property_id: str
    def __init__(self, lease_id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., room_ids: _Optional[_Iterable[str]] = ..., starts_on: _Optional[str] = ..., ends_on: _Optional[str] = ..., property_id: _Optional[str] = ...) -> None: ...

class AccountPlaced(_message.Message):
    __slots__ = ("account_id", "tenant_id", "property_id")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    PROPERTY_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    tenant_id: str
    property_id: str
    def __init__(self, account_id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., property_id: _Optional[str] = ...) -> None: ...

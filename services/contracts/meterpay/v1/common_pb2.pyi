from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor

class RelayState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RELAY_STATE_UNSPECIFIED: _ClassVar[RelayState]
    RELAY_STATE_CLOSED: _ClassVar[RelayState]
    RELAY_STATE_OPEN: _ClassVar[RelayState]

class MeterKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    METER_KIND_UNSPECIFIED: _ClassVar[MeterKind]
    METER_KIND_ELECTRICITY: _ClassVar[MeterKind]
    METER_KIND_WATER: _ClassVar[MeterKind]
RELAY_STATE_UNSPECIFIED: RelayState
RELAY_STATE_CLOSED: RelayState
RELAY_STATE_OPEN: RelayState
METER_KIND_UNSPECIFIED: MeterKind
METER_KIND_ELECTRICITY: MeterKind
METER_KIND_WATER: MeterKind

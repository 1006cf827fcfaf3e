import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class WalletEventKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WALLET_EVENT_KIND_UNSPECIFIED: _ClassVar[WalletEventKind]
    WALLET_EVENT_KIND_ARREARS: _ClassVar[WalletEventKind]
    WALLET_EVENT_KIND_RECOVERED: _ClassVar[WalletEventKind]
    WALLET_EVENT_KIND_ALARM_LEVEL: _ClassVar[WalletEventKind]
    WALLET_EVENT_KIND_RECHARGED: _ClassVar[WalletEventKind]
WALLET_EVENT_KIND_UNSPECIFIED: WalletEventKind
WALLET_EVENT_KIND_ARREARS: WalletEventKind
WALLET_EVENT_KIND_RECOVERED: WalletEventKind
WALLET_EVENT_KIND_ALARM_LEVEL: WalletEventKind
WALLET_EVENT_KIND_RECHARGED: WalletEventKind

class WalletEvent(_message.Message):
    __slots__ = ("event_id", "account_id", "meter_ids", "kind", "balance_fen", "alarm_level", "occurred_at", "transfer_id")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    METER_IDS_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FEN_FIELD_NUMBER: _ClassVar[int]
    ALARM_LEVEL_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    account_id: str
    meter_ids: _containers.RepeatedScalarFieldContainer[str]
    kind: WalletEventKind
    balance_fen: int
    alarm_level: int
    occurred_at: _timestamp_pb2.Timestamp
    transfer_id: str
    def __init__(self, event_id: _Optional[str] = ..., account_id: _Optional[str] = ..., meter_ids: _Optional[_Iterable[str]] = ..., kind: _Optional[_Union[WalletEventKind, str]] = ..., balance_fen: _Optional[int] = ..., alarm_level: _Optional[int] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., transfer_id: _Optional[str] = ...) -> None: ...

class OpenAccountRequest(_message.Message):
    __slots__ = ("account_id", "tenant_name", "meter_ids", "opening_balance_fen", "cutoff_fen")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_NAME_FIELD_NUMBER: _ClassVar[int]
    METER_IDS_FIELD_NUMBER: _ClassVar[int]
    OPENING_BALANCE_FEN_FIELD_NUMBER: _ClassVar[int]
    CUTOFF_FEN_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    tenant_name: str
    meter_ids: _containers.RepeatedScalarFieldContainer[str]
    opening_balance_fen: int
    cutoff_fen: int
    def __init__(self, account_id: _Optional[str] = ..., tenant_name: _Optional[str] = ..., meter_ids: _Optional[_Iterable[str]] = ..., opening_balance_fen: _Optional[int] = ..., cutoff_fen: _Optional[int] = ...) -> None: ...

class Account(_message.Message):
    __slots__ = ("account_id", "tenant_name", "meter_ids", "balance_fen", "cutoff_fen", "in_arrears")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_NAME_FIELD_NUMBER: _ClassVar[int]
    METER_IDS_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FEN_FIELD_NUMBER: _ClassVar[int]
    CUTOFF_FEN_FIELD_NUMBER: _ClassVar[int]
    IN_ARREARS_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    tenant_name: str
    meter_ids: _containers.RepeatedScalarFieldContainer[str]
    balance_fen: int
    cutoff_fen: int
    in_arrears: bool
    def __init__(self, account_id: _Optional[str] = ..., tenant_name: _Optional[str] = ..., meter_ids: _Optional[_Iterable[str]] = ..., balance_fen: _Optional[int] = ..., cutoff_fen: _Optional[int] = ..., in_arrears: _Optional[bool] = ...) -> None: ...

class RechargeRequest(_message.Message):
    __slots__ = ("transfer_id", "account_id", "amount_fen", "channel", "operator")
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    account_id: str
    amount_fen: int
    channel: str
    operator: str
    def __init__(self, transfer_id: _Optional[str] = ..., account_id: _Optional[str] = ..., amount_fen: _Optional[int] = ..., channel: _Optional[str] = ..., operator: _Optional[str] = ...) -> None: ...

class RechargeReply(_message.Message):
    __slots__ = ("transfer_id", "balance_fen", "duplicate")
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FEN_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    balance_fen: int
    duplicate: bool
    def __init__(self, transfer_id: _Optional[str] = ..., balance_fen: _Optional[int] = ..., duplicate: _Optional[bool] = ...) -> None: ...

class GetAccountRequest(_message.Message):
    __slots__ = ("account_id",)
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    def __init__(self, account_id: _Optional[str] = ...) -> None: ...

class ListAccountsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListAccountsReply(_message.Message):
    __slots__ = ("accounts",)
    ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    accounts: _containers.RepeatedCompositeFieldContainer[Account]
    def __init__(self, accounts: _Optional[_Iterable[_Union[Account, _Mapping]]] = ...) -> None: ...

class ReconcileRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ReconcileReply(_message.Message):
    __slots__ = ("ok", "total_debits_fen", "total_credits_fen", "accounts_checked", "problems")
    OK_FIELD_NUMBER: _ClassVar[int]
    TOTAL_DEBITS_FEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_CREDITS_FEN_FIELD_NUMBER: _ClassVar[int]
    ACCOUNTS_CHECKED_FIELD_NUMBER: _ClassVar[int]
    PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    ok: bool
    total_debits_fen: int
    total_credits_fen: int
    accounts_checked: int
    problems: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, ok: _Optional[bool] = ..., total_debits_fen: _Optional[int] = ..., total_credits_fen: _Optional[int] = ..., accounts_checked: _Optional[int] = ..., problems: _Optional[_Iterable[str]] = ...) -> None: ...

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
    WALLET_EVENT_KIND_BALANCE: _ClassVar[WalletEventKind]
WALLET_EVENT_KIND_UNSPECIFIED: WalletEventKind
WALLET_EVENT_KIND_ARREARS: WalletEventKind
WALLET_EVENT_KIND_RECOVERED: WalletEventKind
WALLET_EVENT_KIND_ALARM_LEVEL: WalletEventKind
WALLET_EVENT_KIND_RECHARGED: WalletEventKind
WALLET_EVENT_KIND_BALANCE: WalletEventKind

class WalletEvent(_message.Message):
    __slots__ = ("event_id", "account_id", "meter_ids", "kind", "balance_fen", "alarm_level", "occurred_at", "transfer_id", "alarm_repeat_count")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    METER_IDS_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FEN_FIELD_NUMBER: _ClassVar[int]
    ALARM_LEVEL_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    ALARM_REPEAT_COUNT_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    account_id: str
    meter_ids: _containers.RepeatedScalarFieldContainer[str]
    kind: WalletEventKind
    balance_fen: int
    alarm_level: int
    occurred_at: _timestamp_pb2.Timestamp
    transfer_id: str
    alarm_repeat_count: int
    def __init__(self, event_id: _Optional[str] = ..., account_id: _Optional[str] = ..., meter_ids: _Optional[_Iterable[str]] = ..., kind: _Optional[_Union[WalletEventKind, str]] = ..., balance_fen: _Optional[int] = ..., alarm_level: _Optional[int] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., transfer_id: _Optional[str] = ..., alarm_repeat_count: _Optional[int] = ...) -> None: ...

class OpenAccountRequest(_message.Message):
    __slots__ = ("account_id", "tenant_name", "meter_ids", "opening_balance_fen", "cutoff_fen", "project_id", "mode", "settlement", "separate_water", "alarm_thresholds_fen", "alarm_repeats")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_NAME_FIELD_NUMBER: _ClassVar[int]
    METER_IDS_FIELD_NUMBER: _ClassVar[int]
    OPENING_BALANCE_FEN_FIELD_NUMBER: _ClassVar[int]
    CUTOFF_FEN_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_FIELD_NUMBER: _ClassVar[int]
    SEPARATE_WATER_FIELD_NUMBER: _ClassVar[int]
    ALARM_THRESHOLDS_FEN_FIELD_NUMBER: _ClassVar[int]
    ALARM_REPEATS_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    tenant_name: str
    meter_ids: _containers.RepeatedScalarFieldContainer[str]
    opening_balance_fen: int
    cutoff_fen: int
    project_id: str
    mode: str
    settlement: str
    separate_water: bool
    alarm_thresholds_fen: _containers.RepeatedScalarFieldContainer[int]
    alarm_repeats: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, account_id: _Optional[str] = ..., tenant_name: _Optional[str] = ..., meter_ids: _Optional[_Iterable[str]] = ..., opening_balance_fen: _Optional[int] = ..., cutoff_fen: _Optional[int] = ..., project_id: _Optional[str] = ..., mode: _Optional[str] = ..., settlement: _Optional[str] = ..., separate_water: _Optional[bool] = ..., alarm_thresholds_fen: _Optional[_Iterable[int]] = ..., alarm_repeats: _Optional[_Iterable[int]] = ...) -> None: ...

class Account(_message.Message):
    __slots__ = ("account_id", "tenant_name", "meter_ids", "balance_fen", "cutoff_fen", "in_arrears", "project_id", "mode", "settlement", "status", "alarm_level", "water_balance_fen", "alarm_thresholds_fen")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_NAME_FIELD_NUMBER: _ClassVar[int]
    METER_IDS_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FEN_FIELD_NUMBER: _ClassVar[int]
    CUTOFF_FEN_FIELD_NUMBER: _ClassVar[int]
    IN_ARREARS_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ALARM_LEVEL_FIELD_NUMBER: _ClassVar[int]
    WATER_BALANCE_FEN_FIELD_NUMBER: _ClassVar[int]
    ALARM_THRESHOLDS_FEN_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    tenant_name: str
    meter_ids: _containers.RepeatedScalarFieldContainer[str]
    balance_fen: int
    cutoff_fen: int
    in_arrears: bool
    project_id: str
    mode: str
    settlement: str
    status: str
    alarm_level: int
    water_balance_fen: int
    alarm_thresholds_fen: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, account_id: _Optional[str] = ..., tenant_name: _Optional[str] = ..., meter_ids: _Optional[_Iterable[str]] = ..., balance_fen: _Optional[int] = ..., cutoff_fen: _Optional[int] = ..., in_arrears: _Optional[bool] = ..., project_id: _Optional[str] = ..., mode: _Optional[str] = ..., settlement: _Optional[str] = ..., status: _Optional[str] = ..., alarm_level: _Optional[int] = ..., water_balance_fen: _Optional[int] = ..., alarm_thresholds_fen: _Optional[_Iterable[int]] = ...) -> None: ...

class RechargeRequest(_message.Message):
    __slots__ = ("transfer_id", "account_id", "amount_fen", "channel", "operator", "purse")
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    PURSE_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    account_id: str
    amount_fen: int
    channel: str
    operator: str
    purse: str
    def __init__(self, transfer_id: _Optional[str] = ..., account_id: _Optional[str] = ..., amount_fen: _Optional[int] = ..., channel: _Optional[str] = ..., operator: _Optional[str] = ..., purse: _Optional[str] = ...) -> None: ...

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
    __slots__ = ("limit", "cursor")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    limit: int
    cursor: str
    def __init__(self, limit: _Optional[int] = ..., cursor: _Optional[str] = ...) -> None: ...

class ListAccountsReply(_message.Message):
    __slots__ = ("accounts", "next_cursor")
    ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    accounts: _containers.RepeatedCompositeFieldContainer[Account]
    next_cursor: str
    def __init__(self, accounts: _Optional[_Iterable[_Union[Account, _Mapping]]] = ..., next_cursor: _Optional[str] = ...) -> None: ...

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

class OpenAccountsRequest(_message.Message):
    __slots__ = ("accounts",)
    ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    accounts: _containers.RepeatedCompositeFieldContainer[OpenAccountRequest]
    def __init__(self, accounts: _Optional[_Iterable[_Union[OpenAccountRequest, _Mapping]]] = ...) -> None: ...

class OpenAccountsReply(_message.Message):
    __slots__ = ("already_open",)
    ALREADY_OPEN_FIELD_NUMBER: _ClassVar[int]
    already_open: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, already_open: _Optional[_Iterable[str]] = ...) -> None: ...

class RefundRequest(_message.Message):
    __slots__ = ("transfer_id", "account_id", "amount_fen", "channel", "purse")
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    PURSE_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    account_id: str
    amount_fen: int
    channel: str
    purse: str
    def __init__(self, transfer_id: _Optional[str] = ..., account_id: _Optional[str] = ..., amount_fen: _Optional[int] = ..., channel: _Optional[str] = ..., purse: _Optional[str] = ...) -> None: ...

class ReverseRequest(_message.Message):
    __slots__ = ("transfer_id", "reason")
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    reason: str
    def __init__(self, transfer_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ReverseReply(_message.Message):
    __slots__ = ("reversal_transfer_id", "duplicate")
    REVERSAL_TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    reversal_transfer_id: str
    duplicate: bool
    def __init__(self, reversal_transfer_id: _Optional[str] = ..., duplicate: _Optional[bool] = ...) -> None: ...

class BatchRechargeRequest(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[RechargeRequest]
    def __init__(self, items: _Optional[_Iterable[_Union[RechargeRequest, _Mapping]]] = ...) -> None: ...

class BatchRefundRequest(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[RefundRequest]
    def __init__(self, items: _Optional[_Iterable[_Union[RefundRequest, _Mapping]]] = ...) -> None: ...

class BatchReply(_message.Message):
    __slots__ = ("posted",)
    POSTED_FIELD_NUMBER: _ClassVar[int]
    posted: int
    def __init__(self, posted: _Optional[int] = ...) -> None: ...

class CloseAccountRequest(_message.Message):
    __slots__ = ("account_id", "channel")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    channel: str
    def __init__(self, account_id: _Optional[str] = ..., channel: _Optional[str] = ...) -> None: ...

class CloseAccountReply(_message.Message):
    __slots__ = ("paid_back_fen",)
    PAID_BACK_FEN_FIELD_NUMBER: _ClassVar[int]
    paid_back_fen: int
    def __init__(self, paid_back_fen: _Optional[int] = ...) -> None: ...

class TransferOwnershipRequest(_message.Message):
    __slots__ = ("change_id", "account_id", "new_tenant_name", "settle_to_old_owner")
    CHANGE_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    NEW_TENANT_NAME_FIELD_NUMBER: _ClassVar[int]
    SETTLE_TO_OLD_OWNER_FIELD_NUMBER: _ClassVar[int]
    change_id: str
    account_id: str
    new_tenant_name: str
    settle_to_old_owner: bool
    def __init__(self, change_id: _Optional[str] = ..., account_id: _Optional[str] = ..., new_tenant_name: _Optional[str] = ..., settle_to_old_owner: _Optional[bool] = ...) -> None: ...

class TransferOwnershipReply(_message.Message):
    __slots__ = ("settled_fen",)
    SETTLED_FEN_FIELD_NUMBER: _ClassVar[int]
    settled_fen: int
    def __init__(self, settled_fen: _Optional[int] = ...) -> None: ...

class ReplaceMeterRequest(_message.Message):
    __slots__ = ("old_meter_id", "new_meter_id")
    OLD_METER_ID_FIELD_NUMBER: _ClassVar[int]
    NEW_METER_ID_FIELD_NUMBER: _ClassVar[int]
    old_meter_id: str
    new_meter_id: str
    def __init__(self, old_meter_id: _Optional[str] = ..., new_meter_id: _Optional[str] = ...) -> None: ...

class ReplaceMeterReply(_message.Message):
    __slots__ = ("account_id",)
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    def __init__(self, account_id: _Optional[str] = ...) -> None: ...

class SetAlarmPolicyRequest(_message.Message):
    __slots__ = ("account_id", "thresholds_fen", "repeats")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    THRESHOLDS_FEN_FIELD_NUMBER: _ClassVar[int]
    REPEATS_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    thresholds_fen: _containers.RepeatedScalarFieldContainer[int]
    repeats: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, account_id: _Optional[str] = ..., thresholds_fen: _Optional[_Iterable[int]] = ..., repeats: _Optional[_Iterable[int]] = ...) -> None: ...

class SetAlarmPolicyReply(_message.Message):
    __slots__ = ("alarm_level",)
    ALARM_LEVEL_FIELD_NUMBER: _ClassVar[int]
    alarm_level: int
    def __init__(self, alarm_level: _Optional[int] = ...) -> None: ...

class SetSettlementRequest(_message.Message):
    __slots__ = ("account_id", "settlement")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    settlement: str
    def __init__(self, account_id: _Optional[str] = ..., settlement: _Optional[str] = ...) -> None: ...

class SetFeeRatioRequest(_message.Message):
    __slots__ = ("project_id", "fee_ratio")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    FEE_RATIO_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    fee_ratio: str
    def __init__(self, project_id: _Optional[str] = ..., fee_ratio: _Optional[str] = ...) -> None: ...

class Empty(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CreatePaymentOrderRequest(_message.Message):
    __slots__ = ("order_id", "account_id", "channel", "amount_fen", "purse")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    PURSE_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    account_id: str
    channel: str
    amount_fen: int
    purse: str
    def __init__(self, order_id: _Optional[str] = ..., account_id: _Optional[str] = ..., channel: _Optional[str] = ..., amount_fen: _Optional[int] = ..., purse: _Optional[str] = ...) -> None: ...

class PaymentOrder(_message.Message):
    __slots__ = ("order_id", "account_id", "channel", "amount_fen", "status")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    account_id: str
    channel: str
    amount_fen: int
    status: str
    def __init__(self, order_id: _Optional[str] = ..., account_id: _Optional[str] = ..., channel: _Optional[str] = ..., amount_fen: _Optional[int] = ..., status: _Optional[str] = ...) -> None: ...

class SettlePeriodRequest(_message.Message):
    __slots__ = ("account_id", "period")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    period: str
    def __init__(self, account_id: _Optional[str] = ..., period: _Optional[str] = ...) -> None: ...

class BillReply(_message.Message):
    __slots__ = ("bill_id", "status")
    BILL_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    bill_id: str
    status: str
    def __init__(self, bill_id: _Optional[str] = ..., status: _Optional[str] = ...) -> None: ...

class ConfirmBillRequest(_message.Message):
    __slots__ = ("bill_id", "operator")
    BILL_ID_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    bill_id: str
    operator: str
    def __init__(self, bill_id: _Optional[str] = ..., operator: _Optional[str] = ...) -> None: ...

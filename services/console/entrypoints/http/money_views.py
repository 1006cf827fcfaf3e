"""Answer bodies of the account, counter, control and tariff routes (pydantic, for OpenAPI and the page shape
{"items", "next"} every list answers). Every item carries its property_id; money is integer fen."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class AccountOut(BaseModel):
    account_id: str
    property_id: str
    tenant_id: str | None
    tenant_name: str
    status: str
    meter_ids: list[str]
    room_ids: list[str]
    balance_fen: int
    cutoff_fen: int
    alarm_level: int
    in_arrears: bool
    balance_at: str | None
    live: bool                               # the balance is wallet's own (false: the read model's)
    water_balance_fen: int | None = None
    mode: str | None = None
    settlement: str | None = None


class AccountPage(BaseModel):
    items: list[AccountOut]
    next: str


class MovementOut(BaseModel):
    transfer_id: str
    account_id: str
    property_id: str
    kind: str                                # recharge / refund / reversal / opening / closing / ownership
    amount_fen: int
    channel: str
    purse: str
    operator: str
    balance_after_fen: int | None
    reverses_transfer_id: str | None
    created_at: str | None


class MovementPage(BaseModel):
    items: list[MovementOut]
    next: str


class ReceiptOut(BaseModel):
    receipt_no: str
    time: str
    property_id: str
    property_name: str
    room_ids: list[str]
    room_names: list[str]
    tenant_id: str | None
    tenant_name: str
    account_id: str
    meter_ids: list[str]
    transfer_id: str
    kind: str
    kind_zh: str
    amount_fen: int
    amount_yuan: str
    amount_capital: str                      # 大写金额, e.g. 壹佰元整
    channel: str
    channel_zh: str
    operator: str
    balance_after_fen: int | None
    copies: list[str]                        # the three parts of the receipt


class ClosureOut(BaseModel):
    account_id: str
    property_id: str
    status: str
    paid_back_fen: int
    channel: str


class OwnershipOut(BaseModel):
    account_id: str
    property_id: str
    tenant_id: str
    previous_tenant_id: str | None
    settled_fen: int


class MeterReplacementOut(BaseModel):
    account_id: str
    property_id: str
    old_meter_id: str
    new_meter_id: str
    money_account_id: str                    # the account holding the money now


class AccountBatchOut(BaseModel):
    batch_id: str
    kind: str
    items: int
    posted: int
    total_fen: int
    property_id: str | None
    transfer_ids: list[str]


class PaymentOrderOut(BaseModel):
    order_id: str
    account_id: str
    property_id: str
    channel: str
    amount_fen: int
    status: str


class CommandOut(BaseModel):
    command_id: str
    meter_id: str
    property_id: str
    action: str
    status: str
    requested_by: str
    reason: str
    detail: str
    batch_id: str
    created_at: str | None
    completed_at: str | None
    operation: str | None = None
    attempt: int | None = None
    attempt_limit: int | None = None
    relay_state: str | None = None
    attempts: list[dict[str, Any]] | None = None


class CommandPage(BaseModel):
    items: list[CommandOut]
    next: str


class BatchOut(BaseModel):
    batch_id: str
    operation: str
    property_id: str | None
    requested_by: str
    items: int
    created_at: str | None
    status: str | None = None
    reason: str | None = None
    counts: dict[str, int] | None = None


class BatchPage(BaseModel):
    items: list[BatchOut]
    next: str


class PlanOut(BaseModel):
    plan_id: str
    name: str
    property_id: str
    created_by: str
    created_at: str | None
    commodity: str | None = None
    kind: str | None = None


class PlanPage(BaseModel):
    items: list[PlanOut]
    next: str


class PlanVersionOut(BaseModel):
    plan_id: str
    property_id: str
    version_id: str
    effective_from: str
    created: bool


class AssignmentOut(BaseModel):
    plan_id: str
    property_id: str
    meters: int
    assigned: int

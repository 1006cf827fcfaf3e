"""Request bodies of the account, counter, control and tariff routes (pydantic), and the shared bits of those
routes: the Idempotency-Key header, paging errors, answers of idempotent requests.

Amounts are strict integers of fen, 1..100,000,000 (1,000,000 yuan): a string, a float, zero, a negative or a
huge amount is a 422 with the error body and never reaches wallet.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Header, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, field_validator

from services.console.domain.control import Operation
from services.console.domain.money import MAX_AMOUNT_FEN, MAX_BATCH_ITEMS, Channel, Purse

AmountFen = Annotated[int, Field(strict=True, gt=0, le=MAX_AMOUNT_FEN, description="fen, 1..100000000")]
BalanceFen = Annotated[int, Field(strict=True, ge=0, le=MAX_AMOUNT_FEN)]
CutoffFen = Annotated[int, Field(strict=True, ge=-MAX_AMOUNT_FEN, le=MAX_AMOUNT_FEN)]
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"     # no NUL or control characters (PostgreSQL refuses NUL in text)
Id = Annotated[str, Field(min_length=1, max_length=64, pattern=PRINTABLE)]
Text = Annotated[str, Field(max_length=200, pattern=PRINTABLE)]
ObjectId = Annotated[str, Path(min_length=1, max_length=64, pattern=PRINTABLE)]
TransferId = Annotated[str, Path(min_length=1, max_length=200, pattern=PRINTABLE)]
LongId = Annotated[str, Path(min_length=1, max_length=100, pattern=PRINTABLE)]
QueryId = Annotated[str, Query(max_length=64, pattern=PRINTABLE)]
MAX_DEFINITION_CHARS = 20_000
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200,
                                              description="required: the same key acts once and answers the same")]


class CounterMoneyIn(BaseModel):
    amount_fen: AmountFen
    channel: Channel = Channel.CASH
    purse: Purse = Purse.ELECTRICITY


class ReversalIn(BaseModel):
    transfer_id: str = Field(min_length=1, max_length=200, pattern=PRINTABLE)
    reason: str = Field(min_length=1, max_length=200, pattern=PRINTABLE)


class ClosureIn(BaseModel):
    channel: Channel = Channel.CASH


class OwnershipIn(BaseModel):
    tenant_id: Id
    settle_to_old_owner: bool = False


class MeterReplacementIn(BaseModel):
    old_meter_id: Id
    new_meter_id: Id


class OpenAccountIn(BaseModel):
    account_id: Id
    tenant_id: Id
    meter_ids: list[Id] = Field(min_length=1, max_length=50)
    opening_balance_fen: BalanceFen = 0
    cutoff_fen: CutoffFen = 0
    mode: Literal["prepaid", "postpaid"] = "prepaid"
    settlement: Literal["realtime", "month_end"] = "realtime"
    separate_water: bool = False
    alarm_thresholds_fen: list[BalanceFen] = Field(default_factory=list, max_length=5)
    alarm_repeats: list[Annotated[int, Field(strict=True, ge=1, le=10)]] = Field(default_factory=list, max_length=5)
    channel: Channel = Channel.CASH


class BatchItemIn(BaseModel):
    account_id: Id
    amount_fen: AmountFen


class AccountBatchIn(BaseModel):
    kind: Literal["topup", "refund"]
    items: list[BatchItemIn] = Field(min_length=1, max_length=MAX_BATCH_ITEMS)
    channel: Channel = Channel.CASH
    reason: Text = ""


class PaymentOrderIn(BaseModel):
    channel: Literal["wechat", "alipay"]
    amount_fen: AmountFen


class CommandIn(BaseModel):
    meter_id: Id
    operation: Operation
    reason: Text = ""


class BatchIn(BaseModel):
    operation: Operation
    meter_ids: list[Id] = Field(default_factory=list, max_length=5000)
    property_id: Id | None = None
    building_id: Id | None = None
    run_at: datetime | None = None
    reason: Text = ""


class PlanIn(BaseModel):
    plan_id: Id
    name: str = Field(min_length=1, max_length=100, pattern=PRINTABLE)
    property_id: Id
    definition: dict[str, Any] = Field(description="tariff's plan definition, e.g. {\"pricing\": \"single\", "
                                                   "\"price\": \"1.08\"} (see docs/tariffs-and-wallets.md)")

    _definition = field_validator("definition")(lambda cls, value: checked_definition(value))


class PlanVersionIn(BaseModel):
    effective_from: datetime
    definition: dict[str, Any]

    _definition = field_validator("definition")(lambda cls, value: checked_definition(value))


def checked_definition(definition: dict[str, Any]) -> dict[str, Any]:
    """Plain JSON text a database keeps: bounded, without NUL (tariff judges what it means)."""
    encoded = json.dumps(definition, ensure_ascii=False)
    if len(encoded) > MAX_DEFINITION_CHARS or "\\u0000" in json.dumps(definition):
        raise ValueError(f"a plan definition is plain JSON of at most {MAX_DEFINITION_CHARS} characters")
    return definition


class AssignmentIn(BaseModel):
    meter_ids: list[Id] = Field(min_length=1, max_length=5000)
    effective_from: datetime | None = None


def answer(result: tuple[int, dict]) -> JSONResponse:
    """The (status, body) an idempotent request gave (the first time, and every time after)."""
    status, body = result
    return JSONResponse(body, status_code=status)


def page_body(items: list[dict], next_cursor: str) -> dict[str, Any]:
    return {"items": items, "next": next_cursor}

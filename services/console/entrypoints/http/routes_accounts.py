"""Accounts and the counter: /api/v1/accounts (list, open), /accounts/{account_id} (detail with wallet's live
balance), its recharges, refunds, reversals, closure, ownership and meter replacements, its movements and
their receipts, and /account-batches (batch top-up / refund). Requests that move money need an
Idempotency-Key; an account out of the caller's scope for the permission is 404, like an absent one."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from services.console.domain.money import MovementKind
from services.console.domain.scope import Caller, Permission
from services.console.entrypoints.http.deps import AppDeps, app_deps, require
from services.console.entrypoints.http.money_schemas import (
    AccountBatchIn,
    ClosureIn,
    CounterMoneyIn,
    IdempotencyKey,
    MeterReplacementIn,
    ObjectId,
    OpenAccountIn,
    OwnershipIn,
    QueryId,
    ReversalIn,
    TransferId,
    answer,
    page_body,
)
from services.console.entrypoints.http.money_views import (
    AccountBatchOut,
    AccountOut,
    AccountPage,
    ClosureOut,
    MeterReplacementOut,
    MovementOut,
    MovementPage,
    OwnershipOut,
    ReceiptOut,
)
from services.console.repository.money import AccountFilter
from services.console.service import accounts, counter
from services.console.service.accounts import OpenAccount, account_body
from services.console.service.counter import BatchMoney, CounterMoney, movement_body

router = APIRouter(prefix="/api/v1", tags=["accounts"])
Limit = Query(50, ge=1, le=500)
Cursor = Query("", max_length=500)


@router.get("/accounts", response_model=AccountPage)
async def list_accounts(limit: int = Limit, cursor: str = Cursor,
                        tenant_id: QueryId = "", status: str = Query("", pattern="^(|open|closed)$"),
                        in_arrears: bool | None = None, caller: Caller = Depends(require(Permission.VIEW)),
                        deps: AppDeps = Depends(app_deps)) -> dict:
    """Accounts within the caller's scope, by account id (balances as the read model holds them)."""
    page = await accounts.list_accounts(deps, caller, AccountFilter(tenant_id, status, in_arrears), limit,
                                              cursor)
    return page_body([account_body(a) for a in page.items], page.next_cursor)


@router.post("/accounts", status_code=201, response_model=AccountOut)
async def open_account(body: OpenAccountIn, idempotency_key: IdempotencyKey = None,
                       caller: Caller = Depends(require(Permission.SETTINGS)),
                       deps: AppDeps = Depends(app_deps)) -> JSONResponse:
    """开户: a tenant's account over meters placed in his property, with the money paid when opening."""
    cmd = OpenAccount(body.account_id, body.tenant_id, tuple(body.meter_ids), body.opening_balance_fen,
                      body.cutoff_fen, body.mode, body.settlement, body.separate_water,
                      tuple(body.alarm_thresholds_fen), tuple(body.alarm_repeats), str(body.channel))
    return answer(await accounts.open_account(deps, caller, cmd, idempotency_key))


@router.get("/accounts/{account_id}", response_model=AccountOut)
async def get_account(account_id: ObjectId, caller: Caller = Depends(require(Permission.VIEW)),
                      deps: AppDeps = Depends(app_deps)) -> dict:
    return await accounts.account_detail(deps, caller, account_id)


@router.post("/accounts/{account_id}/recharges", status_code=201, response_model=MovementOut)
async def recharge(account_id: ObjectId, body: CounterMoneyIn, idempotency_key: IdempotencyKey = None,
                   caller: Caller = Depends(require(Permission.RECHARGE)),
                   deps: AppDeps = Depends(app_deps)) -> JSONResponse:
    """售电: money received at the counter; answers the movement with the balance after it."""
    money = CounterMoney(body.amount_fen, str(body.channel), str(body.purse))
    return answer(await counter.recharge(deps, caller, account_id, money, idempotency_key))


@router.post("/accounts/{account_id}/refunds", status_code=201, response_model=MovementOut)
async def refund(account_id: ObjectId, body: CounterMoneyIn, idempotency_key: IdempotencyKey = None,
                 caller: Caller = Depends(require(Permission.REFUND)),
                 deps: AppDeps = Depends(app_deps)) -> JSONResponse:
    """退费: money paid back, never more than the balance."""
    money = CounterMoney(body.amount_fen, str(body.channel), str(body.purse))
    return answer(await counter.refund(deps, caller, account_id, money, idempotency_key))


@router.post("/accounts/{account_id}/reversals", status_code=201, response_model=MovementOut)
async def reverse(account_id: ObjectId, body: ReversalIn, idempotency_key: IdempotencyKey = None,
                  caller: Caller = Depends(require(Permission.REVERSE)),
                  deps: AppDeps = Depends(app_deps)) -> JSONResponse:
    """冲正: a recharge, refund or opening of this account corrected by an entry the other way."""
    return answer(await counter.reverse(deps, caller, account_id, body.transfer_id, body.reason, idempotency_key))


@router.post("/accounts/{account_id}/closure", response_model=ClosureOut)
async def close_account(account_id: ObjectId, body: ClosureIn, idempotency_key: IdempotencyKey = None,
                        caller: Caller = Depends(require(Permission.SETTINGS)),
                        deps: AppDeps = Depends(app_deps)) -> JSONResponse:
    """销户: the balance is paid back (final settlement), the meters are freed, the account closes."""
    return answer(await accounts.close_account(deps, caller, account_id, str(body.channel), idempotency_key))


@router.post("/accounts/{account_id}/ownership", response_model=OwnershipOut)
async def transfer_ownership(account_id: ObjectId, body: OwnershipIn, idempotency_key: IdempotencyKey = None,
                             caller: Caller = Depends(require(Permission.SETTINGS)),
                             deps: AppDeps = Depends(app_deps)) -> JSONResponse:
    """过户: the account passes to another tenant of its property (optionally paying out the old owner)."""
    return answer(await accounts.transfer_ownership(deps, caller, account_id, body.tenant_id,
                                                    body.settle_to_old_owner, idempotency_key))


@router.post("/accounts/{account_id}/meter-replacements", response_model=MeterReplacementOut)
async def replace_meter(account_id: ObjectId, body: MeterReplacementIn, idempotency_key: IdempotencyKey = None,
                        caller: Caller = Depends(require(Permission.SETTINGS)),
                        deps: AppDeps = Depends(app_deps)) -> JSONResponse:
    """换表: a new meter takes an old one's place in the account."""
    return answer(await accounts.replace_meter(deps, caller, account_id, body.old_meter_id, body.new_meter_id,
                                               idempotency_key))


@router.get("/accounts/{account_id}/movements", response_model=MovementPage)
async def list_movements(account_id: ObjectId, limit: int = Limit, cursor: str = Cursor,
                         caller: Caller = Depends(require(Permission.VIEW)),
                         deps: AppDeps = Depends(app_deps)) -> dict:
    """The money console moved for the account, newest first."""
    page = await accounts.movements(deps, caller, account_id, limit, cursor)
    return page_body([movement_body(m) for m in page.items], page.next_cursor)


@router.get("/accounts/{account_id}/movements/{transfer_id}/receipt", response_model=ReceiptOut)
async def get_receipt(account_id: ObjectId, transfer_id: TransferId,
                      caller: Caller = Depends(require(Permission.VIEW)),
                      deps: AppDeps = Depends(app_deps)) -> dict:
    """三联单: what the receipt of a recharge, refund or opening prints (amount also in capital numerals)."""
    return await counter.receipt(deps, caller, account_id, transfer_id)


@router.post("/account-batches", status_code=201, response_model=AccountBatchOut)
async def post_account_batch(body: AccountBatchIn, idempotency_key: IdempotencyKey = None,
                             caller: Caller = Depends(require(Permission.BATCH)),
                             deps: AppDeps = Depends(app_deps)) -> JSONResponse:
    """批量退补: top up or refund many accounts, all or nothing; every account must lie in the BATCH scope."""
    batch = BatchMoney(MovementKind.RECHARGE if body.kind == "topup" else MovementKind.REFUND,
                       tuple((i.account_id, i.amount_fen) for i in body.items), str(body.channel), body.reason)
    return answer(await counter.post_batch(deps, caller, batch, idempotency_key))

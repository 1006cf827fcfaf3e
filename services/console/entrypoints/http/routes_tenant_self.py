"""The tenant's own accounts (tenant callers only): /api/v1/me/accounts, /me/accounts/{account_id} (live balance
from wallet), its movements, and payment orders (WeChat Pay / Alipay through wallet). Another tenant's
account is 404, like an absent one."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from services.console.domain.errors import NotFound
from services.console.domain.scope import Caller
from services.console.entrypoints.http.deps import AppDeps, app_deps, current_caller
from services.console.entrypoints.http.money_schemas import (
    IdempotencyKey,
    ObjectId,
    PaymentOrderIn,
    answer,
    page_body,
)
from services.console.entrypoints.http.money_views import AccountOut, AccountPage, MovementPage, PaymentOrderOut
from services.console.repository.money import AccountFilter
from services.console.service import accounts, counter
from services.console.service.accounts import account_body
from services.console.service.counter import movement_body

router = APIRouter(prefix="/api/v1/me", tags=["tenant"])
Limit = Query(50, ge=1, le=500)
Cursor = Query("", max_length=500)


async def tenant_caller(caller: Caller = Depends(current_caller)) -> Caller:
    if not caller.scope.is_tenant:
        raise NotFound("仅限租户使用", "for tenants only")
    return caller


@router.get("/accounts", response_model=AccountPage)
async def my_accounts(limit: int = Limit, cursor: str = Cursor, caller: Caller = Depends(current_caller),
                      deps: AppDeps = Depends(app_deps)) -> dict:
    """The caller's own accounts (an operator owns none: an empty page)."""
    if not caller.scope.is_tenant:
        return page_body([], "")
    page = await accounts.list_accounts(deps, caller, AccountFilter(), limit, cursor)
    return page_body([account_body(a) for a in page.items], page.next_cursor)


@router.get("/accounts/{account_id}", response_model=AccountOut)
async def my_account(account_id: ObjectId, caller: Caller = Depends(tenant_caller),
                     deps: AppDeps = Depends(app_deps)) -> dict:
    """The account with its live balance from wallet."""
    return await accounts.account_detail(deps, caller, account_id)


@router.get("/accounts/{account_id}/movements", response_model=MovementPage)
async def my_movements(account_id: ObjectId, limit: int = Limit, cursor: str = Cursor,
                       caller: Caller = Depends(tenant_caller), deps: AppDeps = Depends(app_deps)) -> dict:
    page = await accounts.movements(deps, caller, account_id, limit, cursor)
    return page_body([movement_body(m) for m in page.items], page.next_cursor)


@router.post("/accounts/{account_id}/payment-orders", status_code=201, response_model=PaymentOrderOut)
async def create_payment_order(account_id: ObjectId, body: PaymentOrderIn, idempotency_key: IdempotencyKey = None,
                               caller: Caller = Depends(tenant_caller),
                               deps: AppDeps = Depends(app_deps)) -> JSONResponse:
    """充值: a payment order to pay with WeChat Pay or Alipay; the account is credited on the payment callback."""
    return answer(await counter.create_payment_order(deps, caller, account_id, body.channel, body.amount_fen,
                                                     idempotency_key))

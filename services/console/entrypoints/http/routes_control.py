"""Control: /api/v1/commands (list, submit), /commands/{command_id} (with its attempts), /batches (list,
submit), /batches/{batch_id}, /batches/{batch_id}/cancel. Submissions need an Idempotency-Key; a meter,
command or batch out of the caller's scope is 404, like an absent one."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from services.console.domain.control import check_status
from services.console.domain.errors import InvalidRequest
from services.console.domain.scope import Caller, Permission
from services.console.entrypoints.http.deps import AppDeps, app_deps, require
from services.console.entrypoints.http.money_schemas import (
    BatchIn,
    CommandIn,
    IdempotencyKey,
    LongId,
    QueryId,
    answer,
    page_body,
)
from services.console.entrypoints.http.money_views import BatchOut, BatchPage, CommandOut, CommandPage
from services.console.service import control
from services.console.service.control import BatchRequest, command_body

router = APIRouter(prefix="/api/v1", tags=["control"])
Limit = Query(50, ge=1, le=500)
Cursor = Query("", max_length=500)


@router.get("/commands", response_model=CommandPage)
async def list_commands(limit: int = Limit, cursor: str = Cursor, meter_id: QueryId = "",
                        status: QueryId = "", caller: Caller = Depends(require(Permission.VIEW)),
                        deps: AppDeps = Depends(app_deps)) -> dict:
    """Commands of meters in the caller's scope, newest first (filters: meter, status)."""
    page = await control.list_commands(deps, caller, meter_id, check_status(status), limit, cursor)
    return page_body([command_body(c) for c in page.items], page.next_cursor)


@router.post("/commands", status_code=201, response_model=CommandOut)
async def submit_command(body: CommandIn, idempotency_key: IdempotencyKey = None,
                         caller: Caller = Depends(require(Permission.CONTROL)),
                         deps: AppDeps = Depends(app_deps)) -> JSONResponse:
    """拉闸 / 合闸 / 保电 / 取消保电 / 恢复预付费 / 关阀 / 开阀 / 立即抄表 on one meter."""
    return answer(await control.submit_command(deps, caller, body.meter_id, body.operation, body.reason,
                                               idempotency_key))


@router.get("/commands/{command_id}", response_model=CommandOut)
async def get_command(command_id: LongId, caller: Caller = Depends(require(Permission.VIEW)),
                      deps: AppDeps = Depends(app_deps)) -> dict:
    """A command with what each attempt got from the device."""
    return await control.command_detail(deps, caller, command_id)


@router.get("/batches", response_model=BatchPage)
async def list_batches(limit: int = Limit, cursor: str = Cursor, caller: Caller = Depends(require(Permission.BATCH)),
                       deps: AppDeps = Depends(app_deps)) -> dict:
    items, next_cursor = await control.list_batches(deps, caller, limit, cursor)
    return page_body(items, next_cursor)


@router.post("/batches", status_code=201, response_model=BatchOut)
async def submit_batch(body: BatchIn, idempotency_key: IdempotencyKey = None,
                       caller: Caller = Depends(require(Permission.BATCH)),
                       deps: AppDeps = Depends(app_deps)) -> JSONResponse:
    """批量操作 over meter ids, or over a property's / building's meters in scope; now or at run_at."""
    if body.property_id and body.building_id:
        raise InvalidRequest("项目与楼栋只能给出其一", "give a property or a building, not both")
    request = BatchRequest(body.operation, tuple(body.meter_ids), body.building_id or body.property_id or "",
                           body.run_at, body.reason)
    return answer(await control.submit_batch(deps, caller, request, idempotency_key))


@router.get("/batches/{batch_id}", response_model=BatchOut)
async def get_batch(batch_id: LongId, caller: Caller = Depends(require(Permission.BATCH)),
                    deps: AppDeps = Depends(app_deps)) -> dict:
    """A batch with control's counts (queued, sent, confirmed, failed, cancelled)."""
    return await control.batch_detail(deps, caller, batch_id)


@router.post("/batches/{batch_id}/cancel", response_model=BatchOut)
async def cancel_batch(batch_id: LongId, caller: Caller = Depends(require(Permission.BATCH)),
                       deps: AppDeps = Depends(app_deps)) -> dict:
    """Cancel what of the batch has not been sent yet."""
    return await control.cancel_batch(deps, caller, batch_id)

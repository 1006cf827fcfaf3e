"""Operators, their grants and the roles: /api/v1/operators, /operators/{operator_id}[/grants],
/grants/{grant_id}, /roles. Everything here needs the OPERATORS permission; whom it reaches is the
scope's answer (an operator out of scope is 404, like an absent one)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from services.console.domain.errors import NotFound
from services.console.domain.scope import Caller, Permission
from services.console.entrypoints.http.deps import AppDeps, app_deps, current_caller, require
from services.console.entrypoints.http.identity_schemas import (
    GrantIn,
    GrantOut,
    GrantPage,
    OperatorIn,
    OperatorOut,
    OperatorPage,
    OperatorPatchIn,
    RoleOut,
    RolePage,
)
from services.console.service import operators
from services.console.service.operators import NewOperator, OperatorChange

router = APIRouter(prefix="/api/v1", tags=["operators"])
may_manage_operators = require(Permission.OPERATORS)
ObjectId = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("/operators", response_model=OperatorPage)
async def list_operators(limit: int = Query(50, ge=1, le=500), cursor: str = Query("", max_length=500),
                         caller: Caller = Depends(may_manage_operators),
                         deps: AppDeps = Depends(app_deps)) -> OperatorPage:
    """Operators with a grant inside the caller's OPERATORS scope, by username."""
    page = await operators.list_operators(deps, caller, limit, cursor)
    return OperatorPage(items=[OperatorOut.of(o) for o in page.items], next=page.next_cursor)


@router.post("/operators", response_model=OperatorOut, status_code=201)
async def create_operator(body: OperatorIn, caller: Caller = Depends(may_manage_operators),
                          deps: AppDeps = Depends(app_deps)) -> OperatorOut:
    """新建操作员 with at least one grant (role at a node within the caller's scope)."""
    cmd = NewOperator(body.username, body.display_name, body.password,
                      tuple((g.role_id, g.node_id) for g in body.grants))
    return OperatorOut.of(await operators.create_operator(deps, caller, cmd))


@router.get("/operators/{operator_id}", response_model=OperatorOut)
async def get_operator(operator_id: ObjectId, caller: Caller = Depends(may_manage_operators),
                       deps: AppDeps = Depends(app_deps)) -> OperatorOut:
    return OperatorOut.of(await operators.get_operator(deps, caller, operator_id))


@router.patch("/operators/{operator_id}", response_model=OperatorOut)
async def change_operator(body: OperatorPatchIn, operator_id: ObjectId,
                          caller: Caller = Depends(may_manage_operators),
                          deps: AppDeps = Depends(app_deps)) -> OperatorOut:
    """Rename, disable / enable (停用/启用) or reset the password (重置密码); the latter two end his sessions."""
    change = OperatorChange(display_name=body.display_name, disabled=body.disabled, password=body.password)
    return OperatorOut.of(await operators.change_operator(deps, caller, operator_id, change))


@router.get("/operators/{operator_id}/grants", response_model=GrantPage)
async def list_grants(operator_id: ObjectId, caller: Caller = Depends(may_manage_operators),
                      deps: AppDeps = Depends(app_deps)) -> GrantPage:
    grants = await operators.list_grants(deps, caller, operator_id)
    return GrantPage(items=[GrantOut.of(g) for g in grants], next="")


@router.post("/operators/{operator_id}/grants", response_model=GrantOut, status_code=201)
async def add_grant(body: GrantIn, operator_id: ObjectId, caller: Caller = Depends(may_manage_operators),
                    deps: AppDeps = Depends(app_deps)) -> GrantOut:
    """授权: a role at a tree node (the whole subtree), never beyond the caller's own scope."""
    return GrantOut.of(await operators.add_grant(deps, caller, operator_id, body.role_id, body.node_id))


@router.delete("/grants/{grant_id}", status_code=204)
async def revoke_grant(grant_id: ObjectId, caller: Caller = Depends(may_manage_operators),
                       deps: AppDeps = Depends(app_deps)) -> Response:
    """撤销授权: applies from the operator's next request."""
    await operators.revoke_grant(deps, caller, grant_id)
    return Response(status_code=204)


@router.get("/roles", response_model=RolePage)
async def list_roles(caller: Caller = Depends(current_caller), deps: AppDeps = Depends(app_deps)) -> RolePage:
    """The roles and their permissions (what a grant can give)."""
    if caller.kind != "operator":
        raise NotFound("无此功能 not available", "not found")
    return RolePage(items=[RoleOut.of(r) for r in await operators.list_roles(deps)], next="")

"""Tenants and leases: GET/POST /api/v1/tenants, GET/PATCH /api/v1/tenants/{tenant_id},
GET/POST /api/v1/tenants/{tenant_id}/leases, PATCH /api/v1/tenants/{tenant_id}/leases/{lease_id}."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from services.console.domain.scope import Caller, Permission
from services.console.entrypoints.http.deps import AppDeps, app_deps, require
from services.console.entrypoints.http.tree_schemas import (
    LeaseCreate,
    LeaseOut,
    LeasePage,
    LeasePatch,
    TenantContactsIn,
    TenantCreate,
    TenantOut,
    TenantPage,
)
from services.console.service import tenants
from services.console.service.tenants import LeaseEdit, LeaseTerms, TenantContacts

router = APIRouter(prefix="/api/v1", tags=["tenants"])
ObjectId = Annotated[str, Path(min_length=1, max_length=64)]
Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[str, Query(max_length=500)]


def _contacts(body: TenantContactsIn) -> TenantContacts:
    return TenantContacts(name=body.name, phone=body.phone, email=body.email, wechat_openid=body.wechat_openid,
                          language=body.language)


@router.get("/tenants", response_model=TenantPage)
async def list_tenants(property_id: Annotated[str | None, Query(max_length=64)] = None,
                       phone: Annotated[str | None, Query(max_length=20)] = None, limit: Limit = 50,
                       cursor: Cursor = "", caller: Caller = Depends(require(Permission.VIEW)),
                       deps: AppDeps = Depends(app_deps)) -> TenantPage:
    """租户: the tenants in the caller's scope (optionally one property's, or by phone number)."""
    page = await tenants.list_tenants(deps.new_uow(), caller.scope, limit, cursor, property_id, phone)
    return TenantPage(items=[TenantOut.of(t) for t in page.items], next=page.next_cursor)


@router.post("/tenants", response_model=TenantOut, status_code=201)
async def create_tenant(body: TenantCreate, caller: Caller = Depends(require(Permission.SETTINGS)),
                        deps: AppDeps = Depends(app_deps)) -> TenantOut:
    """登记租户 in a property the caller may set up."""
    return TenantOut.of(await tenants.create_tenant(deps.new_uow(), caller, body.property_id, _contacts(body),
                                                    deps.clock.now(), body.tenant_id))


@router.get("/tenants/{tenant_id}", response_model=TenantOut)
async def get_tenant(tenant_id: ObjectId, caller: Caller = Depends(require(Permission.VIEW)),
                     deps: AppDeps = Depends(app_deps)) -> TenantOut:
    return TenantOut.of(await tenants.get_tenant(deps.new_uow(), caller.scope, tenant_id))


@router.patch("/tenants/{tenant_id}", response_model=TenantOut)
async def update_tenant(tenant_id: ObjectId, body: TenantContactsIn,
                        caller: Caller = Depends(require(Permission.SETTINGS)),
                        deps: AppDeps = Depends(app_deps)) -> TenantOut:
    """修改租户资料: the fields given (others stay)."""
    return TenantOut.of(await tenants.update_tenant(deps.new_uow(), caller, tenant_id, _contacts(body),
                                                    deps.clock.now()))


@router.get("/tenants/{tenant_id}/leases", response_model=LeasePage)
async def list_leases(tenant_id: ObjectId, limit: Limit = 50, cursor: Cursor = "",
                      caller: Caller = Depends(require(Permission.VIEW)),
                      deps: AppDeps = Depends(app_deps)) -> LeasePage:
    page = await tenants.list_leases(deps.new_uow(), caller.scope, tenant_id, limit, cursor)
    return LeasePage(items=[LeaseOut.of(x) for x in page.items], next=page.next_cursor)


@router.post("/tenants/{tenant_id}/leases", response_model=LeaseOut, status_code=201)
async def sign_lease(tenant_id: ObjectId, body: LeaseCreate, caller: Caller = Depends(require(Permission.SETTINGS)),
                     deps: AppDeps = Depends(app_deps)) -> LeaseOut:
    """签约: rooms of the tenant's property, from a day (to a day, or open-ended)."""
    terms = LeaseTerms(tuple(body.room_ids), body.starts_on, body.ends_on, body.lease_id)
    return LeaseOut.of(await tenants.sign_lease(deps.new_uow(), caller, tenant_id, terms, deps.clock.now()))


@router.patch("/tenants/{tenant_id}/leases/{lease_id}", response_model=LeaseOut)
async def change_lease(tenant_id: ObjectId, lease_id: ObjectId, body: LeasePatch,
                       caller: Caller = Depends(require(Permission.SETTINGS)),
                       deps: AppDeps = Depends(app_deps)) -> LeaseOut:
    """改约: other rooms or dates ("ends_on": null = open-ended)."""
    edit = LeaseEdit(tuple(body.room_ids) if body.room_ids is not None else None, body.starts_on, body.ends_on,
                     change_end="ends_on" in body.model_fields_set)
    return LeaseOut.of(await tenants.change_lease(deps.new_uow(), caller, tenant_id, lease_id, edit,
                                                  deps.clock.now()))

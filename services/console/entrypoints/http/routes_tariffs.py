"""Tariff plans: /api/v1/tariffs (list, create), /tariffs/{plan_id}, /tariffs/{plan_id}/versions (a scheduled
price change), /tariffs/{plan_id}/assignments (price meters by the plan). TARIFF permission; a plan out of
the caller's scope is 404, like an absent one."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from services.console.domain.scope import Caller, Permission
from services.console.entrypoints.http.deps import AppDeps, app_deps, require
from services.console.entrypoints.http.money_schemas import (
    AssignmentIn,
    ObjectId,
    PlanIn,
    PlanVersionIn,
    page_body,
)
from services.console.entrypoints.http.money_views import AssignmentOut, PlanOut, PlanPage, PlanVersionOut
from services.console.service import tariffs
from services.console.service.tariffs import NewPlan

router = APIRouter(prefix="/api/v1", tags=["tariffs"])
may_price = require(Permission.TARIFF)


@router.get("/tariffs", response_model=PlanPage)
async def list_plans(limit: int = Query(50, ge=1, le=500), cursor: str = Query("", max_length=500),
                     caller: Caller = Depends(may_price), deps: AppDeps = Depends(app_deps)) -> dict:
    """Plans of the properties in the caller's scope, by plan id."""
    items, next_cursor = await tariffs.list_plans(deps, caller, limit, cursor)
    return page_body(items, next_cursor)


@router.post("/tariffs", status_code=201, response_model=PlanOut)
async def create_plan(body: PlanIn, caller: Caller = Depends(may_price), deps: AppDeps = Depends(app_deps)) -> dict:
    """A plan (single price, time of use or tiered: tariff's definition) of a property, priced from now."""
    return await tariffs.create_plan(deps, caller, NewPlan(body.plan_id, body.name, body.property_id,
                                                           body.definition))


@router.get("/tariffs/{plan_id}", response_model=PlanOut)
async def get_plan(plan_id: ObjectId, caller: Caller = Depends(may_price), deps: AppDeps = Depends(app_deps)) -> dict:
    return await tariffs.plan_detail(deps, caller, plan_id)


@router.post("/tariffs/{plan_id}/versions", status_code=201, response_model=PlanVersionOut)
async def schedule_price_change(plan_id: ObjectId, body: PlanVersionIn, caller: Caller = Depends(may_price),
                                deps: AppDeps = Depends(app_deps)) -> dict:
    """定时改价: new prices from a future time on (energy used before keeps its prices)."""
    return await tariffs.schedule_price_change(deps, caller, plan_id, body.effective_from, body.definition)


@router.post("/tariffs/{plan_id}/assignments", response_model=AssignmentOut)
async def assign_plan(plan_id: ObjectId, body: AssignmentIn, caller: Caller = Depends(may_price),
                      deps: AppDeps = Depends(app_deps)) -> dict:
    """Price meters of the plan's property by this plan (from effective_from, default now)."""
    return await tariffs.assign_plan(deps, caller, plan_id, body.meter_ids, body.effective_from)

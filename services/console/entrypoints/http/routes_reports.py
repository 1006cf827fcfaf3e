"""Reports (REPORTS permission): GET /api/v1/reports/overview and GET /api/v1/reports/energy (daily energy and
money per property), over the caller's scope, from the read models."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.console.domain.scope import Caller, Permission
from services.console.entrypoints.http.deps import AppDeps, app_deps, require
from services.console.entrypoints.http.live_schemas import EnergyOut, EnergyPage, OverviewOut
from services.console.service import reports

router = APIRouter(prefix="/api/v1", tags=["reports"])
may_report = require(Permission.REPORTS)
FilterId = Annotated[str, Query(max_length=64)]


@router.get("/reports/overview", response_model=OverviewOut)
async def overview(property_id: FilterId = "", caller: Caller = Depends(may_report),
                   deps: AppDeps = Depends(app_deps)) -> OverviewOut:
    """运营概览 of the caller's scope (or of one property in it)."""
    return OverviewOut.of(await reports.overview(deps, caller, property_id), property_id)


@router.get("/reports/energy", response_model=EnergyPage)
async def energy(start: Annotated[date, Query(alias="from", description="first China-time day")],
                 end: Annotated[date, Query(alias="to", description="last China-time day (included)")],
                 property_id: FilterId = "", limit: Annotated[int, Query(ge=1, le=500)] = 50,
                 cursor: Annotated[str, Query(max_length=500)] = "",
                 caller: Caller = Depends(may_report), deps: AppDeps = Depends(app_deps)) -> EnergyPage:
    """Daily energy (Wh) and money (fen) per property, by day then property."""
    page = await reports.energy(deps, caller, start, end, property_id, limit, cursor)
    return EnergyPage(items=[EnergyOut.of(r) for r in page.items], next=page.next_cursor)

"""Meters and their live state: GET /api/v1/meters, GET /api/v1/meters/{meter_id} (read models), and
POST /api/v1/meters/{meter_id}/read-now (立即抄表 through acquisition; CONTROL permission; audited)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from services.console.domain.rooms import MeterFilter
from services.console.domain.scope import Caller, Permission
from services.console.entrypoints.http.deps import AppDeps, app_deps, current_caller, require
from services.console.entrypoints.http.live_schemas import (
    MeterDetailOut,
    MeterPage,
    ReadNowOut,
    json_response,
    meter_body,
    meter_detail_body,
)
from services.console.service import meters

router = APIRouter(prefix="/api/v1", tags=["meters"])
ObjectId = Annotated[str, Path(min_length=1, max_length=64)]
FilterId = Annotated[str, Query(max_length=64)]


@router.get("/meters", response_model=MeterPage)
async def list_meters(property_id: FilterId = "", room_id: FilterId = "",
                      online: Annotated[str, Query(pattern="^(online|offline|unknown)?$")] = "",
                      kind: Annotated[str, Query(pattern="^(electricity|water)?$")] = "",
                      q: Annotated[str, Query(max_length=100, description="meter id or room name contains")] = "",
                      limit: Annotated[int, Query(ge=1, le=500)] = 50,
                      cursor: Annotated[str, Query(max_length=500)] = "",
                      caller: Caller = Depends(current_caller), deps: AppDeps = Depends(app_deps)) -> Response:
    """电表列表: meters by id with their live state and today's figures."""
    flt = MeterFilter(property_id, room_id, online, kind, q.strip())
    page = await meters.list_meters(deps, caller, flt, limit, cursor)
    return json_response({"items": [meter_body(m) for m in page.items], "next": page.next_cursor})


@router.get("/meters/{meter_id}", response_model=MeterDetailOut)
async def get_meter(meter_id: ObjectId, caller: Caller = Depends(current_caller),
                    deps: AppDeps = Depends(app_deps)) -> Response:
    """电表详情: live values, account, today's and this month's figures, recent commands."""
    return json_response(meter_detail_body(await meters.get_meter(deps, caller, meter_id)))


@router.post("/meters/{meter_id}/read-now", response_model=ReadNowOut)
async def read_now(meter_id: ObjectId, caller: Caller = Depends(require(Permission.CONTROL)),
                   deps: AppDeps = Depends(app_deps)) -> ReadNowOut:
    """立即抄表: acquisition reads the meter now; the reading arrives in the live state shortly after."""
    done = await meters.read_now(deps, caller, meter_id)
    return ReadNowOut(meter_id=done.meter_id, read=done.read, failed=done.failed)

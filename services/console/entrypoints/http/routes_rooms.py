"""Rooms with their live state: GET /api/v1/rooms (filters, keyset pages) and GET /api/v1/rooms/{room_id}.

Both answer from the console's read models (no call to another service); the caller's scope decides
which rooms exist (a room out of scope is 404, like an absent one; a tenant sees the rooms of his meters).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from services.console.domain.rooms import RoomFilter, RoomState, parse_room_state
from services.console.domain.scope import Caller
from services.console.entrypoints.http.deps import AppDeps, app_deps, current_caller
from services.console.entrypoints.http.live_schemas import (
    RoomDetailOut,
    RoomPage,
    json_response,
    room_body,
    room_detail_body,
)
from services.console.service import rooms

router = APIRouter(prefix="/api/v1", tags=["rooms"])
ObjectId = Annotated[str, Path(min_length=1, max_length=64)]
FilterId = Annotated[str, Query(max_length=64)]
STATES = "|".join(s.value for s in RoomState)


@router.get("/rooms", response_model=RoomPage)
async def list_rooms(property_id: FilterId = "", building_id: FilterId = "", floor_id: FilterId = "",
                     state: Annotated[str, Query(pattern=f"^({STATES})?$", description=STATES)] = "",
                     q: Annotated[str, Query(max_length=100, description="room name or id contains")] = "",
                     limit: Annotated[int, Query(ge=1, le=500)] = 50,
                     cursor: Annotated[str, Query(max_length=500)] = "",
                     caller: Caller = Depends(current_caller), deps: AppDeps = Depends(app_deps)) -> Response:
    """房间列表: rooms in tree order with their meters' live state, account, tenant and state."""
    flt = RoomFilter(property_id, building_id, floor_id, parse_room_state(state), q.strip())
    page = await rooms.list_rooms(deps, caller, flt, limit, cursor)
    return json_response({"items": [room_body(v) for v in page.items], "next": page.next_cursor})


@router.get("/rooms/{room_id}", response_model=RoomDetailOut)
async def get_room(room_id: ObjectId, caller: Caller = Depends(current_caller),
                   deps: AppDeps = Depends(app_deps)) -> Response:
    """房间详情: meters' live state with today's energy and money, accounts and tenant, recent commands."""
    return json_response(room_detail_body(await rooms.get_room(deps, caller, room_id)))

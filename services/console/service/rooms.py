"""Rooms as operators see them (房间列表 / 房间详情): the read models only, no call to another service."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from services.console.domain.errors import not_found
from services.console.domain.live import china_day
from services.console.domain.rooms import RoomDetail, RoomFilter, RoomView
from services.console.domain.scope import Caller
from services.kit.paging import Page, PageSize

if TYPE_CHECKING:
    from services.console.entrypoints.http.deps import AppDeps

PAGE = PageSize(default=50, maximum=500)
RECENT_COMMANDS = 10


def today(deps: AppDeps) -> date:
    """The China-time day of now: what "today's energy and money" mean."""
    return china_day(deps.clock.now())


async def list_rooms(deps: AppDeps, caller: Caller, flt: RoomFilter, limit: int = 0,
                     cursor: str = "") -> Page[RoomView]:
    """Rooms within the caller's VIEW scope (a tenant: the rooms of his own meters), in tree order, each
    with its meters' live state, its account and tenant, and its state."""
    async with deps.new_uow() as uow:
        return await uow.live.rooms_page(caller.scope, flt, today(deps), PAGE.of(limit), cursor)


async def get_room(deps: AppDeps, caller: Caller, room_id: str) -> RoomDetail:
    """One room: meters' live state with today's energy and money, accounts and tenant, recent commands."""
    day = today(deps)
    async with deps.new_uow() as uow:
        view = await uow.live.get_room(caller.scope, room_id, day)
        if view is None:
            raise not_found("房间", "room", room_id)
        commands = await uow.live.recent_commands(caller.scope, RECENT_COMMANDS, room_id=room_id) if view.meters else []
    return RoomDetail(view, tuple(commands), day)

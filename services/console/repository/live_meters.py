"""Scoped reads of meters (list, detail with the month's figures) and of the commands read model."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, Select, String, bindparam, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from services.console.domain.rooms import CommandRow, MeterDetail, MeterFilter, MeterLive
from services.console.domain.scope import Permission, Scope
from services.console.models import commands, meter_days, meters, nodes
from services.console.repository.live_rooms import (
    ACCOUNT_COLUMNS,
    METER_COLUMNS,
    account_live,
    meter_live,
    meters_with_accounts,
)
from services.console.repository.live_scope import (
    bound_meters_scope,
    like_pattern,
    meters_scope,
    node_path,
    scope_as_params,
)
from services.console.repository.live_sql import CompiledRead, compile_read, fetch
from services.kit.paging import Page, decode_cursor, page_of

ONLINE_FILTERS = {"online": meters.c.online.is_(True), "offline": meters.c.online.is_(False),
                  "unknown": meters.c.online.is_(None)}
COMMAND_COLUMNS = (commands.c.command_id, commands.c.meter_id, commands.c.property_id, commands.c.action,
                   commands.c.status, commands.c.requested_by, commands.c.reason, commands.c.detail,
                   commands.c.batch_id, commands.c.created_at, commands.c.completed_at)


def command_row(r: Any) -> CommandRow:
    return CommandRow(r["command_id"], r["meter_id"], r["property_id"], r["action"], r["status"], r["requested_by"],
                      r["reason"], r["detail"], r["batch_id"], r["created_at"], r["completed_at"])


@lru_cache(maxsize=64)
def recent_commands_read(scope_shape: tuple, by_room: bool) -> CompiledRead:
    """The newest commands of a meter (bound "meter_id") or of a room's meters (bound "room_id")."""
    in_room = select(meters.c.meter_id).where(meters.c.room_id == bindparam("room_id", type_=String))
    of = commands.c.meter_id.in_(in_room) if by_room else commands.c.meter_id == bindparam("meter_id", type_=String)
    return compile_read(select(*COMMAND_COLUMNS)
                        .where(of, bound_meters_scope(scope_shape, commands.c.meter_id, commands.c.path))
                        .order_by(commands.c.created_at.desc(), commands.c.command_id.desc())
                        .limit(bindparam("limit", type_=Integer)))


class MeterQueries:
    session: AsyncSession

    def _meters_select(self, scope: Scope, permission: Permission, *extra: Any) -> Select:
        return (select(*METER_COLUMNS, *ACCOUNT_COLUMNS, nodes.c.name.label("room_name"), *extra)
                .select_from(meters_with_accounts().join(nodes, nodes.c.node_id == meters.c.room_id))
                .where(meters_scope(scope, permission)))

    async def meters_page(self, scope: Scope, flt: MeterFilter, today: date, limit: int, cursor: str,
                          permission: Permission = Permission.VIEW) -> Page[MeterLive]:
        stmt = self._meters_select(scope, permission)
        if flt.property_id:
            stmt = stmt.where(meters.c.path.op("<@")(node_path(flt.property_id)),
                              meters.c.property_id == flt.property_id)
        if flt.room_id:
            stmt = stmt.where(meters.c.room_id == flt.room_id)
        if flt.online:
            stmt = stmt.where(ONLINE_FILTERS[flt.online])
        if flt.kind:
            stmt = stmt.where(meters.c.kind == flt.kind)
        if flt.q:
            pattern = like_pattern(flt.q)
            stmt = stmt.where(or_(meters.c.meter_id.ilike(pattern, escape="\\"),
                                  nodes.c.name.ilike(pattern, escape="\\")))
        if cursor:
            (after,) = decode_cursor(cursor, str)
            stmt = stmt.where(meters.c.meter_id > after)
        stmt = stmt.order_by(meters.c.meter_id).limit(limit + 1)
        rows = (await self.session.execute(stmt, {"today": today})).mappings().all()
        return page_of(rows, limit, lambda r: meter_live(r, r["room_name"]), lambda r: (r["meter_id"],))

    async def get_meter(self, scope: Scope, meter_id: str, today: date,
                        permission: Permission = Permission.VIEW) -> MeterDetail | None:
        """A meter's read model with this month's figures; None when absent or outside the scope."""
        days = meter_days.alias("month_days")
        month = (select(func.coalesce(func.sum(days.c.energy_wh), 0).label("energy"),
                        func.coalesce(func.sum(days.c.amount_fen), 0).label("amount"))
                 .where(days.c.meter_id == meters.c.meter_id, days.c.day >= today.replace(day=1),
                        days.c.day <= today).lateral("month"))
        stmt = (self._meters_select(scope, permission, meters.c.path.label("meter_path"),
                                    month.c.energy, month.c.amount)
                .join(month, true())
                .where(meters.c.meter_id == meter_id))
        r = (await self.session.execute(stmt, {"today": today})).mappings().first()
        if r is None:
            return None
        account = account_live(r) if r["account_id"] and r["status"] is not None else None
        return MeterDetail(meter_live(r, r["room_name"]), account, r["meter_path"], int(r["energy"]), int(r["amount"]))

    async def recent_commands(self, scope: Scope, limit: int, meter_id: str = "", room_id: str = "",
                              permission: Permission = Permission.VIEW) -> list[CommandRow]:
        """The newest `limit` commands of one meter or of one room's meters (details show them)."""
        bound = scope_as_params(scope, permission)
        read = recent_commands_read(bound.shape, bool(room_id))
        rows = await fetch(self.session, read, {**bound.params, "meter_id": meter_id, "room_id": room_id,
                                                "limit": limit})
        return [command_row(r) for r in rows]

"""Scoped reads of rooms and their live state: a page is one query (the page's rooms joined with their meters,
accounts, tenants and today's figures), a room one more; both statements are built once per shape (which scope
kind, which filters) with everything else bound, so a request pays neither statement building nor compiling."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import Date, Integer, Select, String, and_, bindparam, case, false, func, literal, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from services.console.domain.rooms import (
    AccountLive,
    MeterLive,
    RoomFilter,
    RoomRow,
    RoomState,
    RoomView,
    room_view,
)
from services.console.domain.scope import Permission, Scope
from services.console.ltree import Ltree
from services.console.models import account_meters, accounts, meter_days, meters, nodes, tenants
from services.console.repository.live_scope import (
    bound_node_path,
    bound_rooms_scope,
    bound_tenant_meter_ids,
    like_pattern,
    page_rooms_check,
    page_rooms_scope,
    scope_as_params,
    subtree_range,
)
from services.console.repository.live_sql import CompiledRead, compile_read, fetch
from services.kit.paging import Page, decode_cursor, page_of

room = nodes.alias("room")
floor = nodes.alias("floor")

PAGE_COLUMNS = (room.c.node_id, room.c.name, room.c.property_id.label("room_property_id"),
                room.c.parent_id.label("floor_id"), room.c.area_m2, room.c.room_use,
                func.ltree2text(room.c.path, type_=String).label("room_path"))
ROOM_COLUMNS = (room.c.node_id, room.c.name, room.c.property_id.label("room_property_id"),
                floor.c.parent_id.label("building_id"), room.c.parent_id.label("floor_id"), room.c.area_m2,
                room.c.room_use, func.ltree2text(room.c.path, type_=String).label("room_path"))
# A meter's account (and tenant) and its figures of a day, as LATERAL subqueries: one index probe per meter,
# whatever the planner thinks of the size of account_meters (a hash join over all of it costs ~1 ms).
ACCOUNT = (select(account_meters.c.account_id, accounts.c.property_id.label("account_property_id"),
                  accounts.c.tenant_id, func.coalesce(tenants.c.name, "").label("tenant_name"), accounts.c.status,
                  accounts.c.balance_fen, accounts.c.balance_at, accounts.c.cutoff_fen, accounts.c.alarm_level,
                  accounts.c.in_arrears)
           .select_from(account_meters.join(accounts, accounts.c.account_id == account_meters.c.account_id)
                        .outerjoin(tenants, tenants.c.tenant_id == accounts.c.tenant_id))
           .where(account_meters.c.meter_id == meters.c.meter_id).lateral("account"))
_day = meter_days.alias("day")
DAY = (select(_day.c.energy_wh, _day.c.amount_fen)
       .where(_day.c.meter_id == meters.c.meter_id, _day.c.day == bindparam("today", type_=Date)).lateral("today"))
METER_COLUMNS = (meters.c.meter_id, meters.c.room_id, meters.c.property_id, meters.c.kind, meters.c.gateway_id,
                 meters.c.online, meters.c.relay_state, meters.c.control_mode, meters.c.last_read_at,
                 meters.c.total_wh, meters.c.volume_l, meters.c.bands_wh, meters.c.voltage_dv, meters.c.current_ca,
                 meters.c.power_w, meters.c.power_factor_milli, meters.c.status_changed_at,
                 ACCOUNT.c.account_id,
                 func.coalesce(DAY.c.energy_wh, 0).label("today_energy_wh"),
                 func.coalesce(DAY.c.amount_fen, 0).label("today_amount_fen"))
ACCOUNT_COLUMNS = (ACCOUNT.c.account_property_id, ACCOUNT.c.tenant_id, ACCOUNT.c.tenant_name, ACCOUNT.c.status,
                   ACCOUNT.c.balance_fen, ACCOUNT.c.balance_at, ACCOUNT.c.cutoff_fen, ACCOUNT.c.alarm_level,
                   ACCOUNT.c.in_arrears)


def meters_with_accounts():
    """meters -> their account (if any) with its tenant, and the meter's figures of the day bound as "today"."""
    return meters.outerjoin(ACCOUNT, true()).outerjoin(DAY, true())


# Rows are asyncpg Records or SQLAlchemy RowMappings: read by column name.

def meter_live(r: Any, room_name: str = "") -> MeterLive:
    bands = r["bands_wh"]
    return MeterLive(r["meter_id"], r["room_id"], r["property_id"], r["kind"], r["gateway_id"], r["online"],
                     r["relay_state"], r["control_mode"], r["last_read_at"], r["total_wh"], r["volume_l"],
                     tuple(bands) if bands is not None else None, r["voltage_dv"], r["current_ca"], r["power_w"],
                     r["power_factor_milli"], r["status_changed_at"], r["account_id"], int(r["today_energy_wh"]),
                     int(r["today_amount_fen"]), room_name)


def account_live(r: Any) -> AccountLive:
    return AccountLive(r["account_id"], r["account_property_id"], r["tenant_id"], r["tenant_name"], r["status"],
                       r["balance_fen"], r["balance_at"], r["cutoff_fen"], r["alarm_level"], r["in_arrears"])


def room_row(r: Any) -> RoomRow:
    return RoomRow(r["node_id"], r["name"], r["room_property_id"] or "", r["building_id"], r["floor_id"],
                   r["area_m2"], r["room_use"], r["room_path"])


def _room_state_sql():
    """SQL twin of domain.rooms.room_state (the state filter); aggregates over the room's meters."""
    opened = and_(accounts.c.account_id.is_not(None), accounts.c.status == "open")
    agg = (select(func.bool_or(opened).label("opened"),
                  func.bool_or(meters.c.online.is_(False)).label("offline"),
                  func.bool_or(meters.c.control_mode == "guarantee").label("guarantee"),
                  func.bool_or(and_(opened, accounts.c.in_arrears)).label("arrears"),
                  func.max(case((opened, accounts.c.alarm_level))).label("alarm"))
           .select_from(meters.outerjoin(account_meters, account_meters.c.meter_id == meters.c.meter_id)
                        .outerjoin(accounts, accounts.c.account_id == account_meters.c.account_id))
           .where(meters.c.room_id == room.c.node_id).lateral("room_agg"))
    state = case(
        (func.coalesce(agg.c.opened, false()).is_(False), literal(RoomState.NOT_OPENED.value)),
        (func.coalesce(agg.c.offline, false()), literal(RoomState.OFFLINE.value)),
        (func.coalesce(agg.c.guarantee, false()), literal(RoomState.POWER_GUARANTEE.value)),
        (func.coalesce(agg.c.arrears, false()), literal(RoomState.ARREARS_CUT.value)),
        (agg.c.alarm >= 2, literal(RoomState.ALARM_2.value)),
        (agg.c.alarm == 1, literal(RoomState.ALARM_1.value)),
        else_=literal(RoomState.SUPPLY_ON.value))
    return agg, state


@lru_cache(maxsize=256)
def page_read(*shape: Any) -> CompiledRead:
    return compile_read(_page_statement(*shape))


@lru_cache(maxsize=64)
def room_read(scope_shape: tuple) -> CompiledRead:
    return compile_read(_room_statement(scope_shape))


def _page_statement(scope_shape: tuple, by_property: bool, by_building: bool, by_floor: bool, by_text: bool,
                    by_state: bool) -> Select:
    """One page of rooms (limit + 1, in path order) with their meters, accounts and today's figures: one
    statement, built once per shape (how many scope paths, which filters); the values are bound."""
    inner = (select(*PAGE_COLUMNS, func.row_number().over(order_by=room.c.path).label("seq"))
             .where(room.c.kind == "room", page_rooms_scope(scope_shape, room.c.node_id, room.c.path)))
    if by_property:
        inner = inner.where(subtree_range(room.c.path, bound_node_path("property_id")),
                            room.c.property_id == bindparam("property_id", type_=String))
    if by_building:
        inner = inner.where(subtree_range(room.c.path, bound_node_path("building_id")))
    if by_floor:
        inner = inner.where(room.c.parent_id == bindparam("floor_id", type_=String))
    if by_text:
        pattern = bindparam("pattern", type_=String)
        inner = inner.where(or_(room.c.name.ilike(pattern, escape="\\"), room.c.node_id.ilike(pattern, escape="\\")))
    if by_state:
        agg, state = _room_state_sql()
        inner = inner.join(agg, true()).where(state == bindparam("state", type_=String))
    inner = inner.where(room.c.path > bindparam("after", type_=Ltree()))   # "" (the empty path): from the start
    page = inner.order_by(room.c.path).limit(bindparam("limit", type_=Integer)).subquery("page")
    on = meters.c.room_id == page.c.node_id
    if scope_shape[0] == "tenant":
        on = and_(on, meters.c.meter_id.in_(bound_tenant_meter_ids()))
    return (select(*page.c, floor.c.parent_id.label("building_id"), *METER_COLUMNS, *ACCOUNT_COLUMNS)
            .select_from(page.outerjoin(floor, floor.c.node_id == page.c.floor_id)
                         .outerjoin(meters_with_accounts(), on))
            .where(page_rooms_check(scope_shape, page.c.room_path))
            .order_by(page.c.seq, meters.c.meter_id))


def _room_statement(scope_shape: tuple) -> Select:
    on = meters.c.room_id == room.c.node_id
    if scope_shape[0] == "tenant":
        on = and_(on, meters.c.meter_id.in_(bound_tenant_meter_ids()))
    return (select(*ROOM_COLUMNS, *METER_COLUMNS, *ACCOUNT_COLUMNS)
            .select_from(room.outerjoin(floor, floor.c.node_id == room.c.parent_id)
                         .outerjoin(meters_with_accounts(), on))
            .where(room.c.kind == "room", room.c.node_id == bindparam("room_id", type_=String),
                   bound_rooms_scope(scope_shape, room.c.node_id, room.c.path))
            .order_by(meters.c.meter_id))


class RoomQueries:
    session: AsyncSession

    async def rooms_page(self, scope: Scope, flt: RoomFilter, today: date, limit: int, cursor: str,
                         permission: Permission = Permission.VIEW) -> Page[RoomView]:
        """Rooms in tree order (their path), each with its meters, accounts and state: one query."""
        bound = scope_as_params(scope, permission)
        params: dict[str, Any] = {**bound.params, "today": today, "limit": limit + 1, "property_id": flt.property_id,
                                  "building_id": flt.building_id, "floor_id": flt.floor_id,
                                  "pattern": like_pattern(flt.q), "state": flt.state.value if flt.state else "",
                                  "after": ""}
        if cursor:
            (params["after"],) = decode_cursor(cursor, str)
        read = page_read(bound.shape, bool(flt.property_id), bool(flt.building_id), bool(flt.floor_id), bool(flt.q),
                         flt.state is not None)
        grouped: dict[str, list[Any]] = {}
        for r in await fetch(self.session, read, params):
            grouped.setdefault(r["node_id"], []).append(r)
        rooms = list(grouped.values())
        return page_of(rooms, limit, lambda rows: _assemble(room_row(rows[0]), rows),
                       lambda rows: (rows[0]["room_path"],))

    async def get_room(self, scope: Scope, room_id: str, today: date,
                       permission: Permission = Permission.VIEW) -> RoomView | None:
        """One room with its live state; None when absent or outside the scope (the same answer)."""
        bound = scope_as_params(scope, permission)
        rows = await fetch(self.session, room_read(bound.shape), {**bound.params, "room_id": room_id, "today": today})
        if not rows:
            return None
        return _assemble(room_row(rows[0]), rows)


def _assemble(row: RoomRow, rows: list[Any]) -> RoomView:
    """A room from its rows (one per meter; a room without meters has one row without a meter)."""
    meter_rows = [r for r in rows if r["meter_id"] is not None]
    accounts_seen = {r["account_id"]: account_live(r) for r in meter_rows
                     if r["account_id"] and r["status"] is not None}
    return room_view(row, [meter_live(r) for r in meter_rows], list(accounts_seen.values()))

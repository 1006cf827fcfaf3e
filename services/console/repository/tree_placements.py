"""Placements: meters in rooms (the place columns of the `meters` read model) and accounts with tenants
(`accounts` + `account_meters`). The live-state columns of those rows belong to the projections: an
upsert here writes only where things are, never what they read or hold."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, Row, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.console import models
from services.console.domain.placements import (
    AccountPlacement,
    GatewayPlace,
    MeterKind,
    MeterPlacement,
    RoomPlace,
)
from services.console.domain.scope import Permission, Scope
from services.console.ltree import within

M = models.meters
A = models.accounts
AM = models.account_meters
G = models.gateways
N = models.nodes


def chunks(items: list, size: int = 1000) -> list[list]:
    """Multi-row statements in parts (PostgreSQL takes at most 32767 parameters per statement)."""
    return [items[i:i + size] for i in range(0, len(items), size)]


def meter_of(row: Row) -> MeterPlacement:
    return MeterPlacement(meter_id=row.meter_id, room_id=row.room_id, property_id=row.property_id, path=row.path,
                          kind=MeterKind(row.kind), gateway_id=row.gateway_id)


def meters_in(scope: Scope, permission: Permission) -> ColumnElement[bool]:
    """Operators: meters under their grants. A tenant: the meters of their own accounts."""
    if scope.is_tenant:
        return M.c.meter_id.in_(select(AM.c.meter_id).join(A, A.c.account_id == AM.c.account_id)
                                .where(A.c.tenant_id == scope.tenant_id))
    return within(M.c.path, scope.paths(permission))


def accounts_in(scope: Scope, permission: Permission) -> ColumnElement[bool]:
    if scope.is_tenant:
        return A.c.tenant_id == scope.tenant_id
    return within(A.c.path, scope.paths(permission))


class PlacementQueries:
    session: AsyncSession

    async def meter_placement(self, scope: Scope, permission: Permission, meter_id: str) -> MeterPlacement | None:
        row = (await self.session.execute(
            select(M).where(M.c.meter_id == meter_id, meters_in(scope, permission)))).first()
        return meter_of(row) if row else None

    async def meter_placements_by_id(self, meter_ids: Iterable[str]) -> dict[str, MeterPlacement]:
        ids = sorted(set(meter_ids))
        if not ids:
            return {}
        rows = (await self.session.execute(select(M).where(M.c.meter_id.in_(ids)))).all()
        return {row.meter_id: meter_of(row) for row in rows}

    async def meters_under(self, path: str) -> list[MeterPlacement]:
        rows = (await self.session.execute(select(M).where(within(M.c.path, [path])).order_by(M.c.meter_id))).all()
        return [meter_of(row) for row in rows]

    async def room_places(self, room_ids: Iterable[str]) -> dict[str, RoomPlace]:
        """Rooms with the building they are in (a room's parent is a floor, the floor's parent the building)."""
        ids = sorted(set(room_ids))
        if not ids:
            return {}
        floor = aliased(N)
        rows = (await self.session.execute(
            select(N.c.node_id, N.c.property_id, N.c.path, N.c.area_m2, floor.c.parent_id.label("building_id"))
            .join(floor, floor.c.node_id == N.c.parent_id).where(N.c.node_id.in_(ids)))).all()
        return {row.node_id: RoomPlace(row.node_id, row.property_id or "", row.building_id or "", row.path,
                                       "" if row.area_m2 is None else f"{row.area_m2:.2f}") for row in rows}

    async def place_meters(self, meters: list[MeterPlacement]) -> None:
        """Insert or move meters; their live state stays as the projections left it."""
        for part in chunks(meters):
            stmt = pg_insert(M).values([
                {"meter_id": m.meter_id, "room_id": m.room_id, "property_id": m.property_id, "path": m.path,
                 "kind": str(m.kind), "gateway_id": m.gateway_id} for m in part])
            new = stmt.excluded
            await self.session.execute(stmt.on_conflict_do_update(index_elements=[M.c.meter_id], set_={
                "room_id": new.room_id, "property_id": new.property_id, "path": new.path, "kind": new.kind,
                "gateway_id": new.gateway_id, "updated_at": func.now()}))

    async def place_gateways(self, gateways: list[GatewayPlace]) -> None:
        """A gateway lies in the property of its meters; its link state is the projections'."""
        for part in chunks(gateways):
            stmt = pg_insert(G).values([{"gateway_id": g.gateway_id, "property_id": g.property_id, "path": g.path}
                                        for g in part])
            new = stmt.excluded
            await self.session.execute(stmt.on_conflict_do_update(
                index_elements=[G.c.gateway_id], set_={"property_id": new.property_id, "path": new.path},
                where=or_(G.c.property_id != new.property_id, G.c.path != new.path)))

    async def account_placement(self, scope: Scope, permission: Permission,
                                account_id: str) -> AccountPlacement | None:
        row = (await self.session.execute(
            select(A).where(A.c.account_id == account_id, accounts_in(scope, permission)))).first()
        if row is None:
            return None
        return (await self._with_meters([row]))[0]

    async def account_placements_by_id(self, account_ids: Iterable[str]) -> dict[str, AccountPlacement]:
        ids = sorted(set(account_ids))
        if not ids:
            return {}
        rows = (await self.session.execute(select(A).where(A.c.account_id.in_(ids)))).all()
        return {a.account_id: a for a in await self._with_meters(rows)}

    async def accounts_of_meters(self, meter_ids: Iterable[str]) -> dict[str, str]:
        """meter id -> the account it belongs to, for those that belong to one."""
        ids = sorted(set(meter_ids))
        if not ids:
            return {}
        rows = (await self.session.execute(select(AM).where(AM.c.meter_id.in_(ids)))).all()
        return {row.meter_id: row.account_id for row in rows}

    async def place_accounts(self, accounts: list[AccountPlacement]) -> None:
        """Insert or re-place accounts with their meters; balances and alarm state stay the projections'."""
        for part in chunks(accounts):
            stmt = pg_insert(A).values([
                {"account_id": a.account_id, "tenant_id": a.tenant_id, "property_id": a.property_id,
                 "path": a.path, "cutoff_fen": a.cutoff_fen} for a in part])
            new = stmt.excluded
            await self.session.execute(stmt.on_conflict_do_update(index_elements=[A.c.account_id], set_={
                "tenant_id": new.tenant_id, "property_id": new.property_id, "path": new.path,
                "updated_at": func.now()}))
        for part in chunks([(m, a.account_id) for a in accounts for m in a.meter_ids]):
            links = pg_insert(AM).values([{"meter_id": m, "account_id": account_id} for m, account_id in part])
            await self.session.execute(links.on_conflict_do_update(
                index_elements=[AM.c.meter_id], set_={"account_id": links.excluded.account_id}))

    async def _with_meters(self, rows: list[Row]) -> list[AccountPlacement]:
        found = (await self.session.execute(select(AM).where(
            AM.c.account_id.in_([row.account_id for row in rows])).order_by(AM.c.meter_id))).all()
        meters: dict[str, list[str]] = {}
        for link in found:
            meters.setdefault(link.account_id, []).append(link.meter_id)
        return [AccountPlacement(account_id=row.account_id, tenant_id=row.tenant_id, property_id=row.property_id,
                                 path=row.path, cutoff_fen=row.cutoff_fen,
                                 meter_ids=tuple(meters.get(row.account_id, ()))) for row in rows]

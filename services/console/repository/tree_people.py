"""Tenants and leases: scoped reads and pages, writes (a lease's rooms in lease_rooms)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, Row, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.console import models
from services.console.domain.people import Lease, Tenant
from services.console.domain.scope import Permission, Scope
from services.console.ltree import within
from services.console.repository.tree_nodes import cursor_key
from services.kit.paging import Page, page_of

T = models.tenants
L = models.leases
LR = models.lease_rooms


def tenant_of(row: Row) -> Tenant:
    return Tenant(tenant_id=row.tenant_id, name=row.name, phone=row.phone, email=row.email,
                  wechat_openid=row.wechat_openid, language=row.language, property_id=row.property_id,
                  path=row.path)


def tenant_values(tenant: Tenant) -> dict:
    return {"tenant_id": tenant.tenant_id, "name": tenant.name, "phone": tenant.phone, "email": tenant.email,
            "wechat_openid": tenant.wechat_openid, "language": tenant.language,
            "property_id": tenant.property_id, "path": tenant.path}


def tenants_in(scope: Scope, permission: Permission) -> ColumnElement[bool]:
    """Operators: tenants under their grants' paths. A tenant: only themself."""
    if scope.is_tenant:
        return T.c.tenant_id == scope.tenant_id
    return within(T.c.path, scope.paths(permission))


class PeopleQueries:
    session: AsyncSession

    async def tenant(self, scope: Scope, permission: Permission, tenant_id: str) -> Tenant | None:
        row = (await self.session.execute(
            select(T).where(T.c.tenant_id == tenant_id, tenants_in(scope, permission)))).first()
        return tenant_of(row) if row else None

    async def tenants_by_id(self, tenant_ids: Iterable[str]) -> dict[str, Tenant]:
        """Unscoped: the import checks ids against the whole group."""
        ids = sorted(set(tenant_ids))
        if not ids:
            return {}
        rows = (await self.session.execute(select(T).where(T.c.tenant_id.in_(ids)))).all()
        return {row.tenant_id: tenant_of(row) for row in rows}

    async def tenant_page(self, scope: Scope, permission: Permission, limit: int, cursor: str = "",
                          property_id: str | None = None, phone: str | None = None) -> Page[Tenant]:
        query = select(T).where(tenants_in(scope, permission))
        if property_id is not None:
            query = query.where(T.c.property_id == property_id)
        if phone:
            query = query.where(T.c.phone == phone)
        after = cursor_key(cursor, str)
        if after is not None:
            query = query.where(T.c.tenant_id > after[0])
        rows = (await self.session.execute(query.order_by(T.c.tenant_id).limit(limit + 1))).all()
        return page_of(rows, limit, tenant_of, lambda row: (row.tenant_id,))

    async def add_tenants(self, tenants: list[Tenant]) -> None:
        if tenants:
            await self.session.execute(insert(T), [tenant_values(t) for t in tenants])

    async def update_tenants(self, tenants: list[Tenant]) -> None:
        """Write contacts (a tenant's property does not change)."""
        for t in tenants:
            await self.session.execute(update(T).where(T.c.tenant_id == t.tenant_id).values(
                name=t.name, phone=t.phone, email=t.email, wechat_openid=t.wechat_openid, language=t.language,
                updated_at=func.now()))

    async def lease(self, scope: Scope, permission: Permission, lease_id: str) -> Lease | None:
        """A lease whose tenant is in scope."""
        query = (select(L).join(T, T.c.tenant_id == L.c.tenant_id)
                 .where(L.c.lease_id == lease_id, tenants_in(scope, permission)))
        leases = await self._with_rooms((await self.session.execute(query)).all())
        return leases[0] if leases else None

    async def lease_page(self, tenant_id: str, limit: int, cursor: str = "") -> Page[Lease]:
        """A tenant's leases (load the tenant through the scoped tenant() first)."""
        query = select(L).where(L.c.tenant_id == tenant_id)
        after = cursor_key(cursor, str)
        if after is not None:
            query = query.where(L.c.lease_id > after[0])
        rows = (await self.session.execute(query.order_by(L.c.lease_id).limit(limit + 1))).all()
        leases = await self._with_rooms(rows[:limit])
        page = page_of(rows, limit, lambda row: row.lease_id, lambda row: (row.lease_id,))
        return Page(tuple(leases), page.next_cursor)

    async def leases_by_id(self, lease_ids: Iterable[str]) -> dict[str, Lease]:
        ids = sorted(set(lease_ids))
        if not ids:
            return {}
        rows = (await self.session.execute(select(L).where(L.c.lease_id.in_(ids)))).all()
        return {lease.lease_id: lease for lease in await self._with_rooms(rows)}

    async def leases_holding(self, room_ids: Iterable[str]) -> list[Lease]:
        """Every lease holding any of the rooms (to find overlapping leases)."""
        ids = sorted(set(room_ids))
        if not ids:
            return []
        holding = select(LR.c.lease_id).where(LR.c.room_id.in_(ids)).distinct()
        rows = (await self.session.execute(select(L).where(L.c.lease_id.in_(holding)))).all()
        return await self._with_rooms(rows)

    async def add_leases(self, leases: list[Lease]) -> None:
        if not leases:
            return
        await self.session.execute(insert(L), [
            {"lease_id": x.lease_id, "tenant_id": x.tenant_id, "starts_on": x.starts_on, "ends_on": x.ends_on,
             "property_id": x.property_id, "path": x.path} for x in leases])
        await self.session.execute(insert(LR), [{"lease_id": x.lease_id, "room_id": r}
                                                for x in leases for r in x.room_ids])

    async def update_leases(self, leases: list[Lease]) -> None:
        """Write new terms: dates and the rooms held."""
        for x in leases:
            await self.session.execute(update(L).where(L.c.lease_id == x.lease_id).values(
                starts_on=x.starts_on, ends_on=x.ends_on, updated_at=func.now()))
            await self.session.execute(delete(LR).where(LR.c.lease_id == x.lease_id))
            await self.session.execute(insert(LR), [{"lease_id": x.lease_id, "room_id": r} for r in x.room_ids])

    async def _with_rooms(self, rows: list[Row]) -> list[Lease]:
        if not rows:
            return []
        found = (await self.session.execute(select(LR.c.lease_id, LR.c.room_id).where(
            LR.c.lease_id.in_([row.lease_id for row in rows])).order_by(LR.c.room_id))).all()
        rooms: dict[str, list[str]] = {}
        for link in found:
            rooms.setdefault(link.lease_id, []).append(link.room_id)
        return [Lease(lease_id=row.lease_id, tenant_id=row.tenant_id, room_ids=tuple(rooms.get(row.lease_id, ())),
                      starts_on=row.starts_on, ends_on=row.ends_on, property_id=row.property_id, path=row.path)
                for row in rows]

"""Tenants and leases (F-62) as use cases: register a tenant in a property, change their contacts, sign or
change a lease on rooms of that property. Each change is audited and published (registry.events.v1)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from services.console.domain.errors import Conflict, Forbidden, InvalidRequest, not_found
from services.console.domain.people import (
    Lease,
    Tenant,
    check_email,
    check_lease_terms,
    check_openid,
    check_phone,
    parse_language,
)
from services.console.domain.registry import lease_changed, tenant_changed
from services.console.domain.scope import Caller, Permission, Scope
from services.console.domain.tree import NodeKind, check_id, check_name
from services.console.service.audit import entry_for
from services.console.service.tree import PAGE, node_for
from services.console.unit_of_work import ConsoleUnitOfWork
from services.kit.paging import Page


@dataclass(frozen=True)
class TenantContacts:
    """What a tenant is called and how to reach them; None leaves a field as it is (updates)."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None
    wechat_openid: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class LeaseTerms:
    room_ids: tuple[str, ...]
    starts_on: date
    ends_on: date | None = None
    lease_id: str | None = None


@dataclass(frozen=True)
class LeaseEdit:
    room_ids: tuple[str, ...] | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    change_end: bool = False       # True: ends_on is the new end (None = open-ended)


def with_contacts(tenant: Tenant, contacts: TenantContacts) -> Tenant:
    """The tenant with the contacts given, each checked (a phone normalised to 11 digits)."""
    def pick(value: str | None, current: str, check) -> str:
        return current if value is None else check(value)

    return tenant.with_contacts(
        name=pick(contacts.name, tenant.name, check_name), phone=pick(contacts.phone, tenant.phone, check_phone),
        email=pick(contacts.email, tenant.email, check_email),
        wechat_openid=pick(contacts.wechat_openid, tenant.wechat_openid, check_openid),
        language=pick(contacts.language, tenant.language, parse_language))


def tenant_audit(tenant: Tenant) -> dict:
    return {"name": tenant.name, "phone": tenant.phone, "email": tenant.email, "wechat_openid": tenant.wechat_openid,
            "language": tenant.language, "property_id": tenant.property_id}


def lease_audit(lease: Lease) -> dict:
    return {"tenant_id": lease.tenant_id, "room_ids": list(lease.room_ids), "starts_on": lease.starts_on.isoformat(),
            "ends_on": lease.ends_on.isoformat() if lease.ends_on else None}


async def tenant_for(uow: ConsoleUnitOfWork, scope: Scope, tenant_id: str, permission: Permission) -> Tenant:
    tenant = await uow.tree.tenant(scope, Permission.VIEW, tenant_id)
    if tenant is None:
        raise not_found("租户", "tenant", tenant_id)
    if permission != Permission.VIEW and not scope.allows(permission, tenant.path):
        raise Forbidden("无权修改此租户", f"no {permission} permission on tenant {tenant_id}")
    return tenant


async def get_tenant(uow: ConsoleUnitOfWork, scope: Scope, tenant_id: str) -> Tenant:
    """One tenant, if the caller may see them (a tenant: only themself)."""
    async with uow:
        return await tenant_for(uow, scope, tenant_id, Permission.VIEW)


async def list_tenants(uow: ConsoleUnitOfWork, scope: Scope, limit: int = 0, cursor: str = "",
                       property_id: str | None = None, phone: str | None = None) -> Page[Tenant]:
    """The tenants in the caller's scope by id; optionally one property's, or by phone number."""
    phone = check_phone(phone) if phone else None
    async with uow:
        return await uow.tree.tenant_page(scope, Permission.VIEW, PAGE.of(limit), cursor, property_id, phone)


async def create_tenant(uow: ConsoleUnitOfWork, caller: Caller, property_id: str, contacts: TenantContacts,
                        now: datetime, tenant_id: str | None = None) -> Tenant:
    """登记租户: a tenant of a property the caller may set up (zh-CN unless told otherwise)."""
    tenant_id = check_id(tenant_id, "租户编号", "tenant id") if tenant_id else f"T{uuid.uuid4().hex[:12]}"
    if contacts.name is None:
        raise InvalidRequest("租户须有名称", "a tenant needs a name")
    async with uow:
        site = await node_for(uow, caller.scope, property_id, Permission.SETTINGS)
        if site.kind != NodeKind.PROPERTY:
            raise InvalidRequest(f"租户属于项目, 而{property_id}不是项目",
                                 f"tenants belong to a property, {property_id} is none")
        blank = Tenant(tenant_id, "", "", "", "", "zh-CN", site.node_id, site.path)
        tenant = with_contacts(blank, contacts)
        if await uow.tree.tenants_by_id([tenant_id]):
            raise Conflict(f"租户编号已存在: {tenant_id}", f"tenant id already in use: {tenant_id}")
        await uow.tree.add_tenants([tenant])
        await uow.audit.record(entry_for(caller, "tenant.create", "tenant", tenant_id, tenant.path,
                                         after=tenant_audit(tenant)))
        await uow.publish(tenant_changed(tenant, now))
        await uow.commit()
    return tenant


async def update_tenant(uow: ConsoleUnitOfWork, caller: Caller, tenant_id: str, contacts: TenantContacts,
                        now: datetime) -> Tenant:
    """修改租户资料: name and contacts; the same values again change nothing and publish nothing."""
    async with uow:
        tenant = await tenant_for(uow, caller.scope, tenant_id, Permission.SETTINGS)
        after = with_contacts(tenant, contacts)
        if after == tenant:
            return tenant
        await uow.tree.update_tenants([after])
        await uow.audit.record(entry_for(caller, "tenant.update", "tenant", tenant_id, tenant.path,
                                         before=tenant_audit(tenant), after=tenant_audit(after)))
        await uow.publish(tenant_changed(after, now))
        await uow.commit()
    return after


async def list_leases(uow: ConsoleUnitOfWork, scope: Scope, tenant_id: str, limit: int = 0,
                      cursor: str = "") -> Page[Lease]:
    """A tenant's leases, if the caller may see the tenant."""
    async with uow:
        tenant = await tenant_for(uow, scope, tenant_id, Permission.VIEW)
        return await uow.tree.lease_page(tenant.tenant_id, PAGE.of(limit), cursor)


async def sign_lease(uow: ConsoleUnitOfWork, caller: Caller, tenant_id: str, terms: LeaseTerms,
                     now: datetime) -> Lease:
    """签约: the tenant leases rooms of their property, from a day (to a day, or open-ended).

    A room is leased to one tenant at a time: a period overlapping another lease of the room is a conflict.
    """
    lease_id = check_id(terms.lease_id, "租约编号", "lease id") if terms.lease_id else f"L{uuid.uuid4().hex[:12]}"
    async with uow:
        tenant = await tenant_for(uow, caller.scope, tenant_id, Permission.SETTINGS)
        lease = Lease(lease_id, tenant.tenant_id, check_lease_terms(terms.room_ids, terms.starts_on, terms.ends_on),
                      terms.starts_on, terms.ends_on, tenant.property_id, tenant.path)
        if await uow.tree.leases_by_id([lease_id]):
            raise Conflict(f"租约编号已存在: {lease_id}", f"lease id already in use: {lease_id}")
        await _check_rooms(uow, caller.scope, lease)
        await uow.tree.add_leases([lease])
        await uow.audit.record(entry_for(caller, "lease.sign", "lease", lease_id, lease.path, after=lease_audit(lease)))
        await uow.publish(lease_changed(lease, now))
        await uow.commit()
    return lease


async def change_lease(uow: ConsoleUnitOfWork, caller: Caller, tenant_id: str, lease_id: str, edit: LeaseEdit,
                       now: datetime) -> Lease:
    """改约: other rooms or dates (e.g. end a lease); the same terms again change nothing."""
    async with uow:
        tenant = await tenant_for(uow, caller.scope, tenant_id, Permission.SETTINGS)
        lease = await uow.tree.lease(caller.scope, Permission.VIEW, lease_id)
        if lease is None or lease.tenant_id != tenant.tenant_id:
            raise not_found("租约", "lease", lease_id)
        starts_on = edit.starts_on or lease.starts_on
        ends_on = edit.ends_on if edit.change_end else lease.ends_on
        rooms = check_lease_terms(edit.room_ids if edit.room_ids is not None else lease.room_ids, starts_on, ends_on)
        after = Lease(lease.lease_id, lease.tenant_id, rooms, starts_on, ends_on, lease.property_id, lease.path)
        if after == lease:
            return lease
        await _check_rooms(uow, caller.scope, after)
        await uow.tree.update_leases([after])
        await uow.audit.record(entry_for(caller, "lease.change", "lease", lease_id, lease.path,
                                         before=lease_audit(lease), after=lease_audit(after)))
        await uow.publish(lease_changed(after, now))
        await uow.commit()
    return after


async def _check_rooms(uow: ConsoleUnitOfWork, scope: Scope, lease: Lease) -> None:
    """Rooms of the tenant's property, the caller's to set up, and free for the lease's period."""
    rooms = await uow.tree.nodes_by_id(lease.room_ids)
    for room_id in lease.room_ids:
        room = rooms.get(room_id)
        if room is None or not scope.allows(Permission.SETTINGS, room.path) or room.kind != NodeKind.ROOM:
            raise not_found("房间", "room", room_id)
        if room.property_id != lease.property_id:
            raise InvalidRequest(f"房间{room_id}不在租户所属项目{lease.property_id}",
                                 f"room {room_id} is not in the tenant's property {lease.property_id}")
    for other in await uow.tree.leases_holding(lease.room_ids):
        if other.lease_id != lease.lease_id and other.overlaps(lease.starts_on, lease.ends_on):
            shared = sorted(set(other.room_ids) & set(lease.room_ids))
            raise Conflict(f"房间{', '.join(shared)}在该期间已租给{other.tenant_id}",
                           f"room {', '.join(shared)} is leased to {other.tenant_id} in that period")

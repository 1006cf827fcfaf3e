"""The tenants sheet: tenants of a property and, when rooms are given, their lease (one per tenant line).

A tenant's property is the property of their rooms (or the property_id column when they lease none);
an existing tenant stays in theirs. A room is leased to one tenant at a time: overlapping periods on one
room, in the sheet or against leases that exist, are reported.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.console.domain.errors import ConsoleError
from services.console.domain.onboarding_model import Planned, planned
from services.console.domain.onboarding_rows import TenantRow
from services.console.domain.onboarding_sheets import Problems
from services.console.domain.onboarding_tree import TreePlan
from services.console.domain.people import Lease, Tenant, check_lease_terms, lease_id_for
from services.console.domain.scope import Permission


@dataclass(frozen=True)
class PeoplePlan:
    tenants: tuple[Planned[Tenant], ...]
    leases: tuple[Planned[Lease], ...]
    by_id: dict[str, Tenant]               # the sheet's tenants as they will be
    bad_tenants: frozenset[str]


def plan_people(rows: list[TenantRow], bad_tenants: set[str], tree: TreePlan, problems: Problems) -> PeoplePlan:
    tenants: list[Planned[Tenant]] = []
    leases: list[Planned[Lease]] = []
    lines: dict[str, int] = {}
    for row in rows:
        if row.tenant_id in lines:
            problems.add("tenants", row.line, f"租户编号{row.tenant_id}重复, 见第{lines[row.tenant_id]}行",
                         f"tenant {row.tenant_id} repeats line {lines[row.tenant_id]}")
            continue
        lines[row.tenant_id] = row.line
        tenant = _tenant(row, tree, problems)
        lease = _lease(row, tenant, tree, problems) if tenant else None
        if tenant is None or (row.room_ids and lease is None):
            bad_tenants.add(row.tenant_id)
            continue
        tenants.append(planned(tree.existing.tenants.get(tenant.tenant_id), tenant, row.line))
        if lease is not None:
            leases.append(planned(tree.existing.leases.get(lease.lease_id), lease, row.line))
    _check_overlaps(leases, tree, problems)
    return PeoplePlan(tuple(tenants), tuple(leases), {p.item.tenant_id: p.item for p in tenants},
                      frozenset(bad_tenants))


def _tenant(row: TenantRow, tree: TreePlan, problems: Problems) -> Tenant | None:
    found = {room_id: tree.room(room_id) for room_id in row.room_ids}
    unknown = [room_id for room_id, place in found.items() if place is None]
    for room_id in unknown:
        if room_id not in tree.bad_rooms:   # a room on a rejected line is reported there
            problems.add("tenants", row.line, f"房间{room_id}不存在或不在您的设置权限内",
                         f"room {room_id} is not found or not yours to set up")
    if unknown:
        return None
    sites = sorted({place.property_id for place in found.values() if place is not None} | (
        {row.property_id} if row.property_id else set()))
    if len(sites) != 1:
        zh = "租户的房间须在同一项目" if sites else "未租房间的租户须填写项目编号 property_id"
        en = f"a tenant's rooms lie in one property, not {', '.join(sites)}" if sites else \
            "a tenant without rooms needs a property_id"
        problems.add("tenants", row.line, zh, en)
        return None
    site = tree.site(sites[0])
    if site is None:
        problems.add("tenants", row.line, f"项目{sites[0]}不存在或不在您的设置权限内",
                     f"property {sites[0]} is not found or not yours to set up")
        return None
    tenant = Tenant(row.tenant_id, row.name, row.phone, row.email, row.wechat_openid, row.language, site.node_id,
                    site.path)
    before = tree.existing.tenants.get(row.tenant_id)
    if before is not None and not tree.scope.allows(Permission.SETTINGS, before.path):
        problems.add("tenants", row.line, f"租户编号{row.tenant_id}已被使用", f"tenant id {row.tenant_id} is taken")
        return None
    if before is not None and before.property_id != tenant.property_id:
        problems.add("tenants", row.line, f"租户{row.tenant_id}属于项目{before.property_id}, 不能改到{site.node_id}",
                     f"tenant {row.tenant_id} belongs to property {before.property_id}, not {site.node_id}")
        return None
    return tenant


def _lease(row: TenantRow, tenant: Tenant, tree: TreePlan, problems: Problems) -> Lease | None:
    if not row.room_ids:
        if row.lease_from or row.lease_to:
            problems.add("tenants", row.line, "填写了租期但没有房间", "lease dates without rooms")
        return None
    if row.lease_from is None:
        problems.add("tenants", row.line, "租了房间须填写租期开始 lease_from", "rooms leased need a lease_from date")
        return None
    try:
        rooms = check_lease_terms(row.room_ids, row.lease_from, row.lease_to)
    except ConsoleError as error:
        problems.of("tenants", row.line, error)
        return None
    lease = Lease(lease_id_for(tenant.tenant_id), tenant.tenant_id, rooms, row.lease_from, row.lease_to,
                  tenant.property_id, tenant.path)
    before = tree.existing.leases.get(lease.lease_id)
    if before is not None and before.tenant_id != tenant.tenant_id:
        problems.add("tenants", row.line, f"租约编号{lease.lease_id}已属于其他租户",
                     f"lease {lease.lease_id} belongs to another tenant")
        return None
    return lease


def _check_overlaps(leases: list[Planned[Lease]], tree: TreePlan, problems: Problems) -> None:
    """One tenant per room at a time: the sheet's leases, and the ones that exist (unless the sheet redoes them)."""
    ours = {p.item.lease_id for p in leases}
    holders: dict[str, list[tuple[Lease, int]]] = {}
    for other in tree.existing.leases.values():
        if other.lease_id not in ours:
            for room_id in other.room_ids:
                holders.setdefault(room_id, []).append((other, 0))
    for each in leases:
        lease = each.item
        for room_id in lease.room_ids:
            for other, line in holders.get(room_id, []):
                if other.tenant_id != lease.tenant_id and other.overlaps(lease.starts_on, lease.ends_on):
                    where = f"第{line}行" if line else "现有租约"
                    problems.add("tenants", each.line,
                                 f"房间{room_id}在该租期已租给{other.tenant_id}({where})",
                                 f"room {room_id} is leased to {other.tenant_id} in that period "
                                 f"({f'line {line}' if line else 'existing lease ' + other.lease_id})")
            holders.setdefault(room_id, []).append((lease, each.line))

"""The console side of an onboarding: what of the workbook's ids exists, and writing a checked plan in one
transaction with the registry events of what changed (nothing, on a re-run)."""

from __future__ import annotations

from datetime import datetime

from services.console.domain.onboarding import OnboardingPlan, referenced
from services.console.domain.onboarding_model import Change, Existing, Planned, Referenced
from services.console.domain.registry import (
    RegistryEvent,
    account_placed,
    lease_changed,
    meter_placed,
    node_changed,
    tenant_changed,
)
from services.console.domain.tree import Node
from services.console.unit_of_work import ConsoleUnitOfWork


async def load_existing(uow: ConsoleUnitOfWork, ids: Referenced) -> Existing:
    """What of the named ids exists (inside the caller's unit of work), with the properties of those nodes."""
    tree = uow.tree
    nodes = await tree.nodes_by_id(ids.node_ids)
    sites = {n.property_id for n in nodes.values() if n.property_id} - set(nodes)
    nodes |= await tree.nodes_by_id(sites)
    leases = await tree.leases_by_id(ids.lease_ids)
    for lease in await tree.leases_holding(ids.room_ids):
        leases.setdefault(lease.lease_id, lease)
    meters = await tree.meter_placements_by_id(ids.meter_ids)
    accounts = await tree.account_placements_by_id(ids.account_ids)
    held = {m for a in accounts.values() for m in a.meter_ids}
    rooms = {n.node_id for n in nodes.values() if n.kind == "room"}
    return Existing(nodes=nodes, roots=tuple(await tree.roots()), room_places=await tree.room_places(rooms),
                    tenants=await tree.tenants_by_id(ids.tenant_ids), leases=leases, meters=meters,
                    accounts=accounts, meter_accounts=await tree.accounts_of_meters(ids.meter_ids | held))


def _changed(items: tuple[Planned, ...], change: Change) -> list:
    return [p.item for p in items if p.change == change]


async def write_plan(uow: ConsoleUnitOfWork, plan: OnboardingPlan, now: datetime) -> list[RegistryEvent]:
    """Write what the plan creates or updates (in this unit of work); returns the events it publishes."""
    tree = uow.tree
    await tree.add_nodes(_changed(plan.nodes, Change.CREATED))
    await tree.update_nodes(_changed(plan.nodes, Change.UPDATED))
    await tree.add_tenants(_changed(plan.tenants, Change.CREATED))
    await tree.update_tenants(_changed(plan.tenants, Change.UPDATED))
    await tree.add_leases(_changed(plan.leases, Change.CREATED))
    await tree.update_leases(_changed(plan.leases, Change.UPDATED))
    await tree.place_meters([p.item for p in plan.meters if p.change != Change.UNCHANGED])
    await tree.place_gateways(list(plan.gateways))
    await tree.place_accounts([p.item for p in plan.accounts if p.change != Change.UNCHANGED])
    events = registry_events(plan, now)
    await uow.publish(*events)
    return events


def registry_events(plan: OnboardingPlan, now: datetime) -> list[RegistryEvent]:
    """One event per item that changed, parents before children, tenants before leases and accounts."""
    events: list[RegistryEvent] = [node_changed(p.item, _node_change(p), now) for p in plan.nodes
                                   if p.change != Change.UNCHANGED]
    events += [tenant_changed(p.item, now) for p in plan.tenants if p.change != Change.UNCHANGED]
    events += [lease_changed(p.item, now) for p in plan.leases if p.change != Change.UNCHANGED]
    events += [meter_placed(p.item, plan.rooms[p.item.room_id], now) for p in plan.meters
               if p.change != Change.UNCHANGED]
    events += [account_placed(p.item, now) for p in plan.accounts if p.change != Change.UNCHANGED]
    return events


def _node_change(item: Planned[Node]) -> str:
    if item.before is None:
        return "created"
    return "renamed" if item.before.name != item.item.name else "updated"


__all__ = ["load_existing", "referenced", "registry_events", "write_plan"]

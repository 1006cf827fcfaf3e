"""Onboarding (开通导入): one workbook brings a whole building online, all or nothing.

Sheets rooms (the tree), tenants (with their lease), meters (placed in rooms, registered in acquisition)
and accounts (of tenants, opened in wallet). Everything is checked before anything is written anywhere:
each line by itself, the references across sheets and to what exists, duplicates, the caller's SETTINGS
scope. The answer is a plan saying, item by item, what is created, updated or unchanged (a re-run of the
same workbook is unchanged throughout), or OnboardingRejected listing every bad line in Chinese and English.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from services.console.domain.onboarding_devices import plan_accounts, plan_meters
from services.console.domain.onboarding_model import (
    AccountOpening,
    Existing,
    GroupSpec,
    MeterDevice,
    Planned,
    Referenced,
    counts,
)
from services.console.domain.onboarding_people import plan_people
from services.console.domain.onboarding_rows import account_row, meter_row, room_row, tenant_row
from services.console.domain.onboarding_sheets import OnboardingRejected, Problems, SheetRow, WorkbookRows
from services.console.domain.onboarding_tree import plan_tree
from services.console.domain.people import Lease, Tenant, lease_id_for, split_list
from services.console.domain.placements import AccountPlacement, GatewayPlace, MeterPlacement, RoomPlace
from services.console.domain.scope import Scope
from services.console.domain.tree import Node

R = TypeVar("R")


@dataclass(frozen=True)
class OnboardingPlan:
    nodes: tuple[Planned[Node], ...]
    tenants: tuple[Planned[Tenant], ...]
    leases: tuple[Planned[Lease], ...]
    meters: tuple[Planned[MeterPlacement], ...]
    accounts: tuple[Planned[AccountPlacement], ...]
    devices: tuple[MeterDevice, ...]          # for acquisition, in the meters sheet's order
    openings: tuple[AccountOpening, ...]      # for wallet
    gateways: tuple[GatewayPlace, ...]
    rooms: dict[str, RoomPlace]               # the meters' rooms

    def counts(self) -> dict[str, dict[str, int]]:
        return {"nodes": counts(self.nodes), "tenants": counts(self.tenants), "leases": counts(self.leases),
                "meters": counts(self.meters), "accounts": counts(self.accounts)}


def referenced(rows: WorkbookRows, group: GroupSpec) -> Referenced:
    """Every id the workbook names (raw, before checking), to load what of them exists."""
    def cells(sheet: tuple[SheetRow, ...], key: str) -> set[str]:
        return {row.get(key) for row in sheet if row.get(key)}

    def lists(sheet: tuple[SheetRow, ...], key: str) -> set[str]:
        return {item for row in sheet for item in split_list(row.get(key))}

    buildings = {f"{r.get('property_id')}-{r.get('building')}" for r in rows.rooms}
    floors = {f"{r.get('property_id')}-{r.get('building')}-{r.get('floor')}" for r in rows.rooms}
    leased = lists(rows.tenants, "room_ids")
    nodes = ({group.node_id} | cells(rows.rooms, "region_id") | cells(rows.rooms, "property_id") | buildings | floors
             | cells(rows.rooms, "room_id") | leased | cells(rows.meters, "room_id")
             | cells(rows.tenants, "property_id"))
    tenants = cells(rows.tenants, "tenant_id")
    return Referenced(node_ids=frozenset(nodes), tenant_ids=frozenset(tenants | cells(rows.accounts, "tenant_id")),
                      lease_ids=frozenset(lease_id_for(t) for t in tenants), room_ids=frozenset(leased),
                      meter_ids=frozenset(cells(rows.meters, "meter_id") | lists(rows.accounts, "meter_ids")),
                      account_ids=frozenset(cells(rows.accounts, "account_id")))


def _lines(sheet: tuple[SheetRow, ...], parse: Callable[[SheetRow, Problems], R | None], key: str,
           problems: Problems) -> tuple[list[R], set[str]]:
    """The lines that check by themselves, and the ids on the ones that do not."""
    good: list[R] = []
    bad: set[str] = set()
    for row in sheet:
        parsed = parse(row, problems)
        if parsed is None:
            bad.add(row.get(key))
        else:
            good.append(parsed)
    return good, bad


def plan_onboarding(rows: WorkbookRows, existing: Existing, scope: Scope,
                    group: GroupSpec = GroupSpec()) -> OnboardingPlan:
    """The plan of a workbook against the registry as it is, or OnboardingRejected with every bad line."""
    problems = Problems()
    if not (rows.rooms or rows.tenants or rows.meters or rows.accounts):
        problems.add("rooms", 1, "工作簿中没有任何数据行", "the workbook has no rows")
    rooms, bad_rooms = _lines(rows.rooms, room_row, "room_id", problems)
    tenants, bad_tenants = _lines(rows.tenants, tenant_row, "tenant_id", problems)
    meter_rows, bad_meters = _lines(rows.meters, meter_row, "meter_id", problems)
    account_rows, _ = _lines(rows.accounts, account_row, "account_id", problems)
    tree = plan_tree(rooms, bad_rooms, existing, scope, group, problems)
    people = plan_people(tenants, bad_tenants, tree, problems)
    meters = plan_meters(meter_rows, bad_meters, tree, problems)
    accounts = plan_accounts(account_rows, tree, people, meters, problems)
    if problems:
        raise OnboardingRejected(problems.found)
    return OnboardingPlan(nodes=tree.nodes, tenants=people.tenants, leases=people.leases, meters=meters.meters,
                          accounts=accounts.accounts, devices=meters.devices, openings=accounts.openings,
                          gateways=meters.gateways, rooms=meters.rooms)

"""The meters and accounts sheets: meters placed in rooms (and registered in acquisition), accounts of
tenants holding meters (and opened in wallet).

A gateway serves one property (acquisition keys its settings by it) and its columns agree on every line;
a device position (gateway, bus, device id) is used once. A meter belongs to at most one account, and an
account's meters lie in its tenant's property. An account that is open already keeps what it has: a line
giving it another tenant or other meters is reported (ownership changes and meter replacements have
their own functions).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from services.console.domain.onboarding_model import AccountOpening, Change, MeterDevice, Planned, planned
from services.console.domain.onboarding_people import PeoplePlan
from services.console.domain.onboarding_rows import AccountRow, MeterRow
from services.console.domain.onboarding_sheets import Problems
from services.console.domain.onboarding_tree import TreePlan
from services.console.domain.people import Tenant
from services.console.domain.placements import AccountPlacement, GatewayPlace, MeterPlacement, RoomPlace, common_path
from services.console.domain.scope import Permission


@dataclass(frozen=True)
class MeterPlan:
    meters: tuple[Planned[MeterPlacement], ...]
    devices: tuple[MeterDevice, ...]
    gateways: tuple[GatewayPlace, ...]
    rooms: dict[str, RoomPlace]              # the meters' rooms (for their events)
    by_id: dict[str, MeterPlacement]
    bad_meters: frozenset[str]


@dataclass(frozen=True)
class AccountPlan:
    accounts: tuple[Planned[AccountPlacement], ...]
    openings: tuple[AccountOpening, ...]


def plan_meters(rows: list[MeterRow], bad_meters: set[str], tree: TreePlan, problems: Problems) -> MeterPlan:
    meters: list[Planned[MeterPlacement]] = []
    devices: list[MeterDevice] = []
    rooms: dict[str, RoomPlace] = {}
    gateways: dict[str, tuple[int, tuple]] = {}
    lines: dict[str, int] = {}
    positions: dict[tuple[str, int, int], int] = {}
    changed_rooms = tree.changed_rooms()
    for row in rows:
        place = tree.room(row.room_id)
        problem = _meter_problem(row, place, tree, lines, gateways, positions)
        if problem is not None or place is None:
            if problem is not None and problem[0]:
                problems.add("meters", row.line, *problem)
            bad_meters.add(row.meter_id)
            continue
        meter = MeterPlacement(row.meter_id, row.room_id, place.property_id, place.path, row.kind, row.gateway_id)
        item = planned(tree.existing.meters.get(row.meter_id), meter, row.line)
        if item.change == Change.UNCHANGED and row.room_id in changed_rooms:
            item = replace(item, change=Change.UPDATED)   # its room's area changed: published again
        meters.append(item)
        rooms[row.room_id] = place
        devices.append(MeterDevice(row.line, row.meter_id, row.gateway_id, row.transport, row.host, row.port,
                                   row.protocol, row.device_id, row.address, row.bus, row.ct_ratio, str(row.kind),
                                   place.property_id))
    sites = {gateway_id: spec[1][3] for gateway_id, spec in gateways.items()}
    return MeterPlan(tuple(meters), tuple(devices),
                     tuple(GatewayPlace(g, p, tree.path_of(p)) for g, p in sorted(sites.items())), rooms,
                     {p.item.meter_id: p.item for p in meters}, frozenset(bad_meters))


def _meter_problem(row: MeterRow, place: RoomPlace | None, tree: TreePlan, lines: dict, gateways: dict,
                   positions: dict) -> tuple[str, str] | None:
    """What is wrong with a meter line (("", "") = a room already reported elsewhere), or None."""
    if row.meter_id in lines:
        first = lines[row.meter_id]
        return f"表号{row.meter_id}重复, 见第{first}行", f"meter {row.meter_id} repeats line {first}"
    lines[row.meter_id] = row.line
    if place is None:
        if row.room_id in tree.bad_rooms:
            return "", ""
        return f"房间{row.room_id}不存在或不在您的设置权限内", f"room {row.room_id} is not found or not yours to set up"
    gateway = (row.transport, row.host, row.port, place.property_id)
    seen = gateways.setdefault(row.gateway_id, (row.line, gateway))
    if seen[1] != gateway:
        return (f"网关{row.gateway_id}与第{seen[0]}行不一致(类型、地址、端口或项目)",
                f"gateway {row.gateway_id} differs from line {seen[0]} (transport, host, port or property)")
    position = (row.gateway_id, row.bus, row.device_id)
    if position in positions:
        return (f"网关{row.gateway_id}总线{row.bus}的设备号{row.device_id}已在第{positions[position]}行使用",
                f"device id {row.device_id} on bus {row.bus} of {row.gateway_id} is used on line {positions[position]}")
    positions[position] = row.line
    before = tree.existing.meters.get(row.meter_id)
    if before is not None and not tree.scope.allows(Permission.SETTINGS, before.path):
        return f"表号{row.meter_id}已被使用", f"meter id {row.meter_id} is taken"
    account_id = tree.existing.meter_accounts.get(row.meter_id)
    if before is not None and account_id and before.property_id != place.property_id:
        return (f"表计属于账户{account_id}, 不能移到其他项目",
                f"meter {row.meter_id} belongs to account {account_id}; it stays in property {before.property_id}")
    return None


def plan_accounts(rows: list[AccountRow], tree: TreePlan, people: PeoplePlan, meters: MeterPlan,
                  problems: Problems) -> AccountPlan:
    accounts: list[Planned[AccountPlacement]] = []
    openings: list[AccountOpening] = []
    lines: dict[str, int] = {}
    claimed: dict[str, tuple[str, int]] = {}
    for row in rows:
        if row.account_id in lines:
            problems.add("accounts", row.line, f"账户编号{row.account_id}重复, 见第{lines[row.account_id]}行",
                         f"account {row.account_id} repeats line {lines[row.account_id]}")
            continue
        lines[row.account_id] = row.line
        found = _account(row, tree, people, meters, claimed, problems)
        if found is None:
            continue
        account, tenant = found
        before = tree.existing.accounts.get(row.account_id)
        if before is not None:
            account = replace(account, cutoff_fen=before.cutoff_fen)   # open already: wallet keeps its cut-off
        accounts.append(planned(before, account, row.line))
        openings.append(AccountOpening(row.line, row.account_id, tenant.name, account.meter_ids, account.property_id,
                                       row.opening_balance_fen, row.cutoff_fen, row.mode, row.settlement,
                                       row.alarm_thresholds_fen))
    return AccountPlan(tuple(accounts), tuple(openings))


def _account(row: AccountRow, tree: TreePlan, people: PeoplePlan, meters: MeterPlan,
             claimed: dict[str, tuple[str, int]], problems: Problems) -> tuple[AccountPlacement, Tenant] | None:
    def bad(zh: str, en: str) -> None:
        problems.add("accounts", row.line, zh, en)

    tenant = people.by_id.get(row.tenant_id) or _existing_tenant(row.tenant_id, tree, people)
    if tenant is None:
        if row.tenant_id not in people.bad_tenants:
            bad(f"租户{row.tenant_id}不存在或不在您的设置权限内", f"tenant {row.tenant_id} is not found or not yours")
        return None
    places = []
    for meter_id in row.meter_ids:
        place = meters.by_id.get(meter_id) or _existing_meter(meter_id, tree, meters)
        owner = claimed.get(meter_id)
        held = tree.existing.meter_accounts.get(meter_id)
        if place is None:
            if meter_id not in meters.bad_meters:
                bad(f"表计{meter_id}不存在或不在您的设置权限内", f"meter {meter_id} is not found or not yours")
        elif owner is not None:
            bad(f"表计{meter_id}已在第{owner[1]}行的账户{owner[0]}", f"meter {meter_id} is in account {owner[0]} "
                f"on line {owner[1]} already")
        elif held and held != row.account_id:
            bad(f"表计{meter_id}已属于账户{held}", f"meter {meter_id} belongs to account {held}")
        elif place.property_id != tenant.property_id:
            bad(f"表计{meter_id}不在租户所属项目{tenant.property_id}",
                f"meter {meter_id} is not in the tenant's property {tenant.property_id}")
        else:
            claimed[meter_id] = (row.account_id, row.line)
            places.append(place)
    if len(places) != len(row.meter_ids) or not places:
        if not row.meter_ids:
            bad("账户须至少有一块表", "an account needs at least one meter")
        return None
    account = AccountPlacement(row.account_id, tenant.tenant_id, tenant.property_id,
                               common_path([p.path for p in places]), row.cutoff_fen, row.meter_ids)
    return (account, tenant) if _fits_existing(account, tree, bad) else None


def _fits_existing(account: AccountPlacement, tree: TreePlan, bad) -> bool:
    before = tree.existing.accounts.get(account.account_id)
    if before is None:
        return True
    if not tree.scope.allows(Permission.SETTINGS, before.path):
        bad(f"账户编号{account.account_id}已被使用", f"account id {account.account_id} is taken")
        return False
    if (before.tenant_id, before.meter_ids) != (account.tenant_id, account.meter_ids):
        bad(f"账户{account.account_id}已开立, 租户或表计不同; 请用过户或换表功能",
            f"account {account.account_id} is open with another tenant or other meters; "
            "use the ownership change or meter replacement")
        return False
    return True


def _existing_tenant(tenant_id: str, tree: TreePlan, people: PeoplePlan) -> Tenant | None:
    tenant = tree.existing.tenants.get(tenant_id)
    if tenant is None or tenant_id in people.bad_tenants:
        return None
    return tenant if tree.scope.allows(Permission.SETTINGS, tenant.path) else None


def _existing_meter(meter_id: str, tree: TreePlan, meters: MeterPlan) -> MeterPlacement | None:
    meter = tree.existing.meters.get(meter_id)
    if meter is None or meter_id in meters.bad_meters:
        return None
    return meter if tree.scope.allows(Permission.SETTINGS, meter.path) else None

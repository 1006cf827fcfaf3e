"""Accounts (账户): reading them within scope, and their life: opening (开户), closing (销户, final settlement),
transfer of ownership (过户) and meter replacement (换表), each done in wallet first, then mirrored here.

Changes that may move money take an Idempotency-Key (service/idempotency.py): the wallet-side id (change id)
is derived from it, so a retry acts once and answers the same.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from services.console.domain.errors import Conflict, ConsoleError, InvalidRequest, NotFound, Unavailable, not_found
from services.console.domain.money import Movement, MovementKind
from services.console.domain.placements import AccountPlacement, common_path
from services.console.domain.registry import account_placed
from services.console.domain.scope import Caller, Permission
from services.console.domain.tree import check_id
from services.console.ports import AccountSpec, WalletAccount
from services.console.repository.money import AccountFilter, AccountRow
from services.console.service.account_state import seen_from
from services.console.service.audit import entry_for
from services.console.service.idempotency import once
from services.console.service.projections import project_wallet_events
from services.console.unit_of_work import ConsoleUnitOfWork
from services.kit.paging import Page, PageSize

if TYPE_CHECKING:
    from services.console.entrypoints.http.deps import AppDeps

PAGE = PageSize(default=50, maximum=500)


def account_body(row: AccountRow, live: WalletAccount | None = None) -> dict[str, Any]:
    body = {"account_id": row.account_id, "property_id": row.property_id, "tenant_id": row.tenant_id,
            "tenant_name": row.tenant_name, "status": row.status, "meter_ids": list(row.meter_ids),
            "room_ids": list(row.room_ids), "balance_fen": row.balance_fen, "cutoff_fen": row.cutoff_fen,
            "alarm_level": row.alarm_level, "in_arrears": row.in_arrears,
            "balance_at": row.balance_at.isoformat() if row.balance_at else None, "live": live is not None}
    if live is not None:   # wallet's own figures, newer than the read model
        body.update(balance_fen=live.balance_fen, water_balance_fen=live.water_balance_fen,
                    cutoff_fen=live.cutoff_fen, in_arrears=live.in_arrears, alarm_level=live.alarm_level,
                    status=live.status, mode=live.mode, settlement=live.settlement)
    return body


async def load_account(uow: ConsoleUnitOfWork, caller: Caller, account_id: str,
                       permission: Permission = Permission.VIEW) -> AccountRow:
    """The account if the caller reaches it with the permission (a tenant: his own); else NotFound."""
    if caller.scope.is_tenant:
        row = await uow.money.get_tenant_account(account_id, caller.scope.tenant_id or "")
    else:
        row = await uow.money.get_account(account_id, caller.scope.paths(permission))
    if row is None:
        raise not_found("账户", "account", account_id)
    return row


async def account_in_scope(deps: AppDeps, caller: Caller, account_id: str,
                           permission: Permission = Permission.VIEW) -> AccountRow:
    async with deps.new_uow() as uow:
        return await load_account(uow, caller, account_id, permission)


async def list_accounts(deps: AppDeps, caller: Caller, query: AccountFilter, limit: int,
                        cursor: str = "") -> Page[AccountRow]:
    """Accounts within the caller's VIEW scope (a tenant: his own), in account id order."""
    scope: tuple[str, ...] | str = (caller.scope.tenant_id or "") if caller.scope.is_tenant \
        else caller.scope.paths(Permission.VIEW)
    async with deps.new_uow() as uow:
        return await uow.money.list_accounts(scope, query, PAGE.of(limit), cursor)


async def account_detail(deps: AppDeps, caller: Caller, account_id: str) -> dict[str, Any]:
    """The account as console holds it, with wallet's live balance merged in (when wallet answers)."""
    row = await account_in_scope(deps, caller, account_id)
    try:
        live = await deps.ports.wallet.get_account(account_id)
    except (Unavailable, NotFound):
        live = None   # the read model still answers; "live": false says the figures may lag
    return account_body(row, live)


async def movements(deps: AppDeps, caller: Caller, account_id: str, limit: int, cursor: str = "") -> Page[Movement]:
    async with deps.new_uow() as uow:
        await load_account(uow, caller, account_id)
        return await uow.money.movements(account_id, PAGE.of(limit), cursor)


@dataclass(frozen=True)
class OpenAccount:
    account_id: str
    tenant_id: str
    meter_ids: tuple[str, ...]
    opening_balance_fen: int = 0
    cutoff_fen: int = 0
    mode: str = "prepaid"
    settlement: str = "realtime"
    separate_water: bool = False
    alarm_thresholds_fen: tuple[int, ...] = ()
    alarm_repeats: tuple[int, ...] = ()
    channel: str = "cash"


async def _placement_for(uow: ConsoleUnitOfWork, caller: Caller, cmd: OpenAccount) -> tuple[AccountPlacement, str]:
    """Where the new account sits: its tenant and meters in the caller's SETTINGS scope, in one property."""
    tenant = await uow.tree.tenant(caller.scope, Permission.SETTINGS, cmd.tenant_id)
    if tenant is None:
        raise not_found("租户", "tenant", cmd.tenant_id)
    found = await uow.commands.meters_within(cmd.meter_ids, caller.scope.paths(Permission.SETTINGS))
    missing = sorted(set(cmd.meter_ids) - set(found))
    if missing:
        raise not_found("表计", "meter", ", ".join(missing))
    if {m.property_id for m in found.values()} != {tenant.property_id}:
        raise InvalidRequest("账户的表计和租户须属于同一项目", "an account's meters and tenant lie in one property")
    taken = await uow.tree.accounts_of_meters(cmd.meter_ids)
    if taken:
        raise Conflict(f"表计已属于其他账户: {', '.join(sorted(taken))}",
                       f"meters already in an account: {', '.join(sorted(taken))}")
    path = common_path([m.path for m in found.values()])
    return AccountPlacement(cmd.account_id, cmd.tenant_id, tenant.property_id, path, cmd.cutoff_fen,
                            tuple(sorted(cmd.meter_ids))), tenant.name


def _spec(cmd: OpenAccount, placement: AccountPlacement, tenant_name: str) -> AccountSpec:
    return AccountSpec(account_id=cmd.account_id, tenant_name=tenant_name, meter_ids=placement.meter_ids,
                       project_id=placement.property_id, opening_balance_fen=cmd.opening_balance_fen,
                       cutoff_fen=cmd.cutoff_fen, mode=cmd.mode, settlement=cmd.settlement,
                       separate_water=cmd.separate_water, alarm_thresholds_fen=cmd.alarm_thresholds_fen,
                       alarm_repeats=cmd.alarm_repeats)


async def _open_in_wallet(deps: AppDeps, spec: AccountSpec) -> WalletAccount:
    """Open it; an account wallet already holds with the same meters is this request's own earlier try."""
    refused = Conflict(f"账户编号已存在或表计已属于其他账户: {spec.account_id}",
                       f"the account id exists or a meter is in another account: {spec.account_id}")
    if not await deps.ports.wallet.open_accounts([spec]):
        return await deps.ports.wallet.get_account(spec.account_id)
    try:
        account = await deps.ports.wallet.get_account(spec.account_id)
    except NotFound:
        raise refused from None    # wallet refused the meters: they are in another of its accounts
    if set(account.meter_ids) != set(spec.meter_ids) or account.status != "open":
        raise refused
    return account


async def open_account(deps: AppDeps, caller: Caller, cmd: OpenAccount, key: str | None) -> tuple[int, dict]:
    """开户: a wallet account for a tenant's meters (with the money paid when opening), then its place here."""
    check_id(cmd.account_id, "账户编号", "account id")
    async with deps.new_uow() as uow:
        if await uow.tree.account_placements_by_id([cmd.account_id]):
            raise Conflict(f"账户已存在: {cmd.account_id}", f"account already exists: {cmd.account_id}")
        placement, tenant_name = await _placement_for(uow, caller, cmd)

    async def act(derived_id: str) -> tuple[int, dict]:
        try:
            live = await _open_in_wallet(deps, _spec(cmd, placement, tenant_name))
        except ConsoleError as error:
            await record_failure(deps, caller, "account.open", cmd.account_id, placement.path, error)
            raise
        async with deps.new_uow() as uow:
            await uow.tree.place_accounts([placement])
            await uow.publish(account_placed(placement, deps.clock.now()))
            if cmd.opening_balance_fen:
                await uow.money.record(Movement(
                    f"opening:{cmd.account_id}", cmd.account_id, MovementKind.OPENING, cmd.opening_balance_fen,
                    cmd.channel, "electricity", caller.name, placement.property_id, placement.path,
                    balance_after_fen=live.balance_fen))
            await uow.audit.record(entry_for(caller, "account.open", "account", cmd.account_id, placement.path,
                                             after=asdict(cmd)))
            await uow.commit()
        await project_wallet_events(deps.new_uow(), [seen_from(live, deps.clock.now())])
        async with deps.new_uow() as uow:
            row = await load_account(uow, caller, cmd.account_id, Permission.SETTINGS)
        return 201, account_body(row, live)

    return await once(deps, caller, key, {"op": "account.open", **asdict(cmd)}, act)


async def record_failure(deps: AppDeps, caller: Caller, action: str, account_id: str, path: str,
                         error: ConsoleError) -> None:
    """A remote change that was refused is audited too (outcome failed, with the reason)."""
    async with deps.new_uow() as uow:
        await uow.audit.record(entry_for(caller, action, "account", account_id, path, outcome="failed",
                                         detail=f"{error.code}: {error.message_en}"[:500]))
        await uow.commit()


async def close_account(deps: AppDeps, caller: Caller, account_id: str, channel: str,
                        key: str | None) -> tuple[int, dict]:
    """销户: wallet pays back what is left (final settlement) and frees the meters; the account closes here."""
    account = await account_in_scope(deps, caller, account_id, Permission.SETTINGS)
    if account.status == "closed":
        raise Conflict(f"账户已销户: {account_id}", f"account already closed: {account_id}")

    async def act(derived_id: str) -> tuple[int, dict]:
        try:
            paid_back_fen = await deps.ports.wallet.close_account(account_id, channel)
        except ConsoleError as error:
            await record_failure(deps, caller, "account.close", account_id, account.path, error)
            raise
        async with deps.new_uow() as uow:
            await uow.money.set_account_status(account_id, "closed")
            await uow.money.release_meters(account_id)
            if paid_back_fen:
                await uow.money.record(Movement(
                    f"closing:{account_id}", account_id, MovementKind.CLOSING, paid_back_fen, channel, "electricity",
                    caller.name, account.property_id, account.path, balance_after_fen=0))
            await uow.audit.record(entry_for(caller, "account.close", "account", account_id, account.path,
                                             before={"status": account.status, "meter_ids": list(account.meter_ids)},
                                             after={"status": "closed", "paid_back_fen": paid_back_fen}))
            await uow.commit()
        return 200, {"account_id": account_id, "property_id": account.property_id, "status": "closed",
                     "paid_back_fen": paid_back_fen, "channel": channel}

    return await once(deps, caller, key, {"op": "account.close", "account_id": account_id, "channel": channel}, act)


async def transfer_ownership(deps: AppDeps, caller: Caller, account_id: str, new_tenant_id: str,
                             settle_to_old_owner: bool, key: str | None) -> tuple[int, dict]:
    """过户: the account passes to another tenant of its property; the old owner may take what is left."""
    async with deps.new_uow() as uow:
        account = await load_account(uow, caller, account_id, Permission.SETTINGS)
        tenant = await uow.tree.tenant(caller.scope, Permission.SETTINGS, new_tenant_id)
    if tenant is None:
        raise not_found("租户", "tenant", new_tenant_id)
    if tenant.property_id != account.property_id:
        raise InvalidRequest("新租户须属于账户所在项目", "the new tenant must belong to the account's property")
    if tenant.tenant_id == account.tenant_id:
        raise InvalidRequest("新租户与原租户相同", "the account already belongs to this tenant")

    async def act(change_id: str) -> tuple[int, dict]:
        try:
            settled_fen = await deps.ports.wallet.transfer_ownership(change_id, account_id, tenant.name,
                                                                     settle_to_old_owner)
        except ConsoleError as error:
            await record_failure(deps, caller, "account.transfer", account_id, account.path, error)
            raise
        placement = AccountPlacement(account_id, tenant.tenant_id, account.property_id, account.path,
                                     account.cutoff_fen, account.meter_ids)
        async with deps.new_uow() as uow:
            await uow.tree.place_accounts([placement])
            await uow.publish(account_placed(placement, deps.clock.now()))
            if settled_fen:
                await uow.money.record(Movement(
                    f"ownership:{change_id}", account_id, MovementKind.OWNERSHIP, settled_fen, "cash", "electricity",
                    caller.name, account.property_id, account.path))
            await uow.audit.record(entry_for(caller, "account.transfer", "account", account_id, account.path,
                                             before={"tenant_id": account.tenant_id},
                                             after={"tenant_id": tenant.tenant_id, "settled_fen": settled_fen}))
            await uow.commit()
        return 200, {"account_id": account_id, "property_id": account.property_id, "tenant_id": tenant.tenant_id,
                     "previous_tenant_id": account.tenant_id, "settled_fen": settled_fen}

    fingerprint = {"op": "account.transfer", "account_id": account_id, "tenant_id": new_tenant_id,
                   "settle": settle_to_old_owner}
    return await once(deps, caller, key, fingerprint, act)


async def replace_meter(deps: AppDeps, caller: Caller, account_id: str, old_meter_id: str, new_meter_id: str,
                        key: str | None) -> tuple[int, dict]:
    """换表: the new meter (placed, in scope) takes the old one's place; wallet moves the money if needed."""
    async with deps.new_uow() as uow:
        account = await load_account(uow, caller, account_id, Permission.SETTINGS)
        if old_meter_id not in account.meter_ids:
            raise not_found("账户中的表计", "meter of the account", old_meter_id)
        new = await uow.commands.meters_within([new_meter_id], caller.scope.paths(Permission.SETTINGS))
        if new_meter_id not in new:
            raise not_found("表计", "meter", new_meter_id)
        holder = (await uow.tree.accounts_of_meters([new_meter_id])).get(new_meter_id)

    async def act(derived_id: str) -> tuple[int, dict]:
        try:
            holding = await deps.ports.wallet.replace_meter(old_meter_id, new_meter_id)
        except ConsoleError as error:
            await record_failure(deps, caller, "account.replace_meter", account_id, account.path, error)
            raise
        async with deps.new_uow() as uow:
            await uow.money.replace_meter(account_id, old_meter_id, new_meter_id, take_new=holder is None)
            await uow.audit.record(entry_for(caller, "account.replace_meter", "account", account_id, account.path,
                                             before={"meter_ids": list(account.meter_ids)},
                                             after={"old_meter_id": old_meter_id, "new_meter_id": new_meter_id,
                                                    "money_account_id": holding}))
            await uow.commit()
        return 200, {"account_id": account_id, "property_id": account.property_id, "old_meter_id": old_meter_id,
                     "new_meter_id": new_meter_id, "money_account_id": holding}

    fingerprint = {"op": "account.replace_meter", "account_id": account_id, "old": old_meter_id, "new": new_meter_id}
    return await once(deps, caller, key, fingerprint, act)

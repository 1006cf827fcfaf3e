"""Money at the counter (收费): recharge (售电), refund (退费), reversal (冲正) of a counter entry, batch top-up /
refund (批量退补), the receipt of a movement (三联单), and a tenant's online payment order.

Every movement takes an Idempotency-Key: the wallet transfer id is derived from it, so a double click
posts once and answers the same (wallet also refuses a transfer id again with other fields). Each movement
is recorded in money_movements (what receipts and reversals read) and audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from services.console.domain.errors import ConsoleError, InvalidRequest, NotFound, Unavailable, not_found
from services.console.domain.money import (
    CHANNEL_ZH,
    KIND_ZH,
    MAX_BATCH_ITEMS,
    RECEIPTED,
    REVERSIBLE,
    Movement,
    MovementKind,
    capital_amount,
    movement_id,
    order_id,
    receipt_no,
    yuan_text,
)
from services.console.domain.placements import common_path
from services.console.domain.scope import Caller, Permission
from services.console.ports import MoneyItem
from services.console.repository.money import AccountRow, BatchRow
from services.console.service.accounts import account_in_scope, record_failure
from services.console.service.audit import entry_for
from services.console.service.idempotency import once

if TYPE_CHECKING:
    from services.console.entrypoints.http.deps import AppDeps

RECEIPT_COPIES = ("存根联 stub", "客户联 customer copy", "记账联 accounting copy")


@dataclass(frozen=True)
class CounterMoney:
    amount_fen: int
    channel: str = "cash"
    purse: str = "electricity"


def movement_body(m: Movement) -> dict[str, Any]:
    return {"transfer_id": m.transfer_id, "account_id": m.account_id, "property_id": m.property_id,
            "kind": str(m.kind), "amount_fen": m.amount_fen, "channel": m.channel, "purse": m.purse,
            "operator": m.operator, "balance_after_fen": m.balance_after_fen,
            "reverses_transfer_id": m.reverses_transfer_id,
            "created_at": m.created_at.isoformat() if m.created_at else None}


async def _keep(deps: AppDeps, caller: Caller, movement: Movement, account: AccountRow) -> dict[str, Any]:
    """Record the posted movement and its audit line in one transaction; answer it as recorded."""
    async with deps.new_uow() as uow:
        await uow.money.record(movement)
        await uow.audit.record(entry_for(
            caller, f"account.{movement.kind}", "account", account.account_id, account.path,
            after={"transfer_id": movement.transfer_id, "amount_fen": movement.amount_fen,
                   "channel": movement.channel, "balance_after_fen": movement.balance_after_fen}))
        await uow.commit()
        stored = await uow.money.movement(account.account_id, movement.transfer_id)
    return movement_body(stored or movement)


async def recharge(deps: AppDeps, caller: Caller, account_id: str, money: CounterMoney,
                   key: str | None) -> tuple[int, dict]:
    """售电: money received at the counter credited to the account (RECHARGE scope)."""
    return await _counter(deps, caller, account_id, money, key, MovementKind.RECHARGE, Permission.RECHARGE)


async def refund(deps: AppDeps, caller: Caller, account_id: str, money: CounterMoney,
                 key: str | None) -> tuple[int, dict]:
    """退费: money paid back out of the account, never more than its balance (REFUND scope)."""
    return await _counter(deps, caller, account_id, money, key, MovementKind.REFUND, Permission.REFUND)


async def _counter(deps: AppDeps, caller: Caller, account_id: str, money: CounterMoney, key: str | None,
                   kind: MovementKind, permission: Permission) -> tuple[int, dict]:
    account = await account_in_scope(deps, caller, account_id, permission)
    wallet = deps.ports.wallet

    async def act(derived_id: str) -> tuple[int, dict]:
        transfer_id = movement_id(kind, derived_id)
        try:
            if kind is MovementKind.RECHARGE:
                posted = await wallet.recharge(transfer_id, account_id, money.amount_fen, money.channel,
                                               caller.name, money.purse)
            else:
                posted = await wallet.refund(transfer_id, account_id, money.amount_fen, money.channel, money.purse)
        except ConsoleError as error:
            await record_failure(deps, caller, f"account.{kind}", account_id, account.path, error)
            raise
        movement = Movement(transfer_id, account_id, kind, money.amount_fen, money.channel, money.purse,
                            caller.name, account.property_id, account.path, balance_after_fen=posted.balance_fen)
        return 201, await _keep(deps, caller, movement, account)

    fingerprint = {"op": str(kind), "account_id": account_id, "amount_fen": money.amount_fen,
                   "channel": money.channel, "purse": money.purse}
    return await once(deps, caller, key, fingerprint, act)


async def reverse(deps: AppDeps, caller: Caller, account_id: str, transfer_id: str, reason: str,
                  key: str | None) -> tuple[int, dict]:
    """冲正: a counter entry of this account (recharge, refund, opening) corrected by an entry the other way."""
    account = await account_in_scope(deps, caller, account_id, Permission.REVERSE)
    async with deps.new_uow() as uow:
        original = await uow.money.movement(account_id, transfer_id)
    if original is None or original.kind not in REVERSIBLE:
        raise not_found("可冲正的流水", "reversible entry", transfer_id)

    async def act(derived_id: str) -> tuple[int, dict]:
        try:
            reversal_id, _ = await deps.ports.wallet.reverse(transfer_id, f"{caller.name}: {reason}"[:200])
            balance = await _balance(deps, account_id)
        except ConsoleError as error:
            await record_failure(deps, caller, "account.reversal", account_id, account.path, error)
            raise
        movement = Movement(reversal_id, account_id, MovementKind.REVERSAL, original.amount_fen, original.channel,
                            original.purse, caller.name, account.property_id, account.path,
                            balance_after_fen=balance, reverses_transfer_id=transfer_id)
        return 201, await _keep(deps, caller, movement, account)

    fingerprint = {"op": "reversal", "account_id": account_id, "transfer_id": transfer_id, "reason": reason}
    return await once(deps, caller, key, fingerprint, act)


async def _balance(deps: AppDeps, account_id: str) -> int | None:
    try:
        return (await deps.ports.wallet.get_account(account_id)).balance_fen
    except Unavailable:
        return None


@dataclass(frozen=True)
class BatchMoney:
    kind: MovementKind                       # RECHARGE (top-up) or REFUND
    items: tuple[tuple[str, int], ...]       # (account id, amount in fen)
    channel: str = "cash"
    reason: str = ""


async def _batch_accounts(deps: AppDeps, caller: Caller, batch: BatchMoney) -> dict[str, AccountRow]:
    """Every account of the batch in the caller's BATCH scope, or the whole batch is refused."""
    ids = [account_id for account_id, _ in batch.items]
    if not ids or len(ids) > MAX_BATCH_ITEMS:
        raise InvalidRequest(f"批量须包含1-{MAX_BATCH_ITEMS}个账户", f"a batch holds 1-{MAX_BATCH_ITEMS} accounts")
    if len(set(ids)) != len(ids):
        raise InvalidRequest("批量中账户重复", "an account appears twice in the batch")
    async with deps.new_uow() as uow:
        found = await uow.money.accounts_within(ids, caller.scope.paths(Permission.BATCH))
    missing = [a for a in ids if a not in found]
    if missing:
        shown = ", ".join(missing[:50])
        raise NotFound(f"账户不存在: {shown}", f"no such accounts: {shown}", code="not_found")
    return found


async def post_batch(deps: AppDeps, caller: Caller, batch: BatchMoney, key: str | None) -> tuple[int, dict]:
    """批量退补: top up or refund many accounts at once, all or nothing (wallet posts them in one transaction)."""
    found = await _batch_accounts(deps, caller, batch)

    async def act(batch_id: str) -> tuple[int, dict]:
        items = [MoneyItem(movement_id(batch.kind, f"{batch_id}:{a}"), a, amount, batch.channel, caller.name)
                 for a, amount in batch.items]
        post = deps.ports.wallet.batch_recharge if batch.kind is MovementKind.RECHARGE \
            else deps.ports.wallet.batch_refund
        path = common_path([found[i.account_id].path for i in items])
        try:
            posted = await post(items)
        except ConsoleError as error:
            await record_failure(deps, caller, f"account_batch.{batch.kind}", batch_id, path, error)
            raise
        await _keep_batch(deps, caller, batch, batch_id, items, found, path)
        return 201, {"batch_id": batch_id, "kind": "topup" if batch.kind is MovementKind.RECHARGE else "refund",
                     "items": len(items), "posted": posted, "total_fen": sum(i.amount_fen for i in items),
                     "property_id": _single_property(found), "transfer_ids": [i.transfer_id for i in items]}

    fingerprint = {"op": f"batch.{batch.kind}", "items": [list(i) for i in batch.items], "channel": batch.channel}
    return await once(deps, caller, key, fingerprint, act)


def _single_property(found: dict[str, AccountRow]) -> str | None:
    properties = {a.property_id for a in found.values()}
    return properties.pop() if len(properties) == 1 else None


async def _keep_batch(deps: AppDeps, caller: Caller, batch: BatchMoney, batch_id: str, items: list[MoneyItem],
                      found: dict[str, AccountRow], path: str) -> None:
    async with deps.new_uow() as uow:
        for item in items:
            account = found[item.account_id]
            await uow.money.record(Movement(item.transfer_id, item.account_id, batch.kind, item.amount_fen,
                                            item.channel, item.purse, caller.name, account.property_id, account.path))
        await uow.money.add_batch(BatchRow(batch_id, "topup" if batch.kind is MovementKind.RECHARGE else "refund",
                                           _single_property(found), path, caller.name, len(items)))
        await uow.audit.record(entry_for(caller, f"account_batch.{batch.kind}", "batch", batch_id, path,
                                         after={"items": len(items), "total_fen": sum(i.amount_fen for i in items)},
                                         detail=batch.reason[:200]))
        await uow.commit()


async def receipt(deps: AppDeps, caller: Caller, account_id: str, transfer_id: str) -> dict[str, Any]:
    """What the three-part receipt prints for a recharge, refund or opening of an account in scope."""
    account = await account_in_scope(deps, caller, account_id)
    async with deps.new_uow() as uow:
        movement = await uow.money.movement(account_id, transfer_id)
        if movement is None or movement.kind not in RECEIPTED:
            raise not_found("收据", "receipt", transfer_id)
        names = await uow.money.account_names(account)
    at = movement.created_at or deps.clock.now()
    return {"receipt_no": receipt_no(movement.transfer_id, at), "time": at.isoformat(),
            "property_id": account.property_id, "property_name": names.property_name,
            "room_ids": list(account.room_ids), "room_names": list(names.room_names),
            "tenant_id": account.tenant_id, "tenant_name": account.tenant_name, "account_id": account_id,
            "meter_ids": list(account.meter_ids), "transfer_id": transfer_id, "kind": str(movement.kind),
            "kind_zh": KIND_ZH[movement.kind], "amount_fen": movement.amount_fen,
            "amount_yuan": yuan_text(movement.amount_fen), "amount_capital": capital_amount(movement.amount_fen),
            "channel": movement.channel, "channel_zh": CHANNEL_ZH.get(movement.channel, movement.channel),
            "operator": movement.operator, "balance_after_fen": movement.balance_after_fen,
            "copies": list(RECEIPT_COPIES)}


async def create_payment_order(deps: AppDeps, caller: Caller, account_id: str, channel: str, amount_fen: int,
                               key: str | None) -> tuple[int, dict]:
    """A tenant pays online: a WeChat Pay / Alipay order at wallet for his own account (credited on callback)."""
    account = await account_in_scope(deps, caller, account_id)

    async def act(derived_id: str) -> tuple[int, dict]:
        try:
            order = await deps.ports.wallet.create_payment_order(order_id(derived_id), account_id, channel,
                                                                 amount_fen, "electricity")
        except ConsoleError as error:
            await record_failure(deps, caller, "payment_order.create", account_id, account.path, error)
            raise
        async with deps.new_uow() as uow:
            await uow.audit.record(entry_for(caller, "payment_order.create", "account", account_id, account.path,
                                             after={"order_id": order.order_id, "amount_fen": amount_fen,
                                                    "channel": channel}))
            await uow.commit()
        return 201, {"order_id": order.order_id, "account_id": account_id, "property_id": account.property_id,
                     "channel": order.channel, "amount_fen": order.amount_fen, "status": order.status}

    fingerprint = {"op": "payment_order", "account_id": account_id, "channel": channel, "amount_fen": amount_fen}
    return await once(deps, caller, key, fingerprint, act)

"""Every query of the wallet service."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from functools import cached_property

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit import bulk
from services.wallet.domain.accounts import AlarmPolicy
from services.wallet.domain.ledger import Transfer, TransferConflict, TransferKind, wallet_balance
from services.wallet.domain.payments import Order, OrderStatus
from services.wallet.models import (
    account_meters,
    accounts,
    accrued_charges,
    bills,
    fee_agreements,
    ledger_accounts,
    ownership_changes,
    payment_callbacks,
    payment_orders,
    transfers,
)


@dataclass(frozen=True)
class AccountRow:
    account_id: str
    tenant_name: str
    ledger_account_id: str
    cutoff_fen: int
    in_arrears: bool
    project_id: str = ""
    mode: str = "prepaid"
    settlement: str = "realtime"
    water_ledger_account_id: str | None = None
    status: str = "open"
    alarm_thresholds_fen: tuple[int, ...] = ()
    alarm_repeats: tuple[int, ...] = ()
    alarm_level: int = 0

    @cached_property
    def alarm_policy(self) -> AlarmPolicy:
        return AlarmPolicy(tuple(self.alarm_thresholds_fen), tuple(self.alarm_repeats))

    def values(self) -> dict:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["alarm_thresholds_fen"] = list(self.alarm_thresholds_fen)
        data["alarm_repeats"] = list(self.alarm_repeats)
        return data


@dataclass(frozen=True)
class LedgerCheck:
    ledger_account_id: str
    debits_posted_fen: int
    credits_posted_fen: int
    debits_entries_fen: int
    credits_entries_fen: int


_ACCOUNT_COLUMNS = tuple(accounts.c[f.name] for f in fields(AccountRow))


def _account(row) -> AccountRow:
    values = list(row[:len(_ACCOUNT_COLUMNS)])
    values[10], values[11] = tuple(values[10] or ()), tuple(values[11] or ())
    return AccountRow(*values)


class WalletRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # ---- ledger ----
    async def post_transfer(self, transfer: Transfer) -> bool:
        """Append a transfer and move the posted totals; False when this exact transfer exists."""
        return bool(await self.post_transfers([transfer]))

    async def post_transfers(self, batch: list[Transfer]) -> list[Transfer]:
        """Append transfers in one statement; returns those that were new.

        A transfer id seen before with the same fields is skipped; with other fields it is a
        TransferConflict (the caller's transaction then rolls back, nothing is written).
        """
        unique: dict[str, Transfer] = {}
        for t in batch:  # the same id twice in one batch (a redelivered message) is one transfer
            first = unique.setdefault(t.transfer_id, t)
            if not first.same_as(t):
                raise TransferConflict(f"transfer {t.transfer_id!r} appears twice with different fields")
        if not unique:
            return []
        rows = [(t.transfer_id, t.debit_account_id, t.credit_account_id, t.amount_fen, str(t.kind), t.reference)
                for t in unique.values()]
        inserted = {r[0] for r in await bulk.fetch(self.session, """
            INSERT INTO transfers (transfer_id, debit_account_id, credit_account_id, amount_fen, kind, reference)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[])
            ON CONFLICT DO NOTHING RETURNING transfer_id""", *bulk.columns(rows, 6))}
        for t in unique.values():
            if t.transfer_id not in inserted:
                existing = await self.transfer(t.transfer_id)
                if existing is None or not existing.same_as(t):
                    raise TransferConflict(f"transfer {t.transfer_id!r} exists with different fields")
        posted = [t for t in unique.values() if t.transfer_id in inserted]
        await self._move_posted_totals(posted)
        return posted

    async def _move_posted_totals(self, posted: list[Transfer]) -> None:
        """One row update per ledger account, in id order (tenant ids sort before system ones)."""
        deltas: dict[str, list[int]] = {}
        for t in posted:
            deltas.setdefault(t.debit_account_id, [0, 0])[0] += t.amount_fen
            deltas.setdefault(t.credit_account_id, [0, 0])[1] += t.amount_fen
        if not deltas:
            return
        rows = [(k, v[0], v[1]) for k, v in sorted(deltas.items())]
        await bulk.execute(self.session, """
            UPDATE ledger_accounts la SET debits_posted_fen = la.debits_posted_fen + v.d,
                                          credits_posted_fen = la.credits_posted_fen + v.c
            FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS v(id, d, c)
            WHERE la.ledger_account_id = v.id""", *bulk.columns(rows, 3))

    async def transfer(self, transfer_id: str) -> Transfer | None:
        row = (await self.session.execute(
            select(transfers.c.transfer_id, transfers.c.debit_account_id, transfers.c.credit_account_id,
                   transfers.c.amount_fen, transfers.c.kind, transfers.c.reference)
            .where(transfers.c.transfer_id == transfer_id))).first()
        return Transfer(row[0], row[1], row[2], row[3], TransferKind(row[4]), row[5]) if row else None

    async def balance(self, ledger_account_id: str) -> int:
        return (await self.balances([ledger_account_id]))[ledger_account_id]

    async def balances(self, ledger_account_ids: Iterable[str]) -> dict[str, int]:
        rows = await bulk.fetch(self.session, "SELECT ledger_account_id, debits_posted_fen, credits_posted_fen "
                                "FROM ledger_accounts WHERE ledger_account_id = ANY($1::text[])",
                                list(ledger_account_ids))
        return {r[0]: wallet_balance(r[1], r[2]) for r in rows}

    async def add_ledger_account(self, ledger_account_id: str, kind: str) -> bool:
        result = await self.session.execute(
            insert(ledger_accounts).values(ledger_account_id=ledger_account_id, kind=kind)
            .on_conflict_do_nothing().returning(ledger_accounts.c.ledger_account_id))
        return result.first() is not None

    # ---- accounts and meters ----
    async def add_account_with_ledger(self, row: AccountRow, kind: str) -> bool:
        """Create the tenant account and its ledger account; False when the account id exists."""
        if not await self.add_ledger_account(row.ledger_account_id, kind):
            return False
        await self.session.execute(insert(accounts).values(**row.values()))
        return True

    async def assign_meters(self, account_id: str, meter_ids: list[str]) -> list[str]:
        """Attach meters; returns the meters that already belong to another account."""
        taken = list(await self.session.scalars(
            select(account_meters.c.meter_id).where(account_meters.c.meter_id.in_(meter_ids))))
        if not taken:
            await self.session.execute(insert(account_meters), [
                {"meter_id": m, "account_id": account_id} for m in meter_ids])
        return taken

    async def detach_meters(self, meter_ids: list[str]) -> None:
        await self.session.execute(delete(account_meters).where(account_meters.c.meter_id.in_(meter_ids)))

    async def account(self, account_id: str, for_update: bool = False) -> AccountRow | None:
        stmt = select(*_ACCOUNT_COLUMNS).where(accounts.c.account_id == account_id)
        row = (await self.session.execute(stmt.with_for_update() if for_update else stmt)).first()
        return _account(row) if row else None

    async def accounts_for_update(self, account_ids: Iterable[str]) -> dict[str, AccountRow]:
        rows = await self.session.execute(
            select(*_ACCOUNT_COLUMNS).where(accounts.c.account_id.in_(sorted(set(account_ids))))
            .order_by(accounts.c.account_id).with_for_update())
        return {r.account_id: _account(r) for r in rows}

    async def account_of_meter(self, meter_id: str, for_update: bool = False) -> AccountRow | None:
        found = await self.accounts_of_meters([meter_id], for_update)
        return found.get(meter_id)

    async def accounts_of_meters(self, meter_ids: Iterable[str], for_update: bool = False) -> dict[str, AccountRow]:
        """meter id -> its account; with for_update the accounts are locked in id order."""
        names = ", ".join(f"a.{c.name}" for c in _ACCOUNT_COLUMNS)
        rows = await bulk.fetch(self.session, f"""
            SELECT am.meter_id, {names} FROM account_meters am JOIN accounts a ON a.account_id = am.account_id
            WHERE am.meter_id = ANY($1::text[]) ORDER BY a.account_id {'FOR UPDATE OF a' if for_update else ''}""",
                                list(set(meter_ids)))
        return {r[0]: _account(tuple(r)[1:]) for r in rows}

    async def meters_of(self, account_id: str) -> list[str]:
        return (await self.meters_of_accounts([account_id])).get(account_id, [])

    async def meters_of_accounts(self, account_ids: Iterable[str]) -> dict[str, list[str]]:
        rows = await bulk.fetch(self.session, "SELECT account_id, meter_id FROM account_meters "
                                "WHERE account_id = ANY($1::text[]) ORDER BY meter_id", list(account_ids))
        out: dict[str, list[str]] = {}
        for account_id, meter_id in rows:
            out.setdefault(account_id, []).append(meter_id)
        return out

    async def set_in_arrears(self, account_id: str, in_arrears: bool) -> None:
        await self.update_account(account_id, in_arrears=in_arrears)

    async def update_account(self, account_id: str, **values) -> None:
        if "alarm_thresholds_fen" in values:
            values["alarm_thresholds_fen"] = list(values["alarm_thresholds_fen"])
            values["alarm_repeats"] = list(values.get("alarm_repeats", ()))
        await self.session.execute(update(accounts).where(accounts.c.account_id == account_id).values(**values))

    async def update_supply_flags(self, rows: list[tuple[str, bool, int]]) -> None:
        """(account id, in arrears, alarm level) for many accounts in one statement."""
        if rows:
            await bulk.execute(self.session, """
                UPDATE accounts a SET in_arrears = v.arrears, alarm_level = v.level
                FROM unnest($1::text[], $2::bool[], $3::int[]) AS v(id, arrears, level) WHERE a.account_id = v.id""",
                               *bulk.columns(rows, 3))

    async def list_accounts(self) -> list[tuple[AccountRow, int, list[str]]]:
        rows = (await self.session.execute(
            select(*_ACCOUNT_COLUMNS, ledger_accounts.c.debits_posted_fen, ledger_accounts.c.credits_posted_fen,
                   func.array_agg(account_meters.c.meter_id))
            .join(ledger_accounts, ledger_accounts.c.ledger_account_id == accounts.c.ledger_account_id)
            .outerjoin(account_meters, account_meters.c.account_id == accounts.c.account_id)
            .group_by(*_ACCOUNT_COLUMNS, ledger_accounts.c.debits_posted_fen, ledger_accounts.c.credits_posted_fen)
            .order_by(accounts.c.account_id))).all()
        n = len(_ACCOUNT_COLUMNS)
        return [(_account(r), wallet_balance(r[n], r[n + 1]), sorted(m for m in r[n + 2] if m)) for r in rows]

    async def add_ownership_change(self, change_id: str, account_id: str, old: str, new: str,
                                   settled_fen: int) -> bool:
        result = await self.session.execute(insert(ownership_changes).values(
            change_id=change_id, account_id=account_id, old_tenant_name=old, new_tenant_name=new,
            settled_fen=settled_fen).on_conflict_do_nothing().returning(ownership_changes.c.change_id))
        return result.first() is not None

    # ---- fees ----
    async def fee_ratio(self, project_id: str) -> Decimal:
        ratio = await self.session.scalar(
            select(fee_agreements.c.fee_ratio).where(fee_agreements.c.project_id == project_id))
        return ratio if ratio is not None else Decimal(0)

    async def set_fee_ratio(self, project_id: str, ratio: Decimal) -> None:
        stmt = insert(fee_agreements).values(project_id=project_id, fee_ratio=ratio)
        await self.session.execute(stmt.on_conflict_do_update(index_elements=[fee_agreements.c.project_id],
                                                              set_={"fee_ratio": ratio}))

    # ---- payment orders and callbacks ----
    async def add_order(self, order: Order) -> bool:
        result = await self.session.execute(insert(payment_orders).values(
            order_id=order.order_id, account_id=order.account_id, channel=order.channel, purse=order.purse,
            amount_fen=order.amount_fen, status=str(order.status),
        ).on_conflict_do_nothing().returning(payment_orders.c.order_id))
        return result.first() is not None

    async def order(self, order_id: str, for_update: bool = False) -> Order | None:
        stmt = select(payment_orders.c.order_id, payment_orders.c.account_id, payment_orders.c.channel,
                      payment_orders.c.purse, payment_orders.c.amount_fen, payment_orders.c.status
                      ).where(payment_orders.c.order_id == order_id)
        row = (await self.session.execute(stmt.with_for_update() if for_update else stmt)).first()
        return Order(row[0], row[1], row[2], row[3], row[4], OrderStatus(row[5])) if row else None

    async def mark_order_paid(self, order_id: str, channel_transaction_id: str, transfer_id: str,
                              paid_at: datetime) -> None:
        await self.session.execute(update(payment_orders).where(payment_orders.c.order_id == order_id).values(
            status=str(OrderStatus.PAID), channel_transaction_id=channel_transaction_id, transfer_id=transfer_id,
            paid_at=paid_at))

    async def record_callback(self, channel: str, order_id: str, outcome: str, reason: str) -> None:
        await self.session.execute(insert(payment_callbacks).values(
            channel=channel, order_id=order_id[:64], outcome=outcome, reason=reason[:300]))

    async def callbacks(self) -> list[tuple[str, str, str, str]]:
        rows = await self.session.execute(
            select(payment_callbacks.c.channel, payment_callbacks.c.order_id, payment_callbacks.c.outcome,
                   payment_callbacks.c.reason).order_by(payment_callbacks.c.callback_id))
        return [tuple(r) for r in rows]

    async def paid_orders_without_exactly_one_credit(self) -> list[str]:
        """Paid orders whose recharge transfer is missing (or orders credited but not marked paid)."""
        rows = await self.session.execute(text("""
            SELECT o.order_id FROM payment_orders o
            LEFT JOIN transfers t ON t.transfer_id = o.transfer_id
            WHERE o.status = 'paid' AND t.transfer_id IS NULL
            UNION ALL
            SELECT o.order_id FROM payment_orders o
            JOIN transfers t ON t.transfer_id = 'pay:' || o.channel || ':' || o.order_id
            WHERE o.status <> 'paid'"""))
        return [r[0] for r in rows]

    # ---- accrued charges and bills ----
    async def accrue(self, rows: list[dict]) -> set[str]:
        if not rows:
            return set()
        return set(await self.session.scalars(
            insert(accrued_charges).on_conflict_do_nothing().returning(accrued_charges.c.charge_id), rows))

    async def accrued_totals(self, account_id: str, period: str) -> dict[str, int]:
        rows = await self.session.execute(
            select(accrued_charges.c.purse, func.sum(accrued_charges.c.amount_fen))
            .where(accrued_charges.c.account_id == account_id, accrued_charges.c.period == period)
            .group_by(accrued_charges.c.purse))
        return {purse: int(total) for purse, total in rows}

    async def add_bill(self, bill_id: str, account_id: str, period: str, electricity_fen: int, water_fen: int,
                       status: str) -> bool:
        result = await self.session.execute(insert(bills).values(
            bill_id=bill_id, account_id=account_id, period=period, electricity_fen=electricity_fen,
            water_fen=water_fen, status=status).on_conflict_do_nothing().returning(bills.c.bill_id))
        return result.first() is not None

    async def bill(self, bill_id: str, for_update: bool = False):
        stmt = select(bills).where(bills.c.bill_id == bill_id)
        return (await self.session.execute(stmt.with_for_update() if for_update else stmt)).first()

    async def set_bill_status(self, bill_id: str, status: str, confirmed_by: str) -> None:
        await self.session.execute(update(bills).where(bills.c.bill_id == bill_id).values(
            status=status, confirmed_by=confirmed_by))

    # ---- reconciliation ----
    async def ledger_checks(self) -> list[LedgerCheck]:
        """Each ledger account's posted totals beside the sums of its entries."""
        rows = await self.session.execute(text("""
            SELECT la.ledger_account_id, la.debits_posted_fen, la.credits_posted_fen,
                   COALESCE(d.total, 0), COALESCE(c.total, 0)
            FROM ledger_accounts la
            LEFT JOIN (SELECT debit_account_id AS id, sum(amount_fen) AS total FROM transfers
                       GROUP BY debit_account_id) d ON d.id = la.ledger_account_id
            LEFT JOIN (SELECT credit_account_id AS id, sum(amount_fen) AS total FROM transfers
                       GROUP BY credit_account_id) c ON c.id = la.ledger_account_id
            ORDER BY la.ledger_account_id"""))
        return [LedgerCheck(r[0], int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows]

"""Every query of the wallet service."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.wallet.domain.ledger import Transfer, TransferConflict, TransferKind, wallet_balance
from services.wallet.models import account_meters, accounts, ledger_accounts, transfers


@dataclass(frozen=True)
class AccountRow:
    account_id: str
    tenant_name: str
    ledger_account_id: str
    cutoff_fen: int
    in_arrears: bool


@dataclass(frozen=True)
class LedgerCheck:
    ledger_account_id: str
    debits_posted_fen: int
    credits_posted_fen: int
    debits_entries_fen: int
    credits_entries_fen: int


_ACCOUNT_COLUMNS = (accounts.c.account_id, accounts.c.tenant_name, accounts.c.ledger_account_id,
                    accounts.c.cutoff_fen, accounts.c.in_arrears)


class WalletRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def post_transfer(self, transfer: Transfer) -> bool:
        """Append a transfer and move the posted totals; False when this exact transfer exists."""
        inserted = (await self.session.execute(
            insert(transfers).values(
                transfer_id=transfer.transfer_id, debit_account_id=transfer.debit_account_id,
                credit_account_id=transfer.credit_account_id, amount_fen=transfer.amount_fen,
                kind=str(transfer.kind), reference=transfer.reference,
            ).on_conflict_do_nothing().returning(transfers.c.transfer_id))).first()
        if inserted is None:
            existing = await self.transfer(transfer.transfer_id)
            if existing is None or not existing.same_as(transfer):
                raise TransferConflict(f"transfer {transfer.transfer_id!r} exists with different fields")
            return False
        # Same order every time (ids sort tenant accounts before system ones): no deadlocks.
        for account_id in sorted((transfer.debit_account_id, transfer.credit_account_id)):
            column = "debits_posted_fen" if account_id == transfer.debit_account_id else "credits_posted_fen"
            await self.session.execute(
                update(ledger_accounts).where(ledger_accounts.c.ledger_account_id == account_id)
                .values({column: ledger_accounts.c[column] + transfer.amount_fen}))
        return True

    async def transfer(self, transfer_id: str) -> Transfer | None:
        row = (await self.session.execute(
            select(transfers.c.transfer_id, transfers.c.debit_account_id, transfers.c.credit_account_id,
                   transfers.c.amount_fen, transfers.c.kind, transfers.c.reference)
            .where(transfers.c.transfer_id == transfer_id))).first()
        return Transfer(row[0], row[1], row[2], row[3], TransferKind(row[4]), row[5]) if row else None

    async def balance(self, ledger_account_id: str) -> int:
        row = (await self.session.execute(
            select(ledger_accounts.c.debits_posted_fen, ledger_accounts.c.credits_posted_fen)
            .where(ledger_accounts.c.ledger_account_id == ledger_account_id))).one()
        return wallet_balance(row[0], row[1])

    async def add_account_with_ledger(self, row: AccountRow, kind: str) -> bool:
        """Create the tenant account and its ledger account; False when the account id exists."""
        result = await self.session.execute(
            insert(ledger_accounts).values(ledger_account_id=row.ledger_account_id, kind=kind)
            .on_conflict_do_nothing().returning(ledger_accounts.c.ledger_account_id))
        if result.first() is None:
            return False
        await self.session.execute(insert(accounts).values(**vars(row)))
        return True

    async def assign_meters(self, account_id: str, meter_ids: list[str]) -> list[str]:
        """Attach meters; returns the meters that already belong to another account."""
        taken = list(await self.session.scalars(
            select(account_meters.c.meter_id).where(account_meters.c.meter_id.in_(meter_ids))))
        if not taken:
            await self.session.execute(insert(account_meters), [
                {"meter_id": m, "account_id": account_id} for m in meter_ids])
        return taken

    async def account(self, account_id: str, for_update: bool = False) -> AccountRow | None:
        stmt = select(*_ACCOUNT_COLUMNS).where(accounts.c.account_id == account_id)
        row = (await self.session.execute(stmt.with_for_update() if for_update else stmt)).first()
        return AccountRow(*row) if row else None

    async def account_of_meter(self, meter_id: str, for_update: bool = False) -> AccountRow | None:
        stmt = (select(*_ACCOUNT_COLUMNS).join(account_meters, account_meters.c.account_id == accounts.c.account_id)
                .where(account_meters.c.meter_id == meter_id))
        row = (await self.session.execute(stmt.with_for_update(of=accounts) if for_update else stmt)).first()
        return AccountRow(*row) if row else None

    async def meters_of(self, account_id: str) -> list[str]:
        return list(await self.session.scalars(
            select(account_meters.c.meter_id).where(account_meters.c.account_id == account_id)
            .order_by(account_meters.c.meter_id)))

    async def set_in_arrears(self, account_id: str, in_arrears: bool) -> None:
        await self.session.execute(
            update(accounts).where(accounts.c.account_id == account_id).values(in_arrears=in_arrears))

    async def list_accounts(self) -> list[tuple[AccountRow, int, list[str]]]:
        rows = (await self.session.execute(
            select(*_ACCOUNT_COLUMNS, ledger_accounts.c.debits_posted_fen, ledger_accounts.c.credits_posted_fen,
                   func.array_agg(account_meters.c.meter_id))
            .join(ledger_accounts, ledger_accounts.c.ledger_account_id == accounts.c.ledger_account_id)
            .outerjoin(account_meters, account_meters.c.account_id == accounts.c.account_id)
            .group_by(*_ACCOUNT_COLUMNS, ledger_accounts.c.debits_posted_fen, ledger_accounts.c.credits_posted_fen)
            .order_by(accounts.c.account_id))).all()
        return [(AccountRow(*r[:5]), wallet_balance(r[5], r[6]), sorted(m for m in r[7] if m)) for r in rows]

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

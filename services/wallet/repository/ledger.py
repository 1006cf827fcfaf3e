"""The ledger: append-only transfers and the posted totals they move, in one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit import bulk
from services.kit.paging import Page, decode_cursor, page_of
from services.wallet.domain.accounts import LockedAccount
from services.wallet.domain.errors import NotLocked, TransferConflict
from services.wallet.domain.ledger import (
    Channel,
    LedgerAccountId,
    LedgerCheck,
    LedgerKind,
    Purse,
    Transfer,
    TransferId,
    TransferKind,
    wallet_balance,
)
from services.wallet.repository.accounts import require_locked

_SIDE = "{p}.ledger_account_id AS {p}_key, {p}.kind AS {p}_kind, {p}.owner_account_id AS {p}_owner, " \
        "{p}.purse AS {p}_purse, {p}.channel AS {p}_channel"
_TRANSFERS = f"""
    SELECT t.transfer_id, t.amount_fen, t.kind, t.reference, t.owner_account_id, t.order_id, t.charge_id,
           t.reverses_transfer_id, {_SIDE.format(p="d")}, {_SIDE.format(p="c")}
    FROM transfers t JOIN ledger_accounts d ON d.ledger_account_id = t.debit_account_id
    JOIN ledger_accounts c ON c.ledger_account_id = t.credit_account_id
    WHERE t.transfer_id = ANY($1::text[])"""
_INSERT = """
    INSERT INTO transfers (transfer_id, debit_account_id, credit_account_id, amount_fen, kind, reference,
                           owner_account_id, channel, order_id, charge_id, reverses_transfer_id)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[],
                         $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
    ON CONFLICT DO NOTHING RETURNING transfer_id"""
_CHECKS = """
    WITH page AS (SELECT ledger_account_id, debits_posted_fen, credits_posted_fen FROM ledger_accounts
                  WHERE ledger_account_id > $1 ORDER BY ledger_account_id LIMIT $2)
    SELECT p.ledger_account_id, p.debits_posted_fen, p.credits_posted_fen,
           (SELECT COALESCE(sum(t.amount_fen), 0) FROM transfers t
            WHERE t.debit_account_id = p.ledger_account_id) AS debits_entries_fen,
           (SELECT COALESCE(sum(t.amount_fen), 0) FROM transfers t
            WHERE t.credit_account_id = p.ledger_account_id) AS credits_entries_fen
    FROM page p ORDER BY p.ledger_account_id"""


def _side(row: Mapping[str, Any], p: str) -> LedgerAccountId:
    purse, channel = row[f"{p}_purse"], row[f"{p}_channel"]
    return LedgerAccountId(row[f"{p}_key"], LedgerKind(row[f"{p}_kind"]), row[f"{p}_owner"],
                           Purse(purse) if purse else None, Channel(channel) if channel else None)


def _transfer_from(row: Mapping[str, Any]) -> Transfer:
    reverses = row["reverses_transfer_id"]
    return Transfer(TransferId(row["transfer_id"]), _side(row, "d"), _side(row, "c"), row["amount_fen"],
                    TransferKind(row["kind"]), row["reference"], row["owner_account_id"], row["order_id"],
                    row["charge_id"], TransferId(reverses) if reverses else None)


def _row(t: Transfer) -> tuple:
    return (t.id.key, t.debit.key, t.credit.key, t.amount_fen, str(t.kind), t.reference, t.owner_account_id,
            t.channel and str(t.channel), t.order_id, t.charge_id, t.reverses and t.reverses.key)


def _unique(batch: Sequence[Transfer]) -> dict[str, Transfer]:
    """The same id twice in one batch (a redelivered message) is one transfer, if its fields agree."""
    unique: dict[str, Transfer] = {}
    for t in batch:
        first = unique.setdefault(t.id.key, t)
        if not first.same_as(t):
            raise TransferConflict(f"transfer {t.id.key!r} appears twice with different fields")
    return unique


def _holders(against: Iterable[LockedAccount], transfers: Iterable[Transfer]) -> dict[str, LockedAccount]:
    """Tenant wallet key -> the locked account that owns it; every wallet a transfer touches must have one."""
    holders = {ledger.key: account for account in map(require_locked, against) for ledger in account.ledger_ids}
    for t in transfers:
        for wallet in t.tenant_wallets:
            if wallet.key not in holders:
                raise NotLocked(f"transfer {t.id.key!r} moves money of account {wallet.owner_account_id!r} "
                                      "without holding its lock")
    return holders


class LedgerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def post(self, batch: Sequence[Transfer], against: Iterable[LockedAccount]) -> list[Transfer]:
        """Append transfers in one statement; returns those that were new.

        Every tenant wallet a transfer touches must belong to one of the locked accounts given
        (`against`); their balances move with what was posted. A transfer id seen before with
        the same fields is skipped; with other fields it is a TransferConflict (the caller's
        transaction then rolls back, nothing is written).
        """
        unique = _unique(batch)
        holders = _holders(against, unique.values())
        if not unique:
            return []
        rows = [_row(t) for t in unique.values()]
        inserted = {r["transfer_id"] for r in await bulk.fetch(self.session, _INSERT, *bulk.columns(rows, 11))}
        await self._check_retries([t for key, t in unique.items() if key not in inserted])
        posted = [t for key, t in unique.items() if key in inserted]
        await self._move_posted_totals(posted)
        for t in posted:
            for account in {holders[w.key] for w in t.tenant_wallets}:
                account.apply_posted(t)
        return posted

    async def _check_retries(self, retried: list[Transfer]) -> None:
        """A transfer that was not inserted must already exist with exactly its fields."""
        if not retried:
            return
        existing = await self.get_many([t.id.key for t in retried])
        for t in retried:
            if t.id.key not in existing or not existing[t.id.key].same_as(t):
                raise TransferConflict(f"transfer {t.id.key!r} exists with different fields")

    async def _move_posted_totals(self, posted: list[Transfer]) -> None:
        """One row update per ledger account, in a fixed order (tenant wallets first, the hot system
        accounts last and so held the shortest), so concurrent postings never deadlock."""
        deltas: dict[LedgerAccountId, list[int]] = {}
        for t in posted:
            deltas.setdefault(t.debit, [0, 0])[0] += t.amount_fen
            deltas.setdefault(t.credit, [0, 0])[1] += t.amount_fen
        if not deltas:
            return
        order = sorted(deltas, key=lambda ledger: (not ledger.is_tenant_wallet, ledger.key))
        rows = [(ledger.key, *deltas[ledger]) for ledger in order]
        await bulk.execute(self.session, """
            UPDATE ledger_accounts la SET debits_posted_fen = la.debits_posted_fen + v.d,
                                          credits_posted_fen = la.credits_posted_fen + v.c
            FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS v(id, d, c)
            WHERE la.ledger_account_id = v.id""", *bulk.columns(rows, 3))

    async def get(self, transfer_id: str) -> Transfer | None:
        return (await self.get_many([transfer_id])).get(transfer_id)

    async def get_many(self, transfer_ids: list[str]) -> dict[str, Transfer]:
        rows = await bulk.fetch(self.session, _TRANSFERS, transfer_ids)
        return {r["transfer_id"]: _transfer_from(r) for r in rows}

    async def balance(self, ledger: LedgerAccountId) -> int:
        return (await self.balances([ledger]))[ledger]

    async def balances(self, ledgers: Iterable[LedgerAccountId]) -> dict[LedgerAccountId, int]:
        by_key = {ledger.key: ledger for ledger in ledgers}
        rows = await bulk.fetch(self.session, "SELECT ledger_account_id, debits_posted_fen, credits_posted_fen "
                                "FROM ledger_accounts WHERE ledger_account_id = ANY($1::text[])", list(by_key))
        return {by_key[r["ledger_account_id"]]: wallet_balance(r["debits_posted_fen"], r["credits_posted_fen"])
                for r in rows}

    # ---- reconciliation ----
    async def read_one_snapshot(self) -> None:
        """Make the rest of this transaction read one snapshot, so a proof over many pages is consistent."""
        await self.session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))

    async def checks(self, limit: int, cursor: str = "") -> Page[LedgerCheck]:
        """A page of ledger accounts (in id order), each posted total beside the sum of its entries."""
        rows = await bulk.fetch(self.session, _CHECKS, decode_cursor(cursor, str)[0] if cursor else "", limit + 1)
        return page_of(rows, limit, lambda r: LedgerCheck(
            r["ledger_account_id"], int(r["debits_posted_fen"]), int(r["credits_posted_fen"]),
            int(r["debits_entries_fen"]), int(r["credits_entries_fen"])), lambda r: (r["ledger_account_id"],))

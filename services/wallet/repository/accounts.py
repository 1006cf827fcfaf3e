"""Accounts, their wallets and meters: the only place that locks an account (in id order)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit import bulk
from services.kit.paging import Page, decode_cursor, page_of
from services.wallet.domain.accounts import (
    Account,
    AccountMode,
    AccountStatus,
    AccountSummary,
    AlarmPolicy,
    LockedAccount,
    OwnershipChange,
    Settlement,
    Wallet,
)
from services.wallet.domain.errors import NotLocked, UnknownAccount
from services.wallet.domain.ledger import LedgerAccountId, LedgerKind, Purse, wallet_balance
from services.wallet.models import account_meters, accounts, ledger_accounts, ownership_changes

_ACCOUNT = ("a.account_id, a.tenant_name, a.cutoff_fen, a.in_arrears, a.project_id, a.mode, a.settlement, "
            "a.status, a.alarm_thresholds_fen, a.alarm_repeats, a.alarm_level, a.tenant_id")
_WALLET = ("la.ledger_account_id, la.kind AS ledger_kind, la.purse, la.debits_posted_fen, la.credits_posted_fen")
# Rows of accounts with their wallets, locked in account id order (so concurrent batches never deadlock).
_LOCKED_BY_ID = f"""
    SELECT {_ACCOUNT}, {_WALLET} FROM accounts a JOIN ledger_accounts la ON la.owner_account_id = a.account_id
    WHERE a.account_id = ANY($1::text[]) ORDER BY a.account_id, la.purse FOR UPDATE OF a"""
_LOCKED_BY_METER = f"""
    SELECT am.meter_id, {_ACCOUNT}, {_WALLET} FROM account_meters am
    JOIN accounts a ON a.account_id = am.account_id JOIN ledger_accounts la ON la.owner_account_id = a.account_id
    WHERE am.meter_id = ANY($1::text[]) ORDER BY a.account_id, la.purse FOR UPDATE OF a"""
_SUMMARIES = f"""
    SELECT {_ACCOUNT}, le.debits_posted_fen, le.credits_posted_fen,
           lw.debits_posted_fen AS water_debits_fen, lw.credits_posted_fen AS water_credits_fen,
           ARRAY(SELECT am.meter_id FROM account_meters am WHERE am.account_id = a.account_id
                 ORDER BY am.meter_id) AS meter_ids
    FROM accounts a
    JOIN ledger_accounts le ON le.owner_account_id = a.account_id AND le.purse = 'electricity'
    LEFT JOIN ledger_accounts lw ON lw.owner_account_id = a.account_id AND lw.purse = 'water'"""


def account_from(row: Mapping[str, Any]) -> Account:
    return Account(
        account_id=row["account_id"], tenant_name=row["tenant_name"], cutoff_fen=row["cutoff_fen"],
        in_arrears=row["in_arrears"], project_id=row["project_id"], mode=AccountMode(row["mode"]),
        settlement=Settlement(row["settlement"]), status=AccountStatus(row["status"]),
        alarm_policy=AlarmPolicy(tuple(row["alarm_thresholds_fen"] or ()), tuple(row["alarm_repeats"] or ())),
        alarm_level=row["alarm_level"], tenant_id=row["tenant_id"])


def _wallet_from(row: Mapping[str, Any]) -> Wallet:
    ledger = LedgerAccountId(row["ledger_account_id"], LedgerKind(row["ledger_kind"]), row["account_id"],
                             Purse(row["purse"]))
    return Wallet(ledger, wallet_balance(row["debits_posted_fen"], row["credits_posted_fen"]))


def _locked_accounts(rows: Iterable[Mapping[str, Any]]) -> dict[str, LockedAccount]:
    """One aggregate per account from its rows (one row per wallet), in the order they were locked."""
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row["account_id"], []).append(row)
    return {account_id: LockedAccount(account_from(group[0]), [_wallet_from(r) for r in group])
            for account_id, group in grouped.items()}


def _summary_from(row: Mapping[str, Any]) -> AccountSummary:
    water = row["water_debits_fen"]
    return AccountSummary(
        account_from(row), wallet_balance(row["debits_posted_fen"], row["credits_posted_fen"]),
        0 if water is None else wallet_balance(water, row["water_credits_fen"]), tuple(row["meter_ids"]))


def require_locked(account: object) -> LockedAccount:
    if not isinstance(account, LockedAccount):
        raise NotLocked(f"{type(account).__name__} is not a locked account; use get_for_update")
    return account


class AccountRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # ---- locking: the only ways to an account that may change ----
    async def get_for_update(self, account_id: str) -> LockedAccount:
        found = await self.get_many_for_update([account_id])
        if account_id not in found:
            raise UnknownAccount(f"unknown account {account_id!r}")
        return found[account_id]

    async def get_many_for_update(self, account_ids: Iterable[str]) -> dict[str, LockedAccount]:
        """The accounts that exist among these, locked in id order."""
        return _locked_accounts(await bulk.fetch(self.session, _LOCKED_BY_ID, sorted(set(account_ids))))

    async def get_for_update_by_meters(self, meter_ids: Iterable[str]) -> dict[str, LockedAccount]:
        """meter id -> its account, every account locked once, in id order; meters in no account are absent."""
        rows = await bulk.fetch(self.session, _LOCKED_BY_METER, sorted(set(meter_ids)))
        locked = _locked_accounts(rows)
        return {row["meter_id"]: locked[row["account_id"]] for row in rows}

    async def add(self, account: Account, wallets: Sequence[LedgerAccountId]) -> LockedAccount | None:
        """Create the account with its wallets (locked: the rows are new in this transaction);
        None when the account exists."""
        result = await self.session.execute(
            pg_insert(ledger_accounts).values([_ledger_values(w) for w in wallets])
            .on_conflict_do_nothing().returning(ledger_accounts.c.ledger_account_id))
        if len(result.all()) != len(wallets):
            return None
        water = next((w.key for w in wallets if w.purse is Purse.WATER), None)
        await self.session.execute(insert(accounts).values(
            **_state_values(account), account_id=account.account_id, cutoff_fen=account.cutoff_fen,
            mode=str(account.mode), ledger_account_id=wallets[0].key,
            water_ledger_account_id=water))
        return LockedAccount(account, [Wallet(w, 0) for w in wallets])

    async def save(self, account: LockedAccount) -> None:
        """Write the account's state back (only a locked account has state to write)."""
        require_locked(account)
        await self.session.execute(update(accounts).where(accounts.c.account_id == account.account_id)
                                   .values(**_state_values(account.state)))

    async def save_supply_states(self, changed: Sequence[LockedAccount]) -> None:
        """Arrears flags and alarm levels of many accounts in one statement."""
        rows = [(a.account_id, a.state.in_arrears, a.state.alarm_level) for a in map(require_locked, changed)]
        if rows:
            await bulk.execute(self.session, """
                UPDATE accounts a SET in_arrears = v.arrears, alarm_level = v.level
                FROM unnest($1::text[], $2::bool[], $3::int[]) AS v(id, arrears, level) WHERE a.account_id = v.id""",
                               *bulk.columns(rows, 3))

    # ---- meters ----
    async def assign_meters(self, account: LockedAccount, meter_ids: list[str]) -> list[str]:
        """Attach meters; returns the meters that already belong to another account (then nothing is attached)."""
        require_locked(account)
        taken = list(await self.session.scalars(
            select(account_meters.c.meter_id).where(account_meters.c.meter_id.in_(meter_ids))))
        if not taken:
            await self.session.execute(insert(account_meters), [
                {"meter_id": m, "account_id": account.account_id} for m in meter_ids])
        return taken

    async def detach_meters(self, account: LockedAccount, meter_ids: list[str]) -> None:
        require_locked(account)
        await self.session.execute(delete(account_meters).where(
            account_meters.c.account_id == account.account_id, account_meters.c.meter_id.in_(meter_ids)))

    async def meters_of(self, account_ids: Iterable[str]) -> dict[str, list[str]]:
        rows = await bulk.fetch(self.session, "SELECT account_id, meter_id FROM account_meters "
                                "WHERE account_id = ANY($1::text[]) ORDER BY meter_id", list(account_ids))
        out: dict[str, list[str]] = {}
        for row in rows:
            out.setdefault(row["account_id"], []).append(row["meter_id"])
        return out

    # ---- reading ----
    async def summary(self, account_id: str) -> AccountSummary | None:
        row = (await self.session.execute(text(f"{_SUMMARIES} WHERE a.account_id = :id"),
                                          {"id": account_id})).mappings().first()
        return _summary_from(row) if row else None

    async def summaries(self, limit: int, cursor: str = "") -> Page[AccountSummary]:
        """A page of accounts in id order (the cursor carries the last account id of the page before)."""
        after = decode_cursor(cursor, str)[0] if cursor else ""
        rows = (await self.session.execute(
            text(f"{_SUMMARIES} WHERE a.account_id > :after ORDER BY a.account_id LIMIT :limit"),
            {"after": after, "limit": limit + 1})).mappings().all()
        return page_of(rows, limit, _summary_from, lambda r: (r["account_id"],))

    async def add_ownership_change(self, change: OwnershipChange) -> bool:
        result = await self.session.execute(pg_insert(ownership_changes).values(
            change_id=change.change_id, account_id=change.account_id, old_tenant_name=change.old_tenant_name,
            new_tenant_name=change.new_tenant_name, settled_fen=change.settled_fen,
        ).on_conflict_do_nothing().returning(ownership_changes.c.change_id))
        return result.first() is not None


def _ledger_values(ledger: LedgerAccountId) -> dict[str, Any]:
    return {"ledger_account_id": ledger.key, "kind": str(ledger.kind), "owner_account_id": ledger.owner_account_id,
            "purse": ledger.purse and str(ledger.purse), "channel": ledger.channel and str(ledger.channel)}


def _state_values(account: Account) -> dict[str, Any]:
    """The columns an account's life changes (the rest is fixed when it opens); project and tenant
    follow the console's registry."""
    return {"tenant_name": account.tenant_name, "project_id": account.project_id, "tenant_id": account.tenant_id,
            "in_arrears": account.in_arrears, "settlement": str(account.settlement), "status": str(account.status),
            "alarm_thresholds_fen": list(account.alarm_policy.thresholds_fen),
            "alarm_repeats": list(account.alarm_policy.repeats), "alarm_level": account.alarm_level}

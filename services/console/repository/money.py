"""Accounts as the counter sees them (scoped reads of the accounts read model), the money movements console
asked wallet for, and the batches console submitted.

Every read takes the caller's paths for one permission (or a tenant id): out of scope reads as absent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.console.domain.money import Movement, MovementKind
from services.console.ltree import within
from services.console.models import (
    account_meters,
    accounts,
    batches,
    meters,
    money_movements,
    nodes,
    plans,
    tenants,
)
from services.kit.paging import Page, decode_cursor, page_of


@dataclass(frozen=True)
class AccountRow:
    account_id: str
    tenant_id: str | None
    tenant_name: str
    property_id: str
    path: str
    status: str
    balance_fen: int
    balance_at: datetime | None
    cutoff_fen: int
    alarm_level: int
    in_arrears: bool
    meter_ids: tuple[str, ...]
    room_ids: tuple[str, ...]


@dataclass(frozen=True)
class AccountFilter:
    tenant_id: str = ""
    status: str = ""
    in_arrears: bool | None = None


@dataclass(frozen=True)
class Names:
    """What a receipt prints beside the numbers: the property's and the rooms' names."""

    property_name: str
    room_names: tuple[str, ...]


@dataclass(frozen=True)
class BatchRow:
    batch_id: str
    kind: str
    property_id: str | None
    path: str
    requested_by: str
    items: int
    created_at: datetime | None = None


@dataclass(frozen=True)
class PlanRow:
    plan_id: str
    name: str
    property_id: str
    path: str
    created_by: str
    created_at: datetime | None = None


_METERS = (select(func.coalesce(func.array_agg(account_meters.c.meter_id.distinct()), []))
           .where(account_meters.c.account_id == accounts.c.account_id).scalar_subquery())
_ROOMS = (select(func.coalesce(func.array_agg(meters.c.room_id.distinct()), []))
          .select_from(account_meters.join(meters, meters.c.meter_id == account_meters.c.meter_id))
          .where(account_meters.c.account_id == accounts.c.account_id).scalar_subquery())
_TENANT = select(tenants.c.name).where(tenants.c.tenant_id == accounts.c.tenant_id).scalar_subquery()


def _account_select():
    a = accounts.c
    return select(a.account_id, a.tenant_id, func.coalesce(_TENANT, "").label("tenant_name"), a.property_id, a.path,
                  a.status, a.balance_fen, a.balance_at, a.cutoff_fen, a.alarm_level, a.in_arrears,
                  _METERS.label("meter_ids"), _ROOMS.label("room_ids"))


def _account(row) -> AccountRow:
    return AccountRow(**{**row, "meter_ids": tuple(sorted(row["meter_ids"] or ())),
                         "room_ids": tuple(sorted(row["room_ids"] or ()))})


def _movement(row) -> Movement:
    return Movement(transfer_id=row["transfer_id"], account_id=row["account_id"], kind=MovementKind(row["kind"]),
                    amount_fen=row["amount_fen"], channel=row["channel"], purse=row["purse"],
                    operator=row["operator"], property_id=row["property_id"], path=row["path"],
                    balance_after_fen=row["balance_after_fen"], reverses_transfer_id=row["reverses_transfer_id"],
                    created_at=row["created_at"])


class MoneyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # ---- accounts (read model: the tree's placements write the place, the projections the state)

    async def get_account(self, account_id: str, paths: Sequence[str]) -> AccountRow | None:
        """The account if it lies within the paths (one permission's scope)."""
        stmt = _account_select().where(accounts.c.account_id == account_id, within(accounts.c.path, paths))
        row = (await self.session.execute(stmt)).mappings().first()
        return _account(row) if row else None

    async def get_tenant_account(self, account_id: str, tenant_id: str) -> AccountRow | None:
        """A tenant's own account (another tenant's is absent)."""
        stmt = _account_select().where(accounts.c.account_id == account_id, accounts.c.tenant_id == tenant_id)
        row = (await self.session.execute(stmt)).mappings().first()
        return _account(row) if row else None

    async def list_accounts(self, scope: Sequence[str] | str, query: AccountFilter, limit: int,
                            cursor: str = "") -> Page[AccountRow]:
        """Accounts in account id order: within paths, or (scope a str) the accounts of that tenant."""
        a = accounts.c
        conditions: list[ColumnElement[bool]] = [
            a.tenant_id == scope if isinstance(scope, str) else within(a.path, scope)]
        if query.tenant_id:
            conditions.append(a.tenant_id == query.tenant_id)
        if query.status:
            conditions.append(a.status == query.status)
        if query.in_arrears is not None:
            conditions.append(a.in_arrears.is_(query.in_arrears))
        if cursor:
            conditions.append(a.account_id > decode_cursor(cursor, str)[0])
        stmt = _account_select().where(and_(*conditions)).order_by(a.account_id).limit(limit + 1)
        rows = (await self.session.execute(stmt)).mappings().all()
        return page_of(rows, limit, _account, lambda r: (r["account_id"],))

    async def accounts_within(self, account_ids: Sequence[str], paths: Sequence[str]) -> dict[str, AccountRow]:
        """Those of the ids that lie within the paths (a batch checks that it found every one)."""
        stmt = _account_select().where(accounts.c.account_id.in_(list(account_ids)), within(accounts.c.path, paths))
        return {r["account_id"]: _account(r) for r in (await self.session.execute(stmt)).mappings().all()}

    async def account_names(self, account: AccountRow) -> Names:
        property_name = (await self.session.execute(
            select(nodes.c.name).where(nodes.c.node_id == account.property_id))).scalar()
        rooms = (await self.session.execute(
            select(nodes.c.name).where(nodes.c.node_id.in_(list(account.room_ids))).order_by(nodes.c.name))).scalars()
        return Names(property_name or account.property_id, tuple(rooms))

    async def set_account_status(self, account_id: str, status: str) -> None:
        await self.session.execute(update(accounts).where(accounts.c.account_id == account_id)
                                   .values(status=status, updated_at=func.now()))

    # Placement changes of the counter's own (the tree's place_accounts writes and re-places accounts).

    async def release_meters(self, account_id: str) -> None:
        """A closed account lets go of its meters (they may be opened in a new account)."""
        await self.session.execute(delete(account_meters).where(account_meters.c.account_id == account_id))

    async def replace_meter(self, account_id: str, old_meter_id: str, new_meter_id: str, take_new: bool) -> None:
        """换表: the old meter leaves the account; the new one joins it unless it has its own account."""
        am = account_meters.c
        await self.session.execute(delete(account_meters).where(am.account_id == account_id,
                                                                am.meter_id == old_meter_id))
        if take_new:
            await self.session.execute(insert(account_meters).values(
                meter_id=new_meter_id, account_id=account_id).on_conflict_do_nothing())

    # ---- money movements

    async def record(self, movement: Movement) -> bool:
        """Keep a movement wallet posted; the same transfer again keeps the first record (returns False)."""
        m = movement
        result = await self.session.execute(insert(money_movements).values(
            transfer_id=m.transfer_id, account_id=m.account_id, kind=str(m.kind), amount_fen=m.amount_fen,
            channel=m.channel, purse=m.purse, operator=m.operator[:100], property_id=m.property_id, path=m.path,
            balance_after_fen=m.balance_after_fen, reverses_transfer_id=m.reverses_transfer_id,
            **({"created_at": m.created_at} if m.created_at else {}))
            .on_conflict_do_nothing().returning(money_movements.c.transfer_id))
        return result.first() is not None

    async def movement(self, account_id: str, transfer_id: str) -> Movement | None:
        """A movement of an account the caller already loaded through its scope."""
        mm = money_movements.c
        row = (await self.session.execute(select(money_movements).where(
            mm.account_id == account_id, mm.transfer_id == transfer_id))).mappings().first()
        return _movement(row) if row else None

    async def movement_within(self, transfer_id: str, paths: Sequence[str]) -> Movement | None:
        mm = money_movements.c
        row = (await self.session.execute(select(money_movements).where(
            mm.transfer_id == transfer_id, within(mm.path, paths)))).mappings().first()
        return _movement(row) if row else None

    async def reversal_of(self, transfer_id: str) -> Movement | None:
        row = (await self.session.execute(select(money_movements).where(
            money_movements.c.reverses_transfer_id == transfer_id))).mappings().first()
        return _movement(row) if row else None

    async def movements(self, account_id: str, limit: int, cursor: str = "") -> Page[Movement]:
        """An account's movements, newest first (the account was loaded through the caller's scope)."""
        mm = money_movements.c
        conditions = [mm.account_id == account_id]
        if cursor:
            at, transfer_id = decode_cursor(cursor, datetime, str)
            conditions.append(or_(mm.created_at < at, and_(mm.created_at == at, mm.transfer_id < transfer_id)))
        stmt = (select(money_movements).where(*conditions)
                .order_by(mm.created_at.desc(), mm.transfer_id.desc()).limit(limit + 1))
        rows = (await self.session.execute(stmt)).mappings().all()
        return page_of(rows, limit, _movement, lambda r: (r["created_at"], r["transfer_id"]))

    # ---- batches console submitted (control operations, batch top-up / refund)

    async def add_batch(self, batch: BatchRow) -> bool:
        result = await self.session.execute(insert(batches).values(
            batch_id=batch.batch_id, kind=batch.kind, property_id=batch.property_id, path=batch.path,
            requested_by=batch.requested_by[:100], items=batch.items)
            .on_conflict_do_nothing().returning(batches.c.batch_id))
        return result.first() is not None

    async def get_batch(self, batch_id: str, paths: Sequence[str]) -> BatchRow | None:
        row = (await self.session.execute(select(batches).where(
            batches.c.batch_id == batch_id, within(batches.c.path, paths)))).mappings().first()
        return BatchRow(**row) if row else None

    async def list_batches(self, paths: Sequence[str], kinds: Sequence[str], limit: int,
                           cursor: str = "") -> Page[BatchRow]:
        """Batches given within the paths, newest first; kinds: only those (empty: every kind)."""
        b = batches.c
        conditions = [within(b.path, paths)]
        if kinds:
            conditions.append(b.kind.in_(list(kinds)))
        if cursor:
            at, batch_id = decode_cursor(cursor, datetime, str)
            conditions.append(or_(b.created_at < at, and_(b.created_at == at, b.batch_id < batch_id)))
        stmt = select(batches).where(*conditions).order_by(b.created_at.desc(), b.batch_id.desc()).limit(limit + 1)
        rows = (await self.session.execute(stmt)).mappings().all()
        return page_of(rows, limit, lambda r: BatchRow(**r), lambda r: (r["created_at"], r["batch_id"]))

    # ---- tariff plans created through console (tariff keeps the prices; console knows the property)

    async def add_plan(self, plan: PlanRow) -> bool:
        result = await self.session.execute(insert(plans).values(
            plan_id=plan.plan_id, name=plan.name, property_id=plan.property_id, path=plan.path,
            created_by=plan.created_by[:100]).on_conflict_do_nothing().returning(plans.c.plan_id))
        return result.first() is not None

    async def get_plan(self, plan_id: str, paths: Sequence[str]) -> PlanRow | None:
        row = (await self.session.execute(select(plans).where(
            plans.c.plan_id == plan_id, within(plans.c.path, paths)))).mappings().first()
        return PlanRow(**row) if row else None

    async def plan_exists(self, plan_id: str) -> bool:
        """Whether the id is taken anywhere (a new plan may not reuse another property's id)."""
        return (await self.session.execute(select(plans.c.plan_id).where(plans.c.plan_id == plan_id))).first() \
            is not None

    async def list_plans(self, paths: Sequence[str], limit: int, cursor: str = "") -> Page[PlanRow]:
        conditions = [within(plans.c.path, paths)]
        if cursor:
            conditions.append(plans.c.plan_id > decode_cursor(cursor, str)[0])
        stmt = select(plans).where(*conditions).order_by(plans.c.plan_id).limit(limit + 1)
        rows = (await self.session.execute(stmt)).mappings().all()
        return page_of(rows, limit, lambda r: PlanRow(**r), lambda r: (r["plan_id"],))

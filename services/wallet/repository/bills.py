"""Accrued charges (month-end and post-paid accounts) and the bills that post them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.wallet.domain.bills import Accrual, Bill, BillStatus, LockedBill
from services.wallet.domain.errors import NotLocked
from services.wallet.domain.ledger import Purse
from services.wallet.models import accrued_charges, bills


def _bill_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"bill_id": row["bill_id"], "account_id": row["account_id"], "period": row["period"],
            "electricity_fen": row["electricity_fen"], "water_fen": row["water_fen"],
            "status": BillStatus(row["status"]), "confirmed_by": row["confirmed_by"]}


class BillRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def accrue(self, accruals: Sequence[Accrual]) -> set[str]:
        """Keep charges for their period's bill; returns the charge ids that were new."""
        if not accruals:
            return set()
        rows = [{"charge_id": a.charge_id, "account_id": a.account_id, "period": a.period, "purse": str(a.purse),
                 "amount_fen": a.amount_fen} for a in accruals]
        return set(await self.session.scalars(
            insert(accrued_charges).on_conflict_do_nothing().returning(accrued_charges.c.charge_id), rows))

    async def accrued_totals(self, account_id: str, period: str) -> dict[Purse, int]:
        rows = await self.session.execute(
            select(accrued_charges.c.purse, func.sum(accrued_charges.c.amount_fen).label("total_fen"))
            .where(accrued_charges.c.account_id == account_id, accrued_charges.c.period == period)
            .group_by(accrued_charges.c.purse))
        return {Purse(r.purse): int(r.total_fen) for r in rows}

    async def add(self, bill: Bill) -> bool:
        result = await self.session.execute(insert(bills).values(
            bill_id=bill.bill_id, account_id=bill.account_id, period=bill.period,
            electricity_fen=bill.electricity_fen, water_fen=bill.water_fen, status=str(bill.status),
        ).on_conflict_do_nothing().returning(bills.c.bill_id))
        return result.first() is not None

    async def get(self, bill_id: str) -> Bill | None:
        row = (await self.session.execute(select(bills).where(bills.c.bill_id == bill_id))).mappings().first()
        return Bill(**_bill_fields(row)) if row else None

    async def get_for_update(self, bill_id: str) -> LockedBill | None:
        row = (await self.session.execute(
            select(bills).where(bills.c.bill_id == bill_id).with_for_update())).mappings().first()
        return LockedBill(**_bill_fields(row)) if row else None

    async def issue(self, bill: LockedBill, confirmed_by: str) -> None:
        if not isinstance(bill, LockedBill):
            raise NotLocked(f"bill {bill.bill_id!r} is not locked; use get_for_update")
        await self.session.execute(update(bills).where(bills.c.bill_id == bill.bill_id).values(
            status=str(BillStatus.ISSUED), confirmed_by=confirmed_by))

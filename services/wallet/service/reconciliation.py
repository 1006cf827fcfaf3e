"""对账 (F-28): prove the ledger and the payment orders agree, page by page within one snapshot."""

from __future__ import annotations

from services.kit.paging import every_item
from services.wallet.domain.results import Reconciliation
from services.wallet.unit_of_work import WalletUnitOfWork

PAGE_SIZE = 5000


async def reconcile(uow: WalletUnitOfWork, page_size: int = PAGE_SIZE) -> Reconciliation:
    """对账: every balance equals the sum of its entries, debits equal credits, every paid order has one credit."""
    problems: list[str] = []
    debits = credits = checked = 0
    async with uow:
        await uow.ledger.read_one_snapshot()
        async for check in every_item(uow.ledger.checks, page_size):
            debits += check.debits_entries_fen
            credits += check.credits_entries_fen
            checked += 1
            if problem := check.problem():
                problems.append(problem)
        if debits != credits:
            problems.append(f"total debits {debits} != total credits {credits}")
        async for order_id in every_item(uow.payments.orders_without_exactly_one_credit, page_size):
            problems.append(f"payment order {order_id}: paid without its credit, or credited but not paid")
    return Reconciliation(not problems, debits, credits, checked, problems)

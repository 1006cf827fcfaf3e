"""Payment orders, provider callbacks and service-fee agreements."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.paging import Page, decode_cursor, page_of
from services.wallet.domain.errors import NotLocked
from services.wallet.domain.ledger import Channel, Purse
from services.wallet.domain.payments import CallbackOutcome, CallbackRecord, LockedOrder, Order, OrderStatus
from services.wallet.models import fee_agreements, payment_callbacks, payment_orders

_ORDER_COLUMNS = (payment_orders.c.order_id, payment_orders.c.account_id, payment_orders.c.channel,
                  payment_orders.c.purse, payment_orders.c.amount_fen, payment_orders.c.status)


def _order_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"order_id": row["order_id"], "account_id": row["account_id"], "channel": Channel(row["channel"]),
            "purse": Purse(row["purse"]), "amount_fen": row["amount_fen"], "status": OrderStatus(row["status"])}


class PaymentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # ---- fees ----
    async def fee_ratio(self, project_id: str) -> Decimal:
        ratio = await self.session.scalar(
            select(fee_agreements.c.fee_ratio).where(fee_agreements.c.project_id == project_id))
        return ratio if ratio is not None else Decimal(0)

    async def set_fee_ratio(self, project_id: str, ratio: Decimal) -> None:
        stmt = insert(fee_agreements).values(project_id=project_id, fee_ratio=ratio)
        await self.session.execute(stmt.on_conflict_do_update(index_elements=[fee_agreements.c.project_id],
                                                              set_={"fee_ratio": ratio}))

    # ---- orders ----
    async def add_order(self, order: Order) -> bool:
        result = await self.session.execute(insert(payment_orders).values(
            order_id=order.order_id, account_id=order.account_id, channel=str(order.channel),
            purse=str(order.purse), amount_fen=order.amount_fen, status=str(order.status),
        ).on_conflict_do_nothing().returning(payment_orders.c.order_id))
        return result.first() is not None

    async def order(self, order_id: str) -> Order | None:
        row = (await self.session.execute(
            select(*_ORDER_COLUMNS).where(payment_orders.c.order_id == order_id))).mappings().first()
        return Order(**_order_fields(row)) if row else None

    async def order_for_update(self, order_id: str) -> LockedOrder | None:
        """The order, its row locked: concurrent replays of one callback wait here and then see it paid."""
        row = (await self.session.execute(select(*_ORDER_COLUMNS).where(payment_orders.c.order_id == order_id)
                                          .with_for_update())).mappings().first()
        return LockedOrder(**_order_fields(row)) if row else None

    async def mark_paid(self, order: LockedOrder, channel_transaction_id: str, transfer_id: str,
                        paid_at: datetime) -> None:
        if not isinstance(order, LockedOrder):
            raise NotLocked(f"order {order.order_id!r} is not locked; use order_for_update")
        await self.session.execute(update(payment_orders).where(payment_orders.c.order_id == order.order_id).values(
            status=str(OrderStatus.PAID), channel_transaction_id=channel_transaction_id, transfer_id=transfer_id,
            paid_at=paid_at))

    # ---- callbacks ----
    async def record_callback(self, channel: str, order_id: str, outcome: CallbackOutcome, reason: str) -> None:
        await self.session.execute(insert(payment_callbacks).values(
            channel=channel, order_id=order_id[:64], outcome=str(outcome), reason=reason[:300]))

    async def callbacks(self, limit: int, cursor: str = "") -> Page[CallbackRecord]:
        """Callbacks in the order they came (the cursor carries the last callback id of the page before)."""
        c = payment_callbacks.c
        after = decode_cursor(cursor, int)[0] if cursor else 0
        rows = (await self.session.execute(
            select(c.callback_id, c.channel, c.order_id, c.outcome, c.reason)
            .where(c.callback_id > after).order_by(c.callback_id).limit(limit + 1))).mappings().all()
        return page_of(rows, limit, lambda r: CallbackRecord(
            r["callback_id"], r["channel"], r["order_id"], CallbackOutcome(r["outcome"]), r["reason"]),
            lambda r: (r["callback_id"],))

    # ---- reconciliation ----
    async def orders_without_exactly_one_credit(self, limit: int, cursor: str = "") -> Page[str]:
        """Paid orders whose recharge transfer is missing, or orders credited but not marked paid."""
        rows = (await self.session.execute(text("""
            SELECT order_id FROM (
                SELECT o.order_id FROM payment_orders o
                LEFT JOIN transfers t ON t.transfer_id = o.transfer_id
                WHERE o.status = 'paid' AND t.transfer_id IS NULL
                UNION ALL
                SELECT o.order_id FROM payment_orders o
                JOIN transfers t ON t.order_id = o.order_id AND t.kind = 'recharge'
                WHERE o.status <> 'paid') problems
            WHERE order_id > :after ORDER BY order_id LIMIT :limit"""),
            {"after": decode_cursor(cursor, str)[0] if cursor else "", "limit": limit + 1})).scalars().all()
        return page_of(rows, limit, str, lambda order_id: (order_id,))

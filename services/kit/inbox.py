"""Idempotent consumers: a message seen before is a no-op.

Where a natural unique key exists (meter + reading time, charge id, transfer id)
the service's own table is the guard. Where it does not, the inbox table records
(consumer, message id) in the same transaction as the effect. Offsets are
committed only after that transaction (AckPolicy.NACK_ON_ERROR in messaging.py).
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, MetaData, PrimaryKeyConstraint, String, Table, func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import column, table

INBOX = table("inbox", column("consumer"), column("message_id"))


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox",
        metadata,
        Column("consumer", String(100), nullable=False),
        Column("message_id", String(200), nullable=False),
        Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        PrimaryKeyConstraint("consumer", "message_id"),
    )


async def first_delivery(session: AsyncSession, consumer: str, message_id: str) -> bool:
    """Record the message; False when this consumer has already handled it."""
    result = await session.execute(
        insert(INBOX)
        .values(consumer=consumer, message_id=message_id)
        .on_conflict_do_nothing()
        .returning(INBOX.c.message_id)
    )
    return result.first() is not None

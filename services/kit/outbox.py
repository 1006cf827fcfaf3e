"""Transactional outbox: events are rows written with the state change; a relay publishes them.

A crash between commit and publish loses nothing: the rows stay until Kafka has
acknowledged them. One relay per service publishes at a time (a PostgreSQL
advisory lock), so a key's events leave in the order they were written.
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from collections import Counter

from aiokafka import AIOKafkaProducer
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    LargeBinary,
    MetaData,
    String,
    Table,
    any_,
    bindparam,
    delete,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import column, table

from services.kit import metrics
from services.kit.logging import get_logger

log = get_logger(__name__)

# A lightweight handle for inserts and selects, independent of any service's MetaData.
OUTBOX = table("outbox", column("id"), column("topic"), column("key"), column("payload"))


def outbox_table(metadata: MetaData) -> Table:
    """The full table definition, for each service's migrations."""
    return Table(
        "outbox",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("topic", String(200), nullable=False),
        Column("key", String(200), nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


class OutboxRelay:
    """Publishes committed outbox rows to Kafka in id order, deleting them once acknowledged."""

    def __init__(self, engine: AsyncEngine, producer: AIOKafkaProducer, service: str,
                 batch_size: int = 2000, idle_poll_s: float = 0.5, publish_timeout_s: float = 30.0) -> None:
        self._engine = engine
        self._producer = producer
        self._lock_key = zlib.crc32(f"outbox:{service}".encode())
        self._batch_size = batch_size
        self._idle_poll_s = idle_poll_s
        self._publish_timeout_s = publish_timeout_s
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Called after a commit that emitted events, so they leave without waiting for a poll."""
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        backoff_s = 0.1
        while True:
            try:
                published = await self.publish_batch()
                backoff_s = 0.1
            except Exception as exc:  # broker or database down: keep the rows, retry with backoff
                metrics.outbox_failures.inc()
                log.warning("outbox publish failed; will retry", error=str(exc), retry_in_s=backoff_s)
                await asyncio.sleep(backoff_s)
                backoff_s = min(backoff_s * 2, 5.0)
                continue
            if published < self._batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._idle_poll_s)
                self._wake.clear()

    async def publish_batch(self) -> int:
        """Publish up to one batch; returns how many rows left the outbox."""
        async with self._engine.begin() as conn:
            if not await conn.scalar(select(func.pg_try_advisory_xact_lock(self._lock_key))):
                return 0
            rows = (
                await conn.execute(
                    select(OUTBOX.c.id, OUTBOX.c.topic, OUTBOX.c.key, OUTBOX.c.payload)
                    .order_by(OUTBOX.c.id)
                    .limit(self._batch_size)
                )
            ).all()
            if not rows:
                return 0
            # Bounded: a broker that never answers must not hold this transaction (and its lock) forever.
            async with asyncio.timeout(self._publish_timeout_s):
                pending = [await self._producer.send(r.topic, r.payload, key=r.key.encode()) for r in rows]
                await asyncio.gather(*pending)
            # One array parameter, not one bind parameter per row (cheaper for large batches).
            await conn.execute(delete(OUTBOX).where(OUTBOX.c.id == any_(
                bindparam("published_ids", [r.id for r in rows], type_=ARRAY(BigInteger)))))
        for topic, count in Counter(r.topic for r in rows).items():
            metrics.outbox_published.labels(topic).inc(count)
        return len(rows)

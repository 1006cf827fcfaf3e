"""Idempotency-Key -> the answer given: a claimed key (running) and then its stored status and body."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.console.models import idempotency_keys


@dataclass(frozen=True)
class StoredKey:
    request_hash: str
    status_code: int | None          # None while the first request is still running
    response: dict[str, Any] | None


class IdempotencyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(self, actor: str, key: str, request_hash: str) -> bool:
        """True when this request is the first with the key (it now runs the action)."""
        result = await self.session.execute(
            insert(idempotency_keys).values(actor=actor, key=key, request_hash=request_hash)
            .on_conflict_do_nothing().returning(idempotency_keys.c.key))
        return result.first() is not None

    async def take_over_stale(self, actor: str, key: str, request_hash: str, stale_after_s: float) -> bool:
        """Claim a key whose first request never finished (its process died): True if taken."""
        k = idempotency_keys.c
        result = await self.session.execute(
            update(idempotency_keys)
            .where(k.actor == actor, k.key == key, k.request_hash == request_hash, k.status_code.is_(None),
                   k.created_at < func.now() - timedelta(seconds=stale_after_s))
            .values(created_at=func.now()).returning(k.key))
        return result.first() is not None

    async def stored(self, actor: str, key: str) -> StoredKey | None:
        k = idempotency_keys.c
        row = (await self.session.execute(select(k.request_hash, k.status_code, k.response)
                                          .where(k.actor == actor, k.key == key))).mappings().first()
        return StoredKey(**row) if row else None

    async def complete(self, actor: str, key: str, status_code: int, response: dict[str, Any]) -> None:
        k = idempotency_keys.c
        await self.session.execute(update(idempotency_keys).where(k.actor == actor, k.key == key)
                                   .values(status_code=status_code, response=response))

    async def release(self, actor: str, key: str) -> None:
        """Forget a claim whose action failed, so that a retry with the key runs it again."""
        k = idempotency_keys.c
        await self.session.execute(delete(idempotency_keys)
                                   .where(k.actor == actor, k.key == key, k.status_code.is_(None)))

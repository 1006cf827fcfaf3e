"""Attempt counters in Redis: per subject (username, phone) and per client address, in a fixed window
opened by the first attempt. Over either limit, the next attempt is refused before it is checked."""

from __future__ import annotations

import hashlib

from redis.asyncio import Redis

from services.console.domain.errors import Throttled


class Throttle:
    def __init__(self, redis: Redis, prefix: str, name: str, window_s: int, per_subject: int,
                 per_address: int) -> None:
        self._redis = redis
        self._prefix = f"{prefix}throttle:{name}"
        self.window_s = window_s
        self.per_subject = per_subject
        self.per_address = per_address

    def _keys(self, subject: str, address: str) -> tuple[str, str]:
        digest = hashlib.sha256(subject.strip().lower().encode()).hexdigest()[:32]
        return f"{self._prefix}:subject:{digest}", f"{self._prefix}:address:{address[:64]}"

    async def check(self, subject: str, address: str) -> None:
        """Throttled (429) when the subject or the address has used up its attempts in the window."""
        subject_count, address_count = await self._redis.mget(self._keys(subject, address))
        if int(subject_count or 0) >= self.per_subject or int(address_count or 0) >= self.per_address:
            minutes = max(1, self.window_s // 60)
            raise Throttled(f"尝试次数过多, 请{minutes}分钟后再试",
                            f"too many attempts; try again in {minutes} minutes")

    async def count(self, subject: str, address: str) -> None:
        """One more attempt against both counters (a failed login, a code sent)."""
        async with self._redis.pipeline(transaction=True) as pipe:
            for key in self._keys(subject, address):
                pipe.set(key, 0, ex=self.window_s, nx=True)
                pipe.incr(key)
            await pipe.execute()

    async def reset(self, subject: str) -> None:
        """A success clears the subject's count (the address keeps its own)."""
        await self._redis.delete(self._keys(subject, "")[0])

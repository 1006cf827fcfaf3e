"""Leases in Redis: several instances share work items (gateways) without two holding one at once.

A lease is a key `<prefix>:<item>` whose value is the holder's id, set with NX and a TTL.
The holder renews its leases well inside the TTL; a crashed holder stops renewing and its
items become free when the TTL runs out, for the others to take. Which free items an
instance takes first follows rendezvous hashing over the live instances (each instance
announces itself with a heartbeat key), so the load spreads evenly and moves as little as
possible when an instance comes or goes.
"""

from __future__ import annotations

import hashlib
import uuid

from redis.asyncio import Redis

# Extend only what is still ours; release only what is still ours.
_RENEW = """
local renewed = {}
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then
    redis.call('PEXPIRE', key, ARGV[2])
    renewed[#renewed + 1] = key
  end
end
return renewed
"""
_RELEASE = """
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then redis.call('DEL', key) end
end
return 1
"""


class LeaseBook:
    """The leases one instance holds on items of one kind (e.g. gateways)."""

    def __init__(self, redis: Redis, prefix: str, ttl_s: float, holder: str | None = None) -> None:
        self.redis = redis
        self.prefix = prefix
        self.ttl_ms = int(ttl_s * 1000)
        self.holder = holder or uuid.uuid4().hex
        self.held: set[str] = set()
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)

    def _key(self, item: str) -> str:
        return f"{self.prefix}:lease:{item}"

    async def announce(self) -> list[str]:
        """Heartbeat this instance and return every live instance (self included), sorted."""
        await self.redis.set(f"{self.prefix}:instance:{self.holder}", b"1", px=self.ttl_ms)
        names = [key async for key in self.redis.scan_iter(match=f"{self.prefix}:instance:*", count=1000)]
        return sorted(name.decode().rsplit(":", 1)[1] for name in names)

    async def balance(self, items: list[str]) -> set[str]:
        """Renew what we hold, then take free items that rendezvous hashing gives us; returns what we hold.

        A crashed instance drops out of the live set when its heartbeat expires, so its items
        hash to the survivors, who take them as soon as the crashed leases expire too.
        """
        live = await self.announce()
        await self.renew()
        mine = [item for item in items if owner_of(item, live) == self.holder]
        await self.acquire([item for item in mine if item not in self.held])
        for item in set(self.held) - set(items):
            await self.release([item])
        return set(self.held)

    async def acquire(self, items: list[str]) -> set[str]:
        """Try to take each item; returns the ones taken now."""
        if not items:
            return set()
        async with self.redis.pipeline(transaction=False) as pipe:
            for item in items:
                pipe.set(self._key(item), self.holder, nx=True, px=self.ttl_ms)
            results = await pipe.execute()
        taken = {item for item, ok in zip(items, results, strict=True) if ok}
        self.held |= taken
        return taken

    async def renew(self) -> set[str]:
        """Extend every lease still ours; leases lost (expired, taken over) are dropped from `held`."""
        if not self.held:
            return set()
        keys = [self._key(item) for item in sorted(self.held)]
        renewed = await self._renew(keys=keys, args=[self.holder, self.ttl_ms])
        still = {key.decode().rsplit(":lease:", 1)[1] for key in renewed}
        self.held = still
        return still

    async def holds(self, item: str) -> bool:
        """Check with Redis (not the local set) right before doing the work."""
        value = await self.redis.get(self._key(item))
        return value is not None and value.decode() == self.holder

    async def release(self, items: list[str]) -> None:
        if items:
            await self._release(keys=[self._key(i) for i in items], args=[self.holder])
        self.held -= set(items)

    async def release_all(self) -> None:
        await self.release(sorted(self.held))
        await self.redis.delete(f"{self.prefix}:instance:{self.holder}")


def owner_of(item: str, instances: list[str]) -> str | None:
    """Rendezvous (highest random weight) hashing: the instance an item belongs to."""
    if not instances:
        return None
    return max(instances, key=lambda name: hashlib.blake2b(f"{name}/{item}".encode(), digest_size=8).digest())

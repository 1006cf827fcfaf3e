"""Tenants' one-time login codes (短信验证码): 6 digits, stored salted-hashed in Redis with a TTL and a
limit of attempts; used once."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from redis.asyncio import Redis

CODE_DIGITS = 6


@dataclass(frozen=True)
class CodeCheck:
    tenant_id: str | None     # set when the code was right
    exhausted: bool = False   # too many wrong codes: the code is gone, ask for a new one


def _digest(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


class LoginCodes:
    def __init__(self, redis: Redis, prefix: str, ttl_s: int, attempts: int) -> None:
        self._redis = redis
        self._prefix = f"{prefix}login-code:"
        self.ttl_s = ttl_s
        self.attempts = attempts

    def _key(self, phone: str) -> str:
        return self._prefix + hashlib.sha256(phone.encode()).hexdigest()[:32]

    async def issue(self, phone: str, tenant_id: str) -> str:
        """A new code for the phone (replacing an earlier one); returns it to be sent."""
        code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
        salt = secrets.token_hex(8)
        key = self._key(phone)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            pipe.hset(key, mapping={"digest": _digest(salt, code), "salt": salt, "tenant_id": tenant_id,
                                    "tries": 0})
            pipe.expire(key, self.ttl_s)
            await pipe.execute()
        return code

    async def verify(self, phone: str, code: str) -> CodeCheck:
        key = self._key(phone)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hincrby(key, "tries", 1)
            pipe.hgetall(key)
            tries, stored = await pipe.execute()
        if "digest" not in stored:        # no code (expired, used) — hincrby made a stray key
            await self._redis.delete(key)
            return CodeCheck(None)
        if int(tries) > self.attempts:
            await self._redis.delete(key)
            return CodeCheck(None, exhausted=True)
        if not hmac.compare_digest(stored["digest"], _digest(stored["salt"], (code or "").strip())):
            if int(tries) >= self.attempts:
                await self._redis.delete(key)
                return CodeCheck(None, exhausted=True)
            return CodeCheck(None)
        await self._redis.delete(key)
        return CodeCheck(stored["tenant_id"])

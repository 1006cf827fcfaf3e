"""Server-side sessions in Redis: idle timeout by TTL (refreshed on every use), absolute timeout by the
creation time, and an index of each subject's sessions so a password change revokes all of them.

Redis keeps only the token's sha256 (the session id); the token itself lives in the client's cookie
or Authorization header.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from redis.asyncio import Redis

from services.console.identity.tokens import new_session_token, token_hash
from services.kit.clock import Clock


@dataclass(frozen=True)
class SessionData:
    session_id: str          # sha256 of the token
    kind: str                # operator / tenant
    subject_id: str
    name: str
    csrf_token: str
    created_at_s: float      # epoch seconds by the identity clock


class SessionStore:
    def __init__(self, redis: Redis, prefix: str, clock: Clock, idle_timeout_s: int,
                 absolute_timeout_s: int) -> None:
        self._redis = redis
        self._prefix = prefix
        self._clock = clock
        self.idle_timeout_s = idle_timeout_s
        self.absolute_timeout_s = absolute_timeout_s

    def _key(self, session_id: str) -> str:
        return f"{self._prefix}session:{session_id}"

    def _index(self, kind: str, subject_id: str) -> str:
        return f"{self._prefix}sessions-of:{kind}:{subject_id}"

    async def create(self, kind: str, subject_id: str, name: str) -> tuple[str, SessionData]:
        """A new session; returns the token (to hand out once) and what is stored."""
        token = new_session_token()
        data = SessionData(token_hash(token), kind, subject_id, name, secrets.token_urlsafe(24),
                           self._clock.now().timestamp())
        index = self._index(kind, subject_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._key(data.session_id), mapping={
                "kind": kind, "subject_id": subject_id, "name": name, "csrf": data.csrf_token,
                "created_at": repr(data.created_at_s)})
            pipe.expire(self._key(data.session_id), self.idle_timeout_s)
            pipe.sadd(index, data.session_id)
            pipe.expire(index, self.absolute_timeout_s)
            await pipe.execute()
        return token, data

    async def get(self, token: str) -> SessionData | None:
        """The live session of a token, its idle timer restarted; None when unknown, idle or too old."""
        session_id = token_hash(token)
        key = self._key(session_id)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(key)
            pipe.expire(key, self.idle_timeout_s)
            stored, _ = await pipe.execute()
        if not stored:
            return None
        data = SessionData(session_id, stored["kind"], stored["subject_id"], stored["name"], stored["csrf"],
                           float(stored["created_at"]))
        if self._clock.now().timestamp() - data.created_at_s >= self.absolute_timeout_s:
            await self.delete(data)
            return None
        return data

    async def delete(self, data: SessionData) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._key(data.session_id))
            pipe.srem(self._index(data.kind, data.subject_id), data.session_id)
            await pipe.execute()

    async def revoke_all(self, kind: str, subject_id: str) -> int:
        """End every session of the subject (password changed, disabled); returns how many there were."""
        index = self._index(kind, subject_id)
        session_ids = list(await self._redis.smembers(index))
        if not session_ids:
            return 0
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(*[self._key(s) for s in session_ids])
            pipe.srem(index, *session_ids)
            results = await pipe.execute()
        return int(results[0])

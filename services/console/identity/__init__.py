"""Who is calling: operator passwords (argon2id), Redis sessions, login throttling, CSRF, personal
API tokens and tenants' SMS codes. `Identity` bundles them for the app (AppDeps.identity);
`identity.requests.authenticate_request` turns a request into a Caller.
"""

from __future__ import annotations

import time
from typing import Any

from redis.asyncio import Redis

from services.console.domain.operators import Operator
from services.console.identity.codes import LoginCodes
from services.console.identity.sessions import SessionStore
from services.console.identity.throttle import Throttle
from services.kit.clock import Clock, SystemClock


class Identity:
    """Sessions, throttles and codes on one Redis, under one key prefix; plus a short cache of
    who-holds-which-grants so that a request does not always reread them (changes made through this
    process apply at once, others within `scope_cache_s`)."""

    def __init__(self, redis: Redis, settings: Any, clock: Clock | None = None, prefix: str = "console:",
                 scope_cache_s: float = 1.0) -> None:
        self.redis = redis
        self.settings = settings
        self.clock = clock or SystemClock()
        self.sessions = SessionStore(redis, prefix, self.clock, settings.session_idle_timeout_s,
                                     settings.session_absolute_timeout_s)
        self.login_throttle = Throttle(redis, prefix, "login", settings.login_window_s,
                                       settings.login_failures_per_user, settings.login_failures_per_address)
        # Codes sent: as many per phone in a window as a user may fail logins (no SMS flooding).
        self.code_throttle = Throttle(redis, prefix, "code", settings.login_window_s,
                                      settings.login_failures_per_user, settings.login_failures_per_address)
        self.codes = LoginCodes(redis, prefix, settings.login_code_ttl_s, settings.login_code_attempts)
        self.scope_cache_s = scope_cache_s
        self._principals: dict[str, tuple[float, Operator | None]] = {}

    @classmethod
    def from_url(cls, redis_url: str, settings: Any, clock: Clock | None = None, prefix: str = "console:",
                 scope_cache_s: float = 1.0) -> Identity:
        return cls(Redis.from_url(redis_url, decode_responses=True), settings, clock, prefix, scope_cache_s)

    async def close(self) -> None:
        await self.redis.aclose()

    def cached_principal(self, operator_id: str) -> tuple[bool, Operator | None]:
        hit = self._principals.get(operator_id)
        if hit is None or hit[0] < time.monotonic():
            return False, None
        return True, hit[1]

    def remember_principal(self, operator_id: str, operator: Operator | None) -> None:
        if self.scope_cache_s <= 0:
            return
        if len(self._principals) > 10_000:   # bounded: drop everything rather than grow
            self._principals.clear()
        self._principals[operator_id] = (time.monotonic() + self.scope_cache_s, operator)

    def forget_principal(self, operator_id: str) -> None:
        """Grants, password or status of the operator changed: reread them on his next request."""
        self._principals.pop(operator_id, None)

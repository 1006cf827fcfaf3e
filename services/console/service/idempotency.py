"""Idempotency-Key: a request that moves money or switches supply acts once per key.

The transfer or command id is derived from (caller, key), so even a retry that slipped past this
table would be recognised by wallet or control. The first request claims the key in its own
transaction, runs the action and stores (status, body); a repeat answers that; a repeat with a
different request body is a Conflict; a repeat while the first still runs waits, then answers 409.
A failed action releases the key (the derived id keeps a retry from acting twice remotely).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from services.console.domain.errors import Conflict, InvalidRequest
from services.console.domain.scope import Caller

MAX_KEY = 200
WAIT_FOR_FIRST_S = 5.0
POLL_S = 0.05
STALE_AFTER_S = 120.0   # a claim this old without an answer belongs to a request that died

Action = Callable[[str], Awaitable[tuple[int, dict]]]


def derived_id(caller: Caller, key: str) -> str:
    """The stable id of what the key stands for (transfer id, command id): 'k-' + 32 hex digits."""
    return "k-" + hashlib.sha256(f"{_actor(caller)}\x00{key}".encode()).hexdigest()[:32]


def check_key(key: str | None) -> str:
    if not key:
        raise InvalidRequest("缺少 Idempotency-Key 请求头", "the Idempotency-Key header is required",
                             code="idempotency_key_required")
    if len(key) > MAX_KEY:
        raise InvalidRequest(f"Idempotency-Key 最长{MAX_KEY}个字符",
                             f"Idempotency-Key is at most {MAX_KEY} characters", code="idempotency_key_invalid")
    return key


def fingerprint_hash(fingerprint: dict) -> str:
    return hashlib.sha256(json.dumps(fingerprint, sort_keys=True, default=str).encode()).hexdigest()


async def once(deps: Any, caller: Caller, key: str | None, fingerprint: dict, action: Action) -> tuple[int, dict]:
    """Run `action(derived_id)` once per (caller, key) and answer the same (status, body) ever after."""
    key = check_key(key)
    actor, request_hash = _actor(caller), fingerprint_hash(fingerprint)
    deadline = time.monotonic() + WAIT_FOR_FIRST_S
    while True:
        answer = await _claim_or_answer(deps, actor, key, request_hash)
        if answer is None:
            return await _run(deps, actor, key, action, derived_id(caller, key))
        if answer != "running":
            return answer
        if time.monotonic() >= deadline:
            raise Conflict("相同 Idempotency-Key 的请求正在处理, 请稍后重试",
                           "a request with this Idempotency-Key is still in progress; retry later",
                           code="idempotency_in_progress")
        await asyncio.sleep(POLL_S)


async def _claim_or_answer(deps: Any, actor: str, key: str, request_hash: str) -> tuple[int, dict] | str | None:
    """None: claimed (run it); "running": another request holds it; else the stored answer."""
    async with deps.new_uow() as uow:
        claimed = await uow.idempotency.claim(actor, key, request_hash)
        if not claimed:
            stored = await uow.idempotency.stored(actor, key)
            if stored is None:   # released meanwhile: claim again on the next round
                return "running"
            if stored.request_hash != request_hash:
                raise Conflict("该 Idempotency-Key 已用于另一个请求",
                               "this Idempotency-Key was used for another request", code="idempotency_key_reused")
            if stored.status_code is not None:
                return stored.status_code, stored.response or {}
            claimed = await uow.idempotency.take_over_stale(actor, key, request_hash, STALE_AFTER_S)
            if not claimed:
                return "running"
        await uow.commit()
    return None


async def _run(deps: Any, actor: str, key: str, action: Action, action_id: str) -> tuple[int, dict]:
    try:
        status, body = await action(action_id)
        body = json.loads(json.dumps(body, default=str))   # as it will be stored, so every answer is alike
    except BaseException:
        async with deps.new_uow() as uow:
            await uow.idempotency.release(actor, key)
            await uow.commit()
        raise
    async with deps.new_uow() as uow:
        await uow.idempotency.complete(actor, key, status, body)
        await uow.commit()
    return status, body


def _actor(caller: Caller) -> str:
    return f"{caller.kind}:{caller.subject_id}"

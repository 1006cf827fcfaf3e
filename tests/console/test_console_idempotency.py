"""Idempotency-Key: an action runs once per (caller, key); repeats answer the same; a reuse with another
request is a conflict; concurrent repeats wait for the first."""

from __future__ import annotations

import asyncio

import pytest

from services.console.domain.errors import Conflict, InvalidRequest, Unavailable
from services.console.domain.scope import Caller, Scope
from services.console.service.idempotency import derived_id, once

CASHIER = Caller("operator", "op-1", "cashier", Scope())
OTHER = Caller("operator", "op-2", "cashier-2", Scope())


class Recharge:
    def __init__(self, delay_s: float = 0.0, fail: BaseException | None = None) -> None:
        self.ids: list[str] = []
        self.delay_s = delay_s
        self.fail = fail

    async def __call__(self, action_id: str) -> tuple[int, dict]:
        self.ids.append(action_id)
        await asyncio.sleep(self.delay_s)
        if self.fail is not None:
            raise self.fail
        return 201, {"transfer_id": action_id, "balance_fen": 1000}


async def test_a_repeat_acts_once_and_answers_the_same(console):
    action = Recharge()
    first = await once(console.deps, CASHIER, "key-1", {"account_id": "a", "amount_fen": 1000}, action)
    again = await once(console.deps, CASHIER, "key-1", {"amount_fen": 1000, "account_id": "a"}, action)
    assert first == again == (201, {"transfer_id": derived_id(CASHIER, "key-1"), "balance_fen": 1000})
    assert action.ids == [derived_id(CASHIER, "key-1")]
    assert derived_id(CASHIER, "key-1").startswith("k-") and len(derived_id(CASHIER, "key-1")) == 34


async def test_keys_are_per_caller(console):
    action = Recharge()
    await once(console.deps, CASHIER, "key-1", {"a": 1}, action)
    await once(console.deps, OTHER, "key-1", {"a": 1}, action)
    assert len(set(action.ids)) == 2


async def test_the_same_key_for_another_request_is_a_conflict(console):
    await once(console.deps, CASHIER, "key-1", {"amount_fen": 1000}, Recharge())
    with pytest.raises(Conflict) as raised:
        await once(console.deps, CASHIER, "key-1", {"amount_fen": 2000}, Recharge())
    assert raised.value.code == "idempotency_key_reused"


async def test_concurrent_repeats_wait_for_the_first(console):
    action = Recharge(delay_s=0.3)
    answers = await asyncio.gather(*[once(console.deps, CASHIER, "key-1", {"a": 1}, action) for _ in range(5)])
    assert len(action.ids) == 1 and all(answer == answers[0] for answer in answers)


async def test_a_repeat_during_a_long_first_request_gets_409(console, monkeypatch):
    monkeypatch.setattr("services.console.service.idempotency.WAIT_FOR_FIRST_S", 0.2)
    slow = asyncio.create_task(once(console.deps, CASHIER, "key-1", {"a": 1}, Recharge(delay_s=1.0)))
    await asyncio.sleep(0.1)
    with pytest.raises(Conflict) as raised:
        await once(console.deps, CASHIER, "key-1", {"a": 1}, Recharge())
    assert raised.value.code == "idempotency_in_progress"
    await slow


async def test_a_failed_action_frees_the_key_for_a_retry(console):
    failing = Recharge(fail=Unavailable("钱包不可用", "wallet unavailable"))
    with pytest.raises(Unavailable):
        await once(console.deps, CASHIER, "key-1", {"a": 1}, failing)
    retry = Recharge()
    assert (await once(console.deps, CASHIER, "key-1", {"a": 1}, retry))[0] == 201
    assert failing.ids == retry.ids   # the same id both times: the remote side would recognise it


@pytest.mark.parametrize("key", [None, "", "k" * 201])
async def test_a_missing_or_overlong_key_is_refused(console, key):
    with pytest.raises(InvalidRequest) as raised:
        await once(console.deps, CASHIER, key, {}, Recharge())
    assert raised.value.status == 400
    assert raised.value.code in ("idempotency_key_required", "idempotency_key_invalid")

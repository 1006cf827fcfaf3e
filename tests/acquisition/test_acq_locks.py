"""Aggregates that own their lock: a gateway's poll state changes only while its row is locked, and a
bus is talked on only during a turn of its link."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from services.acquisition import service
from services.acquisition.domain.commands import RegisterGateway, RegisterMeter
from services.acquisition.fieldbus import SerialLink


@pytest.fixture
async def gateway(new_uow) -> str:
    await service.register_gateway(new_uow(), RegisterGateway("GW-1", "10.0.0.5", 502, "modbus-tcp"))
    await service.register_meter(new_uow(), RegisterMeter("M-1", "GW-1", 1))
    return "GW-1"


async def lock_and_read(new_uow, gateway_id: str, meter_ids: list[str]):
    async with new_uow() as uow:
        return await uow.repo.lock_gateway(gateway_id, meter_ids)


class TestLockedGateway:
    async def test_a_second_writer_waits_for_the_first_and_sees_what_it_stored(self, new_uow, gateway):
        async with new_uow() as first:
            locked = await first.repo.lock_gateway(gateway, ["M-1"])
            assert (locked.online, locked.meters["M-1"].missed_polls) == (True, 0)
            await first.repo.save_poll_states(locked, [replace(locked.meters["M-1"], missed_polls=1)])
            second = asyncio.create_task(lock_and_read(new_uow, gateway, ["M-1"]))
            await asyncio.sleep(0.3)
            assert not second.done()  # a poll chunk, a command's read-back or a DTU event: one at a time
            await first.commit()
        assert (await asyncio.wait_for(second, 5)).meters["M-1"].missed_polls == 1

    async def test_the_state_of_a_meter_not_locked_with_the_gateway_is_refused(self, new_uow, gateway):
        state = (await lock_and_read(new_uow, gateway, ["M-1"])).meters["M-1"]
        async with new_uow() as uow:
            locked = await uow.repo.lock_gateway(gateway, [])
            assert locked.meters == {}
            with pytest.raises(RuntimeError, match="not locked"):
                await uow.repo.save_poll_states(locked, [state])

    async def test_meters_can_still_be_registered_under_a_locked_gateway(self, new_uow, gateway):
        async with new_uow() as uow:
            await uow.repo.lock_gateway(gateway, ["M-1"])
            created = await asyncio.wait_for(
                service.register_meter(new_uow(), RegisterMeter("M-2", gateway, 2)), 5)
        assert created

    async def test_an_unknown_gateway_cannot_be_locked(self, new_uow):
        assert await lock_and_read(new_uow, "NOPE", []) is None


class TestBusTurns:
    async def test_turns_on_one_link_take_turns_and_a_handle_dies_with_its_turn(self):
        link = SerialLink("DTU-1", timeout_s=0.1)
        entered: list[str] = []

        async def second_turn() -> None:
            async with link.turn():
                entered.append("second")

        async with link.turn() as bus:
            waiting = asyncio.create_task(second_turn())
            await asyncio.sleep(0.05)
            assert link.busy and entered == []
        await asyncio.wait_for(waiting, 1)
        assert entered == ["second"] and not link.busy
        with pytest.raises(RuntimeError, match="after its turn"):
            await bus.exchange(b"\x68", lambda buffer: (None, buffer))

"""Facts from other services: the wallet's arrears and recoveries, command results, device status,
and where the console's registry placed a meter."""

from __future__ import annotations

from datetime import datetime

from services.control.domain.commands import (
    ControlResultReported,
    DeviceStatusObserved,
    MeterPlaced,
    WalletSupplyChanged,
)
from services.control.domain.lifecycle import AttemptEnd, AttemptOutcome
from services.control.domain.meter import LockedMeter
from services.control.domain.policy import Supply
from services.control.service import queue
from services.control.service.config import ControlConfig
from services.control.unit_of_work import ControlUnitOfWork

WALLET_INBOX = "control.wallet-events"
ARREARS_REASON = "欠费断电 arrears"
RECOVERED_REASON = "充值复电 recharge restored the balance"
FIELD_CHANGE_REASON = "现场状态变化 the meter's state changed in the field"


async def apply_supply_change(uow: ControlUnitOfWork, change: WalletSupplyChanged, now: datetime,
                              config: ControlConfig) -> int:
    """Arrears cut supply and recovery restores it, per meter of the account; returns commands issued.

    The inbox makes a redelivered event a no-op, so a duplicate never issues a second command.
    """
    issued = 0
    async with uow:
        if not await uow.first_delivery(WALLET_INBOX, change.event_id):
            return 0
        reason = ARREARS_REASON if change.in_arrears else RECOVERED_REASON
        for meter_id in sorted(change.meter_ids):
            meter = await uow.meters.get_for_update(meter_id)
            meter.record_wallet_state(change.in_arrears, now)
            issued += await queue.settle_meter(uow, meter, now, config, f"wallet-event:{change.event_id}", reason)
        await uow.commit()
    return issued


async def record_result(uow: ControlUnitOfWork, result: ControlResultReported, now: datetime,
                        config: ControlConfig) -> bool:
    """Record what the meter answered; retry, give up or move on to the meter's next command.

    A result seen before, or one for an attempt that already timed out, changes nothing.
    """
    async with uow:
        seen = await uow.commands.get(result.command_id)
        if seen is None:
            return False
        meter = await uow.meters.get_for_update(seen.meter_id)
        command = await uow.commands.get_locked(meter, result.command_id)
        if command is None or not command.awaits_result_of(result.attempt):
            return False
        outcome = AttemptOutcome.CONFIRMED if result.confirmed else AttemptOutcome.FAILED
        end = AttemptEnd(outcome, result.relay_state, result.detail)
        await queue.record_outcome(uow, meter, command, end, now, config)
        await uow.commit()
    return True


async def observe_device(uow: ControlUnitOfWork, status: DeviceStatusObserved, now: datetime,
                         config: ControlConfig) -> None:
    """Keep the last known relay state and presence from the field; a meter changed by hand is put right."""
    async with uow:
        meter = await uow.meters.get_for_update(status.meter_id)
        relay_state = status.relay_state
        if relay_state is not Supply.UNKNOWN and await _older_than_last_confirmation(uow, meter, status):
            relay_state = Supply.UNKNOWN  # read before our last confirmed command switched it: not news
        if meter.observe_field(status.online, relay_state, now):
            await queue.settle_meter(uow, meter, now, config, "device-status", FIELD_CHANGE_REASON)
        await uow.commit()


async def _older_than_last_confirmation(uow: ControlUnitOfWork, meter: LockedMeter,
                                        status: DeviceStatusObserved) -> bool:
    """A poll taken just before a trip can be stored just after it; its "closed" must not undo the trip."""
    if status.changed_at is None:
        return False
    confirmed_at = await uow.commands.last_confirmed_at(meter)
    return confirmed_at is not None and status.changed_at < confirmed_at


async def place_meter(uow: ControlUnitOfWork, placed: MeterPlaced, now: datetime) -> bool:
    """The console placed a meter: its property becomes the project that picks its protection window.

    A meter control has not seen yet is created (as any first sight does), so the project is there
    when its first fact arrives. An older or replayed placement changes nothing (False). A meter in
    arrears that changed project is looked at again by the next sweep: the other window may differ.
    """
    async with uow:
        meter = await uow.meters.get_for_update(placed.meter_id)
        project_before = meter.current.tags.project
        if not meter.place(placed.project, placed.placed_at, now):
            return False
        if meter.current.in_arrears and meter.current.tags.project != project_before:
            meter.book_cut_check(now, now)
        await uow.commit()
    return True

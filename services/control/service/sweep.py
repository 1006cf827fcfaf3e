"""The sweep: result timeouts, scheduled batches, protection-window ends, retries due, finished batches.

Each is a queue bounded by the sweep limit; what one pass leaves, the next one takes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from services.control.domain.lifecycle import AttemptEnd, AttemptOutcome
from services.control.domain.policy import Supply
from services.control.service import batches, queue
from services.control.service.config import ControlConfig
from services.control.unit_of_work import ControlUnitOfWork
from services.kit.clock import Clock
from services.kit.logging import get_logger

log = get_logger(__name__)

WINDOW_END_BY = "schedule:protection-window-end"
WINDOW_END_REASON = "保护时段结束，欠费断电 protection window ended, still in arrears"


@dataclass
class SweepReport:
    timed_out: int = 0
    batches_started: int = 0
    cuts_checked: int = 0
    dispatched: int = 0
    batches_done: int = 0


async def run_sweeps(new_uow: Callable[[], ControlUnitOfWork], clock: Clock, config: ControlConfig,
                     interval_s: float) -> None:
    """Sweep every interval, for as long as the service runs."""
    while True:
        try:
            await sweep(new_uow, clock.now(), config)
        except Exception as exc:  # the database may be away for a moment; the next sweep tries again
            log.error("control sweep failed", error=str(exc))
        await asyncio.sleep(interval_s)


async def sweep(new_uow: Callable[[], ControlUnitOfWork], now: datetime, config: ControlConfig) -> SweepReport:
    """One pass of the background work: result timeouts, scheduled batches, window ends, retries due."""
    report = SweepReport()
    limit = config.sweep_limit
    async with new_uow() as uow:
        timed_out = await uow.commands.timed_out(now, limit)
        due_batches = await uow.batches.due(now, limit)
        due_cuts = await uow.meters.due_cut_check(now, limit)
    for command_id in timed_out:
        report.timed_out += await time_out_command(new_uow(), command_id, now, config)
    for batch_id in due_batches:
        report.batches_started += await batches.start_due_batch(new_uow, batch_id, now, config)
    for meter_id in due_cuts:
        report.cuts_checked += await check_deferred_cut(new_uow(), meter_id, now, config)
    report.dispatched = await dispatch_due(new_uow, now, config)
    report.batches_done = await finish_batches(new_uow(), now, limit)
    return report


async def time_out_command(uow: ControlUnitOfWork, command_id: str, now: datetime, config: ControlConfig) -> int:
    """No result in time: the attempt counts as failed (a late answer to it is ignored)."""
    async with uow:
        seen = await uow.commands.get(command_id)
        if seen is None:
            return 0
        meter = await uow.meters.get_for_update(seen.meter_id)
        command = await uow.commands.get_locked(meter, command_id)
        if command is None or not command.overdue(now):
            return 0
        end = AttemptEnd(AttemptOutcome.TIMEOUT, Supply.UNKNOWN,
                         f"超时 no result within {config.retry.result_timeout_s:g} s")
        await queue.record_outcome(uow, meter, command, end, now, config)
        await uow.commit()
    return 1


async def check_deferred_cut(uow: ControlUnitOfWork, meter_id: str, now: datetime, config: ControlConfig) -> int:
    """A protection window ended: cut now if the account is still in arrears (settle decides)."""
    async with uow:
        meter = await uow.meters.get_for_update(meter_id)
        if meter.current.cut_check_at is None or meter.current.cut_check_at > now:
            return 0
        meter.clear_cut_check(now)
        issued = await queue.settle_meter(uow, meter, now, config, WINDOW_END_BY, WINDOW_END_REASON)
        await uow.commit()
    return issued


async def dispatch_due(new_uow: Callable[[], ControlUnitOfWork], now: datetime, config: ControlConfig) -> int:
    """Send what waited: retries whose backoff is over, commands queued behind one that finished."""
    async with new_uow() as uow:
        meter_ids = await uow.commands.meters_with_due_queue(now, config.sweep_limit)
    sent = 0
    for meter_id in meter_ids:
        async with new_uow() as uow:
            meter = await uow.meters.get_for_update(meter_id)
            sent += await queue.dispatch_next(uow, meter, now, config)
            await uow.commit()
    return sent


async def finish_batches(uow: ControlUnitOfWork, now: datetime, limit: int) -> int:
    """Running batches whose items are all final are done."""
    async with uow:
        done = await uow.batches.finished_running(limit)
        for batch_id in done:
            await uow.batches.mark_done(batch_id, now)
        await uow.commit()
    return len(done)

"""The policy and the queue: bring a meter towards its desired state, one command at a time.

Everything here takes the LockedMeter of the meter it works on, so a meter's commands
leave one at a time and in order whichever consumer or sweep gets there first.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from services.control.domain.events import CommandFinished, CommandIssued
from services.control.domain.lifecycle import (
    AttemptEnd,
    Command,
    CommandRequest,
    Origin,
    Status,
    after_failure,
    bounded_id,
)
from services.control.domain.meter import LockedMeter
from services.control.domain.policy import (
    SUPPLY_ACTIONS,
    Supply,
    cut_deferred,
    next_action,
    refused_by_guarantee,
    still_wanted,
)
from services.control.domain.windows import NO_PROTECTION, ProtectionWindow, cut_allowed, window_end
from services.control.service.config import ControlConfig
from services.control.unit_of_work import ControlUnitOfWork
from services.kit.logging import get_logger

log = get_logger(__name__)

MAX_SKIPPED_PER_DISPATCH = 20  # cancelled commands skipped in one go before the next sweep
GUARANTEE_REFUSAL = "保电中，不断电 refused: the meter is in power guarantee"
NO_LONGER_NEEDED = "已无需执行 no longer needed: the meter's desired state changed"


async def settle_meter(uow: ControlUnitOfWork, meter: LockedMeter, now: datetime, config: ControlConfig,
                       requested_by: str, reason: str) -> int:
    """Bring the meter towards its desired state: queue the supply command it lacks, then dispatch.

    An arrears cut held back by a protection window is booked for the window's end
    (cut_check_at), where the sweep settles the meter again. Returns the commands queued (0 or 1).
    """
    window = await window_of(uow, meter.current.tags.project)
    allowed = cut_allowed(window, now, config.calendar)
    check_at = window_end(window, now, config.calendar) if cut_deferred(meter.state, allowed) else None
    if meter.book_cut_check(check_at, now) and check_at is not None:
        log.info("arrears cut deferred by protection window", meter_id=meter.meter_id, until=check_at.isoformat())
    action = next_action(meter.state, allowed, await uow.commands.supply_pending(meter))
    if action is not None:
        await enqueue(uow, meter, CommandRequest(action, Origin.AUTO, requested_by, reason), now, config)
    await dispatch_next(uow, meter, now, config)
    return int(action is not None)


async def window_of(uow: ControlUnitOfWork, project: str) -> ProtectionWindow:
    """The project's protection window, else the default one (project ""), else none."""
    window = await uow.windows.get(project) if project else None
    return window or await uow.windows.get("") or NO_PROTECTION


async def enqueue(uow: ControlUnitOfWork, meter: LockedMeter, request: CommandRequest, now: datetime,
                  config: ControlConfig) -> str:
    """Queue a command behind the meter's others; returns its id (an existing id is left as it is)."""
    command_id = bounded_id(request.command_id or f"{request.origin.value}:{uuid.uuid4()}")
    await uow.commands.add(meter, command_id, request, config.retry.max_attempts, now)
    return command_id


async def dispatch_next(uow: ControlUnitOfWork, meter: LockedMeter, now: datetime, config: ControlConfig) -> bool:
    """Send the meter's oldest queued command if nothing is in flight and its time has come.

    Before anything leaves: no cut to a meter in power guarantee, and an automatic supply
    command the meter no longer needs (the balance came back meanwhile) is cancelled.
    """
    if await uow.commands.in_flight(meter):
        return False
    for _ in range(MAX_SKIPPED_PER_DISPATCH):
        command = await uow.commands.next_queued(meter)
        if command is None or not command.due(now):
            return False
        refusal = await _refusal(uow, meter, command, now, config)
        if refusal is None:
            await _send(uow, meter, command, now, config)
            return True
        await finish(uow, meter, command, Status.CANCELLED, refusal, Supply.UNKNOWN, now)
    return False


async def _refusal(uow: ControlUnitOfWork, meter: LockedMeter, command: Command, now: datetime,
                   config: ControlConfig) -> str | None:
    if refused_by_guarantee(command.action, meter.current.mode):
        return GUARANTEE_REFUSAL
    if command.origin is Origin.AUTO and command.action in SUPPLY_ACTIONS:
        allowed = cut_allowed(await window_of(uow, meter.current.tags.project), now, config.calendar)
        if not still_wanted(command.action, meter.state, allowed):
            return NO_LONGER_NEEDED
    return None


async def _send(uow: ControlUnitOfWork, meter: LockedMeter, command: Command, now: datetime,
                config: ControlConfig) -> None:
    attempt = command.attempt + 1
    await uow.commands.mark_sent(meter, command, attempt, now,
                                 now + timedelta(seconds=config.retry.result_timeout_s))
    await uow.publish(CommandIssued.attempt_of(command, attempt, now))
    log.info("command sent", meter_id=command.meter_id, command_id=command.command_id,
             action=command.action.name, attempt=attempt, requested_by=command.requested_by)


async def record_outcome(uow: ControlUnitOfWork, meter: LockedMeter, command: Command, end: AttemptEnd,
                         now: datetime, config: ControlConfig) -> None:
    """One attempt is over: confirm, schedule the retry, or give up; then the meter's next command."""
    await uow.commands.finish_attempt(meter, command, end, now)
    meter.record_relay(end.relay_state, now)
    if end.confirmed:
        await finish(uow, meter, command, Status.CONFIRMED, end.detail, end.relay_state, now)
    else:
        verdict = after_failure(config.retry, command.attempt, command.attempt_limit, now)
        if verdict.next_attempt_at is not None:
            await uow.commands.requeue(meter, command, end, verdict.next_attempt_at)
        else:
            await finish(uow, meter, command, Status.FAILED, end.detail, end.relay_state, now)
            log.warning("command given up", command_id=command.command_id, meter_id=command.meter_id,
                        attempts=command.attempt, detail=end.detail)
            # No new automatic command for a meter that just exhausted its attempts: that would retry
            # without bound. The meter is settled again when it comes back online or an event arrives.
            await dispatch_next(uow, meter, now, config)
            return
    await settle_meter(uow, meter, now, config, "control:follow-up", "指令完成后核对 follow-up after a command")


async def finish(uow: ControlUnitOfWork, meter: LockedMeter, command: Command, status: Status, detail: str,
                 relay_state: Supply, now: datetime) -> None:
    """A command reached a final status; the outcome is published for notify and the console."""
    await uow.commands.finish(meter, command, status, detail, relay_state, now)
    await uow.publish(CommandFinished.of(command, status, detail, relay_state, now))

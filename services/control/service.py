"""Use cases of the control service: turn wallet, device and operator facts into relay commands,
and carry every command through its life (queued, sent, confirmed or failed, retried, given up).

Every path that may send a command locks the meter's control row first, so a meter's
commands leave one at a time and in order whichever consumer or sweep gets there first.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from services.contracts.meterpay.v1 import control_pb2, device_pb2, readings_pb2, wallet_pb2
from services.control.domain.lifecycle import FINAL, Origin, RetryPolicy, Status, after_failure
from services.control.domain.operations import (
    MAX_BATCH_METERS,
    InvalidOperation,
    Operation,
    Settings,
    check_request,
    plan_operation,
)
from services.control.domain.policy import (
    SUPPLY_ACTIONS,
    Action,
    Kind,
    MeterState,
    Mode,
    Supply,
    cut_deferred,
    next_action,
    overloaded,
    refused_by_guarantee,
    still_wanted,
)
from services.control.domain.windows import (
    NO_PROTECTION,
    DayCalendar,
    ProtectionWindow,
    cut_allowed,
    window_end,
)
from services.control.repository import CommandRow, ControlRepository, MeterControlRow, WindowRow
from services.kit import messaging
from services.kit.db import UnitOfWork
from services.kit.inbox import first_delivery
from services.kit.logging import get_logger
from services.kit.messaging import timestamp as _ts

log = get_logger(__name__)

SUPPLY_EVENTS = {wallet_pb2.WALLET_EVENT_KIND_ARREARS: True, wallet_pb2.WALLET_EVENT_KIND_RECOVERED: False}
MAX_SKIPPED_PER_DISPATCH = 20  # cancelled commands skipped in one go before the next sweep
MAX_COMMAND_ID_CHARS = 100     # what acquisition's field_commands table keeps
MAX_REQUEST_ID_CHARS = 64


class ControlUnitOfWork(UnitOfWork):
    repo: ControlRepository

    def attach_repositories(self, session) -> None:
        self.repo = ControlRepository(session)


@dataclass(frozen=True)
class ControlConfig:
    """What the use cases need besides the unit of work: retry bounds and the day calendar."""

    retry: RetryPolicy
    calendar: DayCalendar
    sweep_limit: int = 500


class UnknownBatch(LookupError):
    pass


def meter_state(meter: MeterControlRow) -> MeterState:
    return MeterState(Mode(meter.mode), meter.in_arrears, meter.overload_tripped, Supply(meter.known_state),
                      Kind(meter.kind) if meter.kind in (1, 2) else Kind.ELECTRICITY)


# --------------------------------------------------------------------------- facts from other services


async def on_wallet_event(uow: ControlUnitOfWork, event: wallet_pb2.WalletEvent, now: datetime,
                          config: ControlConfig) -> int:
    """Arrears cut supply and recovery restores it, per meter of the account; returns commands issued.

    The inbox makes a redelivered event a no-op, so a duplicate never issues a second command.
    """
    in_arrears = SUPPLY_EVENTS.get(event.kind)
    if in_arrears is None:
        return 0
    issued = 0
    async with uow:
        if not await first_delivery(uow.session, "control.wallet-events", event.event_id):
            return 0
        reason = "欠费断电 arrears" if in_arrears else "充值复电 recharge restored the balance"
        for meter_id in sorted(event.meter_ids):
            await uow.repo.meter_for_update(meter_id)
            await uow.repo.update_meter(meter_id, now, in_arrears=in_arrears)
            issued += await settle_meter(uow, meter_id, now, config, f"wallet-event:{event.event_id}", reason)
        await uow.commit()
    return issued


async def on_control_result(uow: ControlUnitOfWork, result: control_pb2.ControlResult, now: datetime,
                            config: ControlConfig) -> bool:
    """Record what the meter answered; retry, give up or move on to the meter's next command.

    A result seen before, or one for an attempt that already timed out, changes nothing.
    """
    async with uow:
        command = await uow.repo.command(result.command_id)
        if command is None:
            return False
        await uow.repo.meter_for_update(command.meter_id)
        command = await uow.repo.command(result.command_id, for_update=True)
        if command is None or command.status != Status.SENT or result.attempt != command.attempt:
            return False
        confirmed = result.outcome == control_pb2.CONTROL_OUTCOME_CONFIRMED
        await _record_outcome(uow, command, confirmed, result.relay_state, result.detail,
                              "confirmed" if confirmed else "failed", now, config)
        await uow.commit()
    return True


async def on_device_status(uow: ControlUnitOfWork, status: device_pb2.DeviceStatus, now: datetime,
                           config: ControlConfig) -> None:
    """Keep the last known relay state and presence from the field; a meter changed by hand is put right."""
    if status.device_type != device_pb2.DEVICE_TYPE_METER:
        return
    async with uow:
        meter = await uow.repo.meter_for_update(status.device_id)
        relay_state = status.relay_state
        if relay_state and await _older_than_last_confirmation(uow, status):
            relay_state = 0  # read before our last confirmed command switched it: not news
        changes: dict[str, Any] = {"online": status.online}
        if relay_state:
            changes["known_state"] = relay_state
        await uow.repo.update_meter(status.device_id, now, **changes)
        came_back = status.online and not meter.online
        if came_back or (relay_state and relay_state != meter.known_state):
            await settle_meter(uow, status.device_id, now, config, "device-status",
                               "现场状态变化 the meter's state changed in the field")
        await uow.commit()


async def _older_than_last_confirmation(uow: ControlUnitOfWork, status: device_pb2.DeviceStatus) -> bool:
    """A poll taken just before a trip can be stored just after it; its "closed" must not undo the trip."""
    if not status.HasField("changed_at"):
        return False
    confirmed_at = await uow.repo.last_confirmed_at(status.device_id)
    return confirmed_at is not None and status.changed_at.ToDatetime(tzinfo=UTC) < confirmed_at


async def on_overload(uow: ControlUnitOfWork, reading: readings_pb2.MeterReading, threshold_w: int,
                      now: datetime, config: ControlConfig) -> bool:
    """过载: trip a meter drawing more than its threshold (never one in power guarantee) and report it."""
    async with uow:
        meter = await uow.repo.meter_for_update(reading.meter_id)
        if meter.overload_tripped or not overloaded(reading.power_w, meter.overload_threshold_w):
            return False
        if meter.mode == Mode.POWER_GUARANTEE:
            log.warning("overload on a meter in power guarantee: reported, not tripped",
                        meter_id=reading.meter_id, power_w=reading.power_w, threshold_w=threshold_w)
            return False
        await uow.repo.update_meter(reading.meter_id, now, overload_tripped=True, last_power_w=reading.power_w)
        await settle_meter(uow, reading.meter_id, now, config, "overload",
                           f"过载 overload {reading.power_w} W > {meter.overload_threshold_w} W")
        log.warning("overload trip", meter_id=reading.meter_id, power_w=reading.power_w)
        await uow.commit()
    return True


# --------------------------------------------------------------------------- the policy and the queue


async def settle_meter(uow: ControlUnitOfWork, meter_id: str, now: datetime, config: ControlConfig,
                       requested_by: str, reason: str) -> int:
    """Bring the meter towards its desired state: queue the supply command it lacks, then dispatch.

    Caller holds the meter's lock. An arrears cut held back by a protection window is
    booked for the window's end (cut_check_at), where the sweep settles the meter again.
    """
    meter = await uow.repo.meter(meter_id)
    assert meter is not None
    state = meter_state(meter)
    window = await _window_of(uow, meter)
    allowed = cut_allowed(window, now, config.calendar)
    check_at = window_end(window, now, config.calendar) if cut_deferred(state, allowed) else None
    if check_at != meter.cut_check_at:
        await uow.repo.update_meter(meter_id, now, cut_check_at=check_at)
        if check_at is not None:
            log.info("arrears cut deferred by protection window", meter_id=meter_id, until=check_at.isoformat())
    action = next_action(state, allowed, await uow.repo.supply_command_pending(meter_id))
    if action is not None:
        await _enqueue(uow, meter_id, action, Origin.AUTO, requested_by, reason, now, config)
    await dispatch_next(uow, meter_id, now, config)
    return int(action is not None)


async def _window_of(uow: ControlUnitOfWork, meter: MeterControlRow) -> ProtectionWindow:
    row = await uow.repo.window(meter.project) if meter.project else None
    row = row or await uow.repo.window("")
    return window_from_row(row) if row else NO_PROTECTION


def window_from_row(row: WindowRow) -> ProtectionWindow:
    return ProtectionWindow(row.project, row.night_start, row.night_end, row.weekends, row.holidays, row.timezone)


async def _enqueue(uow: ControlUnitOfWork, meter_id: str, action: Action, origin: Origin, requested_by: str,
                   reason: str, now: datetime, config: ControlConfig, *, command_id: str | None = None,
                   batch_id: str | None = None, settings: Settings | None = None) -> str:
    command_id = bounded_id(command_id or f"{origin.value}:{uuid.uuid4()}")
    await uow.repo.add_command(dict(
        command_id=command_id, meter_id=meter_id, action=int(action), status=Status.QUEUED.value,
        attempt=0, attempt_limit=config.retry.max_attempts, origin=origin.value, batch_id=batch_id,
        requested_by=requested_by[:200], reason=reason[:200], created_at=now,
        settings=asdict(settings) if settings and not settings.is_empty() else None))
    return command_id


def bounded_id(text: str, limit: int = MAX_COMMAND_ID_CHARS) -> str:
    """Command ids fit the 100 characters acquisition keeps; a longer derived id keeps a hash of the rest."""
    if len(text) <= limit:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:32]
    return f"{text[:limit - 33]}~{digest}"


def _check_request_id(request_id: str) -> None:
    if not request_id or len(request_id) > MAX_REQUEST_ID_CHARS:
        raise InvalidOperation(f"请求号/批次号为 1..{MAX_REQUEST_ID_CHARS} 个字符 "
                               f"a request or batch id has 1..{MAX_REQUEST_ID_CHARS} characters")


async def dispatch_next(uow: ControlUnitOfWork, meter_id: str, now: datetime, config: ControlConfig) -> bool:
    """Send the meter's oldest queued command if nothing is in flight and its time has come.

    Before anything leaves: no cut to a meter in power guarantee, and an automatic supply
    command the meter no longer needs (the balance came back meanwhile) is cancelled.
    """
    if await uow.repo.command_in_flight(meter_id):
        return False
    for _ in range(MAX_SKIPPED_PER_DISPATCH):
        command = await uow.repo.next_queued(meter_id)
        if command is None or (command.next_attempt_at is not None and command.next_attempt_at > now):
            return False
        refusal = await _refusal(uow, command, now, config)
        if refusal is None:
            await _send(uow, command, now, config)
            return True
        await _finish(uow, command, Status.CANCELLED, refusal, 0, now)
    return False


async def _refusal(uow: ControlUnitOfWork, command: CommandRow, now: datetime, config: ControlConfig) -> str | None:
    meter = await uow.repo.meter(command.meter_id)
    assert meter is not None
    action = Action(command.action)
    if refused_by_guarantee(action, Mode(meter.mode)):
        return "保电中，不断电 refused: the meter is in power guarantee"
    if command.origin == Origin.AUTO and action in SUPPLY_ACTIONS:
        allowed = cut_allowed(await _window_of(uow, meter), now, config.calendar)
        if not still_wanted(action, meter_state(meter), allowed):
            return "已无需执行 no longer needed: the meter's desired state changed"
    return None


async def _send(uow: ControlUnitOfWork, command: CommandRow, now: datetime, config: ControlConfig) -> None:
    attempt = command.attempt + 1
    await uow.repo.update_command(
        command.command_id, status=Status.SENT.value, attempt=attempt, sent_at=now, next_attempt_at=None,
        result_deadline=now + timedelta(seconds=config.retry.result_timeout_s))
    await uow.repo.add_attempt(command.command_id, attempt, now)
    message = control_pb2.ControlCommand(
        command_id=command.command_id, meter_id=command.meter_id, action=command.action, issued_at=_ts(now),
        reason=command.reason, requested_by=command.requested_by, attempt=attempt,
        settings=control_pb2.SettingPush(**command.settings) if command.settings else None)
    await uow.emit(messaging.CONTROL_COMMANDS, command.meter_id, message)
    log.info("command sent", meter_id=command.meter_id, command_id=command.command_id,
             action=Action(command.action).name, attempt=attempt, requested_by=command.requested_by)


async def _record_outcome(uow: ControlUnitOfWork, command: CommandRow, confirmed: bool, relay_state: int,
                          detail: str, outcome: str, now: datetime, config: ControlConfig) -> None:
    """One attempt is over: confirm, schedule the retry, or give up; then the meter's next command."""
    await uow.repo.finish_attempt(command.command_id, command.attempt, outcome, detail, relay_state, now)
    if relay_state:
        await uow.repo.update_meter(command.meter_id, now, known_state=relay_state)
    if confirmed:
        await _finish(uow, command, Status.CONFIRMED, detail, relay_state, now)
    else:
        verdict = after_failure(config.retry, command.attempt, command.attempt_limit, now)
        if verdict.status is Status.QUEUED:
            await uow.repo.update_command(command.command_id, status=Status.QUEUED.value, detail=detail[:500],
                                          relay_state=relay_state, next_attempt_at=verdict.next_attempt_at)
        else:
            await _finish(uow, command, Status.FAILED, detail, relay_state, now)
            log.warning("command given up", command_id=command.command_id, meter_id=command.meter_id,
                        attempts=command.attempt, detail=detail)
            # No new automatic command for a meter that just exhausted its attempts: that would retry
            # without bound. The meter is settled again when it comes back online or an event arrives.
            await dispatch_next(uow, command.meter_id, now, config)
            return
    await settle_meter(uow, command.meter_id, now, config, "control:follow-up",
                       "指令完成后核对 follow-up after a command")


async def _finish(uow: ControlUnitOfWork, command: CommandRow, status: Status, detail: str, relay_state: int,
                  now: datetime) -> None:
    await uow.repo.update_command(command.command_id, status=status.value, detail=detail[:500],
                                  relay_state=relay_state, completed_at=now, next_attempt_at=None)
    await uow.emit(messaging.CONTROL_EVENTS, command.meter_id, control_pb2.ControlResult(
        command_id=command.command_id, meter_id=command.meter_id,
        outcome=control_pb2.CONTROL_OUTCOME_CONFIRMED if status is Status.CONFIRMED
        else control_pb2.CONTROL_OUTCOME_FAILED,
        relay_state=relay_state, detail=detail[:500], completed_at=_ts(now), attempt=command.attempt,
        action=command.action, reason=command.reason, requested_by=command.requested_by, status=status.value))


# --------------------------------------------------------------------------- operators: commands and batches


@dataclass(frozen=True)
class OperatorRequest:
    request_id: str
    operation: int
    settings: Settings
    requested_by: str
    reason: str


async def submit_command(uow: ControlUnitOfWork, meter_id: str, request: OperatorRequest, now: datetime,
                         config: ControlConfig) -> tuple[CommandRow, bool]:
    """Carry out one operation on one meter; returns its item command and whether it was a retried request."""
    operation = check_request(request.operation, request.settings)
    _check_request_id(request.request_id)
    if not meter_id or len(meter_id) > 64:
        raise InvalidOperation("需要表号 a meter id (1..64 characters) is required")
    command_id = f"op:{request.request_id}"
    async with uow:
        existing = await uow.repo.command(command_id)
        if existing is not None and existing.meter_id != meter_id:
            raise InvalidOperation(f"请求号已用于其他表计 request id {request.request_id!r} was used for "
                                   f"meter {existing.meter_id!r}")
        if existing is None:
            await _apply_operation(uow, meter_id, operation, request, command_id, None, now, config)
            await uow.commit()
        command = await uow.repo.command(command_id)
    assert command is not None
    return command, existing is not None


async def _apply_operation(uow: ControlUnitOfWork, meter_id: str, operation: Operation, request: OperatorRequest,
                           item_id: str, batch_id: str | None, now: datetime, config: ControlConfig) -> None:
    meter = await uow.repo.meter_for_update(meter_id)
    plan = plan_operation(operation, Mode(meter.mode), meter_state(meter).kind)
    changes: dict[str, Any] = {}
    if plan.new_mode is not None:
        changes["mode"] = plan.new_mode.value
    if plan.clears_overload:
        changes["overload_tripped"] = False
    if operation is Operation.THRESHOLD_PUSH and request.settings.overload_w:
        changes["overload_threshold_w"] = request.settings.overload_w
    if changes:
        await uow.repo.update_meter(meter_id, now, **changes)
    for i, action in enumerate(plan.before):
        await _enqueue(uow, meter_id, action, Origin.OPERATOR, request.requested_by, request.reason, now, config,
                       command_id=bounded_id(f"{item_id}:before{i}"))
    await _enqueue(uow, meter_id, plan.item, Origin.OPERATOR, request.requested_by, request.reason, now, config,
                   command_id=item_id, batch_id=batch_id, settings=request.settings)
    await settle_meter(uow, meter_id, now, config, request.requested_by, request.reason)


async def submit_batch(uow: ControlUnitOfWork, request: OperatorRequest, selection: dict[str, Any],
                       run_at: datetime | None, now: datetime, config: ControlConfig) -> tuple[str, bool]:
    """Record a batch over a selection of meters; it starts now or at run_at. Returns (batch_id, duplicate)."""
    check_request(request.operation, request.settings)
    _check_request_id(request.request_id)
    if not any(selection.values()):
        raise InvalidOperation("请选择表计 a batch needs a selection (ids, tags, mode or state)")
    async with uow:
        created = await uow.repo.add_batch(dict(
            batch_id=request.request_id, operation=request.operation, status="scheduled", selection=selection,
            settings=asdict(request.settings), requested_by=request.requested_by[:200],
            reason=request.reason[:200], created_at=now, run_at=run_at or now))
        if not created:
            existing = await uow.repo.batch(request.request_id)
            if existing is not None and (existing.operation, existing.selection) != (request.operation, selection):
                raise InvalidOperation(f"批次号已用于其他操作 batch id {request.request_id!r} was used for "
                                       "another operation or selection")
        if created and (run_at is None or run_at <= now):
            await _start_batch(uow, request.request_id, now, config)
        await uow.commit()
    return request.request_id, not created


async def start_due_batch(new_uow: Callable[[], ControlUnitOfWork], batch_id: str, now: datetime,
                          config: ControlConfig) -> bool:
    """定时: a batch whose time has come expands into its items; one that cannot is cancelled."""
    try:
        async with new_uow() as uow:
            batch = await uow.repo.batch(batch_id, for_update=True)
            if batch is None or batch.status != "scheduled":
                return False
            await _start_batch(uow, batch_id, now, config)
            await uow.commit()
        return True
    except InvalidOperation as exc:
        log.error("scheduled batch refused", batch_id=batch_id, error=str(exc))
        async with new_uow() as uow:
            await uow.repo.update_batch(batch_id, status="cancelled", finished_at=now)
            await uow.commit()
        return False


async def _start_batch(uow: ControlUnitOfWork, batch_id: str, now: datetime, config: ControlConfig) -> None:
    batch = await uow.repo.batch(batch_id)
    assert batch is not None
    await uow.repo.ensure_meters(list(batch.selection.get("meter_ids") or [])[:MAX_BATCH_METERS + 1])
    meters = await uow.repo.select_meters(batch.selection, MAX_BATCH_METERS + 1)
    if len(meters) > MAX_BATCH_METERS:
        raise InvalidOperation(f"批量超过上限 a batch covers at most {MAX_BATCH_METERS} meters")
    request = OperatorRequest(batch_id, batch.operation, Settings(**(batch.settings or {})),
                              batch.requested_by, batch.reason or f"批量 batch {batch_id}")
    for meter in meters:
        await _apply_operation(uow, meter.meter_id, Operation(batch.operation), request,
                               bounded_id(f"{batch_id}:{meter.meter_id}"), batch_id, now, config)
    await uow.repo.update_batch(batch_id, status="running" if meters else "done", started_at=now,
                                total=len(meters), finished_at=None if meters else now)
    log.info("batch started", batch_id=batch_id, meters=len(meters), operation=Operation(batch.operation).name)


async def resend_failed(uow: ControlUnitOfWork, batch_id: str, command_ids: list[str], requested_by: str,
                        now: datetime, config: ControlConfig) -> int:
    """补发: put a batch's given-up items (or the named ones) back in the queue with fresh attempts."""
    async with uow:
        batch = await uow.repo.batch(batch_id, for_update=True)
        if batch is None:
            raise UnknownBatch(f"未知批次 unknown batch {batch_id!r}")
        failed = await uow.repo.batch_commands(batch_id, (Status.FAILED.value,))
        chosen = [c for c in failed if not command_ids or c.command_id in command_ids]
        for command in chosen:
            await uow.repo.meter_for_update(command.meter_id)
            await uow.repo.update_command(
                command.command_id, status=Status.QUEUED.value, completed_at=None, next_attempt_at=None,
                attempt_limit=command.attempt + config.retry.max_attempts,
                detail=f"重发 re-sent by {requested_by}"[:500])
            await dispatch_next(uow, command.meter_id, now, config)
        if chosen:
            await uow.repo.update_batch(batch_id, status="running", finished_at=None)
        await uow.commit()
    return len(chosen)


async def cancel_batch(uow: ControlUnitOfWork, batch_id: str, requested_by: str, now: datetime) -> None:
    """A scheduled batch never starts; a running one sends nothing more (what is in flight finishes)."""
    async with uow:
        batch = await uow.repo.batch(batch_id, for_update=True)
        if batch is None:
            raise UnknownBatch(f"未知批次 unknown batch {batch_id!r}")
        for command in await uow.repo.batch_commands(batch_id, (Status.QUEUED.value,)):
            await _finish(uow, command, Status.CANCELLED, f"批次已取消 batch cancelled by {requested_by}", 0, now)
        if batch.status in ("scheduled", "running"):
            await uow.repo.update_batch(batch_id, status="cancelled", finished_at=now)
        await uow.commit()


# --------------------------------------------------------------------------- protection windows


async def set_protection_window(uow: ControlUnitOfWork, window: ProtectionWindow, now: datetime) -> None:
    """Store a project's window; meters in arrears are looked at again by the next sweep."""
    async with uow:
        await uow.repo.upsert_window(dict(
            project=window.project, night_start=window.night_start, night_end=window.night_end,
            weekends=window.weekends, holidays=window.holidays, timezone=window.timezone), now)
        await uow.repo.recheck_arrears(None if window.project == "" else window.project, now)
        await uow.commit()


# --------------------------------------------------------------------------- the sweep


@dataclass
class SweepReport:
    timed_out: int = 0
    batches_started: int = 0
    cuts_checked: int = 0
    dispatched: int = 0
    batches_done: int = 0


async def sweep(new_uow, now: datetime, config: ControlConfig) -> SweepReport:
    """One pass of the background work: result timeouts, scheduled batches, window ends, retries due."""
    report = SweepReport()
    limit = config.sweep_limit
    async with new_uow() as uow:
        timed_out = await uow.repo.timed_out_commands(now, limit)
        due_batches = await uow.repo.due_batches(now, limit)
        due_cuts = await uow.repo.meters_due_cut_check(now, limit)
    for command_id in timed_out:
        report.timed_out += await time_out_command(new_uow(), command_id, now, config)
    for batch_id in due_batches:
        report.batches_started += await start_due_batch(new_uow, batch_id, now, config)
    for meter_id in due_cuts:
        report.cuts_checked += await check_deferred_cut(new_uow(), meter_id, now, config)
    report.dispatched = await dispatch_due(new_uow, now, config)
    report.batches_done = await finish_batches(new_uow(), now, limit)
    return report


async def time_out_command(uow: ControlUnitOfWork, command_id: str, now: datetime, config: ControlConfig) -> int:
    """No result in time: the attempt counts as failed (a late answer to it is ignored)."""
    async with uow:
        command = await uow.repo.command(command_id)
        if command is None:
            return 0
        await uow.repo.meter_for_update(command.meter_id)
        command = await uow.repo.command(command_id, for_update=True)
        if command is None or command.status != Status.SENT or not command.result_deadline \
                or command.result_deadline >= now:
            return 0
        detail = f"超时 no result within {config.retry.result_timeout_s:g} s"
        await _record_outcome(uow, command, False, 0, detail, "timeout", now, config)
        await uow.commit()
    return 1


async def check_deferred_cut(uow: ControlUnitOfWork, meter_id: str, now: datetime, config: ControlConfig) -> int:
    """A protection window ended: cut now if the account is still in arrears (settle decides)."""
    async with uow:
        meter = await uow.repo.meter_for_update(meter_id)
        if meter.cut_check_at is None or meter.cut_check_at > now:
            return 0
        await uow.repo.update_meter(meter_id, now, cut_check_at=None)
        issued = await settle_meter(uow, meter_id, now, config, "schedule:protection-window-end",
                                    "保护时段结束，欠费断电 protection window ended, still in arrears")
        await uow.commit()
    return issued


async def dispatch_due(new_uow, now: datetime, config: ControlConfig) -> int:
    async with new_uow() as uow:
        meter_ids = await uow.repo.meters_with_due_queue(now, config.sweep_limit)
    sent = 0
    for meter_id in meter_ids:
        async with new_uow() as uow:
            await uow.repo.meter_for_update(meter_id)
            sent += await dispatch_next(uow, meter_id, now, config)
            await uow.commit()
    return sent


async def finish_batches(uow: ControlUnitOfWork, now: datetime, limit: int) -> int:
    async with uow:
        done = await uow.repo.finished_running_batches(limit)
        for batch_id in done:
            await uow.repo.update_batch(batch_id, status="done", finished_at=now)
        await uow.commit()
    return len(done)


def is_final(status: str) -> bool:
    return status in FINAL


@dataclass
class ReadingWatch:
    """What the reading stream needs per meter (overload threshold, water or not), held in memory,
    so readings cost no query unless a meter is over its threshold or shows a new kind.

    Refreshed at most every refresh_s from the database (these change rarely: a push, a tag).
    """

    load: Callable[[], Any]
    refresh_s: float
    thresholds: dict[str, int] = field(default_factory=dict)
    water: set[str] = field(default_factory=set)
    loaded_at: float = float("-inf")

    async def refresh(self) -> None:
        if time.monotonic() - self.loaded_at > self.refresh_s:
            self.thresholds, self.water = await self.load()
            self.loaded_at = time.monotonic()

    async def threshold_of(self, meter_id: str) -> int:
        await self.refresh()
        return self.thresholds.get(meter_id, 0)

    async def kind_is_new(self, meter_id: str, kind: int) -> bool:
        await self.refresh()
        return kind in (Kind.ELECTRICITY, Kind.WATER) and (kind == Kind.WATER) != (meter_id in self.water)


async def load_reading_watch(uow: ControlUnitOfWork) -> tuple[dict[str, int], set[str]]:
    async with uow:
        return await uow.repo.overload_thresholds(), await uow.repo.water_meters()


async def learn_meter_kind(uow: ControlUnitOfWork, meter_id: str, kind: int, now: datetime) -> None:
    """A reading says what the meter is (electricity or water): supply commands follow (trip or valve)."""
    async with uow:
        await uow.repo.meter_for_update(meter_id)
        await uow.repo.update_meter(meter_id, now, kind=kind)
        await uow.commit()

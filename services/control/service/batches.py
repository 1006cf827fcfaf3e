"""Batches (批量): one operation over a selection of meters, now or at a set time (定时)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from services.control.domain.batches import Batch, BatchStatus
from services.control.domain.commands import CancelBatch, OperatorRequest, ResendFailed, SubmitBatch
from services.control.domain.errors import InvalidOperation, InvalidRequest, UnknownBatch
from services.control.domain.lifecycle import MAX_DETAIL_CHARS, MAX_TEXT_CHARS, Status, bounded_id
from services.control.domain.operations import (
    MAX_BATCH_METERS,
    Operation,
    Settings,
    check_request,
    check_request_id,
)
from services.control.domain.policy import Supply
from services.control.service import operators, queue
from services.control.service.config import ControlConfig
from services.control.service.operators import OperationItem
from services.control.unit_of_work import ControlUnitOfWork
from services.kit.logging import get_logger

log = get_logger(__name__)

EMPTY_SELECTION = "请选择表计 a batch needs a selection (ids, tags, mode or state)"


@dataclass(frozen=True)
class BatchSubmitted:
    batch_id: str
    duplicate: bool        # the batch id was seen before (same operation and selection): nothing new was done


async def submit_batch(uow: ControlUnitOfWork, submit: SubmitBatch, now: datetime,
                       config: ControlConfig) -> BatchSubmitted:
    """Record a batch over a selection of meters; it starts now or at run_at."""
    request = submit.request
    operation = check_request(request.operation, request.settings)
    check_request_id(request.request_id)
    if submit.selection.is_empty():
        raise InvalidOperation(EMPTY_SELECTION)
    batch = _new_batch(submit, operation, now)
    async with uow:
        created = await uow.batches.add(batch)
        if not created:
            existing = await uow.batches.get(batch.batch_id)
            if existing is not None and (existing.operation, existing.selection) != (batch.operation, batch.selection):
                raise InvalidOperation(f"批次号已用于其他操作 batch id {batch.batch_id!r} was used for "
                                       "another operation or selection")
        if created and batch.run_at <= now:
            await _start(uow, batch, now, config)
        await uow.commit()
    return BatchSubmitted(batch.batch_id, not created)


def _new_batch(submit: SubmitBatch, operation: Operation, now: datetime) -> Batch:
    request = submit.request
    return Batch(batch_id=request.request_id, operation=operation, status=BatchStatus.SCHEDULED,
                 selection=submit.selection, settings=request.settings,
                 requested_by=request.requested_by[:MAX_TEXT_CHARS], reason=request.reason[:MAX_TEXT_CHARS],
                 created_at=now,
                 run_at=submit.run_at or now, started_at=None, finished_at=None, total=0)


async def start_due_batch(new_uow: Callable[[], ControlUnitOfWork], batch_id: str, now: datetime,
                          config: ControlConfig) -> bool:
    """定时: a batch whose time has come expands into its items; one that cannot is cancelled."""
    try:
        async with new_uow() as uow:
            batch = await uow.batches.get_for_update(batch_id)
            if batch is None or batch.status is not BatchStatus.SCHEDULED:
                return False
            await _start(uow, batch, now, config)
            await uow.commit()
        return True
    except InvalidRequest as exc:
        log.error("scheduled batch refused", batch_id=batch_id, error=str(exc))
        async with new_uow() as uow:
            await uow.batches.mark_cancelled(batch_id, now)
            await uow.commit()
        return False


async def _start(uow: ControlUnitOfWork, batch: Batch, now: datetime, config: ControlConfig) -> None:
    await uow.meters.ensure(list(batch.selection.meter_ids)[:MAX_BATCH_METERS + 1])
    meters = await uow.meters.select(batch.selection, MAX_BATCH_METERS)
    if meters.next_cursor:
        raise InvalidOperation(f"批量超过上限 a batch covers at most {MAX_BATCH_METERS} meters")
    request = OperatorRequest(batch.batch_id, int(batch.operation), batch.settings or Settings(),
                              batch.requested_by, batch.reason or f"批量 batch {batch.batch_id}")
    for meter in meters.items:
        item = OperationItem(meter.meter_id, batch.operation, request,
                             bounded_id(f"{batch.batch_id}:{meter.meter_id}"), batch.batch_id)
        await operators.apply_operation(uow, item, now, config)
    await uow.batches.mark_started(batch.batch_id, len(meters.items), now)
    log.info("batch started", batch_id=batch.batch_id, meters=len(meters.items), operation=batch.operation.name)


async def resend_failed(uow: ControlUnitOfWork, resend: ResendFailed, now: datetime, config: ControlConfig) -> int:
    """补发: put a batch's given-up items (or the named ones) back in the queue with fresh attempts."""
    async with uow:
        if await uow.batches.get_for_update(resend.batch_id) is None:
            raise UnknownBatch(unknown_batch(resend.batch_id))
        failed = await uow.commands.of_batch(resend.batch_id, (Status.FAILED,), MAX_BATCH_METERS)
        chosen = [c for c in failed.items if not resend.command_ids or c.command_id in resend.command_ids]
        for command in chosen:
            meter = await uow.meters.get_for_update(command.meter_id)
            await uow.commands.resend(meter, command, command.attempt + config.retry.max_attempts,
                                      f"重发 re-sent by {resend.requested_by}"[:MAX_DETAIL_CHARS])
            await queue.dispatch_next(uow, meter, now, config)
        if chosen:
            await uow.batches.reopen(resend.batch_id)
        await uow.commit()
    return len(chosen)


async def cancel_batch(uow: ControlUnitOfWork, cancel: CancelBatch, now: datetime) -> None:
    """A scheduled batch never starts; a running one sends nothing more (what is in flight finishes)."""
    async with uow:
        batch = await uow.batches.get_for_update(cancel.batch_id)
        if batch is None:
            raise UnknownBatch(unknown_batch(cancel.batch_id))
        queued = await uow.commands.of_batch(cancel.batch_id, (Status.QUEUED,), MAX_BATCH_METERS)
        for command in queued.items:
            meter = await uow.meters.get_for_update(command.meter_id)
            await queue.finish(uow, meter, command, Status.CANCELLED,
                               f"批次已取消 batch cancelled by {cancel.requested_by}", Supply.UNKNOWN, now)
        if batch.status in (BatchStatus.SCHEDULED, BatchStatus.RUNNING):
            await uow.batches.mark_cancelled(cancel.batch_id, now)
        await uow.commit()


def unknown_batch(batch_id: str) -> str:
    return f"未知批次 unknown batch {batch_id!r}"

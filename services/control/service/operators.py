"""Operators: one operation on one meter (拉闸, 保电, 恢复预付费, pushes, 立即抄表), and the meter's tags."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.control.domain.commands import OperatorRequest, SetMeterTags, SubmitCommand
from services.control.domain.errors import InvalidOperation
from services.control.domain.lifecycle import Command, CommandRequest, Origin, bounded_id
from services.control.domain.meter import MeterControl
from services.control.domain.operations import (
    Operation,
    check_meter_id,
    check_request,
    check_request_id,
    plan_operation,
)
from services.control.service import queue
from services.control.service.config import ControlConfig
from services.control.unit_of_work import ControlUnitOfWork

TAGS_CHANGED = "标签变化 tags changed"


@dataclass(frozen=True)
class OperationItem:
    """One operation on one meter; command_id is the item command's id, derived from the caller's key."""

    meter_id: str
    operation: Operation
    request: OperatorRequest
    command_id: str
    batch_id: str | None = None


@dataclass(frozen=True)
class CommandSubmitted:
    command: Command
    duplicate: bool        # the request id was seen before: nothing new was done


async def submit_command(uow: ControlUnitOfWork, submit: SubmitCommand, now: datetime,
                         config: ControlConfig) -> CommandSubmitted:
    """Carry out one operation on one meter; a retried request (same request id) returns the first one's item."""
    meter_id, request = submit.meter_id, submit.request
    operation = check_request(request.operation, request.settings)
    check_request_id(request.request_id)
    check_meter_id(meter_id)
    command_id = f"op:{request.request_id}"
    async with uow:
        existing = await uow.commands.get(command_id)
        if existing is not None and existing.meter_id != meter_id:
            raise InvalidOperation(f"请求号已用于其他表计 request id {request.request_id!r} was used for "
                                   f"meter {existing.meter_id!r}")
        if existing is None:
            await apply_operation(uow, OperationItem(meter_id, operation, request, command_id), now, config)
            await uow.commit()
        command = await uow.commands.get(command_id)
    assert command is not None, "the item command was just stored"
    return CommandSubmitted(command, existing is not None)


async def apply_operation(uow: ControlUnitOfWork, item: OperationItem, now: datetime, config: ControlConfig) -> None:
    """Record the mode the operation leaves, queue its commands (what must go first, then the item), settle."""
    request = item.request
    meter = await uow.meters.get_for_update(item.meter_id)
    plan = plan_operation(item.operation, meter.current.mode, meter.current.kind)
    meter.apply_plan(item.operation, plan, request.settings, now)
    for i, action in enumerate(plan.before):
        await queue.enqueue(uow, meter, CommandRequest(
            action, Origin.OPERATOR, request.requested_by, request.reason,
            command_id=bounded_id(f"{item.command_id}:before{i}")), now, config)
    await queue.enqueue(uow, meter, CommandRequest(
        plan.item, Origin.OPERATOR, request.requested_by, request.reason, command_id=item.command_id,
        batch_id=item.batch_id, settings=request.settings), now, config)
    await queue.settle_meter(uow, meter, now, config, request.requested_by, request.reason)


async def set_meter_tags(uow: ControlUnitOfWork, change: SetMeterTags, now: datetime,
                         config: ControlConfig) -> MeterControl:
    """Tags, kind and overload threshold as an operator set them; the meter is settled again under them."""
    async with uow:
        meter = await uow.meters.get_for_update(change.meter_id)
        meter.set_tags(change.tags, change.kind, change.overload_threshold_w, now)
        await queue.settle_meter(uow, meter, now, config, "operator:tags", TAGS_CHANGED)
        await uow.commit()
    return meter.current

"""Control from the console: one operation on a meter in the caller's CONTROL scope, batches over meters in his
BATCH scope, and the commands read model.

A submission takes an Idempotency-Key: control's request id (hence the command or batch id) is derived from
it, so a double click switches once and answers the same. What console submitted is inserted into its
commands read model (ON CONFLICT DO NOTHING: the projection of control.events.v1 owns the final outcome).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from services.console.domain.control import (
    MAX_BATCH_METERS,
    OPERATION_ZH,
    Operation,
    check_batch_size,
)
from services.console.domain.errors import ConsoleError, InvalidRequest, NotFound, Unavailable, not_found
from services.console.domain.placements import common_path
from services.console.domain.scope import Caller, Permission
from services.console.ports import BatchView, CommandView
from services.console.repository.commands import CommandRow, MeterRef
from services.console.repository.money import BatchRow
from services.console.service.audit import entry_for
from services.console.service.idempotency import once
from services.kit.paging import Page, PageSize

if TYPE_CHECKING:
    from services.console.entrypoints.http.deps import AppDeps

PAGE = PageSize(default=50, maximum=500)
ATTEMPT_PAGES = 5             # a command's attempts are looked up among its meter's newest 5 x 100 commands
MAX_SCHEDULE_AHEAD = timedelta(days=366)


def command_body(row: CommandRow, live: CommandView | None = None) -> dict[str, Any]:
    body = {"command_id": row.command_id, "meter_id": row.meter_id, "property_id": row.property_id,
            "action": row.action, "status": row.status, "requested_by": row.requested_by, "reason": row.reason,
            "detail": row.detail, "batch_id": row.batch_id,
            "created_at": row.created_at.isoformat() if row.created_at else None,
            "completed_at": row.completed_at.isoformat() if row.completed_at else None}
    if live is not None:
        body.update(status=live.status, detail=live.detail, attempt=live.attempt, attempt_limit=live.attempt_limit,
                    relay_state=live.relay_state,
                    attempts=[{**a, "sent_at": _iso(a["sent_at"]), "completed_at": _iso(a["completed_at"])}
                              for a in live.attempts])
    return body


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


async def meters_in_scope(deps: AppDeps, caller: Caller, meter_ids: list[str],
                          permission: Permission) -> dict[str, MeterRef]:
    """Every meter within the caller's scope for the permission, or NotFound listing those that are not."""
    async with deps.new_uow() as uow:
        found = await uow.commands.meters_within(meter_ids, caller.scope.paths(permission))
    missing = [m for m in meter_ids if m not in found]
    if missing:
        shown = ", ".join(missing[:50])
        raise NotFound(f"表计不存在: {shown}", f"no such meters: {shown}")
    return found


async def submit_command(deps: AppDeps, caller: Caller, meter_id: str, operation: Operation, reason: str,
                         key: str | None) -> tuple[int, dict]:
    """拉闸 / 合闸 / 保电 / ... on one meter of the caller's CONTROL scope; control carries it out."""
    meter = (await meters_in_scope(deps, caller, [meter_id], Permission.CONTROL))[meter_id]
    requested_by = f"operator:{caller.name}"

    async def act(request_id: str) -> tuple[int, dict]:
        try:
            view, _ = await deps.ports.control.submit_command(request_id, meter_id, str(operation), requested_by,
                                                              reason or OPERATION_ZH[operation])
        except ConsoleError as error:
            await _audit(deps, caller, f"command.{operation}", "meter", meter_id, meter.path, error)
            raise
        row = CommandRow(view.command_id, meter_id, meter.property_id, meter.path, view.action, view.status,
                         view.requested_by, view.reason, view.detail, view.batch_id, view.created_at,
                         view.completed_at)
        async with deps.new_uow() as uow:
            await uow.commands.record_command(row)
            await uow.audit.record(entry_for(caller, f"command.{operation}", "meter", meter_id, meter.path,
                                             after={"command_id": view.command_id, "operation": str(operation)},
                                             detail=reason[:200]))
            await uow.commit()
        return 201, {**command_body(row), "operation": str(operation)}

    fingerprint = {"op": "command", "meter_id": meter_id, "operation": str(operation), "reason": reason}
    return await once(deps, caller, key, fingerprint, act)


async def _audit(deps: AppDeps, caller: Caller, action: str, target_kind: str, target_id: str, path: str | None,
                 error: ConsoleError) -> None:
    async with deps.new_uow() as uow:
        await uow.audit.record(entry_for(caller, action, target_kind, target_id, path, outcome="failed",
                                         detail=f"{error.code}: {error.message_en}"[:500]))
        await uow.commit()


async def list_commands(deps: AppDeps, caller: Caller, meter_id: str, status: str, limit: int,
                        cursor: str = "") -> Page[CommandRow]:
    """Commands of meters within the caller's VIEW scope, newest first."""
    async with deps.new_uow() as uow:
        return await uow.commands.list_commands(caller.scope.paths(Permission.VIEW), meter_id, status,
                                                PAGE.of(limit), cursor)


async def command_detail(deps: AppDeps, caller: Caller, command_id: str) -> dict[str, Any]:
    """A command of the read model with its attempts, asked from control."""
    async with deps.new_uow() as uow:
        row = await uow.commands.get_command(command_id, caller.scope.paths(Permission.VIEW))
    if row is None:
        raise not_found("指令", "command", command_id)
    cursor = ""
    try:
        for _ in range(ATTEMPT_PAGES):
            views, cursor = await deps.ports.control.list_commands(row.meter_id, 100, cursor, with_attempts=True)
            live = next((v for v in views if v.command_id == command_id), None)
            if live is not None or not cursor:
                return command_body(row, live)
    except Unavailable:
        pass   # the read model still answers, without the attempts
    return command_body(row)


@dataclass(frozen=True)
class BatchRequest:
    operation: Operation
    meter_ids: tuple[str, ...] = ()
    node_id: str = ""                 # a property or building: its meters within the caller's scope
    run_at: datetime | None = None
    reason: str = ""


async def _batch_meters(deps: AppDeps, caller: Caller, request: BatchRequest) -> tuple[list[MeterRef], str]:
    """The batch's meters (all in BATCH scope) and the path it is given in."""
    if bool(request.meter_ids) == bool(request.node_id):
        raise InvalidRequest("请给出表计列表或项目/楼栋之一", "give either meter ids or a property / building")
    if request.meter_ids:
        ids = sorted(set(request.meter_ids))
        check_batch_size(ids)
        found = await meters_in_scope(deps, caller, ids, Permission.BATCH)
        return [found[m] for m in ids], common_path([m.path for m in found.values()])
    paths = caller.scope.paths(Permission.BATCH)
    async with deps.new_uow() as uow:
        node = await uow.commands.node_within(request.node_id, paths)
        if node is None:
            raise not_found("节点", "node", request.node_id)
        meters = await uow.commands.meters_under(request.node_id, paths, MAX_BATCH_METERS)
    check_batch_size([m.meter_id for m in meters])
    return meters, node[0]


def _check_run_at(run_at: datetime | None, now: datetime) -> None:
    if run_at is not None and (run_at.tzinfo is None or run_at > now + MAX_SCHEDULE_AHEAD):
        raise InvalidRequest("定时执行时间须带时区且在一年之内", "run_at needs a time zone and lies within a year")


async def submit_batch(deps: AppDeps, caller: Caller, request: BatchRequest, key: str | None) -> tuple[int, dict]:
    """批量操作: one operation over many meters (now or at run_at), every one in the caller's BATCH scope."""
    _check_run_at(request.run_at, deps.clock.now())
    meters, path = await _batch_meters(deps, caller, request)
    properties = {m.property_id for m in meters}
    property_id = properties.pop() if len(properties) == 1 else None

    async def act(batch_id: str) -> tuple[int, dict]:
        meter_ids = [m.meter_id for m in meters]
        try:
            view = await deps.ports.control.submit_batch(batch_id, str(request.operation), meter_ids, request.run_at,
                                                         f"operator:{caller.name}", request.reason)
        except ConsoleError as error:
            await _audit(deps, caller, f"batch.{request.operation}", "batch", batch_id, path, error)
            raise
        row = BatchRow(batch_id, str(request.operation), property_id, path, caller.name, len(meter_ids))
        async with deps.new_uow() as uow:
            await uow.money.add_batch(row)
            await uow.audit.record(entry_for(caller, f"batch.{request.operation}", "batch", batch_id, path,
                                             after={"meters": len(meter_ids), "run_at": _iso(request.run_at)},
                                             detail=request.reason[:200]))
            await uow.commit()
        return 201, batch_body(row, view)

    fingerprint = {"op": "batch", "operation": str(request.operation), "meters": [m.meter_id for m in meters],
                   "run_at": _iso(request.run_at), "reason": request.reason}
    return await once(deps, caller, key, fingerprint, act)


def batch_body(row: BatchRow, view: BatchView | None) -> dict[str, Any]:
    body = {"batch_id": row.batch_id, "operation": row.kind, "property_id": row.property_id,
            "requested_by": row.requested_by, "items": row.items,
            "created_at": row.created_at.isoformat() if row.created_at else None}
    if view is not None:
        body.update(status=view.status, reason=view.reason, counts=view.counts)
    return body


async def list_batches(deps: AppDeps, caller: Caller, limit: int, cursor: str = "") -> tuple[list[dict], str]:
    """Control batches given within the caller's BATCH scope, newest first, with control's counts."""
    async with deps.new_uow() as uow:
        page = await uow.money.list_batches(caller.scope.paths(Permission.BATCH), [str(o) for o in Operation],
                                            PAGE.of(limit), cursor)
    views = await asyncio.gather(*(_control_view(deps, b.batch_id) for b in page.items))
    return [batch_body(row, view) for row, view in zip(page.items, views, strict=True)], page.next_cursor


async def _control_view(deps: AppDeps, batch_id: str) -> BatchView | None:
    """Control's counts of a batch; None when control does not answer (the list still shows the batch)."""
    try:
        return await deps.ports.control.get_batch(batch_id)
    except (Unavailable, NotFound):
        return None


async def _batch_in_scope(deps: AppDeps, caller: Caller, batch_id: str) -> BatchRow:
    async with deps.new_uow() as uow:
        row = await uow.money.get_batch(batch_id, caller.scope.paths(Permission.BATCH))
    if row is None or row.kind not in set(Operation):
        raise not_found("批次", "batch", batch_id)
    return row


async def batch_detail(deps: AppDeps, caller: Caller, batch_id: str) -> dict[str, Any]:
    row = await _batch_in_scope(deps, caller, batch_id)
    return batch_body(row, await deps.ports.control.get_batch(batch_id))


async def cancel_batch(deps: AppDeps, caller: Caller, batch_id: str) -> dict[str, Any]:
    """Cancel what of a batch has not been sent yet (a scheduled batch entirely)."""
    row = await _batch_in_scope(deps, caller, batch_id)
    try:
        view = await deps.ports.control.cancel_batch(batch_id, f"operator:{caller.name}")
    except ConsoleError as error:
        await _audit(deps, caller, "batch.cancel", "batch", batch_id, row.path, error)
        raise
    async with deps.new_uow() as uow:
        await uow.audit.record(entry_for(caller, "batch.cancel", "batch", batch_id, row.path,
                                         after={"status": view.status, "counts": view.counts}))
        await uow.commit()
    return batch_body(row, view)

"""gRPC face of control: commands, batches, modes, tags, protection windows, export."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from services.contracts.meterpay.v1 import control_pb2 as pb
from services.contracts.meterpay.v1 import control_pb2_grpc
from services.control import service
from services.control.domain.operations import InvalidOperation, Settings
from services.control.domain.policy import desired_supply
from services.control.domain.windows import InvalidWindow, ProtectionWindow, parse_time_of_day
from services.control.export import meter_states_workbook
from services.control.repository import (
    AttemptRow,
    BatchRow,
    CommandRow,
    MeterControlRow,
    UnknownStateFilter,
    WindowRow,
)
from services.control.service import ControlConfig, ControlUnitOfWork, OperatorRequest
from services.kit.clock import Clock
from services.kit.messaging import timestamp

MAX_LIST = 5000
MAX_EXPORT_ROWS = 50_000
SELECTION_FIELDS = ("meter_ids", "project", "building", "floor", "tenant", "mode", "state")


def _ts(at: datetime | None) -> Timestamp | None:
    return timestamp(at) if at is not None else None


def selection_dict(selection: pb.MeterSelection) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(selection, name) for name in SELECTION_FIELDS[1:]}
    values["meter_ids"] = sorted(set(selection.meter_ids))
    return {k: v for k, v in values.items() if v}


def settings_of(push: pb.SettingPush) -> Settings:
    return Settings(push.price_yuan, push.overload_w, push.alarm1_fen, push.alarm2_fen)


def meter_view(m: MeterControlRow) -> pb.MeterControl:
    return pb.MeterControl(
        meter_id=m.meter_id, mode=m.mode, in_arrears=m.in_arrears,
        desired_state=int(desired_supply(service.meter_state(m))), known_state=m.known_state,
        tags=pb.MeterTags(project=m.project, building=m.building, floor=m.floor, tenant=m.tenant, kind=m.kind,
                          overload_threshold_w=m.overload_threshold_w),
        online=m.online, overload_tripped=m.overload_tripped, last_power_w=m.last_power_w,
        cut_deferred_until=_ts(m.cut_check_at), updated_at=_ts(m.updated_at))


def command_view(c: CommandRow, attempts: list[AttemptRow] | None = None) -> pb.ControlCommandView:
    return pb.ControlCommandView(
        command_id=c.command_id, meter_id=c.meter_id, action=c.action, status=c.status,
        requested_by=c.requested_by, reason=c.reason, created_at=_ts(c.created_at),
        completed_at=_ts(c.completed_at), detail=c.detail, batch_id=c.batch_id or "", attempt=c.attempt,
        attempt_limit=c.attempt_limit, sent_at=_ts(c.sent_at), next_attempt_at=_ts(c.next_attempt_at),
        relay_state=c.relay_state, settings=pb.SettingPush(**c.settings) if c.settings else None,
        attempts=[pb.CommandAttempt(attempt=a.attempt, sent_at=_ts(a.sent_at), completed_at=_ts(a.completed_at),
                                    outcome=a.outcome, detail=a.detail, relay_state=a.relay_state)
                  for a in attempts or []])


def batch_view(b: BatchRow, progress: dict[str, int]) -> pb.BatchView:
    return pb.BatchView(
        batch_id=b.batch_id, operation=b.operation, status=b.status, requested_by=b.requested_by, reason=b.reason,
        created_at=_ts(b.created_at), run_at=_ts(b.run_at), started_at=_ts(b.started_at),
        finished_at=_ts(b.finished_at), total=b.total, queued=progress.get("queued", 0),
        sent=progress.get("sent", 0), confirmed=progress.get("confirmed", 0), failed=progress.get("failed", 0),
        cancelled=progress.get("cancelled", 0), selection=pb.MeterSelection(**b.selection),
        settings=pb.SettingPush(**b.settings) if b.settings else None)


def window_view(w: WindowRow) -> pb.ProtectionWindow:
    return pb.ProtectionWindow(
        project=w.project, night_start=w.night_start.isoformat() if w.night_start else "",
        night_end=w.night_end.isoformat() if w.night_end else "", weekends=w.weekends, holidays=w.holidays,
        timezone=w.timezone)


class ControlGrpc(control_pb2_grpc.ControlServiceServicer):
    def __init__(self, new_uow: Callable[[], ControlUnitOfWork], clock: Clock, config: ControlConfig) -> None:
        self._new_uow = new_uow
        self._clock = clock
        self._config = config

    # ---- reads

    async def ListCommands(self, request: pb.ListCommandsRequest, context) -> pb.ListCommandsReply:
        async with self._new_uow() as uow:
            rows = await uow.repo.list_commands(request.meter_id or None, request.batch_id or None,
                                                request.status or None, min(request.limit or 100, MAX_LIST))
            attempts = await uow.repo.attempts_of([c.command_id for c in rows]) if request.with_attempts else {}
        return pb.ListCommandsReply(commands=[command_view(c, attempts.get(c.command_id)) for c in rows])

    async def ListMeterControls(self, request: pb.ListMeterControlsRequest, context) -> pb.ListMeterControlsReply:
        rows = await self._select(selection_dict(request.selection), MAX_EXPORT_ROWS, context)
        return pb.ListMeterControlsReply(meters=[meter_view(m) for m in rows])

    async def ListBatches(self, request: pb.ListBatchesRequest, context) -> pb.ListBatchesReply:
        async with self._new_uow() as uow:
            rows = await uow.repo.list_batches(min(request.limit or 50, 500))
            progress = [await uow.repo.batch_progress(b.batch_id) for b in rows]
        return pb.ListBatchesReply(batches=[batch_view(b, p) for b, p in zip(rows, progress, strict=True)])

    async def GetBatch(self, request: pb.GetBatchRequest, context) -> pb.GetBatchReply:
        async with self._new_uow() as uow:
            batch = await uow.repo.batch(request.batch_id)
            if batch is None:
                await context.abort(grpc.StatusCode.NOT_FOUND, f"未知批次 unknown batch {request.batch_id!r}")
            progress = await uow.repo.batch_progress(batch.batch_id)
            items = await uow.repo.batch_commands(batch.batch_id) if request.with_items else []
        return pb.GetBatchReply(batch=batch_view(batch, progress), items=[command_view(c) for c in items])

    async def ListProtectionWindows(self, request, context) -> pb.ListProtectionWindowsReply:
        async with self._new_uow() as uow:
            rows = await uow.repo.windows()
        return pb.ListProtectionWindowsReply(windows=[window_view(w) for w in rows])

    async def ExportMeterStates(self, request: pb.ExportMeterStatesRequest, context) -> pb.ExportMeterStatesReply:
        rows = await self._select(selection_dict(request.selection), MAX_EXPORT_ROWS, context)
        stamp = self._clock.now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        return pb.ExportMeterStatesReply(xlsx=meter_states_workbook(rows), rows=len(rows),
                                         filename=f"meter-states-{stamp}.xlsx")

    async def _select(self, selection: dict[str, Any], limit: int, context) -> list[MeterControlRow]:
        try:
            async with self._new_uow() as uow:
                return await uow.repo.select_meters(selection, limit)
        except UnknownStateFilter as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
            raise

    # ---- changes

    async def SetMeterTags(self, request: pb.SetMeterTagsRequest, context) -> pb.SetMeterTagsReply:
        t = request.tags
        if not request.meter_id or t.overload_threshold_w < 0 or t.kind not in (0, 1, 2):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "表号必填，阈值不能为负 meter id required, "
                                                                  "threshold >= 0, kind electricity or water")
        now = self._clock.now()
        async with self._new_uow() as uow:
            await uow.repo.meter_for_update(request.meter_id)
            await uow.repo.update_meter(request.meter_id, now, project=t.project, building=t.building,
                                        floor=t.floor, tenant=t.tenant, kind=t.kind or 1,
                                        overload_threshold_w=t.overload_threshold_w)
            await service.settle_meter(uow, request.meter_id, now, self._config, "operator:tags",
                                       "标签变化 tags changed")
            await uow.commit()
            meter = await uow.repo.meter(request.meter_id)
        return pb.SetMeterTagsReply(meter=meter_view(meter))

    async def SubmitCommand(self, request: pb.SubmitCommandRequest, context) -> pb.SubmitCommandReply:
        operator = OperatorRequest(request.request_id, request.operation, settings_of(request.settings),
                                   request.requested_by or "operator:unknown", request.reason)
        try:
            command, duplicate = await service.submit_command(
                self._new_uow(), request.meter_id, operator, self._clock.now(), self._config)
        except InvalidOperation as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        return pb.SubmitCommandReply(command=command_view(command), duplicate=duplicate)

    async def SubmitBatch(self, request: pb.SubmitBatchRequest, context) -> pb.SubmitBatchReply:
        operator = OperatorRequest(request.batch_id, request.operation, settings_of(request.settings),
                                   request.requested_by or "operator:unknown", request.reason)
        run_at = request.run_at.ToDatetime(tzinfo=UTC) if request.HasField("run_at") else None
        try:
            batch_id, duplicate = await service.submit_batch(
                self._new_uow(), operator, selection_dict(request.selection), run_at, self._clock.now(),
                self._config)
        except (InvalidOperation, UnknownStateFilter) as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        reply = await self.GetBatch(pb.GetBatchRequest(batch_id=batch_id), context)
        return pb.SubmitBatchReply(batch=reply.batch, duplicate=duplicate)

    async def ResendFailed(self, request: pb.ResendFailedRequest, context) -> pb.ResendFailedReply:
        try:
            resent = await service.resend_failed(self._new_uow(), request.batch_id, list(request.command_ids),
                                                 request.requested_by or "operator:unknown", self._clock.now(),
                                                 self._config)
        except service.UnknownBatch as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, str(exc))
        reply = await self.GetBatch(pb.GetBatchRequest(batch_id=request.batch_id), context)
        return pb.ResendFailedReply(resent=resent, batch=reply.batch)

    async def CancelBatch(self, request: pb.CancelBatchRequest, context) -> pb.BatchView:
        try:
            await service.cancel_batch(self._new_uow(), request.batch_id, request.requested_by or "operator:unknown",
                                       self._clock.now())
        except service.UnknownBatch as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, str(exc))
        return (await self.GetBatch(pb.GetBatchRequest(batch_id=request.batch_id), context)).batch

    async def SetProtectionWindow(self, request: pb.ProtectionWindow, context) -> pb.SetProtectionWindowReply:
        try:
            window = ProtectionWindow(request.project, parse_time_of_day(request.night_start),
                                      parse_time_of_day(request.night_end), request.weekends, request.holidays,
                                      request.timezone or "Asia/Shanghai")
        except InvalidWindow as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        await service.set_protection_window(self._new_uow(), window, self._clock.now())
        return pb.SetProtectionWindowReply(window=pb.ProtectionWindow(**_window_fields(window)))


def _window_fields(window: ProtectionWindow) -> dict[str, Any]:
    fields = asdict(window)
    fields["night_start"] = window.night_start.isoformat() if window.night_start else ""
    fields["night_end"] = window.night_end.isoformat() if window.night_end else ""
    return fields

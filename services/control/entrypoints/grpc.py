"""gRPC face of control: commands, batches, modes, tags, protection windows, export.

Each method turns its request into domain values, calls one use case and builds the reply.
Control's domain errors become status codes (InvalidRequest and the kit's InvalidPage -> INVALID_ARGUMENT,
NotFound -> NOT_FOUND); anything else is a bug and stays one (UNKNOWN, logged by gRPC).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC

import grpc

from services.contracts.meterpay.v1 import control_pb2 as pb
from services.contracts.meterpay.v1 import control_pb2_grpc
from services.control.domain.batches import status_filter
from services.control.domain.commands import (
    OPERATOR_UNKNOWN,
    CancelBatch,
    CommandQuery,
    ResendFailed,
    SubmitBatch,
    SubmitCommand,
)
from services.control.domain.errors import ControlError, InvalidRequest, NotFound
from services.control.entrypoints.views import (
    batch_view,
    command_view,
    meter_view,
    operator_request,
    selection_of,
    tags_change,
    window_of,
    window_view,
)
from services.control.export import meter_states_workbook
from services.control.service import batches, operators, queries, windows
from services.control.service.config import ControlConfig
from services.control.unit_of_work import ControlUnitOfWork
from services.kit.clock import Clock
from services.kit.paging import InvalidPage

STATUS_CODES = ((InvalidRequest, grpc.StatusCode.INVALID_ARGUMENT), (InvalidPage, grpc.StatusCode.INVALID_ARGUMENT),
                (NotFound, grpc.StatusCode.NOT_FOUND))


def domain_errors(method):
    """Answer a domain error with its status code and the operator-facing message."""

    @functools.wraps(method)
    async def answer(self, request, context):
        try:
            return await method(self, request, context)
        except (ControlError, InvalidPage) as exc:
            code = next((code for kind, code in STATUS_CODES if isinstance(exc, kind)), grpc.StatusCode.UNKNOWN)
            await context.abort(code, str(exc))

    return answer


class ControlGrpc(control_pb2_grpc.ControlServiceServicer):
    def __init__(self, new_uow: Callable[[], ControlUnitOfWork], clock: Clock, config: ControlConfig) -> None:
        self._new_uow = new_uow
        self._clock = clock
        self._config = config

    # ---- reads

    @domain_errors
    async def ListCommands(self, request: pb.ListCommandsRequest, context) -> pb.ListCommandsReply:
        query = CommandQuery(request.meter_id, request.batch_id, status_filter(request.status), request.with_attempts)
        page = await queries.list_commands(self._new_uow(), query, request.limit, request.cursor)
        return pb.ListCommandsReply(commands=[command_view(h.command, h.attempts) for h in page.items],
                                    next_cursor=page.next_cursor)

    @domain_errors
    async def ListMeterControls(self, request: pb.ListMeterControlsRequest, context) -> pb.ListMeterControlsReply:
        page = await queries.list_meters(self._new_uow(), selection_of(request.selection), request.limit,
                                         request.cursor)
        return pb.ListMeterControlsReply(meters=[meter_view(m) for m in page.items], next_cursor=page.next_cursor)

    @domain_errors
    async def ListBatches(self, request: pb.ListBatchesRequest, context) -> pb.ListBatchesReply:
        page = await queries.list_batches(self._new_uow(), request.limit, request.cursor)
        return pb.ListBatchesReply(batches=[batch_view(s) for s in page.items], next_cursor=page.next_cursor)

    @domain_errors
    async def GetBatch(self, request: pb.GetBatchRequest, context) -> pb.GetBatchReply:
        detail = await queries.get_batch(self._new_uow(), request.batch_id, request.with_items, request.items_limit,
                                         request.items_cursor)
        return pb.GetBatchReply(batch=batch_view(detail.summary), items=[command_view(c) for c in detail.items.items],
                                next_items_cursor=detail.items.next_cursor)

    @domain_errors
    async def ListProtectionWindows(self, request: pb.ListProtectionWindowsRequest,
                                    context) -> pb.ListProtectionWindowsReply:
        page = await queries.list_windows(self._new_uow(), request.limit, request.cursor)
        return pb.ListProtectionWindowsReply(windows=[window_view(w) for w in page.items],
                                             next_cursor=page.next_cursor)

    @domain_errors
    async def ExportMeterStates(self, request: pb.ExportMeterStatesRequest, context) -> pb.ExportMeterStatesReply:
        meters = await queries.meters_to_export(self._new_uow(), selection_of(request.selection))
        stamp = self._clock.now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        return pb.ExportMeterStatesReply(xlsx=meter_states_workbook(meters), rows=len(meters),
                                         filename=f"meter-states-{stamp}.xlsx")

    # ---- changes

    @domain_errors
    async def SetMeterTags(self, request: pb.SetMeterTagsRequest, context) -> pb.SetMeterTagsReply:
        meter = await operators.set_meter_tags(self._new_uow(), tags_change(request), self._clock.now(),
                                               self._config)
        return pb.SetMeterTagsReply(meter=meter_view(meter))

    @domain_errors
    async def SubmitCommand(self, request: pb.SubmitCommandRequest, context) -> pb.SubmitCommandReply:
        submit = SubmitCommand(request.meter_id, operator_request(request.request_id, request))
        submitted = await operators.submit_command(self._new_uow(), submit, self._clock.now(), self._config)
        return pb.SubmitCommandReply(command=command_view(submitted.command), duplicate=submitted.duplicate)

    @domain_errors
    async def SubmitBatch(self, request: pb.SubmitBatchRequest, context) -> pb.SubmitBatchReply:
        run_at = request.run_at.ToDatetime(tzinfo=UTC) if request.HasField("run_at") else None
        submit = SubmitBatch(operator_request(request.batch_id, request), selection_of(request.selection), run_at)
        submitted = await batches.submit_batch(self._new_uow(), submit, self._clock.now(), self._config)
        return pb.SubmitBatchReply(batch=await self._batch(submitted.batch_id), duplicate=submitted.duplicate)

    @domain_errors
    async def ResendFailed(self, request: pb.ResendFailedRequest, context) -> pb.ResendFailedReply:
        resend = ResendFailed(request.batch_id, tuple(request.command_ids), request.requested_by or OPERATOR_UNKNOWN)
        resent = await batches.resend_failed(self._new_uow(), resend, self._clock.now(), self._config)
        return pb.ResendFailedReply(resent=resent, batch=await self._batch(request.batch_id))

    @domain_errors
    async def CancelBatch(self, request: pb.CancelBatchRequest, context) -> pb.BatchView:
        cancel = CancelBatch(request.batch_id, request.requested_by or OPERATOR_UNKNOWN)
        await batches.cancel_batch(self._new_uow(), cancel, self._clock.now())
        return await self._batch(request.batch_id)

    @domain_errors
    async def SetProtectionWindow(self, request: pb.ProtectionWindow, context) -> pb.SetProtectionWindowReply:
        window = await windows.set_protection_window(self._new_uow(), window_of(request), self._clock.now())
        return pb.SetProtectionWindowReply(window=window_view(window))

    async def _batch(self, batch_id: str) -> pb.BatchView:
        return batch_view((await queries.get_batch(self._new_uow(), batch_id)).summary)

"""gRPC face of acquisition: the registry, bulk import, project intervals, listing and read-now.

Requests become domain commands, replies are built from what the use cases return;
acquisition's domain errors become status codes (anything else is a bug: INTERNAL).
"""

from __future__ import annotations

import grpc

from services.acquisition import service, sheets
from services.acquisition.domain.commands import RegisterGateway, RegisterMeter, SetProjectInterval
from services.acquisition.domain.errors import AcquisitionError, UnknownGateway
from services.acquisition.domain.events import ReadingSource
from services.acquisition.domain.sheet import check_sheet
from services.acquisition.entrypoints.poller import Poller
from services.acquisition.repository import MeterView
from services.acquisition.unit_of_work import NewUow
from services.contracts.meterpay.v1 import acquisition_pb2 as pb
from services.contracts.meterpay.v1 import acquisition_pb2_grpc
from services.kit.messaging import timestamp
from services.kit.paging import InvalidPage


async def _abort(context: grpc.aio.ServicerContext, error: AcquisitionError | InvalidPage) -> None:
    """UnknownGateway is NOT_FOUND; every other refusal (InvalidPage included) is INVALID_ARGUMENT."""
    code = grpc.StatusCode.NOT_FOUND if isinstance(error, UnknownGateway) else grpc.StatusCode.INVALID_ARGUMENT
    await context.abort(code, str(error))


def _meter_view(view: MeterView) -> pb.MeterView:
    m, state = view.meter, view.state
    return pb.MeterView(
        meter=pb.Meter(meter_id=m.meter_id, gateway_id=m.gateway_id, device_id=m.device_id, kind=m.kind,
                       ct_ratio=m.ct_ratio, protocol=m.protocol, address=m.address, bus=m.bus),
        online=state.online, relay_state=state.relay_state, last_total_wh=state.last_total_wh or 0,
        last_read_at=timestamp(state.last_read_at) if state.last_read_at else None,
        power_w=state.last_power_w or 0)


class AcquisitionGrpc(acquisition_pb2_grpc.AcquisitionServiceServicer):
    def __init__(self, new_uow: NewUow, poller: Poller) -> None:
        self._new_uow = new_uow
        self._poller = poller

    async def RegisterGateway(self, request: pb.Gateway, context: grpc.aio.ServicerContext) -> pb.RegisterGatewayReply:
        command = RegisterGateway(request.gateway_id, request.host, request.port, request.protocol,
                                  request.poll_interval_s or None, request.project_id or None)
        try:
            created = await service.register_gateway(self._new_uow(), command)
        except AcquisitionError as exc:
            await _abort(context, exc)
        return pb.RegisterGatewayReply(created=created)

    async def RegisterMeter(self, request: pb.Meter, context: grpc.aio.ServicerContext) -> pb.RegisterMeterReply:
        command = RegisterMeter(request.meter_id, request.gateway_id, request.device_id, request.kind,
                                request.ct_ratio or 1, request.protocol or "modbus", request.address, request.bus or 1)
        try:
            created = await service.register_meter(self._new_uow(), command)
        except AcquisitionError as exc:
            await _abort(context, exc)
        return pb.RegisterMeterReply(created=created)

    async def ImportSheet(self, request: pb.ImportSheetRequest,
                          context: grpc.aio.ServicerContext) -> pb.ImportSheetReply:
        try:
            commissioning = check_sheet(sheets.read_rows(request.content, request.filename))
            summary = await service.import_commissioning(self._new_uow(), commissioning)
        except AcquisitionError as exc:  # SheetRejected: every bad line with its number
            await _abort(context, exc)
        return pb.ImportSheetReply(gateways=summary.gateways, meters_created=summary.meters_created,
                                   meters_updated=summary.meters_updated)

    async def SetProjectInterval(self, request: pb.SetProjectIntervalRequest,
                                 context: grpc.aio.ServicerContext) -> pb.SetProjectIntervalReply:
        try:
            await service.set_project_interval(
                self._new_uow(), SetProjectInterval(request.project_id, request.poll_interval_s))
        except AcquisitionError as exc:
            await _abort(context, exc)
        return pb.SetProjectIntervalReply()

    async def ListMeters(self, request: pb.ListMetersRequest, context: grpc.aio.ServicerContext) -> pb.ListMetersReply:
        try:
            page = await service.list_meters(self._new_uow(), request.limit, request.cursor)
        except InvalidPage as exc:  # a negative limit, a cursor acquisition did not hand out
            await _abort(context, exc)
        return pb.ListMetersReply(meters=[_meter_view(view) for view in page.items],
                                  next_cursor=page.next_cursor)

    async def ReadNow(self, request: pb.ReadNowRequest, context: grpc.aio.ServicerContext) -> pb.ReadNowReply:
        count = await self._poller.poll_all(list(request.meter_ids) or None, ReadingSource.READ_NOW)
        return pb.ReadNowReply(read=count.read, failed=count.failed)

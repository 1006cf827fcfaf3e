"""gRPC face of acquisition: the registry, bulk import, project intervals and read-now."""

from __future__ import annotations

from collections.abc import Callable

import grpc

from services.acquisition import service, sheets
from services.acquisition.domain.sheet import SheetRejected, check_sheet
from services.acquisition.entrypoints.poller import Poller
from services.acquisition.service import AcquisitionUnitOfWork, MeterRegistration
from services.contracts.meterpay.v1 import acquisition_pb2 as pb
from services.contracts.meterpay.v1 import acquisition_pb2_grpc, readings_pb2


class AcquisitionGrpc(acquisition_pb2_grpc.AcquisitionServiceServicer):
    def __init__(self, new_uow: Callable[[], AcquisitionUnitOfWork], poller: Poller) -> None:
        self._new_uow = new_uow
        self._poller = poller

    async def RegisterGateway(self, request: pb.Gateway, context: grpc.aio.ServicerContext) -> pb.RegisterGatewayReply:
        try:
            created = await service.register_gateway(
                self._new_uow(), request.gateway_id, request.host, request.port, request.protocol,
                request.poll_interval_s or None, request.project_id or None)
        except ValueError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        return pb.RegisterGatewayReply(created=created)

    async def RegisterMeter(self, request: pb.Meter, context: grpc.aio.ServicerContext) -> pb.RegisterMeterReply:
        meter = MeterRegistration(request.meter_id, request.gateway_id, request.device_id, request.kind,
                                  request.ct_ratio or 1, request.protocol or "modbus", request.address,
                                  request.bus or 1)
        try:
            created = await service.register_meter(self._new_uow(), meter)
        except service.UnknownGateway as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, str(exc))
        except ValueError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        return pb.RegisterMeterReply(created=created)

    async def ImportSheet(self, request: pb.ImportSheetRequest,
                          context: grpc.aio.ServicerContext) -> pb.ImportSheetReply:
        try:
            commissioning = check_sheet(sheets.read_rows(request.content, request.filename))
            summary = await service.import_commissioning(self._new_uow(), commissioning)
        except SheetRejected as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        return pb.ImportSheetReply(gateways=summary.gateways, meters_created=summary.meters_created,
                                   meters_updated=summary.meters_updated)

    async def SetProjectInterval(self, request: pb.SetProjectIntervalRequest,
                                 context: grpc.aio.ServicerContext) -> pb.SetProjectIntervalReply:
        try:
            await service.set_project_interval(self._new_uow(), request.project_id, request.poll_interval_s)
        except ValueError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        return pb.SetProjectIntervalReply()

    async def ListMeters(self, request: pb.ListMetersRequest, context: grpc.aio.ServicerContext) -> pb.ListMetersReply:
        async with self._new_uow() as uow:
            rows = await uow.repo.meters()
        return pb.ListMetersReply(meters=[
            pb.MeterView(
                meter=pb.Meter(meter_id=m.meter_id, gateway_id=m.gateway_id, device_id=m.device_id, kind=m.kind,
                               ct_ratio=m.ct_ratio, protocol=m.protocol, address=m.address, bus=m.bus),
                online=m.online, relay_state=m.relay_state, last_total_wh=m.last_total_wh or 0,
                last_read_at=service.timestamp(m.last_read_at) if m.last_read_at else None,
                power_w=m.last_power_w or 0)
            for m in rows])

    async def ReadNow(self, request: pb.ReadNowRequest, context: grpc.aio.ServicerContext) -> pb.ReadNowReply:
        count = await self._poller.poll_all(list(request.meter_ids) or None, readings_pb2.READING_SOURCE_READ_NOW)
        return pb.ReadNowReply(read=count.read, failed=count.failed)

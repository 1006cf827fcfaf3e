"""gRPC face of control: commands and meter control states."""

from __future__ import annotations

from collections.abc import Callable

from google.protobuf.timestamp_pb2 import Timestamp

from services.contracts.meterpay.v1 import control_pb2 as pb
from services.contracts.meterpay.v1 import control_pb2_grpc
from services.control.domain.policy import Mode, desired_supply
from services.control.service import ControlUnitOfWork


def _ts(at) -> Timestamp | None:
    if at is None:
        return None
    ts = Timestamp()
    ts.FromDatetime(at)
    return ts


class ControlGrpc(control_pb2_grpc.ControlServiceServicer):
    def __init__(self, new_uow: Callable[[], ControlUnitOfWork]) -> None:
        self._new_uow = new_uow

    async def ListCommands(self, request: pb.ListCommandsRequest, context) -> pb.ListCommandsReply:
        async with self._new_uow() as uow:
            rows = await uow.repo.commands(request.meter_id or None, min(request.limit or 100, 1000))
        return pb.ListCommandsReply(commands=[pb.ControlCommandView(
            command_id=c.command_id, meter_id=c.meter_id, action=c.action, status=c.status,
            requested_by=c.requested_by, reason=c.reason, created_at=_ts(c.created_at),
            completed_at=_ts(c.completed_at), detail=c.detail) for c in rows])

    async def ListMeterControls(self, request: pb.ListMeterControlsRequest, context) -> pb.ListMeterControlsReply:
        async with self._new_uow() as uow:
            rows = await uow.repo.meters()
        return pb.ListMeterControlsReply(meters=[pb.MeterControl(
            meter_id=m.meter_id, mode=m.mode, in_arrears=m.in_arrears,
            desired_state=int(desired_supply(Mode(m.mode), m.in_arrears)), known_state=m.known_state)
            for m in rows])

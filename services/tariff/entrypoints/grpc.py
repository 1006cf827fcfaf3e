"""gRPC face of tariff: plans, versions, assignments, quotes and bill previews."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from services.contracts.meterpay.v1 import tariff_pb2 as pb
from services.contracts.meterpay.v1 import tariff_pb2_grpc
from services.kit.clock import Clock
from services.kit.messaging import timestamp as _ts
from services.tariff import service
from services.tariff.domain.plans import plan_to_dict
from services.tariff.domain.rating import Reading
from services.tariff.service import RatingLimits, TariffUnitOfWork


def _at(ts: Timestamp, default: datetime) -> datetime:
    return ts.ToDatetime(tzinfo=UTC) if ts.seconds or ts.nanos else default


class TariffGrpc(tariff_pb2_grpc.TariffServiceServicer):
    def __init__(self, new_uow: Callable[[], TariffUnitOfWork], clock: Clock, limits: RatingLimits) -> None:
        self._new_uow = new_uow
        self._clock = clock
        self._limits = limits

    async def _guard(self, context, call):
        """Map the errors a caller can make to gRPC status codes; nothing was written when they happen."""
        try:
            return await call
        except service.UnknownPlan as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, str(exc))
        except ValueError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))

    async def SetSinglePrice(self, request: pb.SetSinglePriceRequest, context) -> pb.SetSinglePriceReply:
        created = await self._guard(context, service.set_single_price(
            self._new_uow(), request.version_id, request.meter_id, request.price_yuan_per_kwh, self._clock.now()))
        return pb.SetSinglePriceReply(version_id=request.version_id, created=created)

    async def Quote(self, request: pb.QuoteRequest, context) -> pb.QuoteReply:
        amount_fen, price, version_id = await self._guard(context, service.quote(
            self._new_uow(), request.meter_id, request.energy_wh, _at(request.at, self._clock.now()),
            self._limits.default_price))
        return pb.QuoteReply(amount_fen=amount_fen, price_yuan_per_kwh=str(price), version_id=version_id)

    async def CreatePlan(self, request: pb.CreatePlanRequest, context) -> pb.CreatePlanReply:
        created = await self._guard(context, service.create_plan(
            self._new_uow(), request.plan_id, request.name, request.definition_json, request.version_id,
            _at(request.effective_from, self._clock.now())))
        return pb.CreatePlanReply(plan_id=request.plan_id, created=created)

    async def AddPlanVersion(self, request: pb.AddPlanVersionRequest, context) -> pb.AddPlanVersionReply:
        created = await self._guard(context, service.add_plan_version(
            self._new_uow(), request.plan_id, request.version_id, request.definition_json,
            _at(request.effective_from, self._clock.now())))
        return pb.AddPlanVersionReply(version_id=request.version_id, created=created)

    async def AssignPlan(self, request: pb.AssignPlanRequest, context) -> pb.AssignPlanReply:
        assigned = await self._guard(context, service.assign_plan(
            self._new_uow(), request.plan_id, list(request.meter_ids), _at(request.effective_from, self._clock.now())))
        return pb.AssignPlanReply(assigned=assigned)

    async def ListPlans(self, request: pb.ListPlansRequest, context) -> pb.ListPlansReply:
        async with self._new_uow() as uow:
            rows = await uow.repo.list_plans()
        return pb.ListPlansReply(plans=[pb.PlanSummary(plan_id=p, name=n, commodity=c) for p, n, c in rows])

    async def GetMeterTariff(self, request: pb.MeterTariffRequest, context) -> pb.MeterTariffReply:
        timeline = await service.meter_tariff(self._new_uow(), request.meter_id, self._limits.default_price)
        return pb.MeterTariffReply(timeline=[pb.PlanVersionInfo(
            version_id=v.version_id, effective_from=_ts(v.effective_from),
            definition_json=json.dumps(plan_to_dict(v.plan), ensure_ascii=False)) for v in timeline])

    async def PreviewBill(self, request: pb.PreviewBillRequest, context) -> pb.PreviewBillReply:
        bill = await service.preview_bill(self._new_uow(), request.meter_id, request.period, self._clock.now())
        return pb.PreviewBillReply(
            meter_id=request.meter_id, period=bill.period, energy_wh=bill.units, amount_fen=bill.amount_fen,
            charges=bill.charges, bands=[pb.BandUsage(band=b, energy_wh=u) for b, u in sorted(bill.bands.items())],
            max_demand_w=bill.max_demand_w, basic_charge_yuan=str(bill.basic_yuan))

    async def ResetBaseline(self, request: pb.ResetBaselineRequest, context) -> pb.ResetBaselineReply:
        if request.band_wh and len(request.band_wh) != 5:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "band_wh holds five registers or none")
        reading = Reading(request.meter_id, _at(request.read_at, self._clock.now()), request.total_wh,
                          tuple(request.band_wh) if request.band_wh else None)
        reset = await self._guard(context, service.reset_baseline(self._new_uow(), reading))
        return pb.ResetBaselineReply(reset=reset)

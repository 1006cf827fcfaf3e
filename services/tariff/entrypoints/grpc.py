"""gRPC face of tariff: plans, versions, assignments, quotes and bill previews.

Each call translates its request into a domain command, runs one use case and translates
the result back. The errors a caller can make become status codes (see `_STATUS`); a
retry with the same id and other fields is ALREADY_EXISTS, like a ledger transfer's.
"""

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
from services.kit.paging import InvalidPage
from services.tariff import service
from services.tariff.domain import commands
from services.tariff.domain.errors import (
    ConflictingRetry,
    DefaultPlanExists,
    InvalidRequest,
    TariffError,
    UnknownPlan,
)
from services.tariff.domain.plans import plan_to_dict
from services.tariff.domain.rating import Reading
from services.tariff.domain.rating_batch import RatingLimits
from services.tariff.unit_of_work import TariffUnitOfWork

_STATUS: tuple[tuple[type[Exception], grpc.StatusCode], ...] = (
    (InvalidRequest, grpc.StatusCode.INVALID_ARGUMENT),       # InvalidPlan, InvalidBaseline, negative energy
    (InvalidPage, grpc.StatusCode.INVALID_ARGUMENT),          # a negative limit, a cursor tariff did not hand out
    (UnknownPlan, grpc.StatusCode.NOT_FOUND),
    (ConflictingRetry, grpc.StatusCode.ALREADY_EXISTS),
    (DefaultPlanExists, grpc.StatusCode.FAILED_PRECONDITION),
)


def _status_of(error: TariffError | InvalidPage) -> grpc.StatusCode:
    return next((code for kind, code in _STATUS if isinstance(error, kind)), grpc.StatusCode.FAILED_PRECONDITION)


def _unset(ts: Timestamp) -> bool:
    return not (ts.seconds or ts.nanos)


def _at(ts: Timestamp, default: datetime) -> datetime:
    return default if _unset(ts) else ts.ToDatetime(tzinfo=UTC)


class TariffGrpc(tariff_pb2_grpc.TariffServiceServicer):
    def __init__(self, new_uow: Callable[[], TariffUnitOfWork], clock: Clock, limits: RatingLimits) -> None:
        self._new_uow = new_uow
        self._clock = clock
        self._limits = limits

    async def _guard(self, context, call):
        """Map the errors a caller can make to gRPC status codes; nothing was written when they happen."""
        try:
            return await call
        except (TariffError, InvalidPage) as exc:
            await context.abort(_status_of(exc), str(exc))

    async def SetSinglePrice(self, request: pb.SetSinglePriceRequest, context) -> pb.SetSinglePriceReply:
        cmd = commands.SetSinglePrice(version_id=request.version_id, meter_id=request.meter_id,
                                      price_text=request.price_yuan_per_kwh, effective_from=self._clock.now(),
                                      effective_from_is_now=True)
        created = await self._guard(context, service.set_single_price(self._new_uow(), cmd))
        return pb.SetSinglePriceReply(version_id=request.version_id, created=created)

    async def Quote(self, request: pb.QuoteRequest, context) -> pb.QuoteReply:
        cmd = commands.QuoteUsage(meter_id=request.meter_id, units=request.energy_wh,
                                  at=_at(request.at, self._clock.now()))
        quote = await self._guard(context, service.quote(self._new_uow(), cmd, self._limits.default_price))
        return pb.QuoteReply(amount_fen=quote.amount_fen, price_yuan_per_kwh=str(quote.average_price),
                             version_id=quote.version_id)

    async def CreatePlan(self, request: pb.CreatePlanRequest, context) -> pb.CreatePlanReply:
        cmd = commands.CreatePlan(plan_id=request.plan_id, name=request.name, definition_json=request.definition_json,
                                  version_id=request.version_id,
                                  effective_from=_at(request.effective_from, self._clock.now()),
                                  effective_from_is_now=_unset(request.effective_from),
                                  default_plan=request.default_plan)
        created = await self._guard(context, service.create_plan(self._new_uow(), cmd))
        return pb.CreatePlanReply(plan_id=request.plan_id, created=created)

    async def AddPlanVersion(self, request: pb.AddPlanVersionRequest, context) -> pb.AddPlanVersionReply:
        cmd = commands.AddPlanVersion(plan_id=request.plan_id, version_id=request.version_id,
                                      definition_json=request.definition_json,
                                      effective_from=_at(request.effective_from, self._clock.now()),
                                      effective_from_is_now=_unset(request.effective_from))
        created = await self._guard(context, service.add_plan_version(self._new_uow(), cmd))
        return pb.AddPlanVersionReply(version_id=request.version_id, created=created)

    async def AssignPlan(self, request: pb.AssignPlanRequest, context) -> pb.AssignPlanReply:
        cmd = commands.AssignPlan(plan_id=request.plan_id, meter_ids=tuple(request.meter_ids),
                                  effective_from=_at(request.effective_from, self._clock.now()))
        assigned = await self._guard(context, service.assign_plan(self._new_uow(), cmd))
        return pb.AssignPlanReply(assigned=assigned)

    async def ListPlans(self, request: pb.ListPlansRequest, context) -> pb.ListPlansReply:
        query = commands.ListPlans(limit=request.limit, cursor=request.cursor)
        page = await self._guard(context, service.list_plans(self._new_uow(), query))
        return pb.ListPlansReply(next_cursor=page.next_cursor, plans=[pb.PlanSummary(
            plan_id=p.plan_id, name=p.name, commodity=p.commodity.value, kind=p.kind.value, meter_id=p.meter_id or "")
            for p in page.items])

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
        reading = Reading(meter_id=request.meter_id, read_at=_at(request.read_at, self._clock.now()),
                          total=request.total_wh, bands=tuple(request.band_wh) if request.band_wh else None)
        reset = await self._guard(context, service.reset_baseline(self._new_uow(), reading))
        return pb.ResetBaselineReply(reset=reset)

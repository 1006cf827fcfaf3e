"""gRPC face of tariff: prices and quotes."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import grpc

from services.contracts.meterpay.v1 import tariff_pb2 as pb
from services.contracts.meterpay.v1 import tariff_pb2_grpc
from services.kit.clock import Clock
from services.tariff import service
from services.tariff.service import TariffUnitOfWork


class TariffGrpc(tariff_pb2_grpc.TariffServiceServicer):
    def __init__(self, new_uow: Callable[[], TariffUnitOfWork], clock: Clock, default_price: Decimal) -> None:
        self._new_uow = new_uow
        self._clock = clock
        self._default_price = default_price

    async def SetSinglePrice(self, request: pb.SetSinglePriceRequest, context) -> pb.SetSinglePriceReply:
        try:
            created = await service.set_single_price(self._new_uow(), request.version_id, request.meter_id,
                                                     request.price_yuan_per_kwh, self._clock.now())
        except ValueError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        return pb.SetSinglePriceReply(version_id=request.version_id, created=created)

    async def Quote(self, request: pb.QuoteRequest, context) -> pb.QuoteReply:
        try:
            amount_fen, price = await service.quote(self._new_uow(), request.meter_id, request.energy_wh,
                                                    self._clock.now(), self._default_price)
        except ValueError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        return pb.QuoteReply(amount_fen=amount_fen, price_yuan_per_kwh=str(price))

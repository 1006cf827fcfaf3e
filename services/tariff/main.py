"""The tariff process: rate readings into charges, serve plans over gRPC. Wiring only."""

from __future__ import annotations

import asyncio
from pathlib import Path

from services.contracts.meterpay.v1 import tariff_pb2_grpc
from services.kit import messaging
from services.kit.clock import SystemClock
from services.kit.money import parse_price
from services.kit.runtime import ServiceRuntime
from services.tariff.domain.rating_batch import RatingLimits
from services.tariff.entrypoints import consumers, events
from services.tariff.entrypoints.grpc import TariffGrpc
from services.tariff.settings import TariffSettings
from services.tariff.unit_of_work import TariffUnitOfWork

MIGRATIONS = str(Path(__file__).parent / "migrations")


async def main() -> None:
    settings = TariffSettings()
    runtime = ServiceRuntime(settings, MIGRATIONS, (*messaging.ALL_TOPICS, events.TARIFF_ANOMALIES))
    await runtime.start()
    limits = RatingLimits(max_power_w=settings.max_power_w, max_flow_l_per_h=settings.max_flow_l_per_h,
                          register_max_wh=settings.register_max_wh,
                          default_price=parse_price(settings.default_price_yuan_per_kwh))

    def new_uow() -> TariffUnitOfWork:
        return TariffUnitOfWork(runtime.sessions, runtime.unit_of_work_hook(), events.to_outgoing)

    consumers.register(runtime.broker, consumers.ConsumerDeps(
        new_uow=new_uow, limits=limits, batch_max_records=settings.batch_max_records,
        batch_timeout_ms=settings.batch_timeout_ms, batch_consumers=settings.batch_consumers))
    runtime.add_grpc(tariff_pb2_grpc.add_TariffServiceServicer_to_server,
                     TariffGrpc(new_uow, SystemClock(), limits), "meterpay.v1.TariffService")
    await runtime.serve()


if __name__ == "__main__":
    asyncio.run(main())

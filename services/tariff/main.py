"""The tariff process: rate readings into charges, serve plans over gRPC."""

from __future__ import annotations

import asyncio
from pathlib import Path

from services.contracts.meterpay.v1 import readings_pb2, tariff_pb2_grpc
from services.kit import messaging
from services.kit.clock import SystemClock
from services.kit.money import parse_price
from services.kit.runtime import ServiceRuntime
from services.tariff import service
from services.tariff.entrypoints.grpc import TariffGrpc
from services.tariff.service import RatingLimits, TariffUnitOfWork
from services.tariff.settings import TariffSettings

MIGRATIONS = str(Path(__file__).parent / "migrations")


async def main() -> None:
    settings = TariffSettings()
    runtime = ServiceRuntime(settings, MIGRATIONS, (*messaging.ALL_TOPICS, service.TARIFF_ANOMALIES))
    await runtime.start()
    limits = RatingLimits(settings.max_power_w, settings.max_flow_l_per_h, settings.register_max_wh,
                          parse_price(settings.default_price_yuan_per_kwh))

    def new_uow() -> TariffUnitOfWork:
        return TariffUnitOfWork(runtime.sessions, runtime.unit_of_work_hook())

    async def on_readings(readings: list[readings_pb2.MeterReading]) -> None:
        await service.rate_readings(new_uow(), readings, limits)

    messaging.subscribe_batch(runtime.broker, messaging.METER_READINGS, "tariff", readings_pb2.MeterReading,
                              on_readings, settings.batch_max_records, settings.batch_timeout_ms,
                              consumers=settings.batch_consumers)
    runtime.add_grpc(tariff_pb2_grpc.add_TariffServiceServicer_to_server,
                     TariffGrpc(new_uow, SystemClock(), limits), "meterpay.v1.TariffService")
    await runtime.serve()


if __name__ == "__main__":
    asyncio.run(main())

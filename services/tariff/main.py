"""The tariff process: rate readings into charges."""

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
from services.tariff.service import TariffUnitOfWork
from services.tariff.settings import TariffSettings

MIGRATIONS = str(Path(__file__).parent / "migrations")


async def main() -> None:
    settings = TariffSettings()
    runtime = ServiceRuntime(settings, MIGRATIONS, messaging.ALL_TOPICS)
    await runtime.start()
    default_price = parse_price(settings.default_price_yuan_per_kwh)

    def new_uow() -> TariffUnitOfWork:
        return TariffUnitOfWork(runtime.sessions, runtime.unit_of_work_hook())

    async def on_reading(reading: readings_pb2.MeterReading) -> None:
        await service.rate_reading(new_uow(), reading, default_price, settings.max_power_w)

    messaging.subscribe(runtime.broker, messaging.METER_READINGS, "tariff", readings_pb2.MeterReading, on_reading)
    runtime.add_grpc(tariff_pb2_grpc.add_TariffServiceServicer_to_server,
                     TariffGrpc(new_uow, SystemClock(), default_price), "meterpay.v1.TariffService")
    await runtime.serve()


if __name__ == "__main__":
    asyncio.run(main())

"""The acquisition process: poll gateways, publish readings, execute field commands."""

from __future__ import annotations

import asyncio
from functools import partial

from services.acquisition import service
from services.acquisition.entrypoints.grpc import AcquisitionGrpc
from services.acquisition.entrypoints.poller import Poller
from services.acquisition.fieldbus import FieldBus
from services.acquisition.service import AcquisitionUnitOfWork
from services.acquisition.settings import AcquisitionSettings
from services.contracts.meterpay.v1 import acquisition_pb2_grpc, control_pb2
from services.kit import messaging
from services.kit.clock import SystemClock
from services.kit.runtime import ServiceRuntime

MIGRATIONS = str(__import__("pathlib").Path(__file__).parent / "migrations")


async def main() -> None:
    settings = AcquisitionSettings()
    runtime = ServiceRuntime(settings, MIGRATIONS, messaging.ALL_TOPICS)
    await runtime.start()
    clock = SystemClock()

    def new_uow() -> AcquisitionUnitOfWork:
        return AcquisitionUnitOfWork(runtime.sessions, runtime.unit_of_work_hook())

    bus = FieldBus(settings.request_timeout_s, settings.request_retries)
    poller = Poller(new_uow, bus, clock.now, settings.poll_interval_s, settings.offline_after_missed_polls)
    execute = partial(service.execute_field_command, new_uow, bus, clock.now,
                      confirm_delay_s=settings.command_confirm_delay_s)
    messaging.subscribe(runtime.broker, messaging.CONTROL_COMMANDS, "acquisition", control_pb2.ControlCommand,
                        execute)
    runtime.add_grpc(acquisition_pb2_grpc.add_AcquisitionServiceServicer_to_server, AcquisitionGrpc(new_uow, poller),
                     "meterpay.v1.AcquisitionService")
    runtime.add_background(poller.run)
    try:
        await runtime.serve()
    finally:
        bus.close()


if __name__ == "__main__":
    asyncio.run(main())

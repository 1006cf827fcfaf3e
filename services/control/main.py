"""The control process: relay policy and the command lifecycle."""

from __future__ import annotations

import asyncio
from pathlib import Path

from services.contracts.meterpay.v1 import control_pb2, control_pb2_grpc, device_pb2, wallet_pb2
from services.control import service
from services.control.entrypoints.grpc import ControlGrpc
from services.control.service import ControlUnitOfWork
from services.control.settings import ControlSettings
from services.kit import messaging
from services.kit.clock import SystemClock
from services.kit.runtime import ServiceRuntime

MIGRATIONS = str(Path(__file__).parent / "migrations")


async def main() -> None:
    settings = ControlSettings()
    runtime = ServiceRuntime(settings, MIGRATIONS, messaging.ALL_TOPICS)
    await runtime.start()
    clock = SystemClock()

    def new_uow() -> ControlUnitOfWork:
        return ControlUnitOfWork(runtime.sessions, runtime.unit_of_work_hook())

    async def on_wallet_event(event: wallet_pb2.WalletEvent) -> None:
        await service.on_wallet_event(new_uow(), event, clock.now())

    async def on_result(result: control_pb2.ControlResult) -> None:
        await service.on_control_result(new_uow(), result, clock.now())

    async def on_status(status: device_pb2.DeviceStatus) -> None:
        await service.on_device_status(new_uow(), status, clock.now())

    messaging.subscribe(runtime.broker, messaging.WALLET_EVENTS, "control", wallet_pb2.WalletEvent, on_wallet_event)
    messaging.subscribe(runtime.broker, messaging.CONTROL_RESULTS, "control", control_pb2.ControlResult, on_result)
    messaging.subscribe(runtime.broker, messaging.DEVICE_STATUS, "control", device_pb2.DeviceStatus, on_status)
    runtime.add_grpc(control_pb2_grpc.add_ControlServiceServicer_to_server, ControlGrpc(new_uow),
                     "meterpay.v1.ControlService")
    await runtime.serve()


if __name__ == "__main__":
    asyncio.run(main())

"""The control process: relay policy, the command lifecycle, batches and schedules."""

from __future__ import annotations

import asyncio
from pathlib import Path

from services.contracts.meterpay.v1 import control_pb2, control_pb2_grpc, device_pb2, readings_pb2, wallet_pb2
from services.control import service
from services.control.calendar import official_day_kind
from services.control.domain.lifecycle import RetryPolicy
from services.control.domain.policy import overloaded
from services.control.entrypoints.grpc import ControlGrpc
from services.control.service import ControlConfig, ControlUnitOfWork, ReadingWatch
from services.control.settings import ControlSettings
from services.kit import messaging
from services.kit.clock import Clock, SystemClock
from services.kit.logging import get_logger
from services.kit.runtime import ServiceRuntime

MIGRATIONS = str(Path(__file__).parent / "migrations")
log = get_logger(__name__)


def control_config(settings: ControlSettings) -> ControlConfig:
    retry = RetryPolicy(max(1, settings.max_attempts), settings.backoff_base_s, settings.backoff_max_s,
                        settings.result_timeout_s)
    return ControlConfig(retry, official_day_kind, settings.sweep_limit)


async def run_sweeps(new_uow, clock: Clock, config: ControlConfig, interval_s: float) -> None:
    """Timeouts, retries due, scheduled batches and protection-window ends, every interval."""
    while True:
        try:
            await service.sweep(new_uow, clock.now(), config)
        except Exception as exc:  # the database may be away for a moment; the next sweep tries again
            log.error("control sweep failed", error=str(exc))
        await asyncio.sleep(interval_s)


async def main() -> None:
    settings = ControlSettings()
    runtime = ServiceRuntime(settings, MIGRATIONS, messaging.ALL_TOPICS)
    await runtime.start()
    clock = SystemClock()
    config = control_config(settings)

    def new_uow() -> ControlUnitOfWork:
        return ControlUnitOfWork(runtime.sessions, runtime.unit_of_work_hook())

    watch = ReadingWatch(lambda: service.load_reading_watch(new_uow()), settings.overload_refresh_s)

    async def on_wallet_event(event: wallet_pb2.WalletEvent) -> None:
        await service.on_wallet_event(new_uow(), event, clock.now(), config)

    async def on_result(result: control_pb2.ControlResult) -> None:
        await service.on_control_result(new_uow(), result, clock.now(), config)

    async def on_status(status: device_pb2.DeviceStatus) -> None:
        await service.on_device_status(new_uow(), status, clock.now(), config)

    async def on_reading(reading: readings_pb2.MeterReading) -> None:
        if await watch.kind_is_new(reading.meter_id, reading.kind):
            await service.learn_meter_kind(new_uow(), reading.meter_id, reading.kind, clock.now())
            watch.loaded_at = float("-inf")
        threshold_w = await watch.threshold_of(reading.meter_id)
        if overloaded(reading.power_w, threshold_w):
            await service.on_overload(new_uow(), reading, threshold_w, clock.now(), config)

    messaging.subscribe(runtime.broker, messaging.WALLET_EVENTS, "control", wallet_pb2.WalletEvent, on_wallet_event)
    messaging.subscribe(runtime.broker, messaging.CONTROL_RESULTS, "control", control_pb2.ControlResult, on_result)
    messaging.subscribe(runtime.broker, messaging.DEVICE_STATUS, "control", device_pb2.DeviceStatus, on_status)
    messaging.subscribe(runtime.broker, messaging.METER_READINGS, "control", readings_pb2.MeterReading, on_reading)
    runtime.add_grpc(control_pb2_grpc.add_ControlServiceServicer_to_server, ControlGrpc(new_uow, clock, config),
                     "meterpay.v1.ControlService")
    runtime.add_background(lambda: run_sweeps(new_uow, clock, config, settings.sweep_interval_s))
    await runtime.serve()


if __name__ == "__main__":
    asyncio.run(main())

"""The control process: relay policy, the command lifecycle, batches and schedules. Wiring only."""

from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path

from services.contracts.meterpay.v1 import control_pb2_grpc
from services.control.calendar import official_day_kind
from services.control.domain.lifecycle import RetryPolicy
from services.control.entrypoints import consumers
from services.control.entrypoints.events import to_outgoing
from services.control.entrypoints.grpc import ControlGrpc
from services.control.service.config import ControlConfig
from services.control.service.readings import ReadingWatch
from services.control.service.sweep import run_sweeps
from services.control.settings import ControlSettings
from services.control.unit_of_work import ControlUnitOfWork
from services.kit import messaging
from services.kit.clock import SystemClock
from services.kit.runtime import ServiceRuntime

MIGRATIONS = str(Path(__file__).parent / "migrations")


def control_config(settings: ControlSettings) -> ControlConfig:
    retry = RetryPolicy(max(1, settings.max_attempts), settings.backoff_base_s, settings.backoff_max_s,
                        settings.result_timeout_s)
    return ControlConfig(retry, official_day_kind, settings.sweep_limit)


async def main() -> None:
    settings = ControlSettings()
    runtime = ServiceRuntime(settings, MIGRATIONS, messaging.ALL_TOPICS)
    await runtime.start()
    clock = SystemClock()
    config = control_config(settings)
    new_uow = partial(ControlUnitOfWork, runtime.sessions, runtime.unit_of_work_hook(), to_outgoing)
    watch = ReadingWatch(new_uow, settings.overload_refresh_s)
    consumers.register(runtime.broker, consumers.ConsumerDeps(new_uow, clock, config, watch))
    runtime.add_grpc(control_pb2_grpc.add_ControlServiceServicer_to_server, ControlGrpc(new_uow, clock, config),
                     "meterpay.v1.ControlService")
    runtime.add_background(lambda: run_sweeps(new_uow, clock, config, settings.sweep_interval_s))
    await runtime.serve()


if __name__ == "__main__":
    asyncio.run(main())

"""The acquisition process: poll gateways, accept DTUs, publish readings, execute field commands."""

from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path

from redis.asyncio import Redis

from services.acquisition import service
from services.acquisition.entrypoints import consumers, events
from services.acquisition.entrypoints.dtu import DtuListener
from services.acquisition.entrypoints.grpc import AcquisitionGrpc
from services.acquisition.entrypoints.poller import Poller, PollPolicy
from services.acquisition.fieldbus import FieldBus
from services.acquisition.settings import AcquisitionSettings
from services.acquisition.unit_of_work import AcquisitionUnitOfWork
from services.contracts.meterpay.v1 import acquisition_pb2_grpc
from services.kit import messaging
from services.kit.clock import SystemClock
from services.kit.leases import LeaseBook
from services.kit.runtime import ServiceRuntime

MIGRATIONS = str(Path(__file__).parent / "migrations")


def poll_policy(settings: AcquisitionSettings) -> PollPolicy:
    return PollPolicy(interval_s=settings.poll_interval_s, offline_after=settings.offline_after_missed_polls,
                      max_parallel_gateways=settings.max_parallel_gateways, jitter_s=settings.poll_jitter_s,
                      buffer_max_records=settings.buffer_max_records, store_every_s=settings.store_every_s)


async def main() -> None:
    settings = AcquisitionSettings()
    runtime = ServiceRuntime(settings, MIGRATIONS, messaging.ALL_TOPICS)
    await runtime.start()
    clock = SystemClock()

    def new_uow() -> AcquisitionUnitOfWork:
        return AcquisitionUnitOfWork(runtime.sessions, runtime.unit_of_work_hook(), events.to_outgoing)

    bus = FieldBus(settings.request_timeout_s, settings.request_retries)
    redis = Redis.from_url(settings.redis_url) if settings.use_leases and settings.redis_url else None
    leases = LeaseBook(redis, "acquisition:gateways", settings.lease_ttl_s) if redis is not None else None
    poller = Poller(new_uow, bus, clock.now, poll_policy(settings), leases)
    consumers.register(runtime.broker, consumers.ConsumerDeps(
        new_uow, bus, clock.now, settings.offline_after_missed_polls, poller.partitions, settings.command_workers))
    runtime.add_grpc(acquisition_pb2_grpc.add_AcquisitionServiceServicer_to_server, AcquisitionGrpc(new_uow, poller),
                     "meterpay.v1.AcquisitionService")
    dtus = DtuListener(new_uow, bus, clock.now, settings.dtu_host, settings.dtu_port, settings.dtu_heartbeat_s)
    runtime.add_background(dtus.run)
    runtime.add_background(partial(service.keep_partitions_ahead, new_uow, clock.now, poller.partitions))
    runtime.add_background(poller.run)
    try:
        await runtime.serve()
    finally:
        bus.close()
        if leases is not None:
            await leases.release_all()
            await redis.aclose()


if __name__ == "__main__":
    asyncio.run(main())

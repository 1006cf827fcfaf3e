"""What every service process does around its own code: infrastructure, schema, broker,
outbox relay, gRPC, metrics, and a clean stop on SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.kit import db, grpc, messaging
from services.kit.embedded import EmbeddedStack
from services.kit.logging import configure_logging, get_logger
from services.kit.metrics import serve_metrics
from services.kit.outbox import OutboxRelay
from services.kit.settings import ServiceSettings

log = get_logger(__name__)


class ServiceRuntime:
    """Build with settings, register consumers on .broker and servicers with add_grpc(), then serve()."""

    def __init__(self, settings: ServiceSettings, migrations: str, topics: tuple[str, ...]) -> None:
        self.settings = settings
        self._migrations = migrations
        self._topics = topics
        self._grpc_registrations: list[grpc.Registration] = []
        self._background: list[Callable[[], Any]] = []
        self._embedded: EmbeddedStack | None = None
        self.engine: AsyncEngine
        self.sessions: async_sessionmaker[AsyncSession]
        self.broker: KafkaBroker
        self.relay: OutboxRelay
        self.grpc_port = 0

    async def start(self) -> None:
        s = self.settings
        configure_logging(s.service_name, s.log_level)
        self._resolve_infrastructure()
        url = s.own_database_url()
        await db.migrate(url, self._migrations, s.service_name)
        self.engine = db.make_engine(url)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        await messaging.ensure_topics(s.kafka_bootstrap, self._topics, s.kafka_partitions)
        self.broker = messaging.make_broker(s.kafka_bootstrap, s.kafka_idempotence)
        self._producer = messaging.make_producer(s.kafka_bootstrap, s.kafka_idempotence)
        self.relay = OutboxRelay(self.engine, self._producer, s.service_name, batch_size=s.outbox_batch_size)

    def _resolve_infrastructure(self) -> None:
        s = self.settings
        if s.database_url or s.server_database_url:
            if s.redis_url and s.kafka_bootstrap:
                return
        self._embedded = EmbeddedStack(Path(s.embedded_dir) / s.service_name)
        urls = self._embedded.start(s.server_database_url, s.redis_url, s.kafka_bootstrap)
        s.server_database_url, s.redis_url, s.kafka_bootstrap = (
            urls.database_url, urls.redis_url, urls.kafka_bootstrap)
        log.info("embedded infrastructure started", **urls.as_env())

    def unit_of_work_hook(self) -> Callable[[], None]:
        """What a unit of work calls after a commit that emitted events: wake the relay."""
        return self.relay.wake

    def add_grpc(self, add_to_server: Callable[[Any, Any], None], servicer: Any, service_name: str) -> None:
        self._grpc_registrations.append((add_to_server, servicer, service_name))

    def add_background(self, start: Callable[[], Any]) -> None:
        """A coroutine function started with the service and cancelled at stop (pollers, schedulers)."""
        self._background.append(start)

    async def serve(self) -> None:
        s = self.settings
        await self._producer.start()
        self.relay.start()
        await self.broker.start()
        server = None
        if self._grpc_registrations:
            server, self.grpc_port = await grpc.start_grpc_server(s.grpc_host, s.grpc_port, self._grpc_registrations)
        metrics_port = serve_metrics(s.metrics_port, s.grpc_host)
        tasks = [asyncio.create_task(start()) for start in self._background]
        log.info("service ready", host=s.grpc_host, grpc_port=self.grpc_port, metrics_port=metrics_port)
        try:
            await _wait_for_stop_signal()
        finally:
            log.info("service stopping")
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if server is not None:
                await server.stop(grace=2)
            await self.broker.stop()
            await self.relay.stop()
            await self.relay.publish_batch()  # flush what was committed during shutdown
            await self._producer.stop()
            await self.engine.dispose()
            if self._embedded:
                self._embedded.stop()


async def _wait_for_stop_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()

"""The console process: the platform's HTTP edge (operator API, tenant API), its read models, and
registry.events.v1 through its outbox. Wiring only."""

from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path

from services.console.entrypoints import consumers, events
from services.console.entrypoints.clients import connect_ports
from services.console.entrypoints.http.app import create_app
from services.console.entrypoints.http.deps import AppDeps
from services.console.entrypoints.sms import AlibabaSmsSender, LogSmsSender
from services.console.identity import Identity
from services.console.service import bootstrap
from services.console.settings import ConsoleSettings
from services.console.unit_of_work import ConsoleUnitOfWork
from services.kit import messaging
from services.kit.clock import SystemClock
from services.kit.http_server import serve_asgi
from services.kit.logging import get_logger
from services.kit.runtime import ServiceRuntime

MIGRATIONS = str(Path(__file__).parent / "migrations")
log = get_logger(__name__)


def sms_sender(s: ConsoleSettings) -> AlibabaSmsSender | LogSmsSender:
    if not s.sms_endpoint:
        return LogSmsSender()
    return AlibabaSmsSender(s.sms_endpoint, s.sms_access_key_id, s.sms_access_key_secret, s.sms_sign_name,
                            s.sms_login_template, protocol=s.sms_protocol)


async def main() -> None:
    settings = ConsoleSettings()
    runtime = ServiceRuntime(settings, MIGRATIONS, messaging.ALL_TOPICS)
    await runtime.start()
    clock = SystemClock()
    new_uow = partial(ConsoleUnitOfWork, runtime.sessions, runtime.unit_of_work_hook(), events.to_outgoing)
    await bootstrap.prepare(new_uow, settings, clock)
    consumers.register(runtime.broker, consumers.ConsumerDeps(
        new_uow=new_uow, clock=clock, batch_max_records=settings.batch_max_records,
        batch_timeout_ms=settings.batch_timeout_ms))
    ports, close_ports = connect_ports(settings, sms_sender(settings))
    identity = Identity.from_url(settings.redis_url, settings, clock, prefix="console:", scope_cache_s=1.0)
    app = create_app(AppDeps(new_uow=new_uow, ports=ports, clock=clock, identity=identity, settings=settings))
    runtime.add_background(lambda: serve_asgi(app, settings.http_host, settings.http_port,
                                              lambda port: log.info("http ready", http_port=port)))
    try:
        await runtime.serve()
    finally:
        await close_ports()
        await identity.close()


if __name__ == "__main__":
    asyncio.run(main())

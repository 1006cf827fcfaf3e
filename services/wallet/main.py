"""The wallet process: post charges to the ledger, take recharges and payment callbacks, publish supply changes."""

from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path

from services.contracts.meterpay.v1 import wallet_pb2_grpc
from services.kit import messaging
from services.kit.clock import SystemClock
from services.kit.logging import get_logger
from services.kit.runtime import ServiceRuntime
from services.wallet.channels import AlipayVerifier, WechatPayVerifier, read_key
from services.wallet.entrypoints import consumers
from services.wallet.entrypoints.events import to_outgoing
from services.wallet.entrypoints.grpc import WalletGrpc
from services.wallet.entrypoints.http import build_app, serve_http
from services.wallet.settings import WalletSettings
from services.wallet.unit_of_work import WalletUnitOfWork

MIGRATIONS = str(Path(__file__).parent / "migrations")
log = get_logger(__name__)


def payment_verifiers(s: WalletSettings) -> tuple[WechatPayVerifier | None, AlipayVerifier | None]:
    wechat = alipay = None
    if s.wechat_mchid and s.wechat_platform_public_key:
        wechat = WechatPayVerifier(s.wechat_mchid, s.wechat_platform_serial, read_key(s.wechat_platform_public_key),
                                   s.wechat_apiv3_key)
    if s.alipay_app_id and s.alipay_public_key:
        alipay = AlipayVerifier(s.alipay_app_id, read_key(s.alipay_public_key), read_key(s.alipay_app_private_key))
    return wechat, alipay


async def main() -> None:
    settings = WalletSettings()
    runtime = ServiceRuntime(settings, MIGRATIONS, messaging.ALL_TOPICS)
    await runtime.start()
    clock = SystemClock()
    new_uow = partial(WalletUnitOfWork, runtime.sessions, runtime.unit_of_work_hook(), to_outgoing)
    consumers.register(runtime.broker, consumers.ConsumerDeps(
        new_uow, clock, settings.batch_max_records, settings.batch_timeout_ms, settings.batch_consumers))
    runtime.add_grpc(wallet_pb2_grpc.add_WalletServiceServicer_to_server, WalletGrpc(new_uow, clock),
                     "meterpay.v1.WalletService")
    app = build_app(new_uow, clock, *payment_verifiers(settings))
    runtime.add_background(lambda: serve_http(app, settings.http_port,
                                              lambda port: log.info("http ready", http_port=port),
                                              settings.http_host))
    await runtime.serve()


if __name__ == "__main__":
    asyncio.run(main())

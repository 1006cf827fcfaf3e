"""The wallet process: post charges to the ledger, take recharges, publish supply changes."""

from __future__ import annotations

import asyncio
from pathlib import Path

from services.contracts.meterpay.v1 import charges_pb2, wallet_pb2_grpc
from services.kit import messaging
from services.kit.clock import SystemClock
from services.kit.runtime import ServiceRuntime
from services.wallet import service
from services.wallet.entrypoints.grpc import WalletGrpc
from services.wallet.service import WalletUnitOfWork
from services.wallet.settings import WalletSettings

MIGRATIONS = str(Path(__file__).parent / "migrations")


async def main() -> None:
    settings = WalletSettings()
    runtime = ServiceRuntime(settings, MIGRATIONS, messaging.ALL_TOPICS)
    await runtime.start()
    clock = SystemClock()

    def new_uow() -> WalletUnitOfWork:
        return WalletUnitOfWork(runtime.sessions, runtime.unit_of_work_hook())

    async def on_charge(charge: charges_pb2.UsageCharge) -> None:
        await service.post_usage_charge(new_uow(), charge, clock.now())

    messaging.subscribe(runtime.broker, messaging.USAGE_CHARGES, "wallet", charges_pb2.UsageCharge, on_charge)
    runtime.add_grpc(wallet_pb2_grpc.add_WalletServiceServicer_to_server, WalletGrpc(new_uow, clock),
                     "meterpay.v1.WalletService")
    await runtime.serve()


if __name__ == "__main__":
    asyncio.run(main())

"""Kafka consumers of the wallet: usage.charges.v1 (batches) -> PostCharge commands -> post_usage_charges."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from faststream.kafka import KafkaBroker

from services.contracts.meterpay.v1 import charges_pb2
from services.kit import messaging
from services.kit.clock import Clock
from services.wallet.domain.commands import PostCharge
from services.wallet.domain.ledger import Purse
from services.wallet.service import charges
from services.wallet.unit_of_work import WalletUnitOfWork


@dataclass(frozen=True)
class ConsumerDeps:
    new_uow: Callable[[], WalletUnitOfWork]
    clock: Clock
    batch_max_records: int = 5000         # charges posted in one transaction
    batch_timeout_ms: int = 20
    batch_consumers: int = 1              # concurrent batches (each its own partitions)


def charge_command(message: charges_pb2.UsageCharge) -> PostCharge:
    purse = Purse.WATER if message.commodity == "water" else Purse.ELECTRICITY
    return PostCharge(message.charge_id, message.meter_id, message.amount_fen, message.period, purse)


async def on_usage_charges(deps: ConsumerDeps, messages: list[charges_pb2.UsageCharge]) -> None:
    """A batch of priced intervals from tariff, posted in one transaction."""
    await charges.post_usage_charges(deps.new_uow(), [charge_command(m) for m in messages], deps.clock.now())


def register(broker: KafkaBroker, deps: ConsumerDeps) -> None:
    messaging.subscribe_batch(broker, messaging.USAGE_CHARGES, "wallet", charges_pb2.UsageCharge,
                              partial(on_usage_charges, deps), deps.batch_max_records, deps.batch_timeout_ms,
                              consumers=deps.batch_consumers)

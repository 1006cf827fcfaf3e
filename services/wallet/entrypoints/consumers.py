"""Kafka consumers of the wallet: usage.charges.v1 (batches) -> PostCharge commands -> post_usage_charges;
registry.events.v1 AccountPlaced / MeterPlaced -> PlaceAccount / PlaceMeter -> place_account / place_meter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from functools import partial

from faststream.kafka import KafkaBroker

from services.contracts.meterpay.v1 import charges_pb2, registry_pb2
from services.kit import messaging
from services.kit.clock import Clock
from services.wallet.domain.commands import PlaceAccount, PlaceMeter, PostCharge
from services.wallet.domain.ledger import Purse
from services.wallet.service import charges, placements
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


async def on_registry_event(deps: ConsumerDeps, event: registry_pb2.RegistryEvent) -> None:
    """The console's registry: accounts and meters placed in properties; the other changes are not the wallet's."""
    change = event.WhichOneof("change")
    placed_at = event.occurred_at.ToDatetime(tzinfo=UTC)
    if change == "account_placed":
        a = event.account_placed
        await placements.place_account(deps.new_uow(), PlaceAccount(a.account_id, a.tenant_id, a.property_id,
                                                                    placed_at))
    elif change == "meter_placed":
        m = event.meter_placed
        await placements.place_meter(deps.new_uow(), PlaceMeter(m.meter_id, m.property_id, placed_at))


def register(broker: KafkaBroker, deps: ConsumerDeps) -> None:
    messaging.subscribe_batch(broker, messaging.USAGE_CHARGES, "wallet", charges_pb2.UsageCharge,
                              partial(on_usage_charges, deps), deps.batch_max_records, deps.batch_timeout_ms,
                              consumers=deps.batch_consumers)
    messaging.subscribe(broker, messaging.REGISTRY_EVENTS, "wallet", registry_pb2.RegistryEvent,
                        partial(on_registry_event, deps))

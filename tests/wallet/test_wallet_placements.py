"""The console's registry in the wallet (registry.events.v1): an account's project (which the service fee
is keyed by) and tenant follow AccountPlaced; MeterPlaced fills a project the account lacks; placements of
accounts not opened yet are kept for OpenAccount; older and replayed placements change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from faststream.kafka import TestKafkaBroker

from services.contracts.meterpay.v1 import registry_pb2
from services.kit import messaging
from services.kit.clock import FixedClock
from services.wallet.domain.accounts import Account
from services.wallet.domain.commands import OpenAccount, PlaceAccount, PlaceMeter, Recharge, SetFeeRatio
from services.wallet.domain.placements import AccountPlacement, MeterPlacement, project_of_new_account
from services.wallet.entrypoints import consumers
from services.wallet.service import accounts, payments, placements

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
T1 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def account_placed(account_id: str, tenant_id: str, property_id: str, at: datetime) -> bytes:
    return registry_pb2.RegistryEvent(
        event_id=f"{account_id}@{at.isoformat()}", occurred_at=messaging.timestamp(at),
        account_placed=registry_pb2.AccountPlaced(account_id=account_id, tenant_id=tenant_id,
                                                  property_id=property_id)).SerializeToString()


def meter_placed(meter_id: str, property_id: str, at: datetime) -> bytes:
    return registry_pb2.RegistryEvent(
        event_id=f"{meter_id}@{at.isoformat()}", occurred_at=messaging.timestamp(at),
        meter_placed=registry_pb2.MeterPlaced(meter_id=meter_id, room_id="R-1", property_id=property_id,
                                              area_m2="50.00")).SerializeToString()


async def publish(new_uow, *bodies: bytes) -> None:
    broker = messaging.make_broker("localhost:9092", False)
    consumers.register(broker, consumers.ConsumerDeps(new_uow, FixedClock(NOW)))
    async with TestKafkaBroker(broker) as bus:
        for body in bodies:
            await bus.publish(body, messaging.REGISTRY_EVENTS, key=b"k")


async def account(new_uow, account_id: str) -> Account:
    async with new_uow() as uow:
        return (await uow.accounts.summary(account_id)).account


async def open_account(new_uow, account_id: str, *meter_ids: str, project_id: str = "") -> None:
    await accounts.open_account(new_uow(), OpenAccount(account_id, "shop", list(meter_ids), 0, 0, project_id), NOW)


class TestRegistryEventsConsumer:
    async def test_an_account_placement_sets_the_project_its_service_fee_follows(self, new_uow):
        await open_account(new_uow, "A1", "M1")
        await accounts.set_fee_ratio(new_uow(), SetFeeRatio("P1", Decimal("0.01")))
        await publish(new_uow, account_placed("A1", "T1", "P1", T1), b"\x0a\xff not a registry event")
        placed = await account(new_uow, "A1")
        assert (placed.project_id, placed.tenant_id) == ("P1", "T1")
        paid = await payments.recharge(new_uow(), Recharge("pay-1", "A1", 10_000, "cash"), NOW)
        assert paid.balance_fen == 9_900  # 1% kept back as the project's service fee

    async def test_an_older_or_replayed_account_placement_changes_nothing(self, new_uow):
        await open_account(new_uow, "A1", "M1")
        await publish(new_uow, account_placed("A1", "T1", "P1", T1),
                      account_placed("A1", "T0", "P0", T1 - timedelta(days=1)), account_placed("A1", "T9", "P9", T1))
        placed = await account(new_uow, "A1")
        assert (placed.project_id, placed.tenant_id) == ("P1", "T1")

    async def test_a_meter_placement_fills_the_project_of_an_account_without_one_only(self, new_uow):
        await open_account(new_uow, "A1", "M1")
        await open_account(new_uow, "A2", "M2", project_id="P0")
        await publish(new_uow, meter_placed("M1", "P1", T1), meter_placed("M2", "P2", T1),
                      meter_placed("M1", "P7", T1 + timedelta(minutes=1)))
        assert (await account(new_uow, "A1")).project_id == "P1"
        assert (await account(new_uow, "A2")).project_id == "P0"


class TestPlacementsBeforeTheAccountIsOpened:
    async def test_an_account_opened_without_a_project_takes_the_one_it_was_placed_in(self, new_uow):
        await publish(new_uow, account_placed("A1", "T1", "P1", T1), meter_placed("M2", "P2", T1))
        await open_account(new_uow, "A1", "M1")
        await open_account(new_uow, "A2", "M2")
        await open_account(new_uow, "A3", "M3", project_id="P9")
        a1, a2, a3 = [await account(new_uow, a) for a in ("A1", "A2", "A3")]
        assert (a1.project_id, a1.tenant_id) == ("P1", "T1")
        assert (a2.project_id, a2.tenant_id) == ("P2", "")
        assert a3.project_id == "P9"

    async def test_an_older_meter_placement_does_not_replace_the_newer_one_kept(self, new_uow):
        assert await placements.place_meter(new_uow(), PlaceMeter("M1", "P1", T1))
        assert not await placements.place_meter(new_uow(), PlaceMeter("M1", "P0", T1 - timedelta(hours=1)))
        assert not await placements.place_account(new_uow(), PlaceAccount("", "T1", "P1", T1))
        await open_account(new_uow, "A1", "M1")
        assert (await account(new_uow, "A1")).project_id == "P1"


class TestProjectOfANewAccount:
    def test_asked_then_the_account_placement_then_the_first_placed_meter(self):
        account = AccountPlacement("A1", "T1", "PA", T1)
        meters = [MeterPlacement("M2", "PM2", T1), MeterPlacement("M1", "", T1), MeterPlacement("M3", "PM3", T1)]
        assert project_of_new_account("P", account, meters) == "P"
        assert project_of_new_account("", account, meters) == "PA"
        assert project_of_new_account("", AccountPlacement("A1", "T1", "", T1), meters) == "PM2"
        assert project_of_new_account("", None, []) == ""

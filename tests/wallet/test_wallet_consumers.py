"""The usage-charges consumer driven in memory through FastStream's TestKafkaBroker, against the real
database; and the event mapper, which must send exactly the WalletEvents wallet always sent."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from faststream.kafka import TestKafkaBroker
from sqlalchemy import select

from services.contracts.meterpay.v1 import charges_pb2, wallet_pb2
from services.kit import messaging
from services.kit.clock import FixedClock
from services.kit.outbox import OUTBOX
from services.wallet.domain.commands import OpenAccount
from services.wallet.domain.events import AlarmLevelReached, FellIntoArrears, Recharged, RecoveredFromArrears
from services.wallet.domain.ledger import Purse
from services.wallet.entrypoints import consumers
from services.wallet.entrypoints.events import to_outgoing
from services.wallet.service import accounts

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def usage_charge(charge_id: str, meter_id: str, amount_fen: int, commodity: str = "") -> bytes:
    return charges_pb2.UsageCharge(charge_id=charge_id, meter_id=meter_id, amount_fen=amount_fen, period="2026-11",
                                   commodity=commodity).SerializeToString()


async def publish_charges(new_uow, *bodies: bytes) -> None:
    broker = messaging.make_broker("localhost:9092", False)
    consumers.register(broker, consumers.ConsumerDeps(new_uow, FixedClock(NOW)))
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish_batch(*bodies, topic=messaging.USAGE_CHARGES)


class TestUsageChargesConsumer:
    async def test_a_batch_of_charges_moves_the_ledger_and_puts_the_arrears_event_in_the_outbox(self, new_uow):
        await accounts.open_account(new_uow(), OpenAccount("A1", "shop", ["M1", "M2"], 1000, 0), NOW)
        await publish_charges(new_uow, usage_charge("c1", "M1", 400), usage_charge("c2", "M2", 600),
                              usage_charge("c1", "M1", 400), usage_charge("c3", "M1", -5), b"\x08not a charge")
        async with new_uow() as uow:
            assert (await uow.accounts.summary("A1")).balance_fen == 0
            assert [t.amount_fen for t in (await uow.ledger.get_many(["charge:c1", "charge:c2"])).values()] == [
                400, 600]
            rows = (await uow.session.execute(select(OUTBOX).order_by(OUTBOX.c.id))).all()
        assert {(row.topic, row.key) for row in rows} == {(messaging.WALLET_EVENTS, "A1")}
        published = [wallet_pb2.WalletEvent.FromString(row.payload) for row in rows]
        # opening: a balance; the batch: the arrears transition, then one balance for the account
        assert [(e.kind, e.event_id, list(e.meter_ids), e.balance_fen) for e in published] == [
            (wallet_pb2.WALLET_EVENT_KIND_BALANCE, "opening:A1:WALLET_EVENT_KIND_BALANCE", [], 1000),
            (wallet_pb2.WALLET_EVENT_KIND_ARREARS, "charge:c2:WALLET_EVENT_KIND_ARREARS", ["M1", "M2"], 0),
            (wallet_pb2.WALLET_EVENT_KIND_BALANCE, "charge:c2:WALLET_EVENT_KIND_BALANCE", [], 0)]

    def test_a_water_charge_is_posted_to_the_water_purse(self):
        message = charges_pb2.UsageCharge(charge_id="w", meter_id="W1", amount_fen=3, period="2026-11",
                                          commodity="water")
        command = consumers.charge_command(message)
        assert (command.charge_id, command.meter_id, command.amount_fen, command.period, command.purse) == (
            "w", "W1", 3, "2026-11", Purse.WATER)
        assert consumers.charge_command(charges_pb2.UsageCharge(commodity="")).purse is Purse.ELECTRICITY


def event_as_wallet_always_built_it(kind: int, level: int, repeats: int) -> wallet_pb2.WalletEvent:
    """The construction that lived in the use cases before the mapper (_make_event + _with_kind)."""
    event = wallet_pb2.WalletEvent(account_id="A1", meter_ids=["M1", "M2"], balance_fen=-50,
                                   occurred_at=messaging.timestamp(NOW), transfer_id="charge:c9")
    out = wallet_pb2.WalletEvent()
    out.CopyFrom(event)
    out.kind, out.alarm_level, out.alarm_repeat_count = kind, level, repeats
    suffix = f":{level}" if kind == wallet_pb2.WALLET_EVENT_KIND_ALARM_LEVEL else ""
    out.event_id = f"{event.transfer_id}:{wallet_pb2.WalletEventKind.Name(kind)}{suffix}"
    return out


class TestEventMapper:
    @pytest.mark.parametrize(("event_type", "kind", "repeats"), [
        (FellIntoArrears, wallet_pb2.WALLET_EVENT_KIND_ARREARS, 0),
        (RecoveredFromArrears, wallet_pb2.WALLET_EVENT_KIND_RECOVERED, 0),
        (Recharged, wallet_pb2.WALLET_EVENT_KIND_RECHARGED, 0),
        (AlarmLevelReached, wallet_pb2.WALLET_EVENT_KIND_ALARM_LEVEL, 3),
    ])
    def test_every_event_goes_out_byte_for_byte_as_before(self, event_type, kind, repeats):
        fields = dict(account_id="A1", meter_ids=("M1", "M2"), balance_fen=-50, alarm_level=2,
                      transfer_id="charge:c9", occurred_at=NOW)
        event = event_type(**fields, repeat_count=repeats) if repeats else event_type(**fields)
        outgoing = to_outgoing(event)
        expected = event_as_wallet_always_built_it(kind, 2, repeats)
        assert (outgoing.topic, outgoing.key) == (messaging.WALLET_EVENTS, "A1")
        assert outgoing.message.SerializeToString() == expected.SerializeToString()

    def test_something_that_is_not_a_wallet_event_is_refused(self):
        with pytest.raises(TypeError):
            to_outgoing(object())

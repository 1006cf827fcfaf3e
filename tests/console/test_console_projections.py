"""The read-model consumers driven in memory through FastStream's TestKafkaBroker, against a real console
database: each topic's message updates its read model; duplicates and older messages change nothing; facts
about meters and accounts console has not placed are skipped."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from faststream.kafka import TestKafkaBroker
from sqlalchemy import insert, select

from services.console.domain.live import (
    CHINA,
    AccountStateChange,
    CommandOutcomeSeen,
    ReadingSeen,
    WalletEventSeen,
    account_changes,
    day_readings,
)
from services.console.domain.tree import path_label
from services.console.entrypoints import consumers
from services.console.models import account_meters, accounts, commands, gateways, meter_days, meters, nodes, tenants
from services.console.service.projections import command_effects
from services.console.unit_of_work import ConsoleUnitOfWork
from services.contracts.meterpay.v1 import (
    charges_pb2,
    common_pb2,
    control_pb2,
    device_pb2,
    readings_pb2,
    wallet_pb2,
)
from services.kit import messaging
from services.kit.clock import FixedClock
from services.kit.messaging import timestamp

T0 = datetime(2026, 11, 10, 9, 0, tzinfo=CHINA)
DAY = date(2026, 11, 10)


async def seed_site(sessions) -> None:
    """G > east > PA > B1 > F1 > R101 with meters M1 (gateway GW1) and M2, account A1 of tenant T1 on M1."""
    chain = [("G", "group", None), ("east", "region", "G"), ("PA", "property", "east"), ("B1", "building", "PA"),
             ("F1", "floor", "B1"), ("R101", "room", "F1")]
    paths: dict[str, str] = {}
    async with sessions() as session:
        for node_id, kind, parent in chain:
            paths[node_id] = f"{paths[parent]}.{path_label(node_id)}" if parent else path_label(node_id)
            await session.execute(insert(nodes).values(
                node_id=node_id, kind=kind, name=node_id, parent_id=parent, path=paths[node_id],
                property_id="PA" if kind in ("property", "building", "floor", "room") else None))
        room = paths["R101"]
        await session.execute(insert(tenants).values(tenant_id="T1", name="张三", property_id="PA", path=paths["PA"]))
        await session.execute(insert(meters).values([
            {"meter_id": "M1", "room_id": "R101", "property_id": "PA", "path": room, "gateway_id": "GW1",
             "kind": "electricity"},
            {"meter_id": "M2", "room_id": "R101", "property_id": "PA", "path": room, "gateway_id": "GW1",
             "kind": "water"}]))
        await session.execute(insert(accounts).values(account_id="A1", tenant_id="T1", property_id="PA", path=room))
        await session.execute(insert(account_meters).values(meter_id="M1", account_id="A1"))
        await session.commit()


@pytest.fixture
async def sessions(console_sessions):
    await seed_site(console_sessions)
    return console_sessions


async def publish(sessions, topic: str, *messages) -> None:
    deps = consumers.ConsumerDeps(new_uow=lambda: ConsoleUnitOfWork(sessions, lambda: None),
                                  clock=FixedClock(T0.astimezone(UTC)))
    broker = messaging.make_broker("localhost:9092", False)
    consumers.register(broker, deps)
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish_batch(*(m.SerializeToString() for m in messages), topic=topic)


async def row(sessions, table, *where):
    async with sessions() as session:
        return (await session.execute(select(table).where(*where))).mappings().first()


def reading(meter_id: str, at: datetime, total_wh: int, **fields) -> readings_pb2.MeterReading:
    return readings_pb2.MeterReading(meter_id=meter_id, read_at=timestamp(at), kind=common_pb2.METER_KIND_ELECTRICITY,
                                     total_wh=total_wh, **fields)


def status(device_id: str, online: bool, at: datetime, gateway: bool = False,
           relay: int = common_pb2.RELAY_STATE_UNSPECIFIED) -> device_pb2.DeviceStatus:
    kind = device_pb2.DEVICE_TYPE_GATEWAY if gateway else device_pb2.DEVICE_TYPE_METER
    return device_pb2.DeviceStatus(device_id=device_id, device_type=kind, online=online, relay_state=relay,
                                   changed_at=timestamp(at))


def charge(meter_id: str, to_time: datetime, amount_fen: int) -> charges_pb2.UsageCharge:
    return charges_pb2.UsageCharge(charge_id=f"{meter_id}@{to_time.isoformat()}", meter_id=meter_id,
                                   to_time=timestamp(to_time), amount_fen=amount_fen, energy_wh=1000)


def wallet_event(kind: int, at: datetime, balance_fen: int, level: int = 0,
                 account_id: str = "A1") -> wallet_pb2.WalletEvent:
    return wallet_pb2.WalletEvent(event_id=f"t@{at.isoformat()}:{kind}", account_id=account_id, kind=kind,
                                  balance_fen=balance_fen, alarm_level=level, occurred_at=timestamp(at))


def result(command_id: str, action: int, at: datetime, status_text: str = "confirmed", meter_id: str = "M1",
           relay: int = common_pb2.RELAY_STATE_UNSPECIFIED) -> control_pb2.ControlResult:
    confirmed = status_text == "confirmed"
    outcome = control_pb2.CONTROL_OUTCOME_CONFIRMED if confirmed else control_pb2.CONTROL_OUTCOME_FAILED
    return control_pb2.ControlResult(command_id=command_id, meter_id=meter_id, outcome=outcome, action=action,
                                     status=status_text, relay_state=relay, completed_at=timestamp(at),
                                     requested_by="operator:elec-a", reason="检修 maintenance", detail="ok")


class TestDeviceStatus:
    async def test_meter_and_gateway_statuses_update_the_read_model(self, sessions):
        await publish(sessions, messaging.DEVICE_STATUS, status("M1", False, T0, relay=common_pb2.RELAY_STATE_OPEN),
                      status("GW1", False, T0, gateway=True))
        m1 = await row(sessions, meters, meters.c.meter_id == "M1")
        assert (m1["online"], m1["relay_state"], m1["status_changed_at"]) == (False, "open", T0)
        gw = await row(sessions, gateways, gateways.c.gateway_id == "GW1")
        assert (gw["online"], gw["property_id"], gw["path"]) == (False, "PA", "G.east.PA")

    async def test_an_older_status_changes_nothing_and_unknown_devices_are_skipped(self, sessions):
        await publish(sessions, messaging.DEVICE_STATUS, status("M1", True, T0), status("GW1", True, T0, gateway=True))
        earlier = T0 - timedelta(minutes=5)
        await publish(sessions, messaging.DEVICE_STATUS, status("M1", False, earlier),
                      status("GW1", False, earlier, gateway=True), status("M-unplaced", False, T0),
                      status("GW-unknown", False, T0, gateway=True))
        assert (await row(sessions, meters, meters.c.meter_id == "M1"))["online"] is True
        assert (await row(sessions, gateways, gateways.c.gateway_id == "GW1"))["online"] is True
        assert await row(sessions, meters, meters.c.meter_id == "M-unplaced") is None
        assert await row(sessions, gateways, gateways.c.gateway_id == "GW-unknown") is None


class TestReadings:
    async def test_latest_reading_and_the_days_energy(self, sessions):
        await publish(sessions, messaging.METER_READINGS, reading("M1", T0, 10_000),
                      reading("M1", T0 + timedelta(hours=2), 12_500, voltage_dv=2200, power_w=800,
                              has_band_registers=True, peak_wh=5000, flat_wh=7500),
                      reading("M1", T0 + timedelta(hours=1), 11_000))
        m1 = await row(sessions, meters, meters.c.meter_id == "M1")
        assert (m1["total_wh"], m1["voltage_dv"], m1["power_w"]) == (12_500, 2200, 800)
        assert m1["bands_wh"] == [0, 5000, 7500, 0, 0]
        assert m1["last_read_at"] == T0 + timedelta(hours=2)
        day = await row(sessions, meter_days, meter_days.c.meter_id == "M1", meter_days.c.day == DAY)
        assert (day["first_wh"], day["last_wh"], day["energy_wh"], day["path"]) == (10_000, 12_500, 2_500,
                                                                                  "G.east.PA.B1.F1.R101")

    async def test_redelivered_and_older_readings_change_nothing(self, sessions):
        await publish(sessions, messaging.METER_READINGS, reading("M1", T0, 10_000),
                      reading("M1", T0 + timedelta(hours=1), 11_000))
        await publish(sessions, messaging.METER_READINGS, reading("M1", T0 + timedelta(minutes=30), 10_400),
                      reading("M1", T0, 10_000), reading("M-unplaced", T0, 5))
        m1 = await row(sessions, meters, meters.c.meter_id == "M1")
        assert m1["total_wh"] == 11_000
        day = await row(sessions, meter_days, meter_days.c.meter_id == "M1", meter_days.c.day == DAY)
        assert day["energy_wh"] == 1_000
        assert await row(sessions, meter_days, meter_days.c.meter_id == "M-unplaced") is None

    async def test_a_day_starts_where_the_last_day_ended_even_when_it_comes_late(self, sessions):
        yesterday_evening = T0 - timedelta(hours=14)          # 19:00 China time the day before
        await publish(sessions, messaging.METER_READINGS, reading("M1", yesterday_evening - timedelta(hours=1), 9_000))
        await publish(sessions, messaging.METER_READINGS, reading("M1", T0, 10_000))
        today = await row(sessions, meter_days, meter_days.c.meter_id == "M1", meter_days.c.day == DAY)
        assert (today["first_wh"], today["energy_wh"]) == (9_000, 1_000)
        # a backfill of yesterday evening arrives after today's reading: it moves today's baseline
        await publish(sessions, messaging.METER_READINGS, reading("M1", yesterday_evening, 9_600))
        today = await row(sessions, meter_days, meter_days.c.meter_id == "M1", meter_days.c.day == DAY)
        assert (today["first_wh"], today["energy_wh"]) == (9_600, 400)

    async def test_a_water_reading_updates_the_volume(self, sessions):
        await publish(sessions, messaging.METER_READINGS, readings_pb2.MeterReading(
            meter_id="M2", read_at=timestamp(T0), kind=common_pb2.METER_KIND_WATER, volume_l=3_300))
        m2 = await row(sessions, meters, meters.c.meter_id == "M2")
        assert (m2["volume_l"], m2["total_wh"]) == (3_300, None)


class TestCharges:
    async def test_charges_sum_per_china_day_once(self, sessions):
        late_evening = datetime(2026, 11, 10, 23, 30, tzinfo=CHINA)
        c1, c2, c3 = charge("M1", T0, 120), charge("M1", T0 + timedelta(hours=1), 80), charge("M1", late_evening, 5)
        await publish(sessions, messaging.USAGE_CHARGES, c1, c2, c1)
        await publish(sessions, messaging.USAGE_CHARGES, c2, c1, c3, charge("M-unplaced", T0, 999))
        day = await row(sessions, meter_days, meter_days.c.meter_id == "M1", meter_days.c.day == DAY)
        assert (day["amount_fen"], day["last_charge_to"]) == (205, late_evening)
        assert await row(sessions, meter_days, meter_days.c.meter_id == "M-unplaced") is None

    async def test_a_charge_after_midnight_china_time_counts_on_the_next_day(self, sessions):
        after_midnight = datetime(2026, 11, 11, 0, 10, tzinfo=CHINA)   # still Nov 10 in UTC
        await publish(sessions, messaging.USAGE_CHARGES, charge("M1", after_midnight, 42))
        day = await row(sessions, meter_days, meter_days.c.meter_id == "M1")
        assert (day["day"], day["amount_fen"]) == (date(2026, 11, 11), 42)


class TestWalletEvents:
    async def test_balance_alarm_and_arrears_follow_the_newest_events(self, sessions):
        await publish(sessions, messaging.WALLET_EVENTS,
                      wallet_event(wallet_pb2.WALLET_EVENT_KIND_ALARM_LEVEL, T0, 900, level=1),
                      wallet_event(wallet_pb2.WALLET_EVENT_KIND_ARREARS, T0 + timedelta(hours=1), -5, level=2))
        a1 = await row(sessions, accounts, accounts.c.account_id == "A1")
        assert (a1["balance_fen"], a1["alarm_level"], a1["in_arrears"]) == (-5, 2, True)
        recharge_at = T0 + timedelta(hours=2)
        await publish(sessions, messaging.WALLET_EVENTS,
                      wallet_event(wallet_pb2.WALLET_EVENT_KIND_RECHARGED, recharge_at, 10_000, level=2),
                      wallet_event(wallet_pb2.WALLET_EVENT_KIND_ALARM_LEVEL, recharge_at, 10_000, level=0),
                      wallet_event(wallet_pb2.WALLET_EVENT_KIND_RECOVERED, recharge_at, 10_000, level=0))
        a1 = await row(sessions, accounts, accounts.c.account_id == "A1")
        assert (a1["balance_fen"], a1["alarm_level"], a1["in_arrears"], a1["balance_at"]) == (
            10_000, 0, False, recharge_at)

    async def test_older_events_and_unknown_accounts_change_nothing(self, sessions):
        await publish(sessions, messaging.WALLET_EVENTS,
                      wallet_event(wallet_pb2.WALLET_EVENT_KIND_RECHARGED, T0, 5_000))
        await publish(sessions, messaging.WALLET_EVENTS,
                      wallet_event(wallet_pb2.WALLET_EVENT_KIND_ARREARS, T0 - timedelta(hours=1), -1, level=2),
                      wallet_event(wallet_pb2.WALLET_EVENT_KIND_ARREARS, T0, -1, account_id="A-unknown"))
        a1 = await row(sessions, accounts, accounts.c.account_id == "A1")
        assert (a1["balance_fen"], a1["in_arrears"], a1["alarm_level"]) == (5_000, False, 0)
        assert await row(sessions, accounts, accounts.c.account_id == "A-unknown") is None


class TestControlEvents:
    async def test_an_outcome_is_upserted_by_command_id_with_the_meters_place(self, sessions):
        await publish(sessions, messaging.CONTROL_EVENTS,
                      result("C1", control_pb2.CONTROL_ACTION_TRIP, T0, relay=common_pb2.RELAY_STATE_OPEN))
        c1 = await row(sessions, commands, commands.c.command_id == "C1")
        assert (c1["action"], c1["status"], c1["property_id"], c1["path"], c1["requested_by"]) == (
            "trip", "confirmed", "PA", "G.east.PA.B1.F1.R101", "operator:elec-a")
        assert (await row(sessions, meters, meters.c.meter_id == "M1"))["relay_state"] == "open"

    async def test_duplicates_older_outcomes_and_unknown_meters_change_nothing(self, sessions):
        later = T0 + timedelta(minutes=3)
        await publish(sessions, messaging.CONTROL_EVENTS,
                      result("C1", control_pb2.CONTROL_ACTION_CLOSE, later, status_text="failed"))
        await publish(sessions, messaging.CONTROL_EVENTS,
                      result("C1", control_pb2.CONTROL_ACTION_CLOSE, T0),
                      result("C1", control_pb2.CONTROL_ACTION_CLOSE, later, status_text="failed"),
                      result("C9", control_pb2.CONTROL_ACTION_TRIP, T0, meter_id="M-unplaced"))
        c1 = await row(sessions, commands, commands.c.command_id == "C1")
        assert (c1["status"], c1["completed_at"]) == ("failed", later)
        assert await row(sessions, commands, commands.c.command_id == "C9") is None

    async def test_a_confirmed_power_guarantee_sets_the_meters_mode(self, sessions):
        await publish(sessions, messaging.CONTROL_EVENTS,
                      result("G1", control_pb2.CONTROL_ACTION_POWER_GUARANTEE_ON, T0))
        assert (await row(sessions, meters, meters.c.meter_id == "M1"))["control_mode"] == "guarantee"
        await publish(sessions, messaging.CONTROL_EVENTS,
                      result("G2", control_pb2.CONTROL_ACTION_POWER_GUARANTEE_OFF, T0 + timedelta(hours=1)))
        assert (await row(sessions, meters, meters.c.meter_id == "M1"))["control_mode"] == "prepaid"


class TestFolds:
    """The pure folds of a batch (domain/live.py, service/projections.py)."""

    def test_events_of_one_transfer_keep_their_order_and_each_part_its_time(self):
        later = T0 + timedelta(minutes=1)
        changes = account_changes([
            WalletEventSeen("e1", "A1", 100, 2, True, T0),
            WalletEventSeen("e2", "A1", 900, None, None, later),      # a recharge: states no level
            WalletEventSeen("e3", "A1", 900, 0, None, later),
            WalletEventSeen("e4", "A1", 900, 0, False, later)])
        assert changes == [AccountStateChange("A1", later, 900, 0, later, False, later)]

    def test_confirmed_commands_set_mode_and_relay_per_meter(self):
        outcomes = [CommandOutcomeSeen("c1", "M1", "power_guarantee_on", "confirmed", "closed", "", "", "", T0),
                    CommandOutcomeSeen("c2", "M1", "read_now", "confirmed", "unknown", "", "", "",
                                       T0 + timedelta(seconds=5)),
                    CommandOutcomeSeen("c3", "M2", "trip", "failed", "closed", "", "", "", T0)]
        assert command_effects(outcomes) == [("M1", "guarantee", "closed", T0)]

    def test_water_readings_have_no_energy_days(self):
        water = ReadingSeen("M2", T0, True, 0, 10, None, 0, 0, 0, 0, "unknown")
        power = ReadingSeen("M1", T0, False, 5, 0, None, 0, 0, 0, 0, "unknown")
        assert [d.meter_id for d in day_readings([water, power, power])] == ["M1"]

"""The thin slice through every hop, as real processes on the embedded stack.

simulator (Modbus TCP) -> acquisition -> meter.readings.v1 -> tariff -> usage.charges.v1 ->
wallet -> wallet.events.v1 -> control -> control.commands.v1 -> acquisition -> relay register.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from aiokafka import AIOKafkaProducer
from google.protobuf.timestamp_pb2 import Timestamp

from services.contracts.meterpay.v1 import charges_pb2, readings_pb2, wallet_pb2, wallet_pb2_grpc
from services.devstack import DemoAccount, Platform, seed_site

pytestmark = pytest.mark.e2e

# 3 kW shop meter running 600x faster than the wall clock: about 0.5 yuan a second at 1 yuan/kWh.
SIMULATOR = ["--demo", "3", "--port", "{gateway_port}", "--time-scale", "600", "--status-interval-s", "0.1"]
ACCOUNTS = [DemoAccount("A-0001", "一楼便利店 shop", "M-0001", 200),
            DemoAccount("A-0002", "二楼办公室 office", "M-0002", 10_000_000),
            DemoAccount("A-0003", "公寓 apartment", "M-0003", 10_000_000)]


@pytest.fixture(scope="module")
async def platform(tmp_path_factory):
    root = tmp_path_factory.mktemp("slice")
    status_file = root / "meters.json"
    p = Platform(root, [*SIMULATOR, "--status-file", str(status_file)], poll_interval_s=1.0, time_scale=600)
    try:
        p.start()
        p.status_file = status_file
        await seed_site(p.acquisition, p.wallet, p.ports.gateway, ACCOUNTS)
        yield p
    finally:
        p.stop()


def relay_open(platform: Platform, meter_id: str) -> bool | None:
    try:
        return json.loads(Path(platform.status_file).read_text())[meter_id]["relay_open"]
    except (FileNotFoundError, json.JSONDecodeError, KeyError):
        return None


async def wallet_call(platform: Platform, method: str, request):
    async with grpc.aio.insecure_channel(platform.wallet) as ch:
        return await getattr(wallet_pb2_grpc.WalletServiceStub(ch), method)(request, timeout=10)


async def assert_ledger_invariants(platform: Platform) -> None:
    reply = await wallet_call(platform, "Reconcile", wallet_pb2.ReconcileRequest())
    assert reply.ok, list(reply.problems)
    assert reply.total_debits_fen == reply.total_credits_fen


async def test_arrears_trips_the_relay_and_a_recharge_closes_it(platform):
    platform.processes.wait_until(lambda: relay_open(platform, "M-0001") is True, 90,
                                  "M-0001 was never tripped")
    account = await wallet_call(platform, "GetAccount", wallet_pb2.GetAccountRequest(account_id="A-0001"))
    assert account.in_arrears and account.balance_fen <= 0
    assert relay_open(platform, "M-0002") is False  # the rich tenants keep their supply

    reply = await wallet_call(platform, "Recharge", wallet_pb2.RechargeRequest(
        transfer_id="counter:e2e-1", account_id="A-0001", amount_fen=1_000_000, channel="cash"))
    assert reply.balance_fen > 0 and not reply.duplicate
    platform.processes.wait_until(lambda: relay_open(platform, "M-0001") is False, 60,
                                  "M-0001 was never closed after the recharge")
    await assert_ledger_invariants(platform)


def _ts(at: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(at)
    return ts


async def test_the_same_reading_and_the_same_charge_twice_change_the_ledger_once(platform):
    await wallet_call(platform, "OpenAccount", wallet_pb2.OpenAccountRequest(
        account_id="A-DUP", tenant_name="dup", meter_ids=["M-DUP"], opening_balance_fen=10_000))
    start = datetime.now(UTC) - timedelta(hours=2)
    first = readings_pb2.MeterReading(meter_id="M-DUP", read_at=_ts(start), total_wh=50_000)
    second = readings_pb2.MeterReading(meter_id="M-DUP", read_at=_ts(start + timedelta(hours=1)), total_wh=51_000)
    charge = charges_pb2.UsageCharge(charge_id="e2e-dup-charge", meter_id="M-DUP", amount_fen=250, period="2026-11")
    producer = AIOKafkaProducer(bootstrap_servers=platform.infra["KAFKA_BOOTSTRAP"])
    await producer.start()
    try:
        for message, topic in ((first, "meter.readings.v1"), (second, "meter.readings.v1"),
                               (second, "meter.readings.v1"), (charge, "usage.charges.v1"),
                               (charge, "usage.charges.v1")):
            await producer.send_and_wait(topic, message.SerializeToString(), key=b"M-DUP")
    finally:
        await producer.stop()

    expected_fen = 10_000 - 100 - 250  # 1 kWh at the default 1 yuan/kWh, then the 2.50 yuan charge, once each
    deadline = time.monotonic() + 60
    balance = None
    while time.monotonic() < deadline:
        balance = (await wallet_call(platform, "GetAccount", wallet_pb2.GetAccountRequest(account_id="A-DUP"))
                   ).balance_fen
        if balance == expected_fen:
            break
        await asyncio.sleep(0.2)
    assert balance == expected_fen
    await asyncio.sleep(2)  # give a wrongly re-posted duplicate the time to show up
    again = await wallet_call(platform, "GetAccount", wallet_pb2.GetAccountRequest(account_id="A-DUP"))
    assert again.balance_fen == expected_fen
    await assert_ledger_invariants(platform)

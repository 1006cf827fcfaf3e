"""Control on the real stack: simulator over Modbus TCP, acquisition, tariff, wallet and control processes.

One Platform for the module: 210 simulated meters on one gateway. M-0001..M-0200 are the
batch meters (M-0196..M-0200 registered at device ids the gateway does not have: dead until
re-registered); M-0201.. are tenants with accounts, one scenario each.
"""

from __future__ import annotations

import asyncio
import io
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import grpc
import pytest
from aiokafka import AIOKafkaProducer
from openpyxl import load_workbook

from services.contracts.meterpay.v1 import (
    acquisition_pb2,
    acquisition_pb2_grpc,
    common_pb2,
    control_pb2,
    control_pb2_grpc,
    wallet_pb2,
    wallet_pb2_grpc,
)
from services.devstack import Platform

pytestmark = pytest.mark.e2e

METERS = 210
BATCH_METERS = [f"M-{i:04d}" for i in range(1, 201)]
DEAD = {f"M-{i:04d}": 240 + i - 195 for i in range(196, 201)}  # device ids 241..245: nobody answers
SIMULATOR = ["--demo", str(METERS), "--port", "{gateway_port}", "--time-scale", "600", "--no-bus-delay",
             "--status-interval-s", "0.2"]
CONTROL_ENV = {"CONTROL_MAX_ATTEMPTS": "2", "CONTROL_BACKOFF_BASE_S": "0.5", "CONTROL_RESULT_TIMEOUT_S": "90",
               "CONTROL_SWEEP_INTERVAL_S": "0.25", "ACQUISITION_COMMAND_CONFIRM_DELAY_S": "0.01"}
SHANGHAI = ZoneInfo("Asia/Shanghai")
TRIP, CLOSE = control_pb2.CONTROL_ACTION_TRIP, control_pb2.CONTROL_ACTION_CLOSE


@pytest.fixture(scope="module")
async def platform(tmp_path_factory):
    root = tmp_path_factory.mktemp("control-e2e")
    status_file = root / "meters.json"
    p = Platform(root, [*SIMULATOR, "--status-file", str(status_file)], env=CONTROL_ENV, poll_interval_s=2.0,
                 time_scale=600)
    try:
        p.start()
        p.status_file = status_file
        await register_site(p)
        yield p
    finally:
        p.stop()


async def register_site(p: Platform) -> None:
    async with grpc.aio.insecure_channel(p.acquisition) as channel:
        acquisition = acquisition_pb2_grpc.AcquisitionServiceStub(channel)
        await acquisition.RegisterGateway(acquisition_pb2.Gateway(
            gateway_id="GW-0001", host="127.0.0.1", port=p.ports.gateway, protocol="modbus-tcp"))
        for i in range(1, METERS + 1):
            meter_id = f"M-{i:04d}"
            await acquisition.RegisterMeter(acquisition_pb2.Meter(
                meter_id=meter_id, gateway_id="GW-0001", device_id=DEAD.get(meter_id, i)))


def simulated(p: Platform, meter_id: str) -> dict | None:
    try:
        return json.loads(Path(p.status_file).read_text())[meter_id]
    except (FileNotFoundError, json.JSONDecodeError, KeyError):
        return None


def relay_open(p: Platform, meter_id: str) -> bool | None:
    state = simulated(p, meter_id)
    return None if state is None else state["relay_open"]


async def control(p: Platform, method: str, request):
    async with grpc.aio.insecure_channel(p.control) as channel:
        return await getattr(control_pb2_grpc.ControlServiceStub(channel), method)(request, timeout=30)


async def wallet(p: Platform, method: str, request):
    async with grpc.aio.insecure_channel(p.wallet) as channel:
        return await getattr(wallet_pb2_grpc.WalletServiceStub(channel), method)(request, timeout=10)


async def commands_of(p: Platform, meter_id: str) -> list[control_pb2.ControlCommandView]:
    reply = await control(p, "ListCommands", control_pb2.ListCommandsRequest(meter_id=meter_id, limit=50))
    return list(reversed(reply.commands))  # oldest first


async def meter_control(p: Platform, meter_id: str) -> control_pb2.MeterControl:
    reply = await control(p, "ListMeterControls", control_pb2.ListMeterControlsRequest(
        selection=control_pb2.MeterSelection(meter_ids=[meter_id])))
    return reply.meters[0]


async def eventually(condition, timeout_s: float, message: str, interval_s: float = 0.3):
    """Poll an async condition; returns its first truthy value."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = await condition()
        if value:
            return value
        await asyncio.sleep(interval_s)
    raise AssertionError(message)


async def open_account(p: Platform, account_id: str, meter_id: str, balance_fen: int) -> None:
    await wallet(p, "OpenAccount", wallet_pb2.OpenAccountRequest(
        account_id=account_id, tenant_name=f"租户 tenant {account_id}", meter_ids=[meter_id],
        opening_balance_fen=balance_fen, cutoff_fen=0))


async def test_arrears_trips_and_a_recharge_restores_without_an_operator(platform):
    await open_account(platform, "A-0201", "M-0201", 20)
    await eventually(lambda: _async(relay_open(platform, "M-0201") is True), 90, "M-0201 was never tripped")
    trip = await confirmed(platform, "M-0201", TRIP)
    assert trip.requested_by.startswith("wallet-event:")
    assert "ARREARS" in trip.requested_by and trip.relay_state == common_pb2.RELAY_STATE_OPEN

    await wallet(platform, "Recharge", wallet_pb2.RechargeRequest(
        transfer_id="counter:ctl-e2e-1", account_id="A-0201", amount_fen=10_000_000, channel="cash"))
    await eventually(lambda: _async(relay_open(platform, "M-0201") is False), 60, "M-0201 was never restored")
    close = await confirmed(platform, "M-0201", CLOSE)
    assert "RECOVERED" in close.requested_by
    assert not close.requested_by.startswith("operator")


async def test_a_meter_in_power_guarantee_is_never_tripped(platform):
    reply = await control(platform, "SubmitCommand", control_pb2.SubmitCommandRequest(
        request_id="guarantee-0202", meter_id="M-0202", operation=control_pb2.OPERATION_POWER_GUARANTEE_ON,
        requested_by="operator:test", reason="保电 test"))
    assert reply.command.action == control_pb2.CONTROL_ACTION_POWER_GUARANTEE_ON
    await eventually(lambda: _async((simulated(platform, "M-0202") or {}).get("guarantee")), 60,
                     "the guarantee flag never reached M-0202")
    await open_account(platform, "A-0202", "M-0202", 5)

    async def in_arrears():
        return (await meter_control(platform, "M-0202")).in_arrears

    await eventually(in_arrears, 90, "M-0202 never went into arrears")
    await asyncio.sleep(3)  # time enough for a trip to have gone out, were one issued
    actions = [c.action for c in await commands_of(platform, "M-0202")]
    assert TRIP not in actions and control_pb2.CONTROL_ACTION_VALVE_CLOSE not in actions
    assert relay_open(platform, "M-0202") is False
    account = await wallet(platform, "GetAccount", wallet_pb2.GetAccountRequest(account_id="A-0202"))
    assert account.in_arrears


async def test_an_arrears_inside_a_night_window_is_cut_when_the_window_ends(platform):
    now_local = datetime.now(SHANGHAI)
    if now_local.time() > (datetime.combine(now_local.date(), datetime.max.time()) - timedelta(minutes=2)).time():
        pytest.skip("the window would wrap midnight; run again in two minutes")
    window_ends = (now_local + timedelta(seconds=25)).replace(microsecond=0)
    await control(platform, "SetProtectionWindow", control_pb2.ProtectionWindow(
        project="P-NIGHT", night_start=(now_local - timedelta(minutes=1)).strftime("%H:%M:%S"),
        night_end=window_ends.strftime("%H:%M:%S"), timezone="Asia/Shanghai"))
    await control(platform, "SetMeterTags", control_pb2.SetMeterTagsRequest(
        meter_id="M-0203", tags=control_pb2.MeterTags(project="P-NIGHT", building="B-1", floor="3F")))
    await open_account(platform, "A-0203", "M-0203", 1)

    async def deferred():
        meter = await meter_control(platform, "M-0203")
        return meter if meter.in_arrears and meter.HasField("cut_deferred_until") else None

    meter = await eventually(deferred, 60, "M-0203's cut was never deferred")
    assert datetime.now(SHANGHAI) < window_ends, "arrears came after the window; nothing was tested"
    assert meter.cut_deferred_until.ToDatetime(tzinfo=UTC) == window_ends.astimezone(UTC)
    assert relay_open(platform, "M-0203") is False
    assert TRIP not in [c.action for c in await commands_of(platform, "M-0203")]

    await eventually(lambda: _async(relay_open(platform, "M-0203") is True), 60,
                     "M-0203 was not cut when the window ended")
    trip = await confirmed(platform, "M-0203", TRIP)
    assert trip.requested_by == "schedule:protection-window-end"
    assert trip.created_at.ToDatetime(tzinfo=UTC) >= window_ends.astimezone(UTC)


async def test_a_duplicated_wallet_event_on_the_bus_trips_once(platform):
    await eventually(lambda: _async(relay_open(platform, "M-0204") is False), 30, "M-0204 not polled yet")

    async def known_on():
        return (await meter_control(platform, "M-0204")).known_state == common_pb2.RELAY_STATE_CLOSED

    await eventually(known_on, 30, "control never learnt M-0204's relay state")
    event = wallet_pb2.WalletEvent(event_id="dup-1:ARREARS", account_id="A-X", meter_ids=["M-0204"],
                                   kind=wallet_pb2.WALLET_EVENT_KIND_ARREARS, balance_fen=-5)
    producer = AIOKafkaProducer(bootstrap_servers=platform.infra["KAFKA_BOOTSTRAP"])
    await producer.start()
    try:
        for _ in range(3):
            await producer.send_and_wait("wallet.events.v1", event.SerializeToString(), key=b"A-X")
    finally:
        await producer.stop()
    await eventually(lambda: _async(relay_open(platform, "M-0204") is True), 60, "M-0204 never tripped")
    await asyncio.sleep(2)
    trips = [c for c in await commands_of(platform, "M-0204") if c.requested_by == "wallet-event:dup-1:ARREARS"]
    assert len(trips) == 1


async def test_an_overloaded_meter_is_tripped_and_an_operator_restores_it(platform):
    # A restaurant meter draws at least 300 W at any hour of its simulated day.
    tags = control_pb2.MeterTags(building="B-1", overload_threshold_w=50)
    await control(platform, "SetMeterTags", control_pb2.SetMeterTagsRequest(meter_id="M-0205", tags=tags))
    await eventually(lambda: _async(relay_open(platform, "M-0205") is True), 60, "M-0205 was never tripped")
    trip = await confirmed(platform, "M-0205", TRIP)
    assert trip.requested_by == "overload" and "过载 overload" in trip.reason
    assert (await meter_control(platform, "M-0205")).overload_tripped

    tags.overload_threshold_w = 0
    await control(platform, "SetMeterTags", control_pb2.SetMeterTagsRequest(meter_id="M-0205", tags=tags))
    await control(platform, "SubmitCommand", control_pb2.SubmitCommandRequest(
        request_id="restore-0205", meter_id="M-0205", operation=control_pb2.OPERATION_RESTORE_PREPAID,
        requested_by="operator:test", reason="过载已处理 overload fixed"))
    await eventually(lambda: _async(relay_open(platform, "M-0205") is False), 60, "M-0205 was never restored")
    assert not (await meter_control(platform, "M-0205")).overload_tripped


async def test_a_batch_of_200_with_5_dead_meters_lists_the_failures_and_resends_them(platform):
    for meter_id in BATCH_METERS:
        await control(platform, "SetMeterTags", control_pb2.SetMeterTagsRequest(
            meter_id=meter_id, tags=control_pb2.MeterTags(building="B-BATCH", floor=f"{int(meter_id[2:]) % 10}F")))
    reply = await control(platform, "SubmitBatch", control_pb2.SubmitBatchRequest(
        batch_id="batch-guarantee-1", operation=control_pb2.OPERATION_POWER_GUARANTEE_ON,
        selection=control_pb2.MeterSelection(building="B-BATCH"), requested_by="operator:test", reason="保电 batch"))
    assert reply.batch.total == 200 and not reply.duplicate

    batch = await wait_batch_done(platform, "batch-guarantee-1")
    assert (batch.batch.confirmed, batch.batch.failed) == (195, 5)
    failed = [i for i in batch.items if i.status == "failed"]
    assert sorted(i.meter_id for i in failed) == sorted(DEAD)
    assert all(i.attempt == 2 and i.detail for i in failed)
    assert all((simulated(platform, m) or {}).get("guarantee") for m in BATCH_METERS if m not in DEAD)

    async with grpc.aio.insecure_channel(platform.acquisition) as channel:  # the dead meters come back
        acquisition = acquisition_pb2_grpc.AcquisitionServiceStub(channel)
        for meter_id in DEAD:
            await acquisition.RegisterMeter(acquisition_pb2.Meter(
                meter_id=meter_id, gateway_id="GW-0001", device_id=int(meter_id[2:])))
    resent = await control(platform, "ResendFailed", control_pb2.ResendFailedRequest(
        batch_id="batch-guarantee-1", requested_by="operator:test"))
    assert resent.resent == 5
    batch = await wait_batch_done(platform, "batch-guarantee-1")
    assert (batch.batch.confirmed, batch.batch.failed) == (200, 0)
    assert all((simulated(platform, m) or {}).get("guarantee") for m in DEAD)

    export = await control(platform, "ExportMeterStates", control_pb2.ExportMeterStatesRequest(
        selection=control_pb2.MeterSelection(building="B-BATCH", mode="guarantee")))
    rows = list(load_workbook(io.BytesIO(export.xlsx)).active.iter_rows(values_only=True))
    assert export.rows == 200 and len(rows) == 201 and rows[0][0] == "表号 Meter"


async def wait_batch_done(p: Platform, batch_id: str) -> control_pb2.GetBatchReply:
    async def done():
        reply = await control(p, "GetBatch", control_pb2.GetBatchRequest(batch_id=batch_id, with_items=True))
        return reply if reply.batch.status == "done" else None

    return await eventually(done, 120, f"batch {batch_id} never finished", interval_s=1.0)


async def confirmed(p: Platform, meter_id: str, action: int) -> control_pb2.ControlCommandView:
    """The meter's only command of this action, once control has the device's confirmation."""
    async def done():
        found = [c for c in await commands_of(p, meter_id) if c.action == action]
        assert len(found) <= 1, [(c.command_id, c.status) for c in found]
        return found[0] if found and found[0].status == "confirmed" else None

    return await eventually(done, 30, f"no confirmed {action} command for {meter_id}")


async def _async(value):
    return value

"""Trip and restore latency on the 353-meter building, through every real process.

    .venv/bin/python bench/trip_latency.py [--meters 353] [--poll-interval-s 5] [--trip-spread-s 240]
                                           [--restore-rate 2]

Trip: from the reading that crosses the cut-off (its read_at, carried in the wallet
event's transfer id "charge:<meter>@<read_at>") to the simulated relay opening (the
simulator logs every control-register write with a millisecond timestamp).
Restore: from the moment the bench calls wallet's gRPC Recharge to the relay closing.

The site, generated here: 12 Modbus TCP gateways of up to 30 meters each (353 in all) with
RS-485 timing at 9600 baud, constant 3.6 kW loads so that balances run out predictably. Balances are
staggered so the meters cross the cut-off spread over --trip-spread-s, the way a
building's tenants run out over a day, compressed. Prints p50/p99 and ends with one
JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import grpc
from aiokafka import AIOKafkaConsumer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.contracts.meterpay.v1 import (  # noqa: E402
    acquisition_pb2,
    acquisition_pb2_grpc,
    control_pb2,
    control_pb2_grpc,
    wallet_pb2,
    wallet_pb2_grpc,
)
from services.devstack import Platform  # noqa: E402
from services.kit.embedded import free_port  # noqa: E402

METERS_PER_GATEWAY = 30
TIME_SCALE = 100.0
METER_POWER_W = 3600  # constant load: 3600 W x 100 = 100 Wh per real second = 10 fen/s at 1 yuan/kWh
FEN_PER_S = METER_POWER_W * TIME_SCALE / 3600 / 10
RELAY_LINE = re.compile(r"^(\S+ \S+) INFO simulators\.gateway: meter (\S+): control 0x000(\d) -> relay_open=(\w+)")


def site_spec(meters: int) -> dict:
    gateways = []
    for g in range((meters + METERS_PER_GATEWAY - 1) // METERS_PER_GATEWAY):
        first = g * METERS_PER_GATEWAY + 1
        last = min(meters, first + METERS_PER_GATEWAY - 1)
        gateways.append({"name": f"GW-{g + 1:02d}", "host": "127.0.0.1", "port": free_port(), "baud": 9600,
                         "meters": [{"device_id": i - first + 1, "meter_id": f"M-{i:04d}", "kind": "constant",
                                     "base_power_w": METER_POWER_W, "initial_total_wh": 1000 * i}
                                    for i in range(first, last + 1)]})
    return {"name": f"building-{meters}", "time_scale": TIME_SCALE, "gateways": gateways}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def relay_events(log_text: str, closing: bool) -> dict[str, datetime]:
    """meter -> the first time the simulator opened (or closed) its relay, from its log."""
    found: dict[str, datetime] = {}
    for line in log_text.splitlines():
        match = RELAY_LINE.match(line)
        if not match or (match.group(4) == "True") == closing:
            continue
        at = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S,%f").astimezone(UTC)
        found.setdefault(match.group(2), at)
    return found


def crossing_read_at(event: wallet_pb2.WalletEvent) -> datetime | None:
    """The read_at of the reading whose charge crossed the cut-off: charge:<meter>@<iso read_at>."""
    _, _, stamp = event.transfer_id.partition("@")
    try:
        return datetime.fromisoformat(stamp).astimezone(UTC)
    except ValueError:
        return None


async def register(p: Platform, spec: dict) -> list[str]:
    meter_ids = []
    async with grpc.aio.insecure_channel(p.acquisition) as channel:
        acquisition = acquisition_pb2_grpc.AcquisitionServiceStub(channel)
        for gateway in spec["gateways"]:
            await acquisition.RegisterGateway(acquisition_pb2.Gateway(
                gateway_id=gateway["name"], host="127.0.0.1", port=gateway["port"], protocol="modbus-tcp"))
            for meter in gateway["meters"]:
                await acquisition.RegisterMeter(acquisition_pb2.Meter(
                    meter_id=meter["meter_id"], gateway_id=gateway["name"], device_id=meter["device_id"]))
                meter_ids.append(meter["meter_id"])
    return meter_ids


async def open_accounts(p: Platform, meter_ids: list[str], spread_s: float) -> None:
    """Balances staggered so meter i runs out about 15 + i * spread / n seconds from now."""
    async with grpc.aio.insecure_channel(p.wallet) as channel:
        wallet = wallet_pb2_grpc.WalletServiceStub(channel)
        for i, meter_id in enumerate(meter_ids):
            balance_fen = int(FEN_PER_S * (15 + i * spread_s / len(meter_ids)))
            await wallet.OpenAccount(wallet_pb2.OpenAccountRequest(
                account_id=f"A-{meter_id}", tenant_name=f"租户 {meter_id}", meter_ids=[meter_id],
                opening_balance_fen=balance_fen, cutoff_fen=0))


async def watch_wallet(bootstrap: str, crossings: dict[str, datetime], arrears_at: dict[str, datetime],
                       recovered_at: dict[str, datetime], stop: asyncio.Event) -> None:
    """The crossing reading's time and when wallet decided arrears / recovery, per meter."""
    consumer = AIOKafkaConsumer("wallet.events.v1", bootstrap_servers=bootstrap, group_id="bench.trip-latency",
                                auto_offset_reset="earliest")
    await consumer.start()
    try:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                for record in records:
                    event = wallet_pb2.WalletEvent.FromString(record.value)
                    read_at = crossing_read_at(event)
                    if event.kind == wallet_pb2.WALLET_EVENT_KIND_ARREARS and read_at:
                        for meter_id in event.meter_ids:
                            crossings.setdefault(meter_id, read_at)
                            arrears_at.setdefault(meter_id, event.occurred_at.ToDatetime(tzinfo=UTC))
                    if event.kind == wallet_pb2.WALLET_EVENT_KIND_RECOVERED:
                        for meter_id in event.meter_ids:
                            recovered_at.setdefault(meter_id, event.occurred_at.ToDatetime(tzinfo=UTC))
    finally:
        await consumer.stop()


async def wait_for(p: Platform, meter_ids: list[str], closing: bool, timeout_s: float) -> dict[str, datetime]:
    deadline = time.monotonic() + timeout_s
    while True:
        events = relay_events(p.processes.log("simulator"), closing)
        done = sum(m in events for m in meter_ids)
        if done == len(meter_ids) or time.monotonic() > deadline:
            return events
        print(f"  {'closed' if closing else 'tripped'}: {done}/{len(meter_ids)}", flush=True)
        await asyncio.sleep(5)


async def recharge_all(p: Platform, meter_ids: list[str], rate_per_s: float) -> dict[str, datetime]:
    started: dict[str, datetime] = {}
    async with grpc.aio.insecure_channel(p.wallet) as channel:
        wallet = wallet_pb2_grpc.WalletServiceStub(channel)
        for meter_id in meter_ids:
            tick = time.monotonic()
            started[meter_id] = datetime.now(UTC)
            await wallet.Recharge(wallet_pb2.RechargeRequest(
                transfer_id=f"bench:{meter_id}", account_id=f"A-{meter_id}", amount_fen=10_000_000, channel="cash",
                operator="bench"))
            await asyncio.sleep(max(0.0, 1 / rate_per_s - (time.monotonic() - tick)))
    return started


async def command_times(p: Platform, action: int) -> tuple[dict[str, datetime], dict[str, datetime]]:
    """meter -> when control queued its first command of this action, and when it sent it."""
    async with grpc.aio.insecure_channel(p.control) as channel:
        reply = await control_pb2_grpc.ControlServiceStub(channel).ListCommands(
            control_pb2.ListCommandsRequest(limit=5000), timeout=30)
    created: dict[str, datetime] = {}
    sent: dict[str, datetime] = {}
    for command in sorted(reply.commands, key=lambda c: c.created_at.ToDatetime()):
        if command.action == action and command.meter_id not in created:
            created[command.meter_id] = command.created_at.ToDatetime(tzinfo=UTC)
            sent[command.meter_id] = command.sent_at.ToDatetime(tzinfo=UTC)
    return created, sent


def hops(name: str, start: dict[str, datetime], wallet_at: dict[str, datetime], queued: dict[str, datetime],
         sent: dict[str, datetime], end: dict[str, datetime]) -> None:
    """Where the time goes: to wallet's decision, to control's, inside control, from control to the relay."""
    for label, a, b in (("to wallet", start, wallet_at), ("to control", wallet_at, queued),
                        ("in control", queued, sent), ("to relay", sent, end)):
        values = latencies_ms({m: a[m] for m in a if m in b}, b)
        if values:
            print(f"  {name:7s} {label:10s} p50={percentile(values, 50):6.0f} ms  p99={percentile(values, 99):6.0f} ms")


def latencies_ms(starts: dict[str, datetime], ends: dict[str, datetime]) -> list[float]:
    return [(ends[m] - starts[m]).total_seconds() * 1000 for m in starts if m in ends and ends[m] >= starts[m]]


def summary(name: str, values: list[float], expected: int) -> dict[str, float]:
    if not values:
        print(f"{name}: no samples")
        return {f"{name}_p50_ms": -1.0, f"{name}_p99_ms": -1.0, f"{name}_samples": 0}
    p50, p99 = percentile(values, 50), percentile(values, 99)
    print(f"{name}: n={len(values)}/{expected} p50={p50:.0f} ms p99={p99:.0f} ms "
          f"mean={statistics.mean(values):.0f} ms max={max(values):.0f} ms")
    return {f"{name}_p50_ms": round(p50, 1), f"{name}_p99_ms": round(p99, 1), f"{name}_samples": len(values)}


async def run(args: argparse.Namespace) -> dict:
    root = Path(tempfile.mkdtemp(prefix="trip-latency-"))
    spec = site_spec(args.meters)
    site_file = root / "site.json"
    site_file.write_text(json.dumps(spec))
    platform = Platform(root, ["--site", str(site_file)], poll_interval_s=args.poll_interval_s,
                        time_scale=TIME_SCALE)
    try:
        platform.start()
        meter_ids = await register(platform, spec)
        crossings: dict[str, datetime] = {}
        arrears_at: dict[str, datetime] = {}
        recovered_at: dict[str, datetime] = {}
        stop = asyncio.Event()
        watcher = asyncio.create_task(watch_wallet(platform.infra["KAFKA_BOOTSTRAP"], crossings, arrears_at,
                                                   recovered_at, stop))
        await open_accounts(platform, meter_ids, args.trip_spread_s)
        print(f"{len(spec['gateways'])} gateways, {len(meter_ids)} meters; waiting for the trips", flush=True)
        opened = await wait_for(platform, meter_ids, closing=False, timeout_s=args.trip_spread_s + 240)
        print("recharging every account", flush=True)
        recharged = await recharge_all(platform, meter_ids, args.restore_rate)
        closed = await wait_for(platform, meter_ids, closing=True, timeout_s=120)
        stop.set()
        await watcher
        hops("trip", crossings, arrears_at, *await command_times(platform, 1), opened)
        hops("restore", recharged, recovered_at, *await command_times(platform, 2), closed)
        figures = {"meters": len(meter_ids), "gateways": len(spec["gateways"]),
                   **summary("trip", latencies_ms(crossings, opened), len(meter_ids)),
                   **summary("restore", latencies_ms(recharged, closed), len(meter_ids)),
                   "recharge_path": "wallet gRPC Recharge"}
        return figures
    finally:
        platform.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meters", type=int, default=353)
    parser.add_argument("--trip-spread-s", type=float, default=240.0, help="crossings spread over this long")
    parser.add_argument("--restore-rate", type=float, default=2.0, help="recharges per second")
    parser.add_argument("--poll-interval-s", type=float, default=5.0)
    figures = asyncio.run(run(parser.parse_args()))
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()

"""Latency of the thin slice on the embedded stack, as real processes.

trip:    from the reading that exhausts a balance (its read_at) to the relay confirmed open
         (ControlResult.completed_at, after acquisition read the state back from the meter);
restore: from the recharge call to the relay confirmed closed.
A 3 kW simulated shop meter (time scale 600) with a small balance is driven through
--cycles rounds of arrears -> trip -> recharge -> close. Ends with one JSON line.

    .venv/bin/python bench/slice_latency.py --cycles 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import grpc
from aiokafka import AIOKafkaConsumer

from services.contracts.meterpay.v1 import control_pb2, wallet_pb2, wallet_pb2_grpc
from services.devstack import DemoAccount, Platform, seed_site

SIMULATOR = ["--demo", "1", "--port", "{gateway_port}", "--time-scale", "600"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run(cycles: int, poll_interval_s: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp, Platform(Path(tmp), SIMULATOR, poll_interval_s=poll_interval_s,
                                                         time_scale=600) as platform:
        platform.start()
        consumer = AIOKafkaConsumer("wallet.events.v1", "control.results.v1",
                                    bootstrap_servers=platform.infra["KAFKA_BOOTSTRAP"], group_id="bench-slice",
                                    auto_offset_reset="earliest")
        await consumer.start()
        await seed_site(platform.acquisition, platform.wallet, platform.ports.gateway,
                        [DemoAccount("A-0001", "bench shop", "M-0001", 100)])
        try:
            return await _measure(platform, consumer, cycles, poll_interval_s)
        finally:
            await consumer.stop()


async def _measure(platform: Platform, consumer: AIOKafkaConsumer, cycles: int, poll_interval_s: float) -> dict:
    trips_ms: list[float] = []
    restores_ms: list[float] = []
    exhausted_at: datetime | None = None
    recharged_at: datetime | None = None
    async with grpc.aio.insecure_channel(platform.wallet) as ch:
        wallet = wallet_pb2_grpc.WalletServiceStub(ch)
        deadline = time.monotonic() + 60 * cycles
        while len(restores_ms) < cycles and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for record in (r for records in batch.values() for r in records):
                if record.topic == "wallet.events.v1":
                    event = wallet_pb2.WalletEvent.FromString(record.value)
                    if event.kind == wallet_pb2.WALLET_EVENT_KIND_ARREARS and event.transfer_id.startswith("charge:"):
                        exhausted_at = datetime.fromisoformat(event.transfer_id.split("@", 1)[1])
                    continue
                result = control_pb2.ControlResult.FromString(record.value)
                done = result.completed_at.ToDatetime(tzinfo=UTC)
                if result.relay_state == 2 and exhausted_at:  # open: tripped
                    trips_ms.append((done - exhausted_at).total_seconds() * 1000)
                    exhausted_at = None
                    recharged_at = datetime.now(UTC)
                    await wallet.Recharge(wallet_pb2.RechargeRequest(
                        transfer_id=f"bench:{len(trips_ms)}", account_id="A-0001", amount_fen=150, channel="cash"))
                elif result.relay_state == 1 and recharged_at:  # closed: restored
                    restores_ms.append((done - recharged_at).total_seconds() * 1000)
                    recharged_at = None
        reconcile = await wallet.Reconcile(wallet_pb2.ReconcileRequest())
    return {"cycles": len(restores_ms), "poll_interval_s": poll_interval_s,
            "trip_p50_ms": round(statistics.median(trips_ms), 1), "trip_max_ms": round(max(trips_ms), 1),
            "restore_p50_ms": round(statistics.median(restores_ms), 1),
            "restore_max_ms": round(max(restores_ms), 1), "trips_ms": [round(t) for t in trips_ms],
            "restores_ms": [round(r) for r in restores_ms], "invariants_ok": reconcile.ok}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=5)
    parser.add_argument("--poll-interval-s", type=float, default=1.0)
    args = parser.parse_args()
    figures = asyncio.run(run(args.cycles, args.poll_interval_s))
    print(f"trip    p50 {figures['trip_p50_ms']} ms  max {figures['trip_max_ms']} ms   (reading -> relay open)")
    print(f"restore p50 {figures['restore_p50_ms']} ms  max {figures['restore_max_ms']} ms (recharge -> closed)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

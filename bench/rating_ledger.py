"""Throughput and latency of rating and posting: readings -> tariff -> charges -> wallet -> balances.

Real processes (tariff and wallet) on their own embedded PostgreSQL and Kafka-wire broker
(services.devstack.Platform). The bench opens one prepaid account per meter, sends every
meter a baseline reading, then publishes MeterReading protobufs straight to
meter.readings.v1 at --rate readings per second for --seconds, each reading a priced
interval. Latency of a reading runs from its publish time to the moment the wallet wrote
the charge's transfer and moved the balance (transfers.created_at = clock_timestamp(), in
the transaction that commits the balance, so it is at most one batch commit early).
Throughput is the readings whose balances were updated divided by the time from the
first publish to the last balance update. Ends with one JSON line.

    .venv/bin/python bench/rating_ledger.py --rate 10000 --seconds 20 --meters 5000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
from aiokafka import AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from services.contracts.meterpay.v1 import common_pb2, readings_pb2, wallet_pb2, wallet_pb2_grpc
from services.devstack import Platform
from services.kit.grpc import wait_healthy
from services.kit.settings import as_asyncpg

READING_INTERVAL = timedelta(minutes=1)
START = datetime(2026, 11, 1, tzinfo=UTC)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def reading(meter_id: str, seq: int, total_wh: int) -> readings_pb2.MeterReading:
    message = readings_pb2.MeterReading(meter_id=meter_id, kind=common_pb2.METER_KIND_ELECTRICITY, total_wh=total_wh,
                                        source=readings_pb2.READING_SOURCE_POLL)
    message.read_at.FromDatetime(START + seq * READING_INTERVAL)
    return message


async def open_accounts(wallet: str, meters: list[str]) -> None:
    async with grpc.aio.insecure_channel(wallet) as channel:
        stub = wallet_pb2_grpc.WalletServiceStub(channel)
        for i in range(0, len(meters), 500):
            await stub.OpenAccounts(wallet_pb2.OpenAccountsRequest(accounts=[
                wallet_pb2.OpenAccountRequest(account_id=f"A-{m}", tenant_name="bench", meter_ids=[m],
                                              opening_balance_fen=10**9, cutoff_fen=0) for m in meters[i:i + 500]]))


class Publisher:
    """Readings for every meter in round-robin, each meter's cumulative register growing 100..1000 Wh a minute."""

    def __init__(self, producer: AIOKafkaProducer, meters: list[str]) -> None:
        self._producer = producer
        self._meters = meters
        self._totals = dict.fromkeys(meters, 0)
        self._seq = dict.fromkeys(meters, 0)
        self._next = 0
        self.sent_at: dict[str, float] = {}   # charge id -> wall time published

    async def publish(self, count: int, baseline: bool = False) -> None:
        sends = []
        for _ in range(count):
            meter = self._meters[self._next % len(self._meters)]
            self._next += 1
            if not baseline:
                self._seq[meter] += 1
                self._totals[meter] += random.randint(100, 1000)
            message = reading(meter, self._seq[meter], self._totals[meter])
            sends.append(await self._producer.send("meter.readings.v1", message.SerializeToString(),
                                                   key=meter.encode()))
            if not baseline:
                at = (START + self._seq[meter] * READING_INTERVAL).isoformat()
                self.sent_at[f"charge:{meter}@{at}"] = time.time()
        await asyncio.gather(*sends)


async def drive(publisher: Publisher, rate: int, seconds: float, tick_s: float = 0.05) -> float:
    """Publish at `rate` per second in ticks; returns the wall time of the first publish."""
    per_tick = max(1, round(rate * tick_s))
    started = time.time()
    ticks = int(seconds / tick_s)
    for i in range(ticks):
        await publisher.publish(per_tick)
        lag = started + (i + 1) * tick_s - time.time()
        if lag > 0:
            await asyncio.sleep(lag)
    return started


async def sample_stages(tariff_db, wallet_db, every_s: float = 2.0) -> None:
    """Where the backlog is: readings rated, charges waiting in tariff's outbox, charges posted (stderr)."""
    started = time.monotonic()
    while True:
        await asyncio.sleep(every_s)
        async with tariff_db.connect() as conn:
            rated = await conn.scalar(text("SELECT count(*) FROM rated_usage"))
            outbox = await conn.scalar(text("SELECT count(*) FROM outbox"))
        async with wallet_db.connect() as conn:
            posted = await conn.scalar(text("SELECT count(*) FROM transfers WHERE kind = 'usage_charge'"))
        print(f"  t={time.monotonic() - started:5.1f}s rated={rated} tariff-outbox={outbox} posted={posted}",
              file=sys.stderr, flush=True)


async def analyze(*engines) -> None:
    """Planner statistics as a running site has them (autovacuum analyzes within a minute or so).

    Without this, a database seeded seconds ago is planned with the row counts its migrations
    left (a handful of system accounts), and the hot join of accounts to their wallets runs as
    nested seq scans: the figure would measure stale statistics, not the pipeline.
    """
    for engine in engines:
        async with engine.connect() as conn:
            await conn.execute(text("ANALYZE"))
            await conn.commit()


async def wait_posted(engine, expected: int, timeout_s: float) -> int:
    deadline = time.monotonic() + timeout_s
    posted = 0
    while time.monotonic() < deadline:
        async with engine.connect() as conn:
            posted = await conn.scalar(text("SELECT count(*) FROM transfers WHERE kind = 'usage_charge'"))
        if posted >= expected:
            break
        await asyncio.sleep(0.5)
    return posted


async def run(rate: int, seconds: float, meter_count: int, drain_timeout_s: float, env: dict[str, str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp, Platform(Path(tmp), services=("tariff", "wallet"),
                                                         env={"WALLET_HTTP_PORT": "0", **env}) as platform:
        platform.start()
        await wait_healthy(platform.wallet, 120)
        meters = [f"B{i:06d}" for i in range(meter_count)]
        await open_accounts(platform.wallet, meters)
        base = make_url(as_asyncpg(platform.infra["DATABASE_URL"]))
        wallet_db = create_async_engine(base.set(database="meterpay_wallet"))
        tariff_db = create_async_engine(base.set(database="meterpay_tariff"))
        producer = AIOKafkaProducer(bootstrap_servers=platform.infra["KAFKA_BOOTSTRAP"], linger_ms=5,
                                    max_batch_size=512 * 1024)
        await producer.start()
        try:
            publisher = Publisher(producer, meters)
            await publisher.publish(len(meters), baseline=True)
            await asyncio.sleep(3)  # baselines rated (they bill nothing)
            await analyze(wallet_db, tariff_db)
            sampler = asyncio.create_task(sample_stages(tariff_db, wallet_db))
            started = await drive(publisher, rate, seconds)
            published_s = time.time() - started
            posted = await wait_posted(wallet_db, len(publisher.sent_at), drain_timeout_s)
            sampler.cancel()
            return await measure(platform, wallet_db, tariff_db, publisher, started, published_s, posted)
        finally:
            await producer.stop()
            await wallet_db.dispose()
            await tariff_db.dispose()


async def measure(platform, wallet_db, tariff_db, publisher: Publisher, started: float, published_s: float,
                  posted: int) -> dict:
    async with wallet_db.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT transfer_id, extract(epoch FROM created_at) FROM transfers WHERE kind = 'usage_charge'"))).all()
        posted_fen = await conn.scalar(text(
            "SELECT coalesce(sum(amount_fen), 0) FROM transfers WHERE kind = 'usage_charge'"))
    async with tariff_db.connect() as conn:
        rated_fen = await conn.scalar(text("SELECT coalesce(sum(amount_fen), 0) FROM rated_usage"))
    latencies = [(float(at) - publisher.sent_at[tid]) * 1000 for tid, at in rows if tid in publisher.sent_at]
    last = max((float(at) for _, at in rows), default=started)
    async with grpc.aio.insecure_channel(platform.wallet) as channel:
        reconcile = await wallet_pb2_grpc.WalletServiceStub(channel).Reconcile(wallet_pb2.ReconcileRequest())
    return {
        "readings_published": len(publisher.sent_at), "publish_rate_per_s": round(len(publisher.sent_at) / published_s),
        "balances_updated": posted, "readings_per_s": round(len(latencies) / max(last - started, 1e-9)),
        "p50_ms": round(percentile(latencies, 0.50), 1), "p99_ms": round(percentile(latencies, 0.99), 1),
        "mean_ms": round(statistics.fmean(latencies), 1) if latencies else None,
        "rated_fen": int(rated_fen), "posted_fen": int(posted_fen),
        "invariants_ok": bool(reconcile.ok and rated_fen == posted_fen and posted == len(publisher.sent_at)),
        "problems": list(reconcile.problems)[:5],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=10_000, help="readings published per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--meters", type=int, default=5000)
    parser.add_argument("--drain-timeout-s", type=float, default=120.0)
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                        help="service setting for the run, e.g. TARIFF_BATCH_CONSUMERS=3")
    args = parser.parse_args()
    env = dict(item.split("=", 1) for item in args.env)
    result = asyncio.run(run(args.rate, args.seconds, args.meters, args.drain_timeout_s, env))
    print(f"published {result['readings_published']} readings at {result['publish_rate_per_s']}/s; "
          f"balances updated for {result['balances_updated']}")
    print(f"sustained {result['readings_per_s']} readings/s, reading -> balance p50 {result['p50_ms']} ms, "
          f"p99 {result['p99_ms']} ms; ledger and totals {'OK' if result['invariants_ok'] else 'BROKEN'}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()

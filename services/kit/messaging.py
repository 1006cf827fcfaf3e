"""Kafka through FastStream: broker factory, topics, protobuf payloads, consumer policy.

Every subscriber acks only after its handler returned, i.e. after the database
commit (NACK_ON_ERROR: an exception leaves the offset where it was and the
message comes again, which the idempotent handlers make harmless).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from google.protobuf.message import DecodeError, Message
from google.protobuf.timestamp_pb2 import Timestamp

from services.kit import metrics
from services.kit.logging import get_logger

log = get_logger(__name__)

M = TypeVar("M", bound=Message)

# Topic names carry a version; keys keep one meter's or one account's events in order.
METER_READINGS = "meter.readings.v1"
USAGE_CHARGES = "usage.charges.v1"
WALLET_EVENTS = "wallet.events.v1"
CONTROL_COMMANDS = "control.commands.v1"
CONTROL_RESULTS = "control.results.v1"
CONTROL_EVENTS = "control.events.v1"
DEVICE_STATUS = "device.status.v1"
REGISTRY_EVENTS = "registry.events.v1"
ALL_TOPICS = (METER_READINGS, USAGE_CHARGES, WALLET_EVENTS, CONTROL_COMMANDS, CONTROL_RESULTS,
              CONTROL_EVENTS, DEVICE_STATUS, REGISTRY_EVENTS)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def timestamp(at: datetime) -> Timestamp:
    """A protobuf Timestamp from a datetime (naive means UTC), exact to the microsecond."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    micros = (at - _EPOCH) // timedelta(microseconds=1)  # integer arithmetic: exact, and cheap on hot paths
    return Timestamp(seconds=micros // 1_000_000, nanos=micros % 1_000_000 * 1000)


def make_broker(bootstrap: str, idempotence: bool) -> KafkaBroker:
    return KafkaBroker(bootstrap, enable_idempotence=idempotence, apply_types=False, logger=None)


def make_producer(bootstrap: str, idempotence: bool) -> AIOKafkaProducer:
    """The outbox relay's producer: acks from all replicas, batching with a short linger."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        enable_idempotence=idempotence,
        acks="all",
        linger_ms=2,
        max_batch_size=256 * 1024,
    )


async def ensure_topics(bootstrap: str, topics: tuple[str, ...], partitions: int) -> None:
    """Create the topics a service uses if missing (the embedded broker does not auto-create)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    for attempt in range(30):
        try:
            await admin.start()
            break
        except KafkaError:
            await asyncio.sleep(min(0.2 * (attempt + 1), 2))
    try:
        existing = set(await admin.list_topics())
        missing = [NewTopic(t, partitions, 1) for t in topics if t not in existing]
        if missing:
            try:
                await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass  # another service created them at the same moment
    finally:
        await admin.close()


def subscribe(broker: KafkaBroker, topic: str, service: str, message_type: type[M],
              handler: Callable[[M], Awaitable[None]], max_workers: int = 1) -> None:
    """Attach a protobuf handler: decode, handle, then commit the offset (after the DB commit).

    Each (service, topic) pair is its own consumer group, so one subscriber joining or
    leaving never makes the service's other subscribers rebalance. max_workers > 1 handles
    that many messages at once (FastStream's concurrent manual-commit mode: offsets are
    still committed only for handled messages); use it only where the handler does not
    need the partition's order.
    """

    async def consume(body: bytes) -> None:
        try:
            decoded = message_type.FromString(body)
        except DecodeError:
            # A payload that is not the contract can never succeed; log it and move on.
            metrics.messages_consumed.labels(topic, "malformed").inc()
            log.error("malformed message skipped", topic=topic, size=len(body))
            return
        with metrics.handler_seconds.labels(topic).time():
            await handler(decoded)
        metrics.messages_consumed.labels(topic, "ok").inc()

    broker.subscriber(
        topic,
        group_id=f"{service}.{topic}",
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        decoder=_raw_body,
        **({"max_workers": max_workers} if max_workers > 1 else {}),
    )(consume)


async def _raw_body(message: Any) -> bytes:
    return message.body


def subscribe_batch(broker: KafkaBroker, topic: str, service: str, message_type: type[M],
                    handler: Callable[[list[M]], Awaitable[None]], max_records: int = 5000,
                    batch_timeout_ms: int = 20, fetch_max_wait_ms: int = 50, consumers: int = 1) -> None:
    """Like subscribe(), but the handler gets up to max_records decoded messages at once.

    For hot paths (readings, charges): one transaction per batch instead of one per
    message. Offsets are committed after the handler returned, so a failed batch comes
    again whole; handlers must be idempotent per message, as everywhere. consumers > 1 joins
    that many consumers to the group, so batches of different partitions run concurrently
    (one key stays on one partition, so its messages stay in order).
    """

    async def consume(bodies: list[bytes]) -> None:
        decoded = []
        for body in bodies:
            try:
                decoded.append(message_type.FromString(body))
            except DecodeError:
                metrics.messages_consumed.labels(topic, "malformed").inc()
                log.error("malformed message skipped", topic=topic, size=len(body))
        if decoded:
            with metrics.handler_seconds.labels(topic).time():
                await handler(decoded)
            metrics.messages_consumed.labels(topic, "ok").inc(len(decoded))

    for _ in range(consumers):
        _batch_subscriber(broker, topic, service, consume, max_records, batch_timeout_ms, fetch_max_wait_ms)


def _batch_subscriber(broker: KafkaBroker, topic: str, service: str, consume: Callable[[list[bytes]], Awaitable[None]],
                      max_records: int, batch_timeout_ms: int, fetch_max_wait_ms: int) -> None:
    async def consume_batch(bodies: list[bytes]) -> None:  # a function per consumer: FastStream keys on it
        await consume(bodies)

    broker.subscriber(
        topic,
        group_id=f"{service}.{topic}",
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        decoder=_raw_body,
        batch=True,
        max_records=max_records,
        batch_timeout_ms=batch_timeout_ms,
        # The broker holds an empty fetch this long; short keeps a quiet topic's latency low.
        fetch_max_wait_ms=fetch_max_wait_ms,
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )(consume_batch)

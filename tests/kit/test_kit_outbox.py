"""The outbox relay and the idempotent-consumer inbox, on real PostgreSQL and a real Kafka-wire broker."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy import func, select

from services.contracts.meterpay.v1 import readings_pb2
from services.kit import messaging
from services.kit.db import Outgoing, UnitOfWork
from services.kit.inbox import first_delivery
from services.kit.outbox import OUTBOX, OutboxRelay

# Any service's migrations build the kit tables; the wallet's are as good as any.
MIGRATIONS = str(Path(__file__).resolve().parents[2] / "services" / "wallet" / "migrations")


@dataclass(frozen=True)
class Counted:
    """A domain event of the test: a meter counted to a total."""

    topic: str
    meter_id: str
    total_wh: int


def to_outgoing(event: Counted) -> Outgoing:
    return Outgoing(event.topic, event.meter_id, readings_pb2.MeterReading(meter_id=event.meter_id,
                                                                           total_wh=event.total_wh))


@pytest.fixture
async def sessions(service_database):
    return await service_database("wallet", MIGRATIONS)


async def outbox_count(sessions) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(OUTBOX))


async def consume(bootstrap: str, topic: str, expected: int) -> list[bytes]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"t-{uuid.uuid4()}",
                                auto_offset_reset="earliest")
    await consumer.start()
    got: list[bytes] = []
    try:
        async with asyncio.timeout(30):
            while len(got) < expected:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    got.extend(r.value for r in records)
    finally:
        await consumer.stop()
    return got


class TestOutbox:
    async def test_a_rolled_back_unit_of_work_publishes_nothing(self, sessions):
        async with UnitOfWork(sessions, lambda: None, to_outgoing) as uow:
            await uow.publish(Counted("t", "M1", 1))
        assert await outbox_count(sessions) == 0

    async def test_a_unit_of_work_without_a_mapper_refuses_to_publish(self, sessions):
        async with UnitOfWork(sessions, lambda: None) as uow:
            with pytest.raises(TypeError, match="no event mapper"):
                await uow.publish(Counted("t", "M1", 1))
        assert await outbox_count(sessions) == 0

    async def test_committed_events_are_published_in_order_and_removed(self, sessions, infra):
        topic = f"test.outbox.{uuid.uuid4().hex[:8]}"
        await messaging.ensure_topics(infra.kafka_bootstrap, (topic,), 1)
        woken: list[bool] = []
        async with UnitOfWork(sessions, lambda: woken.append(True), to_outgoing) as uow:
            await uow.publish(Counted(topic, "M1", 0))
            await uow.publish(*(Counted(topic, "M1", i) for i in range(1, 5)))
            await uow.commit()
        assert woken == [True]
        producer = messaging.make_producer(infra.kafka_bootstrap, idempotence=False)
        await producer.start()
        try:
            relay = OutboxRelay(sessions.kw["bind"], producer, "test")
            assert await relay.publish_batch() == 5
            assert await relay.publish_batch() == 0
        finally:
            await producer.stop()
        values = [readings_pb2.MeterReading.FromString(v).total_wh for v in await consume(infra.kafka_bootstrap,
                                                                                            topic, 5)]
        assert values == [0, 1, 2, 3, 4]
        assert await outbox_count(sessions) == 0

    async def test_rows_stay_when_the_broker_is_unreachable(self, sessions):
        async with UnitOfWork(sessions, lambda: None, to_outgoing) as uow:
            await uow.publish(Counted("t", "M1", 1))
            await uow.commit()
        producer = AIOKafkaProducer(bootstrap_servers="127.0.0.1:1", request_timeout_ms=1000)
        relay = OutboxRelay(sessions.kw["bind"], producer, "test", publish_timeout_s=1.0)
        with pytest.raises(TimeoutError):
            await relay.publish_batch()
        assert await outbox_count(sessions) == 1


class TestInbox:
    async def test_the_second_delivery_of_a_message_is_recognised(self, sessions):
        async with sessions() as session:
            assert await first_delivery(session, "c", "m-1")
            assert not await first_delivery(session, "c", "m-1")
            assert await first_delivery(session, "other-consumer", "m-1")
            await session.commit()

"""The readings consumer driven in memory through FastStream's TestKafkaBroker, against the real database;
and the event mapper, which must send exactly the bytes tariff always sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from faststream.kafka import TestKafkaBroker
from sqlalchemy import select

from services.contracts.meterpay.v1 import charges_pb2, common_pb2, readings_pb2
from services.kit import messaging
from services.kit.messaging import timestamp
from services.kit.outbox import OUTBOX
from services.tariff import service
from services.tariff.domain.plans import CHINA, Band, Commodity
from services.tariff.domain.rating import Charge, Piece, Quarantined
from services.tariff.domain.rating_batch import RatingLimits
from services.tariff.entrypoints import consumers, events
from services.tariff.models import quarantine, rated_usage
from services.tariff.unit_of_work import TariffUnitOfWork

MIGRATIONS = str(Path(service.__file__).parent / "migrations")
T0 = datetime(2026, 11, 10, tzinfo=CHINA)


@pytest.fixture
async def sessions(service_database):
    return await service_database("tariff", MIGRATIONS)


def reading(meter_id: str, at: datetime, total_wh: int) -> bytes:
    message = readings_pb2.MeterReading(meter_id=meter_id, kind=common_pb2.METER_KIND_ELECTRICITY, total_wh=total_wh)
    message.read_at.FromDatetime(at.astimezone(UTC))
    return message.SerializeToString()


async def publish_readings(sessions, *bodies: bytes) -> None:
    deps = consumers.ConsumerDeps(new_uow=lambda: TariffUnitOfWork(sessions, lambda: None, events.to_outgoing),
                                  limits=RatingLimits(max_power_w=200_000, default_price=Decimal("1.0000")))
    broker = messaging.make_broker("localhost:9092", False)
    consumers.register(broker, deps)
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish_batch(*bodies, topic=messaging.METER_READINGS)


async def rows(sessions, query):
    async with sessions() as session:
        return (await session.execute(query)).all()


class TestReadingsConsumer:
    async def test_two_readings_of_a_meter_become_a_rated_charge_and_a_usage_charge_event(self, sessions):
        await publish_readings(sessions, reading("M1", T0, 0), reading("M1", T0 + timedelta(hours=1), 1500))
        [usage] = await rows(sessions, select(rated_usage))
        assert (usage.meter_id, usage.energy_wh, usage.amount_fen) == ("M1", 1500, 150)
        [event] = await rows(sessions, select(OUTBOX))
        charge = charges_pb2.UsageCharge.FromString(event.payload)
        assert (event.topic, event.key) == (messaging.USAGE_CHARGES, "M1")
        assert (charge.charge_id, charge.amount_fen, charge.energy_wh) == (usage.charge_id, 150, 1500)

    async def test_an_impossible_jump_is_quarantined_with_an_anomaly_event(self, sessions):
        await publish_readings(sessions, reading("M1", T0, 0), reading("M1", T0 + timedelta(minutes=1), 900_000))
        assert await rows(sessions, select(rated_usage)) == []
        [kept] = await rows(sessions, select(quarantine))
        assert (kept.meter_id, kept.total_wh, kept.last_total_wh) == ("M1", 900_000, 0)
        [event] = await rows(sessions, select(OUTBOX))
        anomaly = charges_pb2.RatingAnomaly.FromString(event.payload)
        assert (event.topic, event.key) == (events.TARIFF_ANOMALIES, "M1")
        assert (anomaly.total_wh, anomaly.reason) == (900_000, kept.reason)

    def test_water_meters_are_rated_by_volume_and_band_registers_are_kept(self):
        water = readings_pb2.MeterReading(meter_id="W1", kind=common_pb2.METER_KIND_WATER, volume_l=1500, total_wh=9)
        assert consumers.reading_from_message(water).total == 1500
        banded = readings_pb2.MeterReading(meter_id="E1", total_wh=15, has_band_registers=True, sharp_wh=1, peak_wh=2,
                                           flat_wh=3, valley_wh=4, deep_valley_wh=5)
        assert consumers.reading_from_message(banded).bands == (1, 2, 3, 4, 5)


CHARGE = Charge(
    charge_id="M1@2026-11-10T01:00:00+00:00", meter_id="M1", period="2026-11",
    from_time=datetime(2026, 11, 10, tzinfo=UTC), to_time=datetime(2026, 11, 10, 1, 0, 0, 250, tzinfo=UTC),
    units=1500, amount_fen=133, period_cost_fen=4321, cost_yuan=Decimal("1.33"), version_id="p-2",
    pieces=(Piece("p-2", Band.PEAK, 1000, Decimal("1.7")), Piece("p-2", Band.VALLEY, 500, Decimal("0.15"))),
    commodity=Commodity.WATER)
ANOMALY = Quarantined(meter_id="M1", read_at=datetime(2026, 11, 10, 2, tzinfo=UTC), total=900_000, last_total=10,
                      reason="more than the meter's rating can draw in the interval")


class TestEventMapper:
    def test_a_charge_is_the_usage_charge_tariff_always_sent(self):
        before = charges_pb2.UsageCharge(  # field by field, as service._charge_message built it
            charge_id=CHARGE.charge_id, meter_id="M1", period="2026-11", from_time=timestamp(CHARGE.from_time),
            to_time=timestamp(CHARGE.to_time), energy_wh=1500, amount_fen=133, period_cost_fen=4321,
            price_yuan_per_kwh="1.233333", tariff_version_id="p-2", commodity="water")
        out = events.to_outgoing(CHARGE)
        assert (out.topic, out.key) == ("usage.charges.v1", "M1")
        assert out.message.SerializeToString() == before.SerializeToString()

    def test_a_quarantined_reading_is_the_rating_anomaly_tariff_always_sent(self):
        before = charges_pb2.RatingAnomaly(meter_id="M1", read_at=timestamp(ANOMALY.read_at), total_wh=900_000,
                                           last_total_wh=10, reason=ANOMALY.reason)
        out = events.to_outgoing(ANOMALY)
        assert (out.topic, out.key) == ("tariff.anomalies.v1", "M1")
        assert out.message.SerializeToString() == before.SerializeToString()

    def test_an_event_tariff_does_not_publish_is_refused(self):
        with pytest.raises(TypeError):
            events.to_outgoing(object())

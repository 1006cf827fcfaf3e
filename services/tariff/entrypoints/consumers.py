"""Kafka consumers of tariff: meter.readings.v1 (in batches) -> one rating use case."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC

from faststream.kafka import KafkaBroker

from services.contracts.meterpay.v1 import common_pb2, readings_pb2
from services.kit import messaging
from services.tariff import service
from services.tariff.domain.commands import RateReadings
from services.tariff.domain.rating import Reading
from services.tariff.domain.rating_batch import RatingLimits
from services.tariff.unit_of_work import TariffUnitOfWork


@dataclass(frozen=True)
class ConsumerDeps:
    new_uow: Callable[[], TariffUnitOfWork]
    limits: RatingLimits
    batch_max_records: int = 5000     # readings rated in one transaction
    batch_timeout_ms: int = 20        # how long a batch may wait to fill
    batch_consumers: int = 1          # concurrent batches (each its own partitions)


def reading_from_message(message: readings_pb2.MeterReading) -> Reading:
    """Water meters count litres; electricity meters Wh, with band registers when they keep them."""
    read_at = message.read_at.ToDatetime(tzinfo=UTC)
    if message.kind == common_pb2.METER_KIND_WATER:
        return Reading(message.meter_id, read_at, message.volume_l)
    bands = ((message.sharp_wh, message.peak_wh, message.flat_wh, message.valley_wh, message.deep_valley_wh)
             if message.has_band_registers else None)
    return Reading(message.meter_id, read_at, message.total_wh, bands)


async def rate_meter_readings(deps: ConsumerDeps, messages: list[readings_pb2.MeterReading]) -> None:
    """A batch of readings -> one transaction of charges and anomalies."""
    command = RateReadings([reading_from_message(m) for m in messages])
    await service.rate_readings(deps.new_uow(), command, deps.limits)


def register(broker: KafkaBroker, deps: ConsumerDeps) -> None:
    async def on_readings(messages: list[readings_pb2.MeterReading]) -> None:
        await rate_meter_readings(deps, messages)

    messaging.subscribe_batch(broker, messaging.METER_READINGS, "tariff", readings_pb2.MeterReading, on_readings,
                              deps.batch_max_records, deps.batch_timeout_ms, consumers=deps.batch_consumers)

"""Helpers for the acquisition tests (a uniquely named module: tests/ has no packages)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.acquisition.domain.registry import Gateway
from services.acquisition.repository import StoredReading
from services.contracts.meterpay.v1 import device_pb2, readings_pb2
from services.kit import messaging
from services.kit.outbox import OUTBOX

T0 = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


class SteppingClock:
    """Wall clock for the service: each call moves on a millisecond (distinct reading times)."""

    def __init__(self, start: datetime = T0) -> None:
        self.at = start

    def __call__(self) -> datetime:
        self.at += timedelta(milliseconds=1)
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


async def outbox(new_uow, topic: str) -> list[bytes]:
    async with new_uow() as uow:
        rows = (await uow.session.execute(OUTBOX.select().order_by(OUTBOX.c.id))).all()
    return [r.payload for r in rows if r.topic == topic]


async def published_readings(new_uow) -> list[readings_pb2.MeterReading]:
    return [readings_pb2.MeterReading.FromString(p) for p in await outbox(new_uow, messaging.METER_READINGS)]


async def published_statuses(new_uow) -> list[device_pb2.DeviceStatus]:
    return [device_pb2.DeviceStatus.FromString(p) for p in await outbox(new_uow, messaging.DEVICE_STATUS)]


async def stored_readings(new_uow, meter_id: str) -> list[StoredReading]:
    async with new_uow() as uow:
        return await uow.repo.readings_of(meter_id, limit=10_000)


async def gateway_row(new_uow, gateway_id: str) -> Gateway:
    async with new_uow() as uow:
        return await uow.repo.gateway(gateway_id)

"""Use cases of the tariff service: rate readings into charges, manage prices."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from google.protobuf.timestamp_pb2 import Timestamp

from services.contracts.meterpay.v1 import charges_pb2, readings_pb2
from services.kit import messaging
from services.kit.db import UnitOfWork
from services.kit.logging import get_logger
from services.kit.money import energy_cost_yuan, parse_price, round_to_fen
from services.tariff.domain.rating import Charge, Quarantined, first_reading, rate
from services.tariff.repository import TariffRepository

log = get_logger(__name__)


class TariffUnitOfWork(UnitOfWork):
    repo: TariffRepository

    def attach_repositories(self, session) -> None:
        self.repo = TariffRepository(session)


def _ts(at: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(at)
    return ts


async def rate_reading(uow: TariffUnitOfWork, reading: readings_pb2.MeterReading, default_price: Decimal,
                       max_power_w: int) -> Charge | None:
    """Price the energy since the meter's last rated reading and emit the charge (usage.charges.v1)."""
    read_at = reading.read_at.ToDatetime(tzinfo=UTC)
    async with uow:
        state = await uow.repo.rating_state_for_update(reading.meter_id)
        if state is None:
            await uow.repo.add_rating_state(first_reading(reading.meter_id, read_at, reading.total_wh))
            await uow.commit()
            return None
        price, version_id = await uow.repo.price_in_force(reading.meter_id, read_at) or (default_price, "default")
        new_state, outcome = rate(state, read_at, reading.total_wh, price, max_power_w)
        if isinstance(outcome, Quarantined):
            log.warning("reading quarantined", meter_id=outcome.meter_id, reason=outcome.reason,
                        total_wh=outcome.total_wh, last_total_wh=outcome.last_total_wh)
            await uow.repo.add_quarantine(outcome)
            await uow.commit()
            return None
        if not isinstance(outcome, Charge) or not await uow.repo.add_rated_usage(outcome, version_id):
            return None
        await uow.repo.save_rating_state(new_state)
        await uow.emit(messaging.USAGE_CHARGES, outcome.meter_id, charges_pb2.UsageCharge(
            charge_id=outcome.charge_id, meter_id=outcome.meter_id, period=outcome.period,
            from_time=_ts(outcome.from_time), to_time=_ts(outcome.to_time), energy_wh=outcome.energy_wh,
            amount_fen=outcome.amount_fen, period_cost_fen=outcome.period_cost_fen,
            price_yuan_per_kwh=str(outcome.price), tariff_version_id=version_id))
        await uow.commit()
    return outcome


async def set_single_price(uow: TariffUnitOfWork, version_id: str, meter_id: str, price_text: str,
                           effective_from: datetime) -> bool:
    """A new single-price version for a meter (or the default, meter_id ""); never re-prices the past."""
    price = parse_price(price_text)
    if not version_id:
        raise ValueError("a price version needs a caller-chosen id")
    async with uow:
        created = await uow.repo.add_price_version(version_id, meter_id, price, effective_from)
        await uow.commit()
    return created


async def quote(uow: TariffUnitOfWork, meter_id: str, energy_wh: int, at: datetime,
                default_price: Decimal) -> tuple[int, Decimal]:
    if energy_wh < 0:
        raise ValueError("energy must not be negative")
    async with uow:
        price, _ = await uow.repo.price_in_force(meter_id, at) or (default_price, "default")
    return round_to_fen(energy_cost_yuan(energy_wh, price)), price

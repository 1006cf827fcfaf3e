"""Every query of the tariff service."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.tariff.domain.rating import Charge, Quarantined, RatingState
from services.tariff.models import price_versions, quarantine, rated_usage, rating_state


class TariffRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def rating_state_for_update(self, meter_id: str) -> RatingState | None:
        row = (await self.session.execute(
            select(rating_state).where(rating_state.c.meter_id == meter_id).with_for_update())).first()
        return RatingState(**row._mapping) if row else None

    async def add_rating_state(self, state: RatingState) -> bool:
        result = await self.session.execute(
            insert(rating_state).values(**vars(state)).on_conflict_do_nothing().returning(rating_state.c.meter_id))
        return result.first() is not None

    async def save_rating_state(self, state: RatingState) -> None:
        await self.session.execute(
            update(rating_state).where(rating_state.c.meter_id == state.meter_id).values(**vars(state)))

    async def add_rated_usage(self, charge: Charge, version_id: str) -> bool:
        values = dict(charge_id=charge.charge_id, meter_id=charge.meter_id, period=charge.period,
                      from_time=charge.from_time, to_time=charge.to_time, energy_wh=charge.energy_wh,
                      amount_fen=charge.amount_fen, period_cost_fen=charge.period_cost_fen,
                      price_yuan_per_kwh=charge.price, version_id=version_id)
        result = await self.session.execute(
            insert(rated_usage).values(**values).on_conflict_do_nothing().returning(rated_usage.c.charge_id))
        return result.first() is not None

    async def add_quarantine(self, q: Quarantined) -> None:
        await self.session.execute(insert(quarantine).values(
            meter_id=q.meter_id, read_at=q.read_at, total_wh=q.total_wh, last_total_wh=q.last_total_wh,
            reason=q.reason).on_conflict_do_nothing())

    async def price_in_force(self, meter_id: str, at: datetime) -> tuple[Decimal, str] | None:
        """The meter's own price version in force at `at`, else the project default's."""
        row = (await self.session.execute(
            select(price_versions.c.price_yuan_per_kwh, price_versions.c.version_id)
            .where(price_versions.c.meter_id.in_([meter_id, ""]), price_versions.c.effective_from <= at)
            .order_by((price_versions.c.meter_id == "").asc(), price_versions.c.effective_from.desc())
            .limit(1))).first()
        return (row[0], row[1]) if row else None

    async def add_price_version(self, version_id: str, meter_id: str, price: Decimal, effective_from: datetime) -> bool:
        result = await self.session.execute(insert(price_versions).values(
            version_id=version_id, meter_id=meter_id, price_yuan_per_kwh=price, effective_from=effective_from,
        ).on_conflict_do_nothing().returning(price_versions.c.version_id))
        return result.first() is not None

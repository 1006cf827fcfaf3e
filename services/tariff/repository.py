"""Every query of the tariff service."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit import bulk
from services.tariff.domain.plans import plan_from_dict
from services.tariff.domain.rating import Assignment, Charge, PlanVersion, Quarantined, RatingState
from services.tariff.models import meter_plans, plan_versions, plans, quarantine, rated_usage, rating_state

_STATE_COLUMNS = ("meter_id", "last_read_at", "last_total_wh", "last_bands_wh", "period", "period_energy_wh",
                  "period_cost_yuan", "period_basic_yuan", "period_demand_w", "period_cost_fen", "tier_key",
                  "tier_units")


def _state_from_row(row: Any) -> RatingState:
    return _state_from_record(row._mapping)


def _state_from_record(m: Any) -> RatingState:
    """From an asyncpg record or a SQLAlchemy row mapping."""
    return RatingState(m["meter_id"], m["last_read_at"], m["last_total_wh"],
                       tuple(m["last_bands_wh"]) if m["last_bands_wh"] is not None else None, m["period"],
                       m["period_energy_wh"], m["period_cost_yuan"], m["period_basic_yuan"], m["period_demand_w"],
                       m["period_cost_fen"], m["tier_key"], m["tier_units"])


def _bands_text(bands: tuple[int, ...] | None) -> str | None:
    return None if bands is None else "{" + ",".join(map(str, bands)) + "}"


def _usage_row(c: Charge) -> tuple:
    bands: dict[str, int] = {}
    for p in c.pieces:
        if p.band is not None:
            bands[str(p.band)] = bands.get(str(p.band), 0) + p.units
    return (c.charge_id, c.meter_id, c.period, c.from_time, c.to_time, c.units, c.amount_fen, c.period_cost_fen,
            c.average_price, c.version_id, json.dumps(bands) if bands else None)


class TariffRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # ---- rating state (hot path: whole batches in single statements) ----
    async def rating_states_for_update(self, meter_ids: Iterable[str]) -> dict[str, RatingState]:
        """Lock the meters' states in id order (no deadlocks between concurrent batches)."""
        rows = await bulk.fetch(self.session, f"SELECT {', '.join(_STATE_COLUMNS)} FROM rating_state "
                                "WHERE meter_id = ANY($1::text[]) ORDER BY meter_id FOR UPDATE", sorted(set(meter_ids)))
        return {r["meter_id"]: _state_from_record(r) for r in rows}

    async def rating_state(self, meter_id: str) -> RatingState | None:
        row = (await self.session.execute(select(rating_state).where(rating_state.c.meter_id == meter_id))).first()
        return _state_from_row(row) if row else None

    async def save_rating_states(self, states: list[RatingState]) -> None:
        if not states:
            return
        rows = [(s.meter_id, s.last_read_at, s.last_total, _bands_text(s.last_bands), s.period, s.period_units,
                 s.period_cost_yuan, s.period_basic_yuan, s.period_demand_w, s.period_cost_fen, s.tier_key,
                 s.tier_units) for s in states]
        updates = ", ".join(f"{c} = excluded.{c}" for c in _STATE_COLUMNS[1:])
        await bulk.execute(self.session, f"""
            INSERT INTO rating_state ({', '.join(_STATE_COLUMNS)})
            SELECT m, r, t, b::bigint[], p, e, cy, by, d, cf, tk, tu FROM unnest(
                $1::text[], $2::timestamptz[], $3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::numeric[],
                $8::numeric[], $9::bigint[], $10::bigint[], $11::text[], $12::bigint[])
                AS s(m, r, t, b, p, e, cy, by, d, cf, tk, tu)
            ON CONFLICT (meter_id) DO UPDATE SET {updates}""", *bulk.columns(rows, 12))

    # ---- rated usage and quarantine ----
    async def add_rated_usage(self, charges: list[Charge]) -> None:
        if not charges:
            return
        rows = [_usage_row(c) for c in charges]
        await bulk.execute(self.session, """
            INSERT INTO rated_usage (charge_id, meter_id, period, from_time, to_time, energy_wh, amount_fen,
                                     period_cost_fen, price_yuan_per_kwh, version_id, band_units)
            SELECT c, m, p, f, t, e, a, pc, pr, v, b::jsonb FROM unnest(
                $1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::bigint[], $7::bigint[],
                $8::bigint[], $9::numeric[], $10::text[], $11::text[]) AS u(c, m, p, f, t, e, a, pc, pr, v, b)
            ON CONFLICT DO NOTHING""", *bulk.columns(rows, 11))

    async def add_quarantine(self, items: list[Quarantined]) -> None:
        if items:
            await self.session.execute(insert(quarantine).on_conflict_do_nothing(), [
                dict(meter_id=q.meter_id, read_at=q.read_at, total_wh=q.total, last_total_wh=q.last_total,
                     reason=q.reason) for q in items])

    async def quarantined(self, meter_id: str) -> list[Quarantined]:
        rows = await self.session.execute(select(quarantine).where(quarantine.c.meter_id == meter_id)
                                          .order_by(quarantine.c.read_at))
        return [Quarantined(r.meter_id, r.read_at, r.total_wh, r.last_total_wh, r.reason) for r in rows]

    async def period_usage(self, meter_id: str, period: str) -> tuple[int, int, int, dict[str, int]]:
        """(charges, units, amount_fen, units by band) of a meter's billing period."""
        rows = (await self.session.execute(
            select(rated_usage.c.energy_wh, rated_usage.c.amount_fen, rated_usage.c.band_units)
            .where(rated_usage.c.meter_id == meter_id, rated_usage.c.period == period))).all()
        bands: dict[str, int] = {}
        for r in rows:
            for band, units in (r.band_units or {}).items():
                bands[band] = bands.get(band, 0) + units
        return len(rows), sum(r.energy_wh for r in rows), sum(r.amount_fen for r in rows), bands

    # ---- plans, versions, assignments ----
    async def add_plan(self, plan_id: str, name: str, commodity: str) -> bool:
        result = await self.session.execute(insert(plans).values(plan_id=plan_id, name=name, commodity=commodity)
                                            .on_conflict_do_nothing().returning(plans.c.plan_id))
        return result.first() is not None

    async def plan_exists(self, plan_id: str) -> bool:
        return (await self.session.scalar(select(func.count()).where(plans.c.plan_id == plan_id))) > 0

    async def list_plans(self) -> list[tuple[str, str, str]]:
        return [tuple(r) for r in await self.session.execute(
            select(plans.c.plan_id, plans.c.name, plans.c.commodity).order_by(plans.c.plan_id))]

    async def add_version(self, version_id: str, plan_id: str, effective_from: datetime,
                          definition: dict[str, Any]) -> bool:
        result = await self.session.execute(insert(plan_versions).values(
            version_id=version_id, plan_id=plan_id, effective_from=effective_from, definition=definition,
        ).on_conflict_do_nothing().returning(plan_versions.c.version_id))
        return result.first() is not None

    async def version(self, version_id: str) -> tuple[str, datetime, dict[str, Any]] | None:
        row = (await self.session.execute(
            select(plan_versions.c.plan_id, plan_versions.c.effective_from, plan_versions.c.definition)
            .where(plan_versions.c.version_id == version_id))).first()
        return (row[0], row[1], row[2]) if row else None

    async def assign(self, plan_id: str, meter_ids: list[str], effective_from: datetime) -> int:
        """Move meters to a plan from a time; an identical assignment again is a no-op."""
        result = await self.session.execute(
            insert(meter_plans).on_conflict_do_nothing().returning(meter_plans.c.meter_id),
            [dict(meter_id=m, effective_from=effective_from, plan_id=plan_id) for m in meter_ids])
        return len(result.all())

    async def assignments(self, meter_ids: Iterable[str]) -> dict[str, list[Assignment]]:
        rows = await bulk.fetch(self.session, "SELECT meter_id, effective_from, plan_id FROM meter_plans "
                                "WHERE meter_id = ANY($1::text[]) ORDER BY effective_from", list(meter_ids))
        out: dict[str, list[Assignment]] = {}
        for meter_id, effective_from, plan_id in rows:
            out.setdefault(meter_id, []).append(Assignment(effective_from, plan_id))
        return out

    async def versions_of(self, plan_ids: Iterable[str]) -> dict[str, list[PlanVersion]]:
        rows = await self.session.execute(
            select(plan_versions.c.plan_id, plan_versions.c.version_id, plan_versions.c.effective_from,
                   plan_versions.c.definition)
            .where(plan_versions.c.plan_id.in_(list(plan_ids))).order_by(plan_versions.c.effective_from))
        out: dict[str, list[PlanVersion]] = {}
        for plan_id, version_id, effective_from, definition in rows:
            out.setdefault(plan_id, []).append(PlanVersion(version_id, effective_from, _cached_plan(definition)))
        return out


_PLAN_CACHE: dict[str, Any] = {}


def _cached_plan(definition: dict[str, Any]):
    """Versions are immutable, so a parsed definition can be reused across batches."""
    key = json.dumps(definition, sort_keys=True)
    plan = _PLAN_CACHE.get(key)
    if plan is None:
        if len(_PLAN_CACHE) > 10_000:
            _PLAN_CACHE.clear()
        plan = _PLAN_CACHE[key] = plan_from_dict(definition)
    return plan


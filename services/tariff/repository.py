"""Every query of the tariff service: rating states, rated usage and quarantine, plans.

The rating hot path moves whole batches in single statements (arrays expanded with
unnest); lookups by a batch's meters or plans are bounded by the batch, list queries
by a limit and a keyset cursor.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit import bulk
from services.kit.paging import Page, decode_cursor, page_of
from services.tariff.domain.catalog import PlanCatalog, PlanKind, PlanRecord, VersionRecord
from services.tariff.domain.plans import Commodity, Plan, plan_from_dict, plan_to_dict
from services.tariff.domain.rating import Assignment, Charge, PlanVersion, Quarantined, RatingState
from services.tariff.domain.rating_batch import LockedRatingStates, NotLocked
from services.tariff.models import meter_plans, plan_versions, plans, quarantine, rated_usage, rating_state

_STATE_COLUMNS = ("meter_id", "last_read_at", "last_total_wh", "last_bands_wh", "period", "period_energy_wh",
                  "period_cost_yuan", "period_basic_yuan", "period_demand_w", "period_cost_fen", "tier_key",
                  "tier_units")


def _state_from_record(m: Any) -> RatingState:
    """From an asyncpg record or a SQLAlchemy row mapping."""
    bands = m["last_bands_wh"]
    return RatingState(
        meter_id=m["meter_id"], last_read_at=m["last_read_at"], last_total=m["last_total_wh"],
        last_bands=tuple(bands) if bands is not None else None, period=m["period"],
        period_units=m["period_energy_wh"], period_cost_yuan=m["period_cost_yuan"],
        period_basic_yuan=m["period_basic_yuan"], period_demand_w=m["period_demand_w"],
        period_cost_fen=m["period_cost_fen"], tier_key=m["tier_key"], tier_units=m["tier_units"])


def _state_row(s: RatingState) -> tuple:
    """One row of the unnest arrays, in _STATE_COLUMNS order."""
    bands = None if s.last_bands is None else "{" + ",".join(map(str, s.last_bands)) + "}"
    return (s.meter_id, s.last_read_at, s.last_total, bands, s.period, s.period_units, s.period_cost_yuan,
            s.period_basic_yuan, s.period_demand_w, s.period_cost_fen, s.tier_key, s.tier_units)


class RatingStateRepository:
    """Rating states: locked for a change, read freely for quotes and previews."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_for_update(self, meter_ids: Iterable[str]) -> LockedRatingStates:
        """The meters' states, locked in id order (no deadlocks between concurrent batches)."""
        ids = sorted(set(meter_ids))
        rows = await bulk.fetch(self.session, f"SELECT {', '.join(_STATE_COLUMNS)} FROM rating_state "
                                "WHERE meter_id = ANY($1::text[]) ORDER BY meter_id FOR UPDATE", ids)
        return LockedRatingStates(frozenset(ids), {r["meter_id"]: _state_from_record(r) for r in rows}, self)

    async def get(self, meter_id: str) -> RatingState | None:
        """Read only: what a quote or a bill preview needs; it can never be saved."""
        row = (await self.session.execute(select(rating_state).where(rating_state.c.meter_id == meter_id))).first()
        return _state_from_record(row._mapping) if row else None

    async def save(self, states: LockedRatingStates) -> None:
        """Write the changed states of a set this repository locked (in this transaction)."""
        if states.issued_by is not self:
            raise NotLocked("these rating states were not locked by this unit of work")
        rows = [_state_row(s) for s in states.changed()]
        if not rows:
            return
        updates = ", ".join(f"{c} = excluded.{c}" for c in _STATE_COLUMNS[1:])
        await bulk.execute(self.session, f"""
            INSERT INTO rating_state ({', '.join(_STATE_COLUMNS)})
            SELECT m, r, t, b::bigint[], p, e, cy, by, d, cf, tk, tu FROM unnest(
                $1::text[], $2::timestamptz[], $3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::numeric[],
                $8::numeric[], $9::bigint[], $10::bigint[], $11::text[], $12::bigint[])
                AS s(m, r, t, b, p, e, cy, by, d, cf, tk, tu)
            ON CONFLICT (meter_id) DO UPDATE SET {updates}""", *bulk.columns(rows, 12))


@dataclass(frozen=True)
class PeriodUsage:
    """A meter's billing period so far, from its rated usage."""

    charges: int
    units: int
    amount_fen: int
    band_units: dict[str, int]


def _usage_row(c: Charge) -> tuple:
    bands: dict[str, int] = {}
    for p in c.pieces:
        if p.band is not None:
            bands[str(p.band)] = bands.get(str(p.band), 0) + p.units
    return (c.charge_id, c.meter_id, c.period, c.from_time, c.to_time, c.units, c.amount_fen, c.period_cost_fen,
            c.average_price, c.version_id, json.dumps(bands) if bands else None)


class UsageRepository:
    """Rated usage (one row per charge) and quarantined readings."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_charges(self, charges: list[Charge]) -> None:
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

    async def quarantined(self, meter_id: str, limit: int, after: datetime | None = None) -> list[Quarantined]:
        """A meter's quarantined readings in time order: `limit` of them from just after `after`."""
        query = select(quarantine).where(quarantine.c.meter_id == meter_id)
        if after is not None:
            query = query.where(quarantine.c.read_at > after)
        rows = await self.session.execute(query.order_by(quarantine.c.read_at).limit(limit))
        return [Quarantined(meter_id=r.meter_id, read_at=r.read_at, total=r.total_wh, last_total=r.last_total_wh,
                            reason=r.reason) for r in rows]

    async def period_usage(self, meter_id: str, period: str) -> PeriodUsage:
        rows = (await self.session.execute(
            select(rated_usage.c.energy_wh, rated_usage.c.amount_fen, rated_usage.c.band_units)
            .where(rated_usage.c.meter_id == meter_id, rated_usage.c.period == period))).all()
        bands: dict[str, int] = {}
        for r in rows:
            for band, units in (r.band_units or {}).items():
                bands[band] = bands.get(band, 0) + units
        return PeriodUsage(charges=len(rows), units=sum(r.energy_wh for r in rows),
                           amount_fen=sum(r.amount_fen for r in rows), band_units=bands)


def _plan_from_row(r: Any) -> PlanRecord:
    return PlanRecord(plan_id=r.plan_id, name=r.name, commodity=Commodity(r.commodity), kind=PlanKind(r.kind),
                      meter_id=r.meter_id)


_PLAN_COLUMNS = (plans.c.plan_id, plans.c.name, plans.c.commodity, plans.c.kind, plans.c.meter_id)


class PlanRepository:
    """Plans, their immutable versions, and which plan prices a meter from when."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_plan(self, plan: PlanRecord) -> bool:
        """False when the id (or the one default plan, or the meter's plan) exists already."""
        result = await self.session.execute(insert(plans).values(
            plan_id=plan.plan_id, name=plan.name, commodity=str(plan.commodity), kind=str(plan.kind),
            meter_id=plan.meter_id).on_conflict_do_nothing().returning(plans.c.plan_id))
        return result.first() is not None

    async def get_plan(self, plan_id: str) -> PlanRecord | None:
        row = (await self.session.execute(select(*_PLAN_COLUMNS).where(plans.c.plan_id == plan_id))).first()
        return _plan_from_row(row) if row else None

    async def default_plan(self) -> PlanRecord | None:
        row = (await self.session.execute(select(*_PLAN_COLUMNS).where(plans.c.kind == PlanKind.DEFAULT.value))).first()
        return _plan_from_row(row) if row else None

    async def list_plans(self, limit: int, cursor: str = "") -> Page[PlanRecord]:
        """A page of plans in id order (the cursor carries the last plan id of the page before)."""
        query = select(*_PLAN_COLUMNS).order_by(plans.c.plan_id).limit(limit + 1)
        if cursor:
            query = query.where(plans.c.plan_id > decode_cursor(cursor, str)[0])
        return page_of((await self.session.execute(query)).all(), limit, _plan_from_row, lambda r: (r.plan_id,))

    async def add_version(self, version: VersionRecord) -> bool:
        """False when the version id exists already (whatever its fields)."""
        result = await self.session.execute(insert(plan_versions).values(
            version_id=version.version_id, plan_id=version.plan_id, effective_from=version.effective_from,
            definition=plan_to_dict(version.plan),
        ).on_conflict_do_nothing().returning(plan_versions.c.version_id))
        return result.first() is not None

    async def version(self, version_id: str) -> VersionRecord | None:
        row = (await self.session.execute(
            select(plan_versions.c.plan_id, plan_versions.c.effective_from, plan_versions.c.definition)
            .where(plan_versions.c.version_id == version_id))).first()
        return VersionRecord(version_id=version_id, plan_id=row.plan_id, effective_from=row.effective_from,
                             plan=_cached_plan(row.definition)) if row else None

    async def assign(self, plan_id: str, meter_ids: list[str], effective_from: datetime) -> set[str]:
        """Move meters to a plan from a time; returns the meters newly assigned (others had one then)."""
        result = await self.session.execute(
            insert(meter_plans).on_conflict_do_nothing().returning(meter_plans.c.meter_id),
            [dict(meter_id=m, effective_from=effective_from, plan_id=plan_id) for m in meter_ids])
        return set(result.scalars())

    async def plans_assigned_at(self, meter_ids: list[str], effective_from: datetime) -> dict[str, str]:
        """meter id -> the plan it moves to at exactly `effective_from`, for the meters that have one."""
        rows = await self.session.execute(
            select(meter_plans.c.meter_id, meter_plans.c.plan_id)
            .where(meter_plans.c.meter_id.in_(meter_ids), meter_plans.c.effective_from == effective_from))
        return {r.meter_id: r.plan_id for r in rows}

    async def assignments(self, meter_ids: Iterable[str]) -> dict[str, list[Assignment]]:
        """The assignments of a batch's meters, oldest first."""
        rows = await bulk.fetch(self.session, "SELECT meter_id, effective_from, plan_id FROM meter_plans "
                                "WHERE meter_id = ANY($1::text[]) ORDER BY effective_from", list(meter_ids))
        out: dict[str, list[Assignment]] = {}
        for r in rows:
            assignment = Assignment(effective_from=r["effective_from"], plan_id=r["plan_id"])
            out.setdefault(r["meter_id"], []).append(assignment)
        return out

    async def catalog(self, plan_ids: Iterable[str]) -> PlanCatalog:
        """The versions of these plans and of the default plan, oldest first, in one query."""
        rows = await self.session.execute(
            select(plan_versions.c.plan_id, plan_versions.c.version_id, plan_versions.c.effective_from,
                   plan_versions.c.definition, plans.c.kind)
            .join(plans, plans.c.plan_id == plan_versions.c.plan_id)
            .where(or_(plan_versions.c.plan_id.in_(list(plan_ids)), plans.c.kind == PlanKind.DEFAULT.value))
            .order_by(plan_versions.c.effective_from))
        by_plan: dict[str, list[PlanVersion]] = {}
        default_plan_id = None
        for r in rows:
            by_plan.setdefault(r.plan_id, []).append(
                PlanVersion(r.version_id, r.effective_from, _cached_plan(r.definition)))
            if r.kind == PlanKind.DEFAULT:
                default_plan_id = r.plan_id
        return PlanCatalog(by_plan, default_plan_id)


_PLAN_CACHE: dict[str, Plan] = {}


def _cached_plan(definition: dict[str, Any]) -> Plan:
    """Versions are immutable, so a parsed definition can be reused across batches."""
    key = json.dumps(definition, sort_keys=True)
    plan = _PLAN_CACHE.get(key)
    if plan is None:
        if len(_PLAN_CACHE) > 10_000:
            _PLAN_CACHE.clear()
        plan = _PLAN_CACHE[key] = plan_from_dict(definition)
    return plan

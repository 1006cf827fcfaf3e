"""Use cases of the tariff service: rate readings into charges, manage plans, versions and quotes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from services.contracts.meterpay.v1 import charges_pb2, common_pb2, readings_pb2
from services.kit import messaging
from services.kit.db import UnitOfWork
from services.kit.logging import get_logger
from services.kit.messaging import timestamp as _ts
from services.kit.money import round_to_fen
from services.tariff.domain.plans import InvalidPlan, Plan, plan_from_dict, plan_to_dict, single_price_plan
from services.tariff.domain.rating import (
    Charge,
    PlanVersion,
    Quarantined,
    RatingState,
    Reading,
    billing_period,
    first_reading,
    meter_timeline,
    price_slices,
    rate,
    tier_key,
    versions_for_interval,
)
from services.tariff.domain.rating import Slice as RatingSlice
from services.tariff.repository import TariffRepository

log = get_logger(__name__)

TARIFF_ANOMALIES = "tariff.anomalies.v1"
DEFAULT_PLAN_ID = "default"
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


class TariffUnitOfWork(UnitOfWork):
    repo: TariffRepository

    def attach_repositories(self, session) -> None:
        self.repo = TariffRepository(session)


class UnknownPlan(LookupError):
    pass


@dataclass(frozen=True)
class RatingLimits:
    """What a meter can physically register per hour, and where its total register wraps."""

    max_power_w: int = 200_000
    max_flow_l_per_h: int = 20_000
    register_max_wh: int = 1_000_000_000
    default_price: Decimal = Decimal("1.0000")


@dataclass
class BatchOutcome:
    charges: list[Charge] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)
    ignored: int = 0
    baselines: int = 0


def reading_from_message(message: readings_pb2.MeterReading) -> Reading:
    """Water meters count litres; electricity meters Wh, with band registers when they keep them."""
    read_at = message.read_at.ToDatetime(tzinfo=UTC)
    if message.kind == common_pb2.METER_KIND_WATER:
        return Reading(message.meter_id, read_at, message.volume_l)
    bands = ((message.sharp_wh, message.peak_wh, message.flat_wh, message.valley_wh, message.deep_valley_wh)
             if message.has_band_registers else None)
    return Reading(message.meter_id, read_at, message.total_wh, bands)


async def rate_reading(uow: TariffUnitOfWork, reading: readings_pb2.MeterReading,
                       limits: RatingLimits) -> Charge | None:
    """Price one reading (see rate_readings)."""
    outcome = await rate_readings(uow, [reading], limits)
    return outcome.charges[0] if outcome.charges else None


async def rate_readings(uow: TariffUnitOfWork, messages: Sequence[readings_pb2.MeterReading],
                        limits: RatingLimits) -> BatchOutcome:
    """Price a batch of readings in one transaction and emit their charges (usage.charges.v1).

    Each reading is measured against the meter's last rated reading; duplicates and older
    readings are no-ops; impossible ones are quarantined with a tariff.anomalies.v1 event.
    """
    by_meter: dict[str, list[Reading]] = {}
    for message in messages:
        reading = reading_from_message(message)
        by_meter.setdefault(reading.meter_id, []).append(reading)
    outcome = BatchOutcome()
    async with uow:
        states = await uow.repo.rating_states_for_update(by_meter)
        timelines = await _timelines(uow, list(by_meter), limits.default_price)
        changed: list[RatingState] = []
        for meter_id, readings in by_meter.items():
            state = _rate_meter(states.get(meter_id), sorted(readings, key=lambda r: r.read_at),
                                timelines[meter_id], limits, outcome)
            if state is not None:
                changed.append(state)
        await uow.repo.save_rating_states(changed)
        await uow.repo.add_rated_usage(outcome.charges)
        await uow.repo.add_quarantine(outcome.quarantined)
        await uow.emit_many([(messaging.USAGE_CHARGES, c.meter_id, _charge_message(c)) for c in outcome.charges]
                            + [(TARIFF_ANOMALIES, q.meter_id, _anomaly_message(q)) for q in outcome.quarantined])
        await uow.commit()
    for q in outcome.quarantined:
        log.warning("reading quarantined", meter_id=q.meter_id, reason=q.reason, total=q.total,
                    last_total=q.last_total)
    return outcome


def _rate_meter(state: RatingState | None, readings: list[Reading], timeline: list[PlanVersion],
                limits: RatingLimits, outcome: BatchOutcome) -> RatingState | None:
    """Rate one meter's readings in time order; returns its new state, or None if unchanged."""
    start = state
    for reading in readings:
        if state is None:
            state = first_reading(reading)
            outcome.baselines += 1
            continue
        water = timeline[-1].plan.commodity == "water"
        max_per_h = limits.max_flow_l_per_h if water else limits.max_power_w
        versions = versions_for_interval(timeline, state.last_read_at, reading.read_at)
        state, result = rate(state, reading, versions, max_per_h, limits.register_max_wh)
        if isinstance(result, Charge):
            outcome.charges.append(result)
        elif isinstance(result, Quarantined):
            outcome.quarantined.append(result)
        else:
            outcome.ignored += 1
    return state if state is not start else None


async def _timelines(uow: TariffUnitOfWork, meter_ids: list[str],
                     default_price: Decimal) -> dict[str, list[PlanVersion]]:
    assignments = await uow.repo.assignments(meter_ids)
    plan_ids = {DEFAULT_PLAN_ID} | {a.plan_id for items in assignments.values() for a in items}
    versions = await uow.repo.versions_of(plan_ids)
    if DEFAULT_PLAN_ID not in versions:  # until a default plan is set, the configured price
        versions[DEFAULT_PLAN_ID] = [PlanVersion("default", EPOCH, single_price_plan(default_price))]
    shared: dict[tuple, list[PlanVersion]] = {}  # most meters share a plan history: build each once
    timelines = {}
    for meter_id in meter_ids:
        history = tuple(assignments.get(meter_id, ()))
        if history not in shared:
            shared[history] = meter_timeline(list(history), versions, DEFAULT_PLAN_ID)
        timelines[meter_id] = shared[history]
    return timelines


def _charge_message(c: Charge) -> charges_pb2.UsageCharge:
    return charges_pb2.UsageCharge(
        charge_id=c.charge_id, meter_id=c.meter_id, period=c.period, from_time=_ts(c.from_time),
        to_time=_ts(c.to_time), energy_wh=c.units, amount_fen=c.amount_fen, period_cost_fen=c.period_cost_fen,
        price_yuan_per_kwh=str(c.average_price), tariff_version_id=c.version_id, commodity=c.commodity)


def _anomaly_message(q: Quarantined) -> charges_pb2.RatingAnomaly:
    return charges_pb2.RatingAnomaly(meter_id=q.meter_id, read_at=_ts(q.read_at), total_wh=q.total,
                                     last_total_wh=q.last_total, reason=q.reason)


# ---- plans and versions ----

def parse_definition(definition_json: str) -> tuple[Plan, dict[str, Any]]:
    """A plan from its JSON text; InvalidPlan when it cannot be priced."""
    try:
        data = json.loads(definition_json)
    except json.JSONDecodeError as exc:
        raise InvalidPlan(f"definition is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidPlan("definition must be a JSON object")
    plan = plan_from_dict(data)
    return plan, plan_to_dict(plan)


async def create_plan(uow: TariffUnitOfWork, plan_id: str, name: str, definition_json: str, version_id: str,
                      effective_from: datetime) -> bool:
    """A new plan with its first version; the same plan id again is a no-op (returns False)."""
    if not plan_id or not version_id:
        raise InvalidPlan("a plan and its version need caller-chosen ids")
    plan, stored = parse_definition(definition_json)
    async with uow:
        created = await uow.repo.add_plan(plan_id, name or plan_id, str(plan.commodity))
        if created:
            await uow.repo.add_version(version_id, plan_id, effective_from, stored)
        await uow.commit()
    return created


async def add_plan_version(uow: TariffUnitOfWork, plan_id: str, version_id: str, definition_json: str,
                           effective_from: datetime) -> bool:
    """定时改价: a new version of a plan from a set time; never re-prices energy used before it."""
    if not version_id:
        raise InvalidPlan("a version needs a caller-chosen id")
    _, stored = parse_definition(definition_json)
    async with uow:
        if not await uow.repo.plan_exists(plan_id):
            raise UnknownPlan(f"unknown plan {plan_id!r}")
        created = await uow.repo.add_version(version_id, plan_id, effective_from, stored)
        await uow.commit()
    return created


async def assign_plan(uow: TariffUnitOfWork, plan_id: str, meter_ids: list[str], effective_from: datetime) -> int:
    """Price the chosen meters by a plan from a set time on."""
    meters = sorted({m for m in meter_ids if m})
    if not meters:
        raise InvalidPlan("assign a plan to at least one meter")
    async with uow:
        if not await uow.repo.plan_exists(plan_id):
            raise UnknownPlan(f"unknown plan {plan_id!r}")
        assigned = await uow.repo.assign(plan_id, meters, effective_from)
        await uow.commit()
    return assigned


async def set_single_price(uow: TariffUnitOfWork, version_id: str, meter_id: str, price_text: str,
                           effective_from: datetime) -> bool:
    """A single price for one meter (its own plan) or for the default plan (meter_id "")."""
    if not version_id:
        raise ValueError("a price version needs a caller-chosen id")
    definition = json.dumps({"pricing": "single", "price": price_text})
    _, stored = parse_definition(definition)
    plan_id = f"single:{meter_id}" if meter_id else DEFAULT_PLAN_ID
    async with uow:
        await uow.repo.add_plan(plan_id, plan_id, "electricity")
        created = await uow.repo.add_version(version_id, plan_id, effective_from, stored)
        if created and meter_id:
            await uow.repo.assign(plan_id, [meter_id], effective_from)
        await uow.commit()
    return created


async def meter_tariff(uow: TariffUnitOfWork, meter_id: str, default_price: Decimal) -> list[PlanVersion]:
    async with uow:
        return (await _timelines(uow, [meter_id], default_price))[meter_id]


async def quote(uow: TariffUnitOfWork, meter_id: str, units: int, at: datetime,
                default_price: Decimal) -> tuple[int, Decimal, str]:
    """What `units` would cost if used at `at`, continuing the meter's tier position; nothing is stored."""
    if units < 0:
        raise ValueError("energy must not be negative")
    async with uow:
        timeline = (await _timelines(uow, [meter_id], default_price))[meter_id]
        state = await uow.repo.rating_state(meter_id)
    version = versions_for_interval(timeline, at, at)[-1]
    plan = version.plan
    used = state.tier_units if state and state.tier_key == tier_key(at, plan.tier_period) else 0
    band = plan.calendar.band_at(at) if plan.calendar else None
    pieces, _ = price_slices([RatingSlice(version, band, units)], used)
    cost = pieces[0].cost_yuan
    average = (cost * 1000 / units).quantize(Decimal("0.000001")) if units else Decimal(0)
    return round_to_fen(cost), average, version.version_id


@dataclass(frozen=True)
class BillPreview:
    period: str
    charges: int
    units: int
    amount_fen: int
    bands: dict[str, int]
    max_demand_w: int
    basic_yuan: Decimal


async def preview_bill(uow: TariffUnitOfWork, meter_id: str, period: str, now: datetime) -> BillPreview:
    """The period's bill so far: the sum of its charges (equal to its rounded cumulative cost)."""
    period = period or billing_period(now)
    async with uow:
        count, units, amount, bands = await uow.repo.period_usage(meter_id, period)
        state = await uow.repo.rating_state(meter_id)
    current = state is not None and state.period == period
    return BillPreview(period, count, units, amount, bands, state.period_demand_w if current else 0,
                       state.period_basic_yuan if current else Decimal(0))


async def reset_baseline(uow: TariffUnitOfWork, reading: Reading) -> bool:
    """换表: after a meter swap, rate the new meter from this reading; the period so far is kept."""
    async with uow:
        states = await uow.repo.rating_states_for_update([reading.meter_id])
        old = states.get(reading.meter_id)
        new = (replace(old, last_read_at=reading.read_at, last_total=reading.total, last_bands=reading.bands)
               if old else first_reading(reading))
        if old and reading.read_at < old.last_read_at:
            raise ValueError("a new baseline cannot be older than the last rated reading")
        await uow.repo.save_rating_states([new])
        await uow.commit()
    return True


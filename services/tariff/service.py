"""Use cases of the tariff service: rate readings into charges, manage plans, versions and quotes.

Each takes a domain command, loads through the unit of work, applies the domain rules,
publishes domain events (rated charges, quarantined readings) and commits. Caller-chosen
ids make every write retryable: the same id with the same fields is a no-op (False), with
other fields a ConflictingRetry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from services.kit.logging import get_logger
from services.kit.money import round_to_fen
from services.kit.paging import Page
from services.tariff.domain import commands
from services.tariff.domain.catalog import (
    PLAN_PAGE,
    PlanKind,
    PlanRecord,
    VersionRecord,
    check_retry,
    check_version_retry,
)
from services.tariff.domain.errors import ConflictingRetry, DefaultPlanExists, InvalidPlan, InvalidRequest, UnknownPlan
from services.tariff.domain.plans import Commodity, Plan, plan_from_dict, single_price_plan
from services.tariff.domain.rating import (
    PlanVersion,
    Reading,
    billing_period,
    meter_timeline,
    price_slices,
    tier_key,
    versions_for_interval,
)
from services.tariff.domain.rating import Slice as RatingSlice
from services.tariff.domain.rating_batch import BatchOutcome, RatingLimits
from services.tariff.unit_of_work import TariffUnitOfWork

log = get_logger(__name__)

DEFAULT_PLAN_ID = "default"   # the id SetSinglePrice gives the default plan when it creates it
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


async def rate_readings(uow: TariffUnitOfWork, cmd: commands.RateReadings, limits: RatingLimits) -> BatchOutcome:
    """Price a batch of readings in one transaction and publish their charges (usage.charges.v1).

    Each reading is measured against the meter's last rated reading; duplicates and older
    readings are no-ops; impossible ones are quarantined with a tariff.anomalies.v1 event.
    """
    by_meter = cmd.by_meter()
    async with uow:
        states = await uow.rating.get_for_update(by_meter)
        timelines = await _timelines(uow, list(by_meter), limits.default_price)
        outcome = states.rate(by_meter, timelines, limits)
        await uow.rating.save(states)
        await uow.usage.add_charges(outcome.charges)
        await uow.usage.add_quarantine(outcome.quarantined)
        await uow.publish(*outcome.charges, *outcome.quarantined)
        await uow.commit()
    for q in outcome.quarantined:
        log.warning("reading quarantined", meter_id=q.meter_id, reason=q.reason, total=q.total,
                    last_total=q.last_total)
    return outcome


async def reset_baseline(uow: TariffUnitOfWork, reading: Reading) -> bool:
    """换表: after a meter swap, rate the new meter from this reading; the period so far is kept."""
    async with uow:
        states = await uow.rating.get_for_update([reading.meter_id])
        states.reset_baseline(reading)
        await uow.rating.save(states)
        await uow.commit()
    return True


async def _timelines(uow: TariffUnitOfWork, meter_ids: list[str],
                     default_price: Decimal) -> dict[str, list[PlanVersion]]:
    assignments = await uow.plans.assignments(meter_ids)
    catalog = await uow.plans.catalog({a.plan_id for items in assignments.values() for a in items})
    # until a default plan has a version, the configured price
    default = catalog.default_versions() or [PlanVersion("default", EPOCH, single_price_plan(default_price))]
    shared: dict[tuple, list[PlanVersion]] = {}  # most meters share a plan history: build each once
    timelines = {}
    for meter_id in meter_ids:
        history = tuple(assignments.get(meter_id, ()))
        if history not in shared:
            shared[history] = meter_timeline(list(history), catalog.by_plan, default)
        timelines[meter_id] = shared[history]
    return timelines


# ---- plans and versions ----

def parse_definition(definition_json: str) -> Plan:
    """A plan from its JSON text; InvalidPlan when it cannot be priced."""
    try:
        data = json.loads(definition_json)
    except json.JSONDecodeError as exc:
        raise InvalidPlan(f"definition is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidPlan("definition must be a JSON object")
    return plan_from_dict(data)


async def create_plan(uow: TariffUnitOfWork, cmd: commands.CreatePlan) -> bool:
    """A new plan with its first version; the same plan again is a no-op (returns False)."""
    if not cmd.plan_id or not cmd.version_id:
        raise InvalidPlan("a plan and its version need caller-chosen ids")
    plan = parse_definition(cmd.definition_json)
    record = PlanRecord(plan_id=cmd.plan_id, name=cmd.name or cmd.plan_id, commodity=plan.commodity,
                        kind=PlanKind.DEFAULT if cmd.default_plan else PlanKind.SHARED)
    first = VersionRecord(version_id=cmd.version_id, plan_id=cmd.plan_id, effective_from=cmd.effective_from, plan=plan)
    async with uow:
        if record.kind is PlanKind.DEFAULT:
            await _refuse_a_second_default(uow, record.plan_id)
        created = await uow.plans.add_plan(record)
        if created:
            await _add_version(uow, first, cmd.effective_from_is_now)
        else:
            check_retry(await uow.plans.get_plan(cmd.plan_id), record, f"plan {cmd.plan_id!r}")
            check_version_retry(await uow.plans.version(cmd.version_id), first, cmd.effective_from_is_now)
        await uow.commit()
    return created


async def add_plan_version(uow: TariffUnitOfWork, cmd: commands.AddPlanVersion) -> bool:
    """定时改价: a new version of a plan from a set time; never re-prices energy used before it."""
    if not cmd.version_id:
        raise InvalidPlan("a version needs a caller-chosen id")
    plan = parse_definition(cmd.definition_json)
    async with uow:
        if await uow.plans.get_plan(cmd.plan_id) is None:
            raise UnknownPlan(f"unknown plan {cmd.plan_id!r}")
        version = VersionRecord(version_id=cmd.version_id, plan_id=cmd.plan_id, effective_from=cmd.effective_from,
                                plan=plan)
        created = await _add_version(uow, version, cmd.effective_from_is_now)
        await uow.commit()
    return created


async def assign_plan(uow: TariffUnitOfWork, cmd: commands.AssignPlan) -> int:
    """Price the chosen meters by a plan from a set time on; returns how many were newly assigned."""
    meters = sorted({m for m in cmd.meter_ids if m})
    if not meters:
        raise InvalidPlan("assign a plan to at least one meter")
    async with uow:
        if await uow.plans.get_plan(cmd.plan_id) is None:
            raise UnknownPlan(f"unknown plan {cmd.plan_id!r}")
        assigned = await _assign(uow, cmd.plan_id, meters, cmd.effective_from)
        await uow.commit()
    return assigned


async def set_single_price(uow: TariffUnitOfWork, cmd: commands.SetSinglePrice) -> bool:
    """A single price for one meter (its own plan, assigned from then on) or for the default plan (meter_id "")."""
    if not cmd.version_id:
        raise InvalidPlan("a price version needs a caller-chosen id")
    plan = parse_definition(json.dumps({"pricing": "single", "price": cmd.price_text}))
    async with uow:
        plan_id = await _single_price_plan(uow, cmd.meter_id)
        version = VersionRecord(version_id=cmd.version_id, plan_id=plan_id, effective_from=cmd.effective_from,
                                plan=plan)
        created = await _add_version(uow, version, cmd.effective_from_is_now)
        if created and cmd.meter_id:
            await _assign(uow, plan_id, [cmd.meter_id], cmd.effective_from)
        await uow.commit()
    return created


async def list_plans(uow: TariffUnitOfWork, query: commands.ListPlans) -> Page[PlanRecord]:
    """One page of plans in id order; next_cursor continues after it ("" on the last page)."""
    async with uow:
        return await uow.plans.list_plans(PLAN_PAGE.of(query.limit), query.cursor)


async def _add_version(uow: TariffUnitOfWork, version: VersionRecord, any_time: bool) -> bool:
    if await uow.plans.add_version(version):
        return True
    check_version_retry(await uow.plans.version(version.version_id), version, any_time)
    return False


async def _assign(uow: TariffUnitOfWork, plan_id: str, meters: list[str], effective_from: datetime) -> int:
    added = await uow.plans.assign(plan_id, meters, effective_from)
    if len(added) < len(meters):  # retries, or meters that move to another plan at that very time
        existing = await uow.plans.plans_assigned_at([m for m in meters if m not in added], effective_from)
        clashes = sorted(m for m, other in existing.items() if other != plan_id)
        if clashes:
            raise ConflictingRetry(f"meter(s) {', '.join(clashes[:5])} move to another plan at "
                                   f"{effective_from.isoformat()} already")
    return len(added)


async def _refuse_a_second_default(uow: TariffUnitOfWork, plan_id: str) -> None:
    default = await uow.plans.default_plan()
    if default is not None and default.plan_id != plan_id:
        raise DefaultPlanExists(f"plan {default.plan_id!r} is the default plan; add a version to it instead")


async def _single_price_plan(uow: TariffUnitOfWork, meter_id: str) -> str:
    """The id of the meter's own single-price plan, or of the default plan (meter_id ""), created if missing."""
    if meter_id:
        plan_id = f"single:{meter_id}"   # deterministic, so a retry finds it; its meaning is in kind/meter_id
        record = PlanRecord(plan_id=plan_id, name=plan_id, commodity=Commodity.ELECTRICITY, kind=PlanKind.METER,
                            meter_id=meter_id)
    else:
        default = await uow.plans.default_plan()
        if default is not None:
            return default.plan_id
        record = PlanRecord(plan_id=DEFAULT_PLAN_ID, name=DEFAULT_PLAN_ID, commodity=Commodity.ELECTRICITY,
                            kind=PlanKind.DEFAULT)
    if not await uow.plans.add_plan(record) and not record.same_purpose(await uow.plans.get_plan(record.plan_id)):
        raise ConflictingRetry(f"plan {record.plan_id!r} exists and is not a {record.kind} single-price plan")
    return record.plan_id


# ---- quotes and previews (nothing is stored) ----

async def meter_tariff(uow: TariffUnitOfWork, meter_id: str, default_price: Decimal) -> list[PlanVersion]:
    """The versions that price a meter, oldest first."""
    async with uow:
        return (await _timelines(uow, [meter_id], default_price))[meter_id]


@dataclass(frozen=True)
class Quote:
    amount_fen: int
    average_price: Decimal        # yuan per kWh (or m3) of the quoted units
    version_id: str


async def quote(uow: TariffUnitOfWork, cmd: commands.QuoteUsage, default_price: Decimal) -> Quote:
    """What `units` would cost if used at `at`, continuing the meter's tier position; nothing is stored."""
    if cmd.units < 0:
        raise InvalidRequest("energy must not be negative")
    async with uow:
        timeline = (await _timelines(uow, [cmd.meter_id], default_price))[cmd.meter_id]
        state = await uow.rating.get(cmd.meter_id)
    version = versions_for_interval(timeline, cmd.at, cmd.at)[-1]
    plan = version.plan
    used = state.tier_units if state and state.tier_key == tier_key(cmd.at, plan.tier_period) else 0
    band = plan.calendar.band_at(cmd.at) if plan.calendar else None
    pieces, _ = price_slices([RatingSlice(version, band, cmd.units)], used)
    cost = pieces[0].cost_yuan
    average = (cost * 1000 / cmd.units).quantize(Decimal("0.000001")) if cmd.units else Decimal(0)
    return Quote(amount_fen=round_to_fen(cost), average_price=average, version_id=version.version_id)


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
        usage = await uow.usage.period_usage(meter_id, period)
        state = await uow.rating.get(meter_id)
    current = state is not None and state.period == period
    return BillPreview(period=period, charges=usage.charges, units=usage.units, amount_fen=usage.amount_fen,
                       bands=usage.band_units, max_demand_w=state.period_demand_w if current else 0,
                       basic_yuan=state.period_basic_yuan if current else Decimal(0))

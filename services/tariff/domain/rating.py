"""Rating: a cumulative register reading becomes a charge for what was used since the last one.

Glossary: 计费 = rating; 账期 = billing period (a calendar month, China time);
翻转 = register rollover; 换表 = meter swap; 隔离 = quarantine.

Money stays exact: the period's cost is kept as a Decimal and every charge is the
difference between the rounded cumulative cost after and before this reading, so
a month's charges add up to the month's bill to the fen.

Energy is priced by the plan version in force when it was used: an interval is
cut at version changes (and at time-of-use boundaries when the meter has no band
registers) and its energy shared over the pieces in proportion to their length.
The charge belongs to the billing period of the reading that closes the interval.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from itertools import pairwise

from services.kit.money import round_to_fen
from services.tariff.domain.plans import (
    CHINA,
    UNITS_PER_PRICED_UNIT,
    Band,
    Commodity,
    Plan,
    Pricing,
    TierPeriod,
)

BANDS = tuple(Band)
DEMAND_WINDOW_S = 900  # maximum demand is averaged over at least 15 minutes


@dataclass(frozen=True)
class PlanVersion:
    version_id: str
    effective_from: datetime
    plan: Plan


@dataclass(frozen=True)
class Reading:
    meter_id: str
    read_at: datetime
    total: int                             # Wh, or litres for water
    bands: tuple[int, ...] | None = None   # per-band registers in BANDS order, when the meter keeps them


@dataclass(frozen=True)
class RatingState:
    """Where rating of one meter stands: the last rated reading and the billing period so far."""

    meter_id: str
    last_read_at: datetime
    last_total: int
    last_bands: tuple[int, ...] | None
    period: str
    period_units: int = 0
    period_cost_yuan: Decimal = Decimal(0)     # exact: energy so far plus the basic charge so far
    period_basic_yuan: Decimal = Decimal(0)
    period_demand_w: int = 0
    period_cost_fen: int = 0
    tier_key: str = ""
    tier_units: int = 0


@dataclass(frozen=True)
class Piece:
    """Part of an interval priced at one version (and one band for time of use)."""

    version_id: str
    band: Band | None
    units: int
    cost_yuan: Decimal


@dataclass(frozen=True)
class Charge:
    charge_id: str
    meter_id: str
    period: str
    from_time: datetime
    to_time: datetime
    units: int
    amount_fen: int
    period_cost_fen: int
    cost_yuan: Decimal            # exact cost of this interval (energy plus basic-charge increase)
    version_id: str               # the version in force at the reading
    pieces: tuple[Piece, ...]
    rollover: bool = False
    commodity: Commodity = Commodity.ELECTRICITY

    @property
    def average_price(self) -> Decimal:
        if not self.units:
            return Decimal(0)
        return (sum((p.cost_yuan for p in self.pieces), Decimal(0)) * UNITS_PER_PRICED_UNIT / self.units
                ).quantize(Decimal("0.000001"))


@dataclass(frozen=True)
class Quarantined:
    """A reading that cannot be billed as it stands; kept with its reason, never billed."""

    meter_id: str
    read_at: datetime
    total: int
    last_total: int
    reason: str


@dataclass(frozen=True)
class Ignored:
    """A duplicate or out-of-order reading: already covered, a no-op."""

    reason: str


Outcome = Charge | Quarantined | Ignored


def billing_period(at: datetime) -> str:
    return _month_of_hour(int(at.timestamp()) // 3600)


def tier_key(at: datetime, period: TierPeriod) -> str:
    month = billing_period(at)
    return month[:4] if period is TierPeriod.YEAR else month


@lru_cache(maxsize=8192)
def _month_of_hour(epoch_hour: int) -> str:
    """China time has a whole-hour offset, so a month starts on a UTC hour: cache by hour (hot path)."""
    return datetime.fromtimestamp(epoch_hour * 3600, CHINA).strftime("%Y-%m")


def first_reading(reading: Reading) -> RatingState:
    """The first reading of a meter sets the baseline; nothing is billed for it."""
    return RatingState(meter_id=reading.meter_id, last_read_at=reading.read_at, last_total=reading.total,
                       last_bands=reading.bands, period=billing_period(reading.read_at))


def rate(state: RatingState, reading: Reading, versions: list[PlanVersion], max_units_per_h: int,
         register_max: int = 0) -> tuple[RatingState, Outcome]:
    """Price what was used since the last rated reading.

    versions: the versions in force over the interval, oldest first, the first one in
    force at the last reading. register_max: where the meter's total register wraps
    to zero (0 = never).
    """
    if reading.read_at <= state.last_read_at:
        return state, Ignored("duplicate or older than the last rated reading")
    delta, rollover = reading.total - state.last_total, False
    if delta < 0 and register_max and _looks_like_rollover(state.last_total, reading.total, register_max):
        delta, rollover = reading.total + register_max - state.last_total, True
    if delta < 0:
        return state, _quarantine(state, reading, "negative delta: register reset or meter swap")
    hours = Decimal((reading.read_at - state.last_read_at).total_seconds()) / 3600
    if Decimal(delta) > Decimal(max_units_per_h) * hours + 1:
        return state, _quarantine(state, reading, "more than the meter's rating can draw in the interval")
    band_deltas = _band_deltas(state, reading) if not rollover else None
    if band_deltas is not None and any(d < 0 for d in band_deltas):
        return state, _quarantine(state, reading, "negative delta on a band register")
    return _price_interval(state, reading, versions, delta, band_deltas, rollover)


def _looks_like_rollover(last_total: int, total: int, register_max: int) -> bool:
    return last_total > register_max * 9 // 10 and total < register_max // 10


def _quarantine(state: RatingState, reading: Reading, reason: str) -> Quarantined:
    return Quarantined(meter_id=state.meter_id, read_at=reading.read_at, total=reading.total,
                       last_total=state.last_total, reason=reason)


def _band_deltas(state: RatingState, reading: Reading) -> tuple[int, ...] | None:
    if reading.bands is None or state.last_bands is None:
        return None
    return tuple(now - before for now, before in zip(reading.bands, state.last_bands, strict=True))


def _price_interval(state: RatingState, reading: Reading, versions: list[PlanVersion], delta: int,
                    band_deltas: tuple[int, ...] | None, rollover: bool) -> tuple[RatingState, Charge]:
    at = reading.read_at
    current = versions[-1]
    period = billing_period(at)
    if period != state.period:  # a new billing period starts from nothing but the tier position
        state = RatingState(meter_id=state.meter_id, last_read_at=state.last_read_at, last_total=state.last_total,
                            last_bands=state.last_bands, period=period, tier_key=state.tier_key,
                            tier_units=state.tier_units)
    key = tier_key(at, current.plan.tier_period)
    tier_units = state.tier_units if key == state.tier_key else 0
    slices = allocate(state.last_read_at, at, versions, delta, band_deltas)
    pieces, tier_units = price_slices(slices, tier_units)
    energy_units = sum(p.units for p in pieces)
    demand_w = max(state.period_demand_w, _interval_demand_w(energy_units, state.last_read_at, at))
    basic_yuan = max(state.period_basic_yuan, current.plan.basic_charge_yuan(demand_w))
    energy_cost = sum((p.cost_yuan for p in pieces), Decimal(0))
    cost_yuan = state.period_cost_yuan + energy_cost + (basic_yuan - state.period_basic_yuan)
    cost_fen = round_to_fen(cost_yuan)
    charge = Charge(
        charge_id=f"{state.meter_id}@{at.isoformat()}", meter_id=state.meter_id, period=period,
        from_time=state.last_read_at, to_time=at, units=energy_units, amount_fen=cost_fen - state.period_cost_fen,
        period_cost_fen=cost_fen, cost_yuan=cost_yuan - state.period_cost_yuan, version_id=current.version_id,
        pieces=tuple(pieces), rollover=rollover, commodity=current.plan.commodity)
    new_state = RatingState(
        meter_id=state.meter_id, last_read_at=at, last_total=reading.total, last_bands=reading.bands, period=period,
        period_units=state.period_units + energy_units, period_cost_yuan=cost_yuan, period_basic_yuan=basic_yuan,
        period_demand_w=demand_w, period_cost_fen=cost_fen, tier_key=key, tier_units=tier_units)
    return new_state, charge


def _interval_demand_w(units: int, start: datetime, end: datetime) -> int:
    seconds = max(int((end - start).total_seconds()), DEMAND_WINDOW_S)
    return units * 3600 // seconds


@dataclass(frozen=True)
class Slice:
    version: PlanVersion
    band: Band | None
    units: int


def allocate(start: datetime, end: datetime, versions: list[PlanVersion], delta: int,
             band_deltas: tuple[int, ...] | None) -> list[Slice]:
    """Share the interval's units over (version, band) pieces in proportion to their length.

    With band registers each band's own delta is shared over the versions only;
    without, the interval is also cut at the time-of-use boundaries of each version.
    """
    if len(versions) == 1 and versions[0].plan.pricing is not Pricing.TIME_OF_USE:  # the common case, fast
        return [Slice(versions[0], None, delta)] if delta else []
    spans = _version_spans(start, end, versions)
    if band_deltas is not None and any(v.plan.pricing is Pricing.TIME_OF_USE for v, _, _ in spans):
        out: list[Slice] = []
        for band, units in zip(BANDS, band_deltas, strict=True):
            shares = share([_micros(b - a) for _, a, b in spans], units)
            out += [Slice(v, band, n) for (v, _, _), n in zip(spans, shares, strict=True) if n]
        return out
    cut = [(v, band, a, b) for v, s, e in spans for band, a, b in _band_spans(v.plan, s, e)]
    shares = share([_micros(b - a) for _, _, a, b in cut], delta)
    return [Slice(v, band, n) for (v, band, _, _), n in zip(cut, shares, strict=True) if n]


def price_slices(slices: list[Slice], tier_units: int) -> tuple[list[Piece], int]:
    """Exact cost of each slice, in time order, so tiers fill up in the order energy was used."""
    pieces = []
    for s in slices:
        plan = s.version.plan
        if plan.pricing is Pricing.TIERED:
            cost = plan.tiered_cost_yuan(tier_units, s.units)
        elif plan.pricing is Pricing.TIME_OF_USE:
            cost = Decimal(s.units) * plan.band_price(s.band or Band.FLAT) / UNITS_PER_PRICED_UNIT
        else:
            cost = Decimal(s.units) * plan.price / UNITS_PER_PRICED_UNIT
        tier_units += s.units
        pieces.append(Piece(s.version.version_id, s.band, s.units, cost))
    return pieces, tier_units


def share(weights: list[int], total: int) -> list[int]:
    """Split an integer total by integer weights, exactly (largest remainder; ties to the earlier)."""
    weight_sum = sum(weights)
    if weight_sum == 0:
        return [total] + [0] * (len(weights) - 1)
    floors = [total * w // weight_sum for w in weights]
    rest = total - sum(floors)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % weight_sum), i))
    for i in by_remainder[:rest]:
        floors[i] += 1
    return floors


def _micros(span: timedelta) -> int:
    return span // timedelta(microseconds=1)


def _version_spans(start: datetime, end: datetime,
                   versions: list[PlanVersion]) -> list[tuple[PlanVersion, datetime, datetime]]:
    spans = []
    for i, version in enumerate(versions):
        span_start = max(start, version.effective_from)
        span_end = min(end, versions[i + 1].effective_from) if i + 1 < len(versions) else end
        if span_end > span_start:
            spans.append((version, span_start, span_end))
    return spans or [(versions[-1], start, end)]


def _band_spans(plan: Plan, start: datetime, end: datetime) -> list[tuple[Band | None, datetime, datetime]]:
    if plan.pricing is not Pricing.TIME_OF_USE or plan.calendar is None:
        return [(None, start, end)]
    cuts = sorted({start, end, *_boundaries(plan, start, end)})
    spans: list[tuple[Band | None, datetime, datetime]] = []
    for a, b in pairwise(cuts):
        band = plan.calendar.band_at(a)
        if spans and spans[-1][0] == band:
            spans[-1] = (band, spans[-1][1], b)
        else:
            spans.append((band, a, b))
    return spans


def _boundaries(plan: Plan, start: datetime, end: datetime) -> list[datetime]:
    """Segment starts (local time) strictly inside (start, end)."""
    assert plan.calendar is not None
    day = start.astimezone(CHINA).date()
    last_day = end.astimezone(CHINA).date()
    out = []
    while day <= last_day:
        for segment in plan.calendar.segments_on(day):
            at = datetime.combine(day, segment.start, tzinfo=CHINA)
            if start < at < end:
                out.append(at)
        day += timedelta(days=1)
    return out


def versions_for_interval(all_versions: list[PlanVersion], start: datetime, end: datetime) -> list[PlanVersion]:
    """From a meter's versions (oldest first): the one in force at start and every one that begins before end."""
    in_force = [v for v in all_versions if v.effective_from <= start]
    later = [v for v in all_versions if start < v.effective_from < end]
    first = in_force[-1:] or all_versions[:1]
    return first + later if first else later


@dataclass(frozen=True)
class Assignment:
    """From effective_from on, the meter is priced by plan_id (until its next assignment)."""

    effective_from: datetime
    plan_id: str


def meter_timeline(assignments: list[Assignment], versions_by_plan: dict[str, list[PlanVersion]],
                   default_versions: list[PlanVersion]) -> list[PlanVersion]:
    """The versions that price one meter, oldest first, each clipped to the span of its assignment.

    Before its first assignment a meter is priced by the default plan's versions.
    """
    ordered = sorted(assignments, key=lambda a: a.effective_from)
    spans = [(datetime.min.replace(tzinfo=CHINA), default_versions),
             *((a.effective_from, versions_by_plan.get(a.plan_id, [])) for a in ordered)]
    timeline: list[PlanVersion] = []
    for i, (start, versions) in enumerate(spans):
        end = spans[i + 1][0] if i + 1 < len(spans) else datetime.max.replace(tzinfo=CHINA)
        in_force = [v for v in versions if v.effective_from <= start][-1:]
        timeline += [replace(v, effective_from=start) for v in in_force]
        timeline += [v for v in versions if start < v.effective_from < end]
    return timeline

"""Tariff plans: what one kWh (or one m3) costs, and when.

Glossary (the only place the Chinese words appear):
  电价 = tariff / price; 单一电价 = single price; 分时电价 = time of use (TOU);
  尖 / 峰 / 平 / 谷 / 深谷 = sharp / peak / flat / valley / deep valley band;
  阶梯电价 = tiered price; 两部制电价 = two-part tariff; 基本电费 = basic charge;
  变压器容量 = transformer capacity (kVA); 最大需量 = maximum demand (kW);
  水价 = water price (per m3); 定时改价 = scheduled price change (a plan version).

A plan is plain data, built from a JSON-like dict (the gRPC and console format)
by `plan_from_dict`, which refuses anything it cannot price exactly. Quantities
are integer Wh or litres; both are priced per 1000 units (kWh, m3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from services.tariff.domain.errors import InvalidPlan

CHINA = ZoneInfo("Asia/Shanghai")
UNITS_PER_PRICED_UNIT = 1000  # Wh per kWh, litres per m3


class Commodity(StrEnum):
    ELECTRICITY = "electricity"
    WATER = "water"


class Pricing(StrEnum):
    SINGLE = "single"
    TIME_OF_USE = "tou"
    TIERED = "tiered"


class Band(StrEnum):
    SHARP = "sharp"
    PEAK = "peak"
    FLAT = "flat"
    VALLEY = "valley"
    DEEP_VALLEY = "deep_valley"


# The ratios from the seeds, around a flat price (F-11).
SEED_BAND_RATIOS = {Band.SHARP: Decimal("2.0"), Band.PEAK: Decimal("1.7"), Band.FLAT: Decimal("1"),
                    Band.VALLEY: Decimal("0.3"), Band.DEEP_VALLEY: Decimal("0.1")}


class TierPeriod(StrEnum):
    MONTH = "month"
    YEAR = "year"


class BasicChargeBasis(StrEnum):
    CAPACITY = "capacity"   # yuan per kVA of transformer capacity per month
    DEMAND = "demand"       # yuan per kW of the month's maximum demand


@dataclass(frozen=True)
class DaySegment:
    start: time
    band: Band


@dataclass(frozen=True)
class Season:
    months: frozenset[int]
    segments: tuple[DaySegment, ...]   # sorted by start, the first starts at 00:00


@dataclass(frozen=True)
class TouCalendar:
    seasons: tuple[Season, ...]
    holidays: frozenset[date] = frozenset()
    holiday_segments: tuple[DaySegment, ...] = ()

    def segments_on(self, day: date) -> tuple[DaySegment, ...]:
        if self.holiday_segments and day in self.holidays:
            return self.holiday_segments
        for season in self.seasons:
            if day.month in season.months:
                return season.segments
        raise InvalidPlan(f"no season covers month {day.month}")  # plan_from_dict prevents this

    def band_at(self, at: datetime) -> Band:
        local = at.astimezone(CHINA)
        band = Band.FLAT
        for segment in self.segments_on(local.date()):
            if segment.start <= local.time():
                band = segment.band
        return band


@dataclass(frozen=True)
class Tier:
    up_to_units: int | None   # cumulative Wh / litres in the tier period; None = no upper bound
    price: Decimal


@dataclass(frozen=True)
class BasicCharge:
    basis: BasicChargeBasis
    rate_yuan: Decimal            # per kVA or per kW, per month
    capacity_kva: int = 0


@dataclass(frozen=True)
class Plan:
    commodity: Commodity
    pricing: Pricing
    price: Decimal = Decimal(0)
    band_prices: dict[Band, Decimal] = field(default_factory=dict)
    calendar: TouCalendar | None = None
    tiers: tuple[Tier, ...] = ()
    tier_period: TierPeriod = TierPeriod.MONTH
    basic_charge: BasicCharge | None = None

    def band_price(self, band: Band) -> Decimal:
        return self.band_prices[band]

    def tiered_cost_yuan(self, used_before: int, units: int) -> Decimal:
        """The exact cost of `units` consumed after `used_before` units in the tier period."""
        cost, start, end = Decimal(0), used_before, used_before + units
        lower = 0
        for tier in self.tiers:
            upper = tier.up_to_units
            overlap = (end if upper is None else min(end, upper)) - max(start, lower)
            if overlap > 0:
                cost += Decimal(overlap) * tier.price / UNITS_PER_PRICED_UNIT
            if upper is None or upper >= end:
                break
            lower = upper
        return cost

    def basic_charge_yuan(self, max_demand_w: int) -> Decimal:
        """The month's basic charge given the maximum demand so far (two-part tariff)."""
        basic = self.basic_charge
        if basic is None:
            return Decimal(0)
        if basic.basis is BasicChargeBasis.CAPACITY:
            return basic.rate_yuan * basic.capacity_kva
        return basic.rate_yuan * Decimal(max_demand_w) / 1000


def single_price_plan(price: Decimal, commodity: Commodity = Commodity.ELECTRICITY) -> Plan:
    return Plan(commodity, Pricing.SINGLE, price=price)


def band_prices_from_flat(flat_price: Decimal) -> dict[Band, Decimal]:
    """Band prices from a flat price with the seed ratios (peak +70 %, valley -70 %, ...)."""
    return {band: flat_price * ratio for band, ratio in SEED_BAND_RATIOS.items()}


# ---- building a plan from its dict form (gRPC / console / stored JSON) ----

def plan_from_dict(data: dict[str, Any]) -> Plan:
    """Validate and build a plan; InvalidPlan says what is wrong."""
    try:
        commodity = Commodity(data.get("commodity", "electricity"))
        pricing = Pricing(data.get("pricing", "single"))
    except ValueError as exc:
        raise InvalidPlan(str(exc)) from exc
    plan = Plan(commodity, pricing, basic_charge=_basic_charge(data.get("basic_charge")))
    if pricing is Pricing.SINGLE:
        return _replace(plan, price=_price(data.get("price"), "price"))
    if pricing is Pricing.TIME_OF_USE:
        if commodity is Commodity.WATER:
            raise InvalidPlan("water is not priced by time of use")
        return _replace(plan, band_prices=_band_prices(data), calendar=_calendar(data))
    return _replace(plan, tiers=_tiers(data.get("tiers")), tier_period=_tier_period(data.get("tier_period")))


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The inverse of plan_from_dict (what the database and the wire keep)."""
    data: dict[str, Any] = {"commodity": str(plan.commodity), "pricing": str(plan.pricing)}
    if plan.pricing is Pricing.SINGLE:
        data["price"] = str(plan.price)
    if plan.band_prices:
        data["band_prices"] = {str(b): str(p) for b, p in plan.band_prices.items()}
    if plan.calendar:
        data["seasons"] = [{"months": sorted(s.months), "segments": _segments_out(s.segments)}
                           for s in plan.calendar.seasons]
        data["holidays"] = sorted(d.isoformat() for d in plan.calendar.holidays)
        data["holiday_segments"] = _segments_out(plan.calendar.holiday_segments)
    if plan.tiers:
        data["tiers"] = [{"up_to": None if t.up_to_units is None else str(Decimal(t.up_to_units) / 1000),
                          "price": str(t.price)} for t in plan.tiers]
        data["tier_period"] = str(plan.tier_period)
    if plan.basic_charge:
        b = plan.basic_charge
        data["basic_charge"] = {"basis": str(b.basis), "rate_yuan": str(b.rate_yuan), "capacity_kva": b.capacity_kva}
    return data


def _replace(plan: Plan, **changes: Any) -> Plan:
    from dataclasses import replace

    return replace(plan, **changes)


def _price(value: Any, what: str) -> Decimal:
    try:
        price = Decimal(str(value))
    except Exception as exc:
        raise InvalidPlan(f"{what}: not a decimal: {value!r}") from exc
    if not price.is_finite() or price < 0 or price.as_tuple().exponent < -6:  # type: ignore[operator]
        raise InvalidPlan(f"{what}: a non-negative decimal with at most 6 places, got {value!r}")
    return price


def _band_prices(data: dict[str, Any]) -> dict[Band, Decimal]:
    if "flat_price" in data and "band_prices" not in data:
        return band_prices_from_flat(_price(data["flat_price"], "flat_price"))
    raw = data.get("band_prices") or {}
    if not isinstance(raw, dict):
        raise InvalidPlan("band_prices maps band names to prices")
    try:
        prices = {Band(name): _price(value, f"band_prices.{name}") for name, value in raw.items()}
    except ValueError as exc:
        raise InvalidPlan(str(exc)) from exc
    if not prices:
        raise InvalidPlan("a time-of-use plan needs band_prices or flat_price")
    return prices


def _segments(raw: Any, band_prices_needed: set[Band]) -> tuple[DaySegment, ...]:
    try:
        segments = tuple(sorted((DaySegment(time.fromisoformat(start), Band(band)) for start, band in raw),
                                key=lambda s: s.start))
    except (TypeError, ValueError) as exc:
        raise InvalidPlan(f"segments are [\"HH:MM\", band] pairs: {exc}") from exc
    if not segments or segments[0].start != time(0):
        raise InvalidPlan("the day segments must start at 00:00")
    band_prices_needed.update(s.band for s in segments)
    return segments


def _calendar(data: dict[str, Any]) -> TouCalendar:
    needed: set[Band] = set()
    seasons_raw = data.get("seasons") or [{"months": list(range(1, 13)), "segments": data.get("segments")}]
    seasons = tuple(_season(s, needed) for s in _items(seasons_raw, "seasons"))
    covered = [m for s in seasons for m in s.months]
    if sorted(covered) != list(range(1, 13)):
        raise InvalidPlan("the seasons must cover every month exactly once")
    holiday_segments = _segments(data["holiday_segments"], needed) if data.get("holiday_segments") else ()
    holidays = frozenset(_date(d, "holidays") for d in _items(data.get("holidays", ()), "holidays"))
    holidays |= _statutory_holidays(data.get("statutory_holiday_years", ()))
    prices = _band_prices(data)
    missing = needed - prices.keys()
    if missing:
        raise InvalidPlan(f"no price for band(s): {', '.join(sorted(missing))}")
    return TouCalendar(seasons, holidays, holiday_segments)


def _season(raw: Any, needed: set[Band]) -> Season:
    if not isinstance(raw, dict) or "months" not in raw:
        raise InvalidPlan('a season is {"months": [...], "segments": [...]}')
    months = frozenset(_int(m, "months") for m in _items(raw["months"], "months"))
    return Season(months, _segments(raw.get("segments"), needed))


def _statutory_holidays(years: Any) -> frozenset[date]:
    """法定节假日 of the given years from chinesecalendar (the State Council's published calendar)."""
    import chinese_calendar

    days: set[date] = set()
    for year in _items(years, "statutory_holiday_years"):
        try:
            days.update(chinese_calendar.get_holidays(date(int(year), 1, 1), date(int(year), 12, 31),
                                                      include_weekends=False))
        except (NotImplementedError, TypeError, ValueError) as exc:
            raise InvalidPlan(f"no statutory holiday calendar for {year!r}") from exc
    return frozenset(days)


def _tiers(raw: Any) -> tuple[Tier, ...]:
    if not raw:
        raise InvalidPlan("a tiered plan needs tiers")
    tiers, previous = [], 0
    for i, item in enumerate(_items(raw, "tiers")):
        if not isinstance(item, dict):
            raise InvalidPlan('a tier is {"up_to": ..., "price": ...}')
        up_to = item.get("up_to")
        last = i == len(raw) - 1
        if (up_to is None) != last:
            raise InvalidPlan("every tier but the last needs up_to (kWh or m3); the last has none")
        units = None if up_to is None else int(_price(up_to, "up_to") * 1000)
        if units is not None and units <= previous:
            raise InvalidPlan("tier bounds must increase")
        previous = units or previous
        tiers.append(Tier(units, _price(item.get("price"), f"tiers[{i}].price")))
    return tuple(tiers)


def _tier_period(raw: Any) -> TierPeriod:
    try:
        return TierPeriod(raw or "month")
    except ValueError as exc:
        raise InvalidPlan(str(exc)) from exc


def _basic_charge(raw: Any) -> BasicCharge | None:
    if not raw:
        return None
    if not isinstance(raw, dict):
        raise InvalidPlan('basic_charge is {"basis": ..., "rate_yuan": ...}')
    try:
        basis = BasicChargeBasis(raw.get("basis"))
    except ValueError as exc:
        raise InvalidPlan(str(exc)) from exc
    capacity = _int(raw.get("capacity_kva", 0), "basic_charge.capacity_kva")
    if basis is BasicChargeBasis.CAPACITY and capacity <= 0:
        raise InvalidPlan("a capacity basic charge needs capacity_kva > 0")
    return BasicCharge(basis, _price(raw.get("rate_yuan"), "basic_charge.rate_yuan"), capacity)


def _segments_out(segments: tuple[DaySegment, ...]) -> list[list[str]]:
    return [[s.start.strftime("%H:%M"), str(s.band)] for s in segments]


# ---- caller-supplied values of the wrong shape are the caller's error (InvalidPlan), never a bare ValueError ----

def _items(value: Any, what: str) -> list[Any] | tuple[Any, ...]:
    if not isinstance(value, list | tuple):
        raise InvalidPlan(f"{what} must be a list, got {value!r}")
    return value


def _int(value: Any, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise InvalidPlan(f"{what}: not a whole number: {value!r}") from exc


def _date(value: Any, what: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise InvalidPlan(f"{what}: not a date (YYYY-MM-DD): {value!r}") from exc

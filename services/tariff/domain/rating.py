"""Rating: a cumulative register reading becomes a charge for the energy since the last one.

Glossary: 电价 = tariff / price; 计费 = rating; 月 = billing period (a calendar month, China time).

Money stays exact: the period's cost is kept as a Decimal and every charge is the
difference between the rounded cumulative cost after and before this reading, so
a month's charges add up to the month's bill to the fen.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from services.kit.money import energy_cost_yuan, round_to_fen

CHINA = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class RatingState:
    """Where rating of one meter stands: the last rated reading and the period so far."""

    meter_id: str
    last_read_at: datetime
    last_total_wh: int
    period: str
    period_energy_wh: int = 0
    period_cost_yuan: Decimal = Decimal(0)
    period_cost_fen: int = 0


@dataclass(frozen=True)
class Charge:
    charge_id: str
    meter_id: str
    period: str
    from_time: datetime
    to_time: datetime
    energy_wh: int
    amount_fen: int
    period_cost_fen: int
    price: Decimal


@dataclass(frozen=True)
class Quarantined:
    """A reading that cannot be billed as it stands; kept with its reason, never billed."""

    meter_id: str
    read_at: datetime
    total_wh: int
    last_total_wh: int
    reason: str


@dataclass(frozen=True)
class Ignored:
    """A duplicate or out-of-order reading: already covered, a no-op."""

    reason: str


def billing_period(at: datetime) -> str:
    return at.astimezone(CHINA).strftime("%Y-%m")


def first_reading(meter_id: str, read_at: datetime, total_wh: int) -> RatingState:
    """The first reading of a meter sets the baseline; nothing is billed for it."""
    return RatingState(meter_id, read_at, total_wh, billing_period(read_at))


def rate(state: RatingState, read_at: datetime, total_wh: int, price: Decimal,
         max_power_w: int) -> tuple[RatingState, Charge | Quarantined | Ignored]:
    """Price the energy since the last rated reading at one price (single-price plan)."""
    if read_at <= state.last_read_at:
        return state, Ignored("duplicate or older than the last rated reading")
    delta_wh = total_wh - state.last_total_wh
    if delta_wh < 0:
        return state, Quarantined(state.meter_id, read_at, total_wh, state.last_total_wh, "negative delta")
    hours = Decimal((read_at - state.last_read_at).total_seconds()) / 3600
    if Decimal(delta_wh) > Decimal(max_power_w) * hours + 1:
        return state, Quarantined(state.meter_id, read_at, total_wh, state.last_total_wh,
                                  "more energy than the meter's rating can draw in the interval")
    period = billing_period(read_at)
    if period != state.period:
        state = replace(state, period=period, period_energy_wh=0, period_cost_yuan=Decimal(0), period_cost_fen=0)
    cost_yuan = state.period_cost_yuan + energy_cost_yuan(delta_wh, price)
    cost_fen = round_to_fen(cost_yuan)
    charge = Charge(
        charge_id=f"{state.meter_id}@{read_at.isoformat()}", meter_id=state.meter_id, period=period,
        from_time=state.last_read_at, to_time=read_at, energy_wh=delta_wh,
        amount_fen=cost_fen - state.period_cost_fen, period_cost_fen=cost_fen, price=price)
    new_state = replace(state, last_read_at=read_at, last_total_wh=total_wh,
                        period_energy_wh=state.period_energy_wh + delta_wh,
                        period_cost_yuan=cost_yuan, period_cost_fen=cost_fen)
    return new_state, charge

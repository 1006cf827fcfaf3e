"""What a caller asks tariff for. Ids are chosen by the caller, so a retry is recognised.

`effective_from_is_now`: the caller left the time to tariff (effective_from is when the call
arrived), so a retry, which arrives later, is not told apart by its time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from services.tariff.domain.rating import Reading


@dataclass(frozen=True)
class RateReadings:
    """Price a batch of readings (any meters, any order) in one transaction."""

    readings: Sequence[Reading]

    def by_meter(self) -> dict[str, list[Reading]]:
        out: dict[str, list[Reading]] = {}
        for reading in self.readings:
            out.setdefault(reading.meter_id, []).append(reading)
        return out


@dataclass(frozen=True)
class CreatePlan:
    plan_id: str
    name: str
    definition_json: str          # the first version (see docs/tariffs-and-wallets.md)
    version_id: str
    effective_from: datetime
    default_plan: bool = False    # the plan for every meter without an assignment
    effective_from_is_now: bool = False


@dataclass(frozen=True)
class AddPlanVersion:
    """定时改价: a new version of a plan from a set time."""

    plan_id: str
    version_id: str
    definition_json: str
    effective_from: datetime
    effective_from_is_now: bool = False


@dataclass(frozen=True)
class AssignPlan:
    plan_id: str
    meter_ids: Sequence[str]
    effective_from: datetime


@dataclass(frozen=True)
class SetSinglePrice:
    """A single price for one meter (its own plan), or for the default plan when meter_id is ""."""

    version_id: str
    meter_id: str
    price_text: str               # yuan per kWh, a decimal as text
    effective_from: datetime
    effective_from_is_now: bool = False


@dataclass(frozen=True)
class QuoteUsage:
    """What `units` would cost the meter if used at `at`; nothing is stored."""

    meter_id: str
    units: int
    at: datetime


@dataclass(frozen=True)
class ListPlans:
    limit: int = 0                # 0 = the default page size; capped at the maximum
    cursor: str = ""              # next_cursor of the previous page; "" = from the start

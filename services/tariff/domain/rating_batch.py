"""A batch of meters being rated: their rating states, locked, and what rating them produced.

The rating states are the aggregate that changes with every reading. Concurrent batches
(and a meter swap's new baseline) must not interleave on one meter, so a state can only
change inside `LockedRatingStates`: the repository makes one by locking the rows
(`uow.rating.get_for_update`) and saves nothing else (`uow.rating.save`). Forgetting the
lock is then an error, not a comment.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal

from services.tariff.domain.errors import InvalidBaseline
from services.tariff.domain.plans import Commodity
from services.tariff.domain.rating import (
    Charge,
    PlanVersion,
    Quarantined,
    RatingState,
    Reading,
    first_reading,
    rate,
    versions_for_interval,
)


@dataclass(frozen=True)
class RatingLimits:
    """What a meter can physically register per hour, and where its total register wraps."""

    max_power_w: int = 200_000
    max_flow_l_per_h: int = 20_000
    register_max_wh: int = 1_000_000_000
    default_price: Decimal = Decimal("1.0000")


@dataclass
class BatchOutcome:
    """What rating a batch produced; the charges and quarantined readings are also its events."""

    charges: list[Charge] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)
    ignored: int = 0
    baselines: int = 0


class NotLocked(LookupError):
    """A state changed or saved without its lock: a bug in the use case, never a caller's error."""


class LockedRatingStates:
    """The rating states of some meters, locked by the transaction that loaded them.

    Meters without a state yet are part of the set too (their first reading sets one).
    Changes stay here until the repository that issued the set saves it.
    """

    __slots__ = ("_changed", "_meter_ids", "_states", "issued_by")

    def __init__(self, meter_ids: frozenset[str], states: dict[str, RatingState], issued_by: object) -> None:
        self._meter_ids = meter_ids
        self._states = states
        self._changed: dict[str, RatingState] = {}
        self.issued_by = issued_by   # the repository (and so the transaction) holding the lock

    def get(self, meter_id: str) -> RatingState | None:
        return self._states.get(meter_id)

    def changed(self) -> list[RatingState]:
        return list(self._changed.values())

    def rate(self, readings_by_meter: dict[str, list[Reading]], timelines: dict[str, list[PlanVersion]],
             limits: RatingLimits) -> BatchOutcome:
        """Rate each meter's readings in time order against its state; the new states stay here."""
        outcome = BatchOutcome()
        for meter_id, readings in readings_by_meter.items():
            start = self.get(meter_id)
            state = _rate_meter(start, sorted(readings, key=_read_at), timelines[meter_id], limits, outcome)
            if state is not start:
                self._set(state)
        return outcome

    def reset_baseline(self, reading: Reading) -> None:
        """换表: rate the meter from this reading on; the billing period so far is kept."""
        old = self.get(reading.meter_id)
        if old and reading.read_at < old.last_read_at:
            raise InvalidBaseline("a new baseline cannot be older than the last rated reading")
        self._set(replace(old, last_read_at=reading.read_at, last_total=reading.total, last_bands=reading.bands)
                  if old else first_reading(reading))

    def _set(self, state: RatingState) -> None:
        if state.meter_id not in self._meter_ids:
            raise NotLocked(f"meter {state.meter_id!r} is not in this locked set")
        self._states[state.meter_id] = self._changed[state.meter_id] = state


def _read_at(reading: Reading):
    return reading.read_at


def _rate_meter(state: RatingState | None, readings: list[Reading], timeline: list[PlanVersion],
                limits: RatingLimits, outcome: BatchOutcome) -> RatingState | None:
    """Rate one meter's readings in time order; returns its last state (the same object if unchanged)."""
    for reading in readings:
        if state is None:
            state = first_reading(reading)
            outcome.baselines += 1
            continue
        water = timeline[-1].plan.commodity is Commodity.WATER
        max_per_h = limits.max_flow_l_per_h if water else limits.max_power_w
        versions = versions_for_interval(timeline, state.last_read_at, reading.read_at)
        state, result = rate(state, reading, versions, max_per_h, limits.register_max_wh)
        if isinstance(result, Charge):
            outcome.charges.append(result)
        elif isinstance(result, Quarantined):
            outcome.quarantined.append(result)
        else:
            outcome.ignored += 1
    return state

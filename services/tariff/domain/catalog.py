"""The plan catalogue: which plans exist, what each one is for, and which versions price a meter.

What a plan is for is a typed field (`PlanKind`), never read out of its id: the default
plan prices every meter without an assignment; a meter plan is the single price that
SetSinglePrice gave one meter (`meter_id` names it); every other plan is shared.

Ids are chosen by the caller, so a retry is recognised: the same id with the same
fields is a no-op, with other fields an error (ConflictingRetry).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from services.kit.paging import PageSize
from services.tariff.domain.errors import ConflictingRetry
from services.tariff.domain.plans import Commodity, Plan
from services.tariff.domain.rating import PlanVersion

PLAN_PAGE = PageSize(default=100, maximum=1000)   # ListPlans: 0 asks for 100, at most 1000


class PlanKind(StrEnum):
    SHARED = "shared"     # created by CreatePlan, assigned to any meters
    METER = "meter"       # one meter's own single price (SetSinglePrice with a meter)
    DEFAULT = "default"   # prices every meter without an assignment; at most one


@dataclass(frozen=True)
class PlanRecord:
    plan_id: str
    name: str
    commodity: Commodity
    kind: PlanKind = PlanKind.SHARED
    meter_id: str | None = None   # the meter a METER plan belongs to

    def same_purpose(self, other: PlanRecord | None) -> bool:
        """The same plan except perhaps its name (a label; older single-price plans carry another)."""
        return other is not None and (self.plan_id, self.commodity, self.kind, self.meter_id) == (
            other.plan_id, other.commodity, other.kind, other.meter_id)


@dataclass(frozen=True)
class VersionRecord:
    """A plan version as written: immutable once stored."""

    version_id: str
    plan_id: str
    effective_from: datetime
    plan: Plan


@dataclass(frozen=True)
class PlanCatalog:
    """The versions of some plans (oldest first), and which plan is the default one, if any."""

    by_plan: dict[str, list[PlanVersion]]
    default_plan_id: str | None

    def default_versions(self) -> list[PlanVersion]:
        return self.by_plan.get(self.default_plan_id, []) if self.default_plan_id else []


def check_retry(existing: Any, requested: Any, what: str) -> None:
    """A write whose id exists is a retry: it must repeat every field."""
    if existing != requested:
        raise ConflictingRetry(f"{what} exists with other fields; a retry must repeat them exactly")


def check_version_retry(existing: VersionRecord | None, requested: VersionRecord, any_time: bool) -> None:
    """Like check_retry; any_time when the time was the server's "now", not the caller's choice."""
    if any_time and existing is not None:
        requested = replace(requested, effective_from=existing.effective_from)
    check_retry(existing, requested, f"version {requested.version_id!r}")

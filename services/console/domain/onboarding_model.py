"""What an onboarding plan is made of: each item to write with what it changes, and the registry as it is.

The planner is pure: the use case loads the part of the registry a workbook names (`Existing`) and the
planner compares item by item, so a re-run finds everything unchanged and writes and publishes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar

from services.console.domain.people import Lease, Tenant
from services.console.domain.placements import AccountPlacement, MeterPlacement, RoomPlace
from services.console.domain.tree import Node

T = TypeVar("T")


class Change(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Planned(Generic[T]):
    item: T
    change: Change
    line: int                  # the line of the workbook it comes from (first line, for shared nodes)
    before: T | None = None    # as it is now (None: to be created)


@dataclass(frozen=True)
class GroupSpec:
    """The group root every onboarding hangs from (created by the first import)."""

    node_id: str = "G"
    name: str = "集团 Group"


@dataclass(frozen=True)
class Referenced:
    """The ids a workbook names, so the use case can load what of them exists."""

    node_ids: frozenset[str]
    tenant_ids: frozenset[str]
    lease_ids: frozenset[str]
    room_ids: frozenset[str]     # rooms named by leases (their other leases are checked for overlaps)
    meter_ids: frozenset[str]
    account_ids: frozenset[str]


@dataclass(frozen=True)
class Existing:
    """The registry as it is, for the ids a workbook names (unscoped: ids are unique group-wide)."""

    nodes: dict[str, Node] = field(default_factory=dict)
    roots: tuple[Node, ...] = ()
    room_places: dict[str, RoomPlace] = field(default_factory=dict)
    tenants: dict[str, Tenant] = field(default_factory=dict)
    leases: dict[str, Lease] = field(default_factory=dict)
    meters: dict[str, MeterPlacement] = field(default_factory=dict)
    accounts: dict[str, AccountPlacement] = field(default_factory=dict)
    meter_accounts: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MeterDevice:
    """A meter as acquisition registers it (its commissioning sheet's columns), with its workbook line."""

    line: int
    meter_id: str
    gateway_id: str
    gateway_transport: str
    gateway_host: str
    gateway_port: int
    protocol: str
    device_id: int
    address: str
    bus: int
    ct_ratio: int
    kind: str
    project_id: str


@dataclass(frozen=True)
class AccountOpening:
    """An account as wallet opens it (开户), with its workbook line."""

    line: int
    account_id: str
    tenant_name: str
    meter_ids: tuple[str, ...]
    project_id: str
    opening_balance_fen: int
    cutoff_fen: int
    mode: str
    settlement: str
    alarm_thresholds_fen: tuple[int, ...]


def change_of(before: T | None, after: T) -> Change:
    if before is None:
        return Change.CREATED
    return Change.UNCHANGED if before == after else Change.UPDATED


def planned(before: T | None, after: T, line: int) -> Planned[T]:
    return Planned(after, change_of(before, after), line, before)


def counts(items: tuple[Planned, ...] | list[Planned]) -> dict[str, int]:
    found = {str(c): 0 for c in Change}
    for item in items:
        found[str(item.change)] += 1
    return found

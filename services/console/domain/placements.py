"""Where meters and accounts sit in the tree: a meter in a room (表计安装位置), an account with a tenant.

A meter's path is its room's path. An account's path is the deepest node holding all of its meters'
rooms (its room when they share one), so a grant on a building reaches the accounts of its rooms.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.console.domain.errors import InvalidRequest


class MeterKind(StrEnum):
    ELECTRICITY = "electricity"
    WATER = "water"


METER_KIND_ALIASES = {"": MeterKind.ELECTRICITY, "electricity": MeterKind.ELECTRICITY, "电": MeterKind.ELECTRICITY,
                      "电表": MeterKind.ELECTRICITY, "water": MeterKind.WATER, "水": MeterKind.WATER,
                      "水表": MeterKind.WATER}


@dataclass(frozen=True)
class MeterPlacement:
    meter_id: str
    room_id: str
    property_id: str
    path: str                  # the room's path
    kind: MeterKind
    gateway_id: str


@dataclass(frozen=True)
class AccountPlacement:
    account_id: str
    tenant_id: str | None
    property_id: str
    path: str
    cutoff_fen: int
    meter_ids: tuple[str, ...]  # sorted


@dataclass(frozen=True)
class GatewayPlace:
    """A gateway lies in the property of its meters (one property per gateway)."""

    gateway_id: str
    property_id: str
    path: str                  # the property's path


@dataclass(frozen=True)
class RoomPlace:
    """What a meter placement tells the other services about its room."""

    room_id: str
    property_id: str
    building_id: str
    path: str
    area_m2: str               # decimal text, "" when unknown


def parse_meter_kind(text: str | None) -> MeterKind:
    kind = METER_KIND_ALIASES.get((text or "").strip().lower())
    if kind is None:
        raise InvalidRequest(f"表计类型应为 电/水: {text!r}", f"meter kind must be electricity or water: {text!r}")
    return kind


def common_path(paths: list[str] | tuple[str, ...]) -> str:
    """The deepest path every one of them lies in (or is)."""
    if not paths:
        raise ValueError("no paths")
    parts = [p.split(".") for p in paths]
    shared: list[str] = []
    for labels in zip(*parts, strict=False):
        if any(label != labels[0] for label in labels):
            break
        shared.append(labels[0])
    return ".".join(shared)

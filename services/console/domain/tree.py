"""The org tree (组织架构): group -> region -> property (项目) -> building -> floor -> room.

A node's path is its ancestors' ids and its own, joined by "." (a PostgreSQL ltree), so "is X
inside scope S" is `X.path <@ S`. Ids are opaque to users but must be valid ltree labels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from services.console.domain.errors import InvalidRequest


class NodeKind(StrEnum):
    GROUP = "group"
    REGION = "region"
    PROPERTY = "property"
    BUILDING = "building"
    FLOOR = "floor"
    ROOM = "room"


class RoomUse(StrEnum):
    SHOP = "shop"
    OFFICE = "office"
    APARTMENT = "apartment"
    PUBLIC = "public"


PARENT_KIND = {NodeKind.REGION: NodeKind.GROUP, NodeKind.PROPERTY: NodeKind.REGION,
               NodeKind.BUILDING: NodeKind.PROPERTY, NodeKind.FLOOR: NodeKind.BUILDING,
               NodeKind.ROOM: NodeKind.FLOOR}
KIND_ZH = {NodeKind.GROUP: "集团", NodeKind.REGION: "区域", NodeKind.PROPERTY: "项目", NodeKind.BUILDING: "楼栋",
           NodeKind.FLOOR: "楼层", NodeKind.ROOM: "房间"}
ROOM_USE_ALIASES = {"商铺": RoomUse.SHOP, "shop": RoomUse.SHOP, "办公": RoomUse.OFFICE, "office": RoomUse.OFFICE,
                    "公寓": RoomUse.APARTMENT, "apartment": RoomUse.APARTMENT, "公区": RoomUse.PUBLIC,
                    "公共": RoomUse.PUBLIC, "public": RoomUse.PUBLIC}
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_NAME = 100
MAX_AREA_M2 = Decimal("1000000")


@dataclass(frozen=True)
class Node:
    node_id: str
    kind: NodeKind
    name: str
    parent_id: str | None
    path: str
    property_id: str | None       # the property it lies in (itself for a property)
    area_m2: Decimal | None = None
    room_use: RoomUse | None = None

    def child_path(self, child_id: str) -> str:
        return f"{self.path}.{path_label(child_id)}"


def path_label(node_id: str) -> str:
    """The node's label in ltree paths: ids may hold '-', which PostgreSQL 15's ltree refuses, so
    '_' becomes '_u' and '-' becomes '_h' (one-to-one; labels are never read back as ids)."""
    return node_id.replace("_", "_u").replace("-", "_h")


def check_id(object_id: str, what_zh: str = "编号", what_en: str = "id") -> str:
    if not _ID.match(object_id or ""):
        raise InvalidRequest(f"{what_zh}只能由字母、数字、- 和 _ 组成(1-64位): {object_id!r}",
                             f"{what_en} must be 1-64 letters, digits, '-' or '_': {object_id!r}")
    return object_id


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidRequest(f"名称不能为空且不超过{MAX_NAME}字", f"a name is 1-{MAX_NAME} characters")
    return name


def parse_area(text: str | Decimal | None) -> Decimal:
    try:
        area = Decimal(str(text).strip())
    except Exception:
        raise InvalidRequest(f"面积不是数字: {text!r}", f"area is not a number: {text!r}") from None
    if not area.is_finite() or area <= 0 or area > MAX_AREA_M2 or area != area.quantize(Decimal("0.01")):
        raise InvalidRequest(f"面积应为0-1000000平方米,最多两位小数: {text}",
                             f"area must be 0-1000000 m2 with at most 2 decimals: {text}")
    return area


def parse_room_use(text: str) -> RoomUse:
    use = ROOM_USE_ALIASES.get((text or "").strip().lower())
    if use is None:
        raise InvalidRequest(f"房间用途应为 商铺/办公/公寓/公区: {text!r}",
                             f"room use must be shop, office, apartment or public: {text!r}")
    return use


def check_child(parent: Node, kind: NodeKind) -> None:
    """A node hangs under the kind above it (a room under a floor, a floor under a building, ...)."""
    if PARENT_KIND.get(kind) != parent.kind:
        raise InvalidRequest(f"{KIND_ZH[kind]}不能放在{KIND_ZH[parent.kind]}下",
                             f"a {kind} cannot be placed under a {parent.kind}")

"""Changing the org tree: a new node under a parent, a new name (or area and use for rooms), a move.

Moves keep a node at its level (a room under another floor, a building under another property ...).
Below the property level a node moves only within its property: its meters' accounts, its tenants and
the other services' settings are keyed by the property.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from services.console.domain.errors import Conflict, InvalidRequest
from services.console.domain.tree import (
    KIND_ZH,
    Node,
    NodeKind,
    RoomUse,
    check_child,
    check_id,
    check_name,
    parse_area,
    parse_room_use,
)

ABOVE_PROPERTY = (NodeKind.GROUP, NodeKind.REGION)


@dataclass(frozen=True)
class NewNode:
    node_id: str
    kind: NodeKind
    name: str
    area_m2: Decimal | str | None = None
    room_use: str | None = None


@dataclass(frozen=True)
class NodeEdit:
    """What a PATCH may change: None leaves a field as it is."""

    name: str | None = None
    area_m2: Decimal | str | None = None
    room_use: str | None = None


def child_node(parent: Node, new: NewNode) -> Node:
    """The node `new` describes under `parent`, checked (id, name, level, a room's area and use)."""
    kind = NodeKind(new.kind)
    check_child(parent, kind)
    node_id = check_id(new.node_id, "节点编号", "node id")
    area, use = _room_fields(kind, new.area_m2, new.room_use)
    property_id = node_id if kind == NodeKind.PROPERTY else parent.property_id
    return Node(node_id=node_id, kind=kind, name=check_name(new.name), parent_id=parent.node_id,
                path=parent.child_path(node_id), property_id=property_id, area_m2=area, room_use=use)


def edited(node: Node, edit: NodeEdit) -> Node:
    """The node with the edit applied; only rooms have an area and a use."""
    if node.kind != NodeKind.ROOM and (edit.area_m2 is not None or edit.room_use is not None):
        raise InvalidRequest("只有房间有面积和用途", "only rooms have an area and a use")
    name = check_name(edit.name) if edit.name is not None else node.name
    area = parse_area(edit.area_m2) if edit.area_m2 is not None else node.area_m2
    use = parse_room_use(edit.room_use) if edit.room_use is not None else node.room_use
    return replace(node, name=name, area_m2=area, room_use=use)


def check_move(node: Node, parent: Node) -> None:
    if node.kind == NodeKind.GROUP:
        raise InvalidRequest("集团节点不能移动", "the group node cannot move")
    check_child(parent, node.kind)
    if parent.path == node.path or parent.path.startswith(node.path + "."):
        raise InvalidRequest("不能移到自己的下级", "a node cannot move under itself")
    if node.kind not in (*ABOVE_PROPERTY, NodeKind.PROPERTY) and parent.property_id != node.property_id:
        raise Conflict(f"{KIND_ZH[node.kind]}只能在本项目内移动",
                       f"a {node.kind} moves only within its property ({node.property_id})")


def _room_fields(kind: NodeKind, area: Decimal | str | None,
                 use: str | None) -> tuple[Decimal | None, RoomUse | None]:
    if kind != NodeKind.ROOM:
        if area is not None or use is not None:
            raise InvalidRequest("只有房间有面积和用途", "only rooms have an area and a use")
        return None, None
    if area is None or use is None:
        raise InvalidRequest("房间须填写面积和用途", "a room needs an area (m2) and a use")
    return parse_area(area), parse_room_use(use)


def node_audit(node: Node) -> dict:
    """What the audit log keeps of a node (before/after)."""
    return {"node_id": node.node_id, "kind": str(node.kind), "name": node.name, "parent_id": node.parent_id,
            "path": node.path, "property_id": node.property_id,
            "area_m2": None if node.area_m2 is None else f"{node.area_m2:.2f}",
            "room_use": str(node.room_use) if node.room_use else None}

"""The rooms sheet as tree nodes: group -> region -> property -> building -> floor -> room.

Node ids: the region's and property's as given, a building's f"{property_id}-{building}", a floor's
f"{building node id}-{floor}", a room's as given (unique group-wide). A node that exists must be the same
kind under the same parent (the import never moves anything); its name (a room's area and use) may change.
Creating or changing a node needs SETTINGS at its place.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.console.domain.onboarding_model import Change, Existing, GroupSpec, Planned, change_of
from services.console.domain.onboarding_rows import RoomRow
from services.console.domain.onboarding_sheets import Problems
from services.console.domain.placements import RoomPlace
from services.console.domain.scope import Permission, Scope
from services.console.domain.tree import KIND_ZH, Node, NodeKind, path_label

MAX_ID = 64


@dataclass(frozen=True)
class TreePlan:
    nodes: tuple[Planned[Node], ...]           # parents before children
    by_id: dict[str, Node]                     # every node the sheet names, as it will be
    building_of: dict[str, str]                # room id -> its building's node id
    bad_rooms: frozenset[str]                  # nodes on rejected lines (references to them say no more)
    existing: Existing
    scope: Scope

    def room(self, room_id: str) -> RoomPlace | None:
        """A room of the sheet or one that exists, if the caller may set it up; None otherwise."""
        node = self.by_id.get(room_id)
        if node is not None and node.kind == NodeKind.ROOM:
            place = RoomPlace(room_id, node.property_id or "", self.building_of[room_id], node.path,
                              f"{node.area_m2:.2f}" if node.area_m2 is not None else "")
        else:
            place = self.existing.room_places.get(room_id) if node is None else None
        # a room the sheet only names (unchanged) is not the caller's for that: his SETTINGS scope decides
        return place if place is not None and self.scope.allows(Permission.SETTINGS, place.path) else None

    def site(self, property_id: str) -> Node | None:
        """A property of the sheet or one that exists, if the caller may set it up."""
        node = self.by_id.get(property_id) or self.existing.nodes.get(property_id)
        if node is None or node.kind != NodeKind.PROPERTY:
            return None
        return node if self.scope.allows(Permission.SETTINGS, node.path) else None

    def path_of(self, node_id: str) -> str:
        node = self.by_id.get(node_id) or self.existing.nodes[node_id]
        return node.path

    def changed_rooms(self) -> frozenset[str]:
        """Rooms whose area changed (the other services keep a meter's room area)."""
        return frozenset(p.item.node_id for p in self.nodes if p.item.kind == NodeKind.ROOM
                         and p.change == Change.UPDATED
                         and self.existing.nodes[p.item.node_id].area_m2 != p.item.area_m2)


def plan_tree(rows: list[RoomRow], bad_rooms: set[str], existing: Existing, scope: Scope, group: GroupSpec,
              problems: Problems) -> TreePlan:
    root = _root(existing, group, problems)
    declared: dict[str, tuple[Node, int]] = {root.node_id: (root, 1)}
    building_of: dict[str, str] = {}
    for row in rows:
        if _declare_row(row, root, declared, problems):
            building_of[row.room_id] = f"{row.property_id}-{row.building}"
        else:
            bad_rooms.add(row.room_id)
    planned = []
    for node_id, (node, line) in declared.items():
        before = existing.nodes.get(node_id)
        place = (node.kind, node.parent_id, node.path)
        if before is not None and (before.kind, before.parent_id, before.path) != place:
            where = f"{KIND_ZH[before.kind]}, 上级 {before.parent_id or '-'}"
            problems.add("rooms", line, f"编号{node_id}已被另一节点使用({where}); 导入不移动节点",
                         f"id {node_id} is taken by another node ({before.kind} under {before.parent_id or '-'}); "
                         "the import moves nothing")
            bad_rooms.add(node_id)
            continue
        change = (Change.UNCHANGED if before else Change.CREATED) if node is root else change_of(before, node)
        if change != Change.UNCHANGED and node is not root and not scope.allows(Permission.SETTINGS, node.path):
            if node.parent_id not in bad_rooms:   # once per subtree: the nodes under it are refused with it
                problems.add("rooms", line, f"{KIND_ZH[node.kind]}{node_id}不存在或不在您的设置权限内",
                             f"{node.kind} {node_id} is not found or not yours to set up")
            bad_rooms.add(node_id)
            continue
        planned.append(Planned(before if node is root and before else node, change, line, before))
    return TreePlan(tuple(planned), {node_id: node for node_id, (node, _) in declared.items()}, building_of,
                    frozenset(bad_rooms), existing, scope)


def _root(existing: Existing, group: GroupSpec, problems: Problems) -> Node:
    found = existing.nodes.get(group.node_id)
    others = [r for r in existing.roots if r.node_id != group.node_id]
    if found is not None and (found.kind != NodeKind.GROUP or found.parent_id is not None):
        problems.add("rooms", 1, f"集团编号{group.node_id}已被其他节点使用", f"group id {group.node_id} is taken")
    elif found is None and others:
        problems.add("rooms", 1, f"已有集团{others[0].node_id}, 不能再建集团{group.node_id}",
                     f"the group is {others[0].node_id}; cannot create another group {group.node_id}")
    return Node(group.node_id, NodeKind.GROUP, found.name if found else group.name, None,
                path_label(group.node_id), None)


def _declare_row(row: RoomRow, root: Node, declared: dict[str, tuple[Node, int]], problems: Problems) -> bool:
    """Declare the row's chain of nodes; False (with a problem) when it contradicts an earlier line."""
    building_id = f"{row.property_id}-{row.building}"
    floor_id = f"{building_id}-{row.floor}"
    chain = ((row.region_id, NodeKind.REGION, row.region_name), (row.property_id, NodeKind.PROPERTY, row.property_name),
             (building_id, NodeKind.BUILDING, row.building_name), (floor_id, NodeKind.FLOOR, row.floor_name),
             (row.room_id, NodeKind.ROOM, row.room_name))
    parent = root
    for node_id, kind, name in chain:
        if len(node_id) > MAX_ID:
            problems.add("rooms", row.line, f"{KIND_ZH[kind]}编号过长(最多{MAX_ID}位): {node_id}",
                         f"{kind} id longer than {MAX_ID}: {node_id}")
            return False
        site = None if kind == NodeKind.REGION else row.property_id
        room = kind == NodeKind.ROOM
        node = Node(node_id, kind, name, parent.node_id, parent.child_path(node_id), site,
                    row.area_m2 if room else None, row.use if room else None)
        seen = declared.get(node_id)
        if seen is None:
            declared[node_id] = (node, row.line)
        elif room or seen[0] != node:
            what = "重复" if room and seen[0].kind == NodeKind.ROOM else "与之前的定义不一致(类型、名称或上级)"
            problems.add("rooms", row.line, f"{KIND_ZH[kind]}{node_id}{what}, 见第{seen[1]}行",
                         f"{kind} {node_id} {'repeats' if room else 'differs from'} line {seen[1]}"
                         + ("" if room else " (kind, name or parent)"))
            return False
        parent = declared[node_id][0]
    return True

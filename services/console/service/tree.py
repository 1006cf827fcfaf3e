"""The org tree as use cases: look at it within one's scope, grow it, rename, move; place a meter in a room.

Every change needs SETTINGS where it happens (both ends of a move), is audited with before/after, and
publishes its registry event in the same transaction. What lies outside the caller's scope is NotFound.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.console.domain.errors import Conflict, Forbidden, InvalidRequest, not_found
from services.console.domain.placements import GatewayPlace, MeterPlacement, RoomPlace, parse_meter_kind
from services.console.domain.registry import meter_placed, node_changed
from services.console.domain.scope import Caller, Permission, Scope
from services.console.domain.tree import Node, NodeKind, check_id
from services.console.domain.tree_changes import NewNode, NodeEdit, check_move, child_node, edited, node_audit
from services.console.service.audit import entry_for
from services.console.unit_of_work import ConsoleUnitOfWork
from services.kit.paging import Page, PageSize

PAGE = PageSize(50, 500)


async def node_for(uow: ConsoleUnitOfWork, scope: Scope, node_id: str, permission: Permission) -> Node:
    """The node as the caller may act on it: out of his view = NotFound; seen but not his to change = Forbidden."""
    node = await uow.tree.node(scope, Permission.VIEW, node_id)
    if node is None:
        raise not_found("节点", "node", node_id)
    if permission != Permission.VIEW and not scope.allows(permission, node.path):
        raise Forbidden("无权修改此节点", f"no {permission} permission on node {node_id}")
    return node


async def get_node(uow: ConsoleUnitOfWork, scope: Scope, node_id: str) -> Node:
    """One node of the tree, if the caller may see it."""
    async with uow:
        return await node_for(uow, scope, node_id, Permission.VIEW)


async def list_nodes(uow: ConsoleUnitOfWork, scope: Scope, limit: int = 0, cursor: str = "",
                     parent_id: str | None = None, kind: NodeKind | None = None) -> Page[Node]:
    """The nodes in the caller's scope, parents first; optionally one parent's children or one kind."""
    async with uow:
        return await uow.tree.node_page(scope, Permission.VIEW, PAGE.of(limit), cursor, parent_id, kind)


async def create_node(uow: ConsoleUnitOfWork, caller: Caller, parent_id: str, new: NewNode,
                      now: datetime) -> Node:
    """新建节点: a region, property, building, floor or room under a parent the caller may set up."""
    async with uow:
        parent = await node_for(uow, caller.scope, parent_id, Permission.SETTINGS)
        node = child_node(parent, new)
        if (await uow.tree.nodes_by_id([node.node_id])):
            raise Conflict(f"节点编号已存在: {node.node_id}", f"node id already in use: {node.node_id}")
        await uow.tree.add_nodes([node])
        await uow.audit.record(entry_for(caller, "node.create", "node", node.node_id, node.path,
                                         after=node_audit(node)))
        await uow.publish(node_changed(node, "created", now))
        await uow.commit()
    return node


async def change_node(uow: ConsoleUnitOfWork, caller: Caller, node_id: str, edit: NodeEdit,
                      parent_id: str | None, now: datetime) -> Node:
    """改名 / 移动 in one transaction: a new name (a room's area or use), and/or another parent.

    A move hangs the node and everything under it under the new parent (both must be the caller's to set
    up): every row under it, in every table holding a tree path, takes the new path, and each moved node
    and each meter under it is published again. The same values again change nothing and publish nothing.
    """
    async with uow:
        await uow.tree.lock_tree()
        node = await node_for(uow, caller.scope, node_id, Permission.SETTINGS)
        events: list = []
        if parent_id is not None and parent_id != node.parent_id:
            node, events = await _move(uow, caller, node, parent_id, now)
        after = edited(node, edit)
        if after != node:
            events += await _edit(uow, caller, node, after, now)
        if events:
            await uow.publish(*events)
            await uow.commit()
    return after


async def rename_node(uow: ConsoleUnitOfWork, caller: Caller, node_id: str, edit: NodeEdit, now: datetime) -> Node:
    """改名 (and a room's area or use)."""
    return await change_node(uow, caller, node_id, edit, None, now)


async def move_node(uow: ConsoleUnitOfWork, caller: Caller, node_id: str, parent_id: str, now: datetime) -> Node:
    """移动: the node and its subtree under another parent."""
    return await change_node(uow, caller, node_id, NodeEdit(), parent_id, now)


async def _edit(uow: ConsoleUnitOfWork, caller: Caller, node: Node, after: Node, now: datetime) -> list:
    await uow.tree.update_nodes([after])
    await uow.audit.record(entry_for(caller, "node.update", "node", node.node_id, node.path,
                                     before=node_audit(node), after=node_audit(after)))
    events = [node_changed(after, "renamed" if after.name != node.name else "updated", now)]
    if after.area_m2 != node.area_m2:   # the other services keep a meter's room area
        events += await _placements_under(uow, after.path, now)
    return events


async def _move(uow: ConsoleUnitOfWork, caller: Caller, node: Node, parent_id: str,
                now: datetime) -> tuple[Node, list]:
    parent = await node_for(uow, caller.scope, parent_id, Permission.SETTINGS)
    check_move(node, parent)
    new_path = parent.child_path(node.node_id)
    await uow.tree.move_subtree(node, parent, new_path)
    moved = await uow.tree.subtree(new_path)
    await uow.audit.record(entry_for(caller, "node.move", "node", node.node_id, new_path,
                                     before=node_audit(node), after=node_audit(moved[0])))
    return moved[0], [node_changed(n, "moved", now) for n in moved] + await _placements_under(uow, new_path, now)


async def _placements_under(uow: ConsoleUnitOfWork, path: str, now: datetime) -> list:
    meters = await uow.tree.meters_under(path)
    rooms = await uow.tree.room_places({m.room_id for m in meters})
    return [meter_placed(m, rooms[m.room_id], now) for m in meters if m.room_id in rooms]


@dataclass(frozen=True)
class PlaceMeter:
    meter_id: str
    room_id: str
    kind: str = "electricity"
    gateway_id: str = ""


async def place_meter(uow: ConsoleUnitOfWork, caller: Caller, cmd: PlaceMeter, now: datetime) -> MeterPlacement:
    """表计安装: put a meter in a room (or move it to another room of the same property).

    The room must be the caller's to set up; a meter already placed must be too (else NotFound). A meter
    of an account stays in its account's property.
    """
    check_id(cmd.meter_id, "表号", "meter id")
    if cmd.gateway_id:
        check_id(cmd.gateway_id, "网关编号", "gateway id")
    async with uow:
        room = await node_for(uow, caller.scope, cmd.room_id, Permission.SETTINGS)
        if room.kind != NodeKind.ROOM:
            raise InvalidRequest(f"表计只能安装在房间: {room.node_id}", f"meters are placed in rooms: {room.node_id}")
        before = await _placed_meter(uow, caller.scope, cmd.meter_id, room)
        meter = MeterPlacement(cmd.meter_id, room.node_id, room.property_id or "", room.path,
                               parse_meter_kind(cmd.kind), cmd.gateway_id or (before.gateway_id if before else ""))
        if meter == before:
            return meter
        await uow.tree.place_meters([meter])
        if meter.gateway_id:
            site = (await uow.tree.nodes_by_id([meter.property_id]))[meter.property_id]
            await uow.tree.place_gateways([GatewayPlace(meter.gateway_id, site.node_id, site.path)])
        place: RoomPlace = (await uow.tree.room_places([room.node_id]))[room.node_id]
        await uow.audit.record(entry_for(caller, "meter.place", "meter", meter.meter_id, meter.path,
                                         before=_meter_audit(before), after=_meter_audit(meter)))
        await uow.publish(meter_placed(meter, place, now))
        await uow.commit()
    return meter


async def _placed_meter(uow: ConsoleUnitOfWork, scope: Scope, meter_id: str, room: Node) -> MeterPlacement | None:
    existing = (await uow.tree.meter_placements_by_id([meter_id])).get(meter_id)
    if existing is None:
        return None
    if not scope.allows(Permission.SETTINGS, existing.path):
        raise not_found("表计", "meter", meter_id)
    in_account = (await uow.tree.accounts_of_meters([meter_id])).get(meter_id)
    if in_account and existing.property_id != room.property_id:
        raise Conflict(f"表计属于账户{in_account}, 不能移到其他项目",
                       f"meter {meter_id} belongs to account {in_account}; it stays in its property")
    return existing


def _meter_audit(meter: MeterPlacement | None) -> dict | None:
    if meter is None:
        return None
    return {"room_id": meter.room_id, "property_id": meter.property_id, "path": meter.path, "kind": str(meter.kind),
            "gateway_id": meter.gateway_id}

"""Nodes of the org tree: scoped reads, pages, writes, and moving a subtree (every path under it)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import Row, String, cast, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.console import models
from services.console.domain.errors import InvalidRequest
from services.console.domain.scope import Permission, Scope
from services.console.domain.tree import Node, NodeKind, RoomUse
from services.console.ltree import within
from services.kit.paging import InvalidPage, Page, decode_cursor, page_of

N = models.nodes
_PATH = re.compile(r"^[A-Za-z0-9_]{1,255}(\.[A-Za-z0-9_]{1,255}){0,63}$")
# Every table holding a tree path: a moved subtree takes all of their rows under it along.
# (audit_log is append-only: its entries keep the path the target had when they were written.)
PATH_TABLES = ("nodes", "tenants", "leases", "meters", "accounts", "meter_days", "gateways", "commands",
               "money_movements", "plans", "batches")
_REBASE = ("UPDATE {table} SET path = CASE WHEN nlevel(path) = :depth THEN text2ltree(:new)"
           " ELSE text2ltree(:new) || subpath(path, :depth) END"
           " WHERE path <@ text2ltree(:old)")


def node_of(row: Row) -> Node:
    return Node(node_id=row.node_id, kind=NodeKind(row.kind), name=row.name, parent_id=row.parent_id,
                path=row.path, property_id=row.property_id, area_m2=row.area_m2,
                room_use=RoomUse(row.room_use) if row.room_use else None)


def node_values(node: Node) -> dict:
    return {"node_id": node.node_id, "kind": str(node.kind), "name": node.name, "parent_id": node.parent_id,
            "path": node.path, "property_id": node.property_id, "area_m2": node.area_m2,
            "room_use": str(node.room_use) if node.room_use else None}


def cursor_key(cursor: str, *types: type) -> tuple | None:
    """The sort key a list's cursor carries ("" = from the start); a forged one is the caller's mistake."""
    if not cursor:
        return None
    try:
        return decode_cursor(cursor, *types)
    except InvalidPage:
        raise InvalidRequest("无效的分页游标", "invalid page cursor") from None


class NodeQueries:
    session: AsyncSession

    async def node(self, scope: Scope, permission: Permission, node_id: str) -> Node | None:
        """The node if it lies in the caller's scope for the permission, else None (absent or not his)."""
        row = (await self.session.execute(
            select(N).where(N.c.node_id == node_id, within(N.c.path, scope.paths(permission))))).first()
        return node_of(row) if row else None

    async def nodes_by_id(self, node_ids: Iterable[str]) -> dict[str, Node]:
        """Unscoped: the import checks ids against the whole group (ids are unique group-wide)."""
        ids = sorted(set(node_ids))
        if not ids:
            return {}
        rows = (await self.session.execute(select(N).where(N.c.node_id.in_(ids)))).all()
        return {row.node_id: node_of(row) for row in rows}

    async def roots(self) -> list[Node]:
        rows = (await self.session.execute(select(N).where(N.c.parent_id.is_(None)))).all()
        return [node_of(row) for row in rows]

    async def node_page(self, scope: Scope, permission: Permission, limit: int, cursor: str = "",
                        parent_id: str | None = None, kind: NodeKind | None = None) -> Page[Node]:
        """Nodes in scope in tree order (a parent before its children), optionally one parent's or one kind."""
        query = select(N).where(within(N.c.path, scope.paths(permission)))
        if parent_id is not None:
            query = query.where(N.c.parent_id == parent_id)
        if kind is not None:
            query = query.where(N.c.kind == str(kind))
        after = cursor_key(cursor, str)
        if after is not None:
            if not _PATH.match(after[0]):   # only paths we handed out; anything else would not parse as ltree
                raise InvalidRequest("无效的分页游标", "invalid page cursor")
            query = query.where(N.c.path > func.text2ltree(cast(after[0], String)))
        rows = (await self.session.execute(query.order_by(N.c.path).limit(limit + 1))).all()
        return page_of(rows, limit, node_of, lambda row: (row.path,))

    async def subtree(self, path: str) -> list[Node]:
        """Every node at or under the path, parents first (unscoped: the caller checked the top)."""
        rows = (await self.session.execute(select(N).where(within(N.c.path, [path])).order_by(N.c.path))).all()
        return [node_of(row) for row in rows]

    async def add_nodes(self, nodes: list[Node]) -> None:
        """Insert nodes, parents before children."""
        if nodes:
            await self.session.execute(insert(N), [node_values(n) for n in nodes])

    async def update_nodes(self, nodes: list[Node]) -> None:
        """Write the names, areas and uses of existing nodes (their place is changed by move_subtree)."""
        for node in nodes:
            await self.session.execute(update(N).where(N.c.node_id == node.node_id).values(
                name=node.name, area_m2=node.area_m2, room_use=str(node.room_use) if node.room_use else None,
                updated_at=func.now()))

    async def move_subtree(self, node: Node, parent: Node, new_path: str) -> None:
        """Hang the node under the parent: it and everything under it, in every table, take the new path."""
        await self.session.execute(update(N).where(N.c.node_id == node.node_id).values(
            parent_id=parent.node_id, updated_at=func.now()))
        depth = node.path.count(".") + 1
        for table in PATH_TABLES:
            await self.session.execute(text(_REBASE.format(table=table)),
                                       {"depth": depth, "new": new_path, "old": node.path})

    async def lock_tree(self) -> None:
        """One tree change at a time (moves and imports rewrite many paths; they must not interleave)."""
        await self.session.execute(text("SELECT pg_advisory_xact_lock(hashtext('console.tree'))"))

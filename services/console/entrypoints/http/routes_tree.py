"""The org tree: GET /api/v1/nodes (in scope, tree order; filters parent_id, kind), GET /api/v1/nodes/{node_id},
POST /api/v1/nodes (create under a parent), PATCH /api/v1/nodes/{node_id} (rename; parent_id moves it).

Rooms with their live state are /api/v1/rooms (routes_rooms.py); this is the tree's own side.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from services.console.domain.scope import Caller, Permission
from services.console.domain.tree import NodeKind
from services.console.domain.tree_changes import NewNode, NodeEdit
from services.console.entrypoints.http.deps import AppDeps, app_deps, require
from services.console.entrypoints.http.tree_schemas import NodeCreate, NodeKindIn, NodeOut, NodePage, NodePatch
from services.console.service import tree

router = APIRouter(prefix="/api/v1", tags=["tree"])
NodeId = Annotated[str, Path(min_length=1, max_length=64)]
Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[str, Query(max_length=500)]


@router.get("/nodes", response_model=NodePage)
async def list_nodes(parent_id: Annotated[str | None, Query(max_length=64)] = None,
                     kind: Annotated[NodeKindIn | None, Query()] = None, limit: Limit = 50, cursor: Cursor = "",
                     caller: Caller = Depends(require(Permission.VIEW)),
                     deps: AppDeps = Depends(app_deps)) -> NodePage:
    """组织架构: the nodes in the caller's scope, parents before children."""
    page = await tree.list_nodes(deps.new_uow(), caller.scope, limit, cursor, parent_id,
                                 NodeKind(kind) if kind else None)
    return NodePage(items=[NodeOut.of(n) for n in page.items], next=page.next_cursor)


@router.get("/nodes/{node_id}", response_model=NodeOut)
async def get_node(node_id: NodeId, caller: Caller = Depends(require(Permission.VIEW)),
                   deps: AppDeps = Depends(app_deps)) -> NodeOut:
    return NodeOut.of(await tree.get_node(deps.new_uow(), caller.scope, node_id))


@router.post("/nodes", response_model=NodeOut, status_code=201)
async def create_node(body: NodeCreate, caller: Caller = Depends(require(Permission.SETTINGS)),
                      deps: AppDeps = Depends(app_deps)) -> NodeOut:
    """新建节点 under a parent the caller may set up (rooms need area_m2 and room_use)."""
    new = NewNode(body.node_id, NodeKind(body.kind), body.name, body.area_m2, body.room_use)
    return NodeOut.of(await tree.create_node(deps.new_uow(), caller, body.parent_id, new, deps.clock.now()))


@router.patch("/nodes/{node_id}", response_model=NodeOut)
async def change_node(node_id: NodeId, body: NodePatch, caller: Caller = Depends(require(Permission.SETTINGS)),
                      deps: AppDeps = Depends(app_deps)) -> NodeOut:
    """改名 (rooms: area, use) and/or 移动 (parent_id: both ends must be the caller's to set up)."""
    edit = NodeEdit(body.name, body.area_m2, body.room_use)
    return NodeOut.of(await tree.change_node(deps.new_uow(), caller, node_id, edit, body.parent_id,
                                             deps.clock.now()))

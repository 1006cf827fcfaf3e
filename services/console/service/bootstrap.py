"""What a console needs before its first request: the built-in roles, the group's root node, and (when
configured) a first HQ admin, who creates everyone else through the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.console.domain.registry import node_changed
from services.console.domain.tree import Node, NodeKind, path_label
from services.console.service.operators import ensure_operator, install_built_in_roles
from services.console.unit_of_work import ConsoleUnitOfWork
from services.kit.clock import Clock

GROUP_ID = "G"


async def prepare(new_uow: Callable[[], ConsoleUnitOfWork], settings: Any, clock: Clock) -> None:
    """Idempotent: a restart changes nothing."""
    await install_built_in_roles(new_uow)
    async with new_uow() as uow:
        if not await uow.tree.roots():
            root = Node(GROUP_ID, NodeKind.GROUP, settings.group_name, None, path_label(GROUP_ID), None)
            await uow.tree.add_nodes([root])
            await uow.publish(node_changed(root, "created", clock.now()))
        if settings.bootstrap_admin_username and settings.bootstrap_admin_password:
            root_id = (await uow.tree.roots())[0].node_id
            await ensure_operator(uow, settings.bootstrap_admin_username, "集团管理员 HQ admin",
                                  settings.bootstrap_admin_password, [("hq_admin", root_id)])
        await uow.commit()

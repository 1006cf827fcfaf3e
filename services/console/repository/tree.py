"""The registry side of console: the org tree, tenants and leases, and where meters and accounts sit.

Every read an operator (or tenant) makes goes through a scoped method taking the caller's Scope and the
Permission the action needs; out of scope comes back as None, like absent. The unscoped `*_by_id`
methods serve the import's checks (ids are unique group-wide) and never reach a caller as such.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.console.domain.placements import GatewayPlace
from services.console.repository.tree_nodes import NodeQueries
from services.console.repository.tree_people import PeopleQueries
from services.console.repository.tree_placements import PlacementQueries

__all__ = ["GatewayPlace", "TreeRepository"]


class TreeRepository(NodeQueries, PeopleQueries, PlacementQueries):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

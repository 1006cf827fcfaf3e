"""Who an operator is right now: his record and grants, reread per request (briefly cached)."""

from __future__ import annotations

from typing import Any

from services.console.domain.operators import Operator


async def load_principal(deps: Any, operator_id: str) -> Operator | None:
    """The operator and his grants as of now (or of at most scope_cache_s ago)."""
    hit, operator = deps.identity.cached_principal(operator_id)
    if hit:
        return operator
    async with deps.new_uow() as uow:
        operator = await uow.operators.principal(operator_id)
    deps.identity.remember_principal(operator_id, operator)
    return operator

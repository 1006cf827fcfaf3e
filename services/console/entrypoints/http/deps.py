"""What every route depends on: the app's wiring and the authenticated caller.

Routes never filter by scope themselves: they pass `caller.scope` to the repositories (through the
use cases), and an object outside it comes back as NotFound, exactly like an absent one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from services.console.domain.scope import Caller, Permission
from services.console.ports import Ports
from services.console.unit_of_work import ConsoleUnitOfWork
from services.kit.clock import Clock


@dataclass
class AppDeps:
    new_uow: Callable[[], ConsoleUnitOfWork]
    ports: Ports
    clock: Clock
    identity: Any          # services.console.identity.Identity (sessions, tokens, throttling, codes)
    settings: Any          # ConsoleSettings


def app_deps(request: Request) -> AppDeps:
    return request.app.state.deps


async def current_caller(request: Request) -> Caller:
    """The operator or tenant behind the request (session cookie, Bearer session token or API token).

    Raises Unauthenticated (401) without valid credentials, and Forbidden (403) for a cookie-authenticated
    unsafe request whose X-CSRF-Token header does not match the session's token. Implemented by
    services/console/identity (authenticate_request); kept here so routes import one name.
    """
    from services.console.identity.requests import authenticate_request

    return await authenticate_request(request, app_deps(request))


def require(permission: Permission) -> Callable[..., Any]:
    """Dependency: an operator holding `permission` somewhere (which objects: the scoped repository says)."""
    from fastapi import Depends

    from services.console.domain.errors import NotFound

    async def dependency(caller: Caller = Depends(current_caller)) -> Caller:
        if caller.kind != "operator" or not caller.scope.paths(permission):
            # Nothing of this kind is reachable for the caller: answered like an absent route object.
            raise NotFound("无此功能或对象 not available", "not found")
        return caller

    return dependency

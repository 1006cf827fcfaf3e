"""The request -> Caller step every route goes through (deps.current_caller).

Credentials, in order: `Authorization: Bearer mpt_...` (a personal API token), `Authorization:
Bearer <session token>`, the `mp_session` cookie (then unsafe methods need the CSRF header). An
operator's scope is reread from his grants (briefly cached); a disabled or deleted operator is out.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from services.console.domain.errors import Unauthenticated
from services.console.domain.scope import Caller, Scope
from services.console.identity.csrf import CSRF_HEADER, SESSION_COOKIE, check_csrf
from services.console.identity.principals import load_principal
from services.console.identity.sessions import SessionData
from services.console.identity.tokens import is_api_token, token_hash


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def _bearer(request: Request) -> str:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _unauthenticated() -> Unauthenticated:
    return Unauthenticated("未登录或登录已过期, 请重新登录", "not logged in or the session expired; log in again")


async def authenticate_request(request: Request, deps: Any) -> Caller:
    """The operator or tenant behind the request; Unauthenticated (401) or Forbidden (403 "csrf")."""
    known = getattr(request.state, "caller", None)
    if known is not None:
        return known
    where = {"address": client_address(request), "request_id": getattr(request.state, "request_id", "")}
    bearer = _bearer(request)
    if bearer and is_api_token(bearer):
        caller = await _token_caller(deps, bearer, where)
    else:
        token = bearer or request.cookies.get(SESSION_COOKIE, "")
        session = await deps.identity.sessions.get(token) if token else None
        if session is None:
            raise _unauthenticated()
        if not bearer:
            check_csrf(request.method, request.headers.get(CSRF_HEADER), session)
        caller = await _session_caller(deps, session, where)
    request.state.caller = caller
    return caller


async def _session_caller(deps: Any, session: SessionData, where: dict[str, str]) -> Caller:
    if session.kind == "tenant":
        return Caller("tenant", session.subject_id, session.name, Scope(tenant_id=session.subject_id),
                      session_id=session.session_id, extra={"csrf_token": session.csrf_token}, **where)
    operator = await load_principal(deps, session.subject_id)
    if operator is None or operator.disabled:
        await deps.identity.sessions.delete(session)
        raise _unauthenticated()
    return Caller("operator", operator.operator_id, operator.username, operator.scope(),
                  session_id=session.session_id, extra={"csrf_token": session.csrf_token}, **where)


async def _token_caller(deps: Any, token: str, where: dict[str, str]) -> Caller:
    async with deps.new_uow() as uow:
        operator_id = await uow.operators.use_token(token_hash(token), deps.clock.now())
        await uow.commit()
    operator = await load_principal(deps, operator_id) if operator_id else None
    if operator is None or operator.disabled:
        raise _unauthenticated()
    return Caller("operator", operator.operator_id, operator.username, operator.scope(), via="api_token", **where)

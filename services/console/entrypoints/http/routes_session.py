"""Logging in and out: POST/GET/DELETE /api/v1/session, POST /api/v1/session/password, personal API
tokens (/api/v1/tokens), and the tenants' SMS login (/api/v1/tenant-codes, /api/v1/tenant-sessions).

A login answers the token in the body (usable as `Authorization: Bearer`) and sets two cookies:
`mp_session` (HttpOnly) and `mp_csrf` (readable by the page, echoed in X-CSRF-Token).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from services.console.domain.operators import TenantLogin
from services.console.domain.scope import Caller
from services.console.entrypoints.http.deps import AppDeps, app_deps, current_caller
from services.console.entrypoints.http.identity_schemas import (
    LoginIn,
    MeOut,
    OperatorOut,
    PasswordChangeIn,
    SessionOut,
    TenantCodeIn,
    TenantLoginIn,
    TenantOut,
    TenantSessionOut,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
    TokenPage,
)
from services.console.identity.csrf import CSRF_COOKIE, SESSION_COOKIE
from services.console.identity.requests import client_address
from services.console.service import identity
from services.console.service.identity import OperatorSession, Origin

router = APIRouter(prefix="/api/v1", tags=["session"])


def _origin(request: Request) -> Origin:
    return Origin(client_address(request), getattr(request.state, "request_id", ""))


def _set_cookies(response: Response, deps: AppDeps, token: str, csrf_token: str) -> None:
    secure, max_age = deps.settings.cookie_secure, deps.settings.session_absolute_timeout_s
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age, httponly=True, samesite="lax", secure=secure,
                        path="/")
    response.set_cookie(CSRF_COOKIE, csrf_token, max_age=max_age, httponly=False, samesite="lax", secure=secure,
                        path="/")


def _session_out(opened: OperatorSession) -> SessionOut:
    operator = OperatorOut.of(opened.operator)
    return SessionOut(token=opened.token, csrf_token=opened.session.csrf_token, operator=operator,
                      grants=operator.grants)


@router.post("/session", response_model=SessionOut)
async def log_in(body: LoginIn, request: Request, response: Response,
                 deps: AppDeps = Depends(app_deps)) -> SessionOut:
    """登录: username and password; answers the session token and sets the session and CSRF cookies."""
    opened = await identity.login(deps, body.username, body.password, _origin(request))
    _set_cookies(response, deps, opened.token, opened.session.csrf_token)
    return _session_out(opened)


@router.get("/session", response_model=MeOut)
async def who_am_i(caller: Caller = Depends(current_caller), deps: AppDeps = Depends(app_deps)) -> MeOut:
    """The caller: the operator with his grants, or the tenant."""
    csrf_token = caller.extra.get("csrf_token", "")
    who = await identity.me(deps, caller)
    if isinstance(who, TenantLogin):
        return MeOut(kind="tenant", via=caller.via, csrf_token=csrf_token, tenant=TenantOut.of(who))
    out = OperatorOut.of(who)
    return MeOut(kind="operator", via=caller.via, csrf_token=csrf_token, operator=out, grants=out.grants)


@router.delete("/session", status_code=204)
async def log_out(caller: Caller = Depends(current_caller), deps: AppDeps = Depends(app_deps)) -> Response:
    """退出: ends this session and clears its cookies."""
    await identity.logout(deps, caller)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.post("/session/password", response_model=SessionOut)
async def change_password(body: PasswordChangeIn, response: Response, caller: Caller = Depends(current_caller),
                          deps: AppDeps = Depends(app_deps)) -> SessionOut:
    """修改密码: every session of the operator ends (on every device); this client gets a new one."""
    opened = await identity.change_password(deps, caller, body.old_password, body.new_password)
    _set_cookies(response, deps, opened.token, opened.session.csrf_token)
    return _session_out(opened)


@router.get("/tokens", response_model=TokenPage)
async def list_tokens(limit: int = Query(50, ge=1, le=500), cursor: str = Query("", max_length=500),
                      caller: Caller = Depends(current_caller), deps: AppDeps = Depends(app_deps)) -> TokenPage:
    """The caller's personal API tokens (without their secrets)."""
    page = await identity.list_tokens(deps, caller, limit, cursor)
    return TokenPage(items=[TokenOut.of(t) for t in page.items], next=page.next_cursor)


@router.post("/tokens", response_model=TokenCreatedOut, status_code=201)
async def create_token(body: TokenIn, caller: Caller = Depends(current_caller),
                       deps: AppDeps = Depends(app_deps)) -> TokenCreatedOut:
    """A personal API token for integrators, with the caller's scope: `Authorization: Bearer mpt_...`.
    The token is in this answer only."""
    token, secret = await identity.create_token(deps, caller, body.name)
    return TokenCreatedOut(**TokenOut.of(token).model_dump(), token=secret)


@router.delete("/tokens/{token_id}", response_model=TokenOut)
async def revoke_token(token_id: str = Path(max_length=64), caller: Caller = Depends(current_caller),
                       deps: AppDeps = Depends(app_deps)) -> TokenOut:
    """Revoke one of the caller's tokens; it stops working at once."""
    return TokenOut.of(await identity.revoke_token(deps, caller, token_id))


@router.post("/tenant-codes", status_code=202)
async def send_tenant_code(body: TenantCodeIn, request: Request, deps: AppDeps = Depends(app_deps)) -> dict:
    """租户登录验证码: texts a one-time code if the phone is a tenant's (the answer is the same either way)."""
    await identity.request_tenant_code(deps, body.phone, _origin(request))
    return {"accepted": True}


@router.post("/tenant-sessions", response_model=TenantSessionOut)
async def tenant_log_in(body: TenantLoginIn, request: Request, response: Response,
                        deps: AppDeps = Depends(app_deps)) -> TenantSessionOut:
    """租户登录: phone and the code texted to it; answers a session like the operators' login."""
    opened = await identity.tenant_login(deps, body.phone, body.code, _origin(request))
    _set_cookies(response, deps, opened.token, opened.session.csrf_token)
    return TenantSessionOut(token=opened.token, csrf_token=opened.session.csrf_token,
                            tenant=TenantOut.of(opened.tenant))


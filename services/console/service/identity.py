"""Logging in and out (登录/退出): operators by username and password, tenants by phone and SMS code;
password changes (which end every session of the operator) and personal API tokens.

Every attempt is written to the audit log, failures included, each in its own transaction so that
the refusal does not roll its line back. An operator's lines are filed at his first grant's path.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from services.console.domain.errors import InvalidRequest, NotFound, Throttled, Unauthenticated
from services.console.domain.operators import ApiToken, Operator, TenantLogin, check_label, check_password
from services.console.domain.people import check_phone
from services.console.domain.scope import Caller
from services.console.identity.passwords import hash_password, needs_rehash, verify_password
from services.console.identity.principals import load_principal
from services.console.identity.sessions import SessionData
from services.console.identity.tokens import new_api_token, token_hash
from services.console.repository.audit import AuditEntry
from services.console.service.audit import entry_for
from services.kit.logging import get_logger
from services.kit.paging import Page

log = get_logger(__name__)
MAX_USERNAME = 64


@dataclass(frozen=True)
class Origin:
    """Where an unauthenticated request came from (for throttling and the log)."""

    address: str
    request_id: str


@dataclass(frozen=True)
class OperatorSession:
    token: str
    session: SessionData
    operator: Operator


@dataclass(frozen=True)
class TenantSession:
    token: str
    session: SessionData
    tenant: TenantLogin


def _bad_credentials() -> Unauthenticated:
    return Unauthenticated("用户名或密码错误", "wrong username or password", code="bad_credentials")


async def _audit(deps: Any, entry: AuditEntry) -> None:
    async with deps.new_uow() as uow:
        await uow.audit.record(entry)
        await uow.commit()


def _anonymous(origin: Origin, actor: str, action: str, outcome: str, path: str | None = None,
               target_kind: str = "operator", target_id: str = "", detail: str = "") -> AuditEntry:
    return AuditEntry(actor_kind="anonymous", actor=actor[:100], address=origin.address, action=action,
                      target_kind=target_kind, target_id=target_id, path=path, request_id=origin.request_id,
                      outcome=outcome, detail=detail)


async def login(deps: Any, username: str, password: str, origin: Origin) -> OperatorSession:
    """登录: check the password (throttled per username and address) and open a session."""
    username = (username or "").replace("\x00", "").strip().lower()[:MAX_USERNAME]   # NUL: no SQL text
    throttle = deps.identity.login_throttle
    try:
        await throttle.check(username, origin.address)
    except Throttled:
        await _audit(deps, _anonymous(origin, username, "session.login", "denied", detail="throttled"))
        raise
    async with deps.new_uow() as uow:
        record = await uow.operators.login_record(username=username)
        operator = await uow.operators.principal(record.operator_id) if record else None
    matches = await verify_password(record.password_hash if record else None, password or "")
    if record is None or operator is None or not matches or record.disabled:
        await throttle.count(username, origin.address)
        detail = "disabled" if matches and record is not None else "wrong username or password"
        path = operator.first_path if operator else None
        await _audit(deps, _anonymous(origin, username, "session.login", "failed", path,
                                      target_id=record.operator_id if record else "", detail=detail))
        raise _bad_credentials()
    await throttle.reset(username)
    if needs_rehash(record.password_hash):
        await _store_password(deps, operator.operator_id, password)
    return await _open_operator_session(deps, operator, origin, "session.login")


async def _open_operator_session(deps: Any, operator: Operator, origin: Origin, action: str) -> OperatorSession:
    token, session = await deps.identity.sessions.create("operator", operator.operator_id, operator.username)
    await _audit(deps, AuditEntry(actor_kind="operator", actor=operator.username, address=origin.address,
                                  action=action, target_kind="operator", target_id=operator.operator_id,
                                  path=operator.first_path, request_id=origin.request_id, outcome="ok"))
    return OperatorSession(token, session, operator)


async def _store_password(deps: Any, operator_id: str, password: str) -> None:
    password_hash = await hash_password(password)
    async with deps.new_uow() as uow:
        await uow.operators.update(operator_id, password_hash=password_hash, password_changed_at=deps.clock.now())
        await uow.commit()


async def me(deps: Any, caller: Caller) -> Operator | TenantLogin:
    """The operator (with his grants) or the tenant behind the request."""
    if caller.kind == "tenant":
        async with deps.new_uow() as uow:
            tenant = await uow.operators.tenant(caller.subject_id)
        if tenant is None:
            raise NotFound("租户不存在", "no such tenant")
        return tenant
    operator = await load_principal(deps, caller.subject_id)
    if operator is None:
        raise NotFound("操作员不存在", "no such operator")
    return operator


async def logout(deps: Any, caller: Caller) -> None:
    """退出: end the session the request came with (API tokens are revoked separately)."""
    if caller.session_id:
        await deps.identity.sessions.delete(SessionData(caller.session_id, caller.kind, caller.subject_id,
                                                        caller.name, "", 0.0))
    path = _first_path(caller)
    await _audit(deps, entry_for(caller, "session.logout", caller.kind, caller.subject_id, path))


def _first_path(caller: Caller) -> str | None:
    return caller.scope.grants[0].path if caller.scope.grants else None


def _operator_only(caller: Caller) -> None:
    if caller.kind != "operator":
        raise NotFound("无此功能 not available", "not found")


async def change_password(deps: Any, caller: Caller, old_password: str, new_password: str) -> OperatorSession:
    """修改密码: with the old password; every session of the operator ends (this one too), and the caller
    gets a fresh session. Wrong old passwords count against the login throttle."""
    _operator_only(caller)
    check_password(new_password)
    throttle = deps.identity.login_throttle
    await throttle.check(caller.name, caller.address)
    async with deps.new_uow() as uow:
        record = await uow.operators.login_record(operator_id=caller.subject_id)
    if record is None or not await verify_password(record.password_hash, old_password or ""):
        await throttle.count(caller.name, caller.address)
        await _audit(deps, entry_for(caller, "operator.password_change", "operator", caller.subject_id,
                                     _first_path(caller), "failed", detail="wrong old password"))
        raise InvalidRequest("原密码错误", "the old password is wrong", code="wrong_password")
    password_hash = await hash_password(new_password)
    async with deps.new_uow() as uow:
        await uow.operators.update(caller.subject_id, password_hash=password_hash,
                                   password_changed_at=deps.clock.now())
        await uow.audit.record(entry_for(caller, "operator.password_change", "operator", caller.subject_id,
                                         _first_path(caller)))
        await uow.commit()
        operator = await uow.operators.principal(caller.subject_id)
    await deps.identity.sessions.revoke_all("operator", caller.subject_id)
    deps.identity.forget_principal(caller.subject_id)
    assert operator is not None
    return await _open_operator_session(deps, operator, Origin(caller.address, caller.request_id),
                                        "session.renew")


async def create_token(deps: Any, caller: Caller, name: str) -> tuple[ApiToken, str]:
    """A personal API token (same scope as its operator); the secret is returned once, stored hashed."""
    _operator_only(caller)
    name = check_label(name, "令牌名称", "a token name")
    secret = new_api_token()
    async with deps.new_uow() as uow:
        token = await uow.operators.add_token(f"tok-{uuid.uuid4().hex[:16]}", caller.subject_id, name,
                                              token_hash(secret))
        await uow.audit.record(entry_for(caller, "token.create", "token", token.token_id, _first_path(caller),
                                         after={"name": name}))
        await uow.commit()
    return token, secret


async def list_tokens(deps: Any, caller: Caller, limit: int, cursor: str = "") -> Page[ApiToken]:
    """The caller's own API tokens (never their secrets)."""
    _operator_only(caller)
    async with deps.new_uow() as uow:
        return await uow.operators.tokens_of(caller.subject_id, limit, cursor)


async def revoke_token(deps: Any, caller: Caller, token_id: str) -> ApiToken:
    """Revoke one of the caller's own tokens; it stops working at once."""
    _operator_only(caller)
    async with deps.new_uow() as uow:
        token = await uow.operators.revoke_token(caller.subject_id, token_id, deps.clock.now())
        if token is None:
            raise NotFound(f"令牌不存在: {token_id}", f"no such token: {token_id}")
        await uow.audit.record(entry_for(caller, "token.revoke", "token", token_id, _first_path(caller),
                                         before={"name": token.name}))
        await uow.commit()
    return token


async def request_tenant_code(deps: Any, phone: str, origin: Origin) -> None:
    """发送验证码: if a tenant has this phone, text them a one-time code. The answer is the same either
    way (no telling who is a tenant); requests are throttled per phone and address."""
    phone = check_phone(phone)
    if not phone:
        raise InvalidRequest("请填写手机号", "a phone number is required")
    throttle = deps.identity.code_throttle
    await throttle.check(phone, origin.address)
    await throttle.count(phone, origin.address)
    async with deps.new_uow() as uow:
        tenant = await uow.operators.tenant_for_phone(phone)
    if tenant is None:
        await _audit(deps, _anonymous(origin, "", "tenant.code_request", "failed", target_kind="tenant",
                                      detail="no tenant with this phone"))
        return
    code = await deps.identity.codes.issue(phone, tenant.tenant_id)
    outcome, detail = "ok", ""
    try:
        await deps.ports.sms.send_login_code(phone, code)
    except Exception as error:  # the provider refused or was unreachable: the tenant simply asks again
        outcome, detail = "failed", str(error)[:300]
        log.warning("tenant_code_not_sent", tenant_id=tenant.tenant_id, error=detail)
    await _audit(deps, _anonymous(origin, tenant.tenant_id, "tenant.code_request", outcome, tenant.path,
                                  target_kind="tenant", target_id=tenant.tenant_id, detail=detail))


async def tenant_login(deps: Any, phone: str, code: str, origin: Origin) -> TenantSession:
    """租户登录: phone and the code just texted (a few tries, then a new code is needed)."""
    phone = check_phone(phone)
    throttle = deps.identity.login_throttle
    await throttle.check(phone, origin.address)
    check = await deps.identity.codes.verify(phone, code)
    async with deps.new_uow() as uow:
        tenant = await uow.operators.tenant_for_phone(phone) if check.tenant_id else None
    if tenant is None or tenant.tenant_id != check.tenant_id:
        await throttle.count(phone, origin.address)
        await _audit(deps, _anonymous(origin, check.tenant_id or "", "tenant.login", "failed", target_kind="tenant",
                                      detail="code exhausted" if check.exhausted else "wrong or expired code"))
        raise Unauthenticated("验证码错误或已过期", "wrong or expired code", code="bad_code")
    await throttle.reset(phone)
    token, session = await deps.identity.sessions.create("tenant", tenant.tenant_id, phone)
    await _audit(deps, AuditEntry(actor_kind="tenant", actor=tenant.tenant_id, address=origin.address,
                                  action="tenant.login", target_kind="tenant", target_id=tenant.tenant_id,
                                  path=tenant.path, request_id=origin.request_id, outcome="ok"))
    return TenantSession(token, session, tenant)

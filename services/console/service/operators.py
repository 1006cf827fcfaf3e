"""Operators and grants (操作员与授权): create, disable, reset a password, grant a role at a node, revoke.

Who may do it follows the scope (domain/operators.py): the target operator must be visible (else 404),
changing him needs OPERATORS over all of his grants, and a grant never reaches beyond the granter.
Every change is audited with before/after. Sessions of an operator who is disabled or whose password
is reset end at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from services.console.domain.errors import Conflict, Forbidden, InvalidRequest, not_found
from services.console.domain.operators import (
    GrantRecord,
    Operator,
    check_label,
    check_password,
    check_username,
    may_grant,
    may_manage,
)
from services.console.domain.scope import BUILT_IN_ROLES, Caller, Permission, Role
from services.console.identity.passwords import hash_password
from services.console.service.audit import entry_for
from services.console.unit_of_work import ConsoleUnitOfWork
from services.kit.paging import Page


@dataclass(frozen=True)
class NewOperator:
    username: str
    display_name: str
    password: str
    grants: tuple[tuple[str, str], ...]     # (role_id, node_id)


@dataclass(frozen=True)
class OperatorChange:
    display_name: str | None = None
    disabled: bool | None = None
    password: str | None = None


def _summary(operator: Operator) -> dict[str, Any]:
    return {"username": operator.username, "display_name": operator.display_name, "disabled": operator.disabled,
            "grants": [f"{g.role_id}@{g.node_id}" for g in operator.grants]}


def _paths(caller: Caller) -> tuple[str, ...]:
    return caller.scope.paths(Permission.OPERATORS) if caller.kind == "operator" else ()


async def ensure_built_in_roles(uow: ConsoleUnitOfWork) -> None:
    """Write the built-in roles (inside an open unit of work; the caller commits)."""
    for role in BUILT_IN_ROLES:
        await uow.operators.upsert_role(role)


async def install_built_in_roles(new_uow: Any) -> None:
    """At start-up: the built-in roles exist (and carry today's permissions)."""
    async with new_uow() as uow:
        await ensure_built_in_roles(uow)
        await uow.commit()


async def ensure_operator(uow: ConsoleUnitOfWork, username: str, display_name: str, password: str,
                          grants: Iterable[tuple[str, str]] = ()) -> str:
    """Demo seeding: the operator exists with at least these (role_id, node_id) grants; a re-run changes
    nothing (an existing operator keeps his password). Inside an open unit of work; the caller commits."""
    username = check_username(username)
    await ensure_built_in_roles(uow)
    record = await uow.operators.login_record(username=username)
    if record is None:
        operator_id = f"op-{uuid.uuid4().hex[:12]}"
        await uow.operators.add(operator_id, username, check_label(display_name),
                                await hash_password(check_password(password)))
    else:
        operator_id = record.operator_id
    for role_id, node_id in grants:
        await uow.operators.add_grant(f"gr-{uuid.uuid4().hex[:12]}", operator_id, role_id, node_id)
    return operator_id


async def list_roles(deps: Any) -> list[Role]:
    async with deps.new_uow() as uow:
        return await uow.operators.roles()


async def list_operators(deps: Any, caller: Caller, limit: int, cursor: str = "") -> Page[Operator]:
    """Operators with a grant inside the caller's OPERATORS scope."""
    async with deps.new_uow() as uow:
        return await uow.operators.list(_paths(caller), limit, cursor)


async def get_operator(deps: Any, caller: Caller, operator_id: str) -> Operator:
    async with deps.new_uow() as uow:
        return await _visible(uow, caller, operator_id)


async def _visible(uow: ConsoleUnitOfWork, caller: Caller, operator_id: str) -> Operator:
    operator = await uow.operators.get(_paths(caller), operator_id)
    if operator is None:
        raise not_found("操作员", "operator", operator_id)
    return operator


async def _check_grant(uow: ConsoleUnitOfWork, caller: Caller, role_id: str, node_id: str) -> None:
    role = await uow.operators.role(role_id)
    if role is None:
        raise InvalidRequest(f"角色不存在: {role_id}", f"no such role: {role_id}")
    place = await uow.operators.node_place(node_id)
    seen = place is not None and any(caller.scope.allows(p, place.path) for p in caller.scope.permissions())
    if place is None or not seen:
        raise not_found("节点", "node", node_id)
    if not may_grant(caller.scope, role, place):
        raise Forbidden(f"不能在超出自己权限的范围授权: {role_id}@{node_id}",
                        f"cannot grant beyond your own scope: {role_id} at {node_id}")


async def create_operator(deps: Any, caller: Caller, cmd: NewOperator) -> Operator:
    """新建操作员 with his first grants (at least one: an operator nobody's scope reaches is lost)."""
    username, display_name = check_username(cmd.username), check_label(cmd.display_name)
    if not cmd.grants:
        raise InvalidRequest("至少授予一个角色", "give the operator at least one grant")
    password_hash = await hash_password(check_password(cmd.password))
    operator_id = f"op-{uuid.uuid4().hex[:12]}"
    async with deps.new_uow() as uow:
        for role_id, node_id in cmd.grants:
            await _check_grant(uow, caller, role_id, node_id)
        if not await uow.operators.add(operator_id, username, display_name, password_hash):
            raise Conflict(f"用户名已存在: {username}", f"username taken: {username}", code="username_taken")
        for role_id, node_id in dict.fromkeys(cmd.grants):
            await uow.operators.add_grant(f"gr-{uuid.uuid4().hex[:12]}", operator_id, role_id, node_id)
        operator = await uow.operators.principal(operator_id)
        assert operator is not None
        await uow.audit.record(entry_for(caller, "operator.create", "operator", operator_id, operator.first_path,
                                         after=_summary(operator)))
        await uow.commit()
    return operator


async def change_operator(deps: Any, caller: Caller, operator_id: str, change: OperatorChange) -> Operator:
    """Rename, disable / enable, or reset the password of an operator wholly within the caller's scope."""
    password_hash = await hash_password(check_password(change.password)) if change.password is not None else None
    async with deps.new_uow() as uow:
        before = await _visible(uow, caller, operator_id)
        if not may_manage(caller.scope, before):
            raise Forbidden("该操作员有超出您权限范围的授权", "the operator holds grants beyond your scope")
        if change.disabled and operator_id == caller.subject_id:
            raise Conflict("不能停用自己", "you cannot disable yourself")
        values: dict[str, Any] = {}
        if change.display_name is not None:
            values["display_name"] = check_label(change.display_name)
        if change.disabled is not None:
            values["disabled"] = change.disabled
        if password_hash is not None:
            values.update(password_hash=password_hash, password_changed_at=deps.clock.now())
        if values:
            await uow.operators.update(operator_id, **values)
        after = await uow.operators.principal(operator_id)
        assert after is not None
        await uow.audit.record(entry_for(
            caller, "operator.update", "operator", operator_id, before.first_path, before=_summary(before),
            after={**_summary(after), **({"password_reset": True} if password_hash else {})}))
        await uow.commit()
    if change.disabled or password_hash is not None:
        await deps.identity.sessions.revoke_all("operator", operator_id)
    deps.identity.forget_principal(operator_id)
    return after


async def list_grants(deps: Any, caller: Caller, operator_id: str) -> tuple[GrantRecord, ...]:
    async with deps.new_uow() as uow:
        return (await _visible(uow, caller, operator_id)).grants


async def add_grant(deps: Any, caller: Caller, operator_id: str, role_id: str, node_id: str) -> GrantRecord:
    """授权: a role at a node, for a visible operator, within the caller's own scope."""
    grant_id = f"gr-{uuid.uuid4().hex[:12]}"
    async with deps.new_uow() as uow:
        operator = await _visible(uow, caller, operator_id)
        await _check_grant(uow, caller, role_id, node_id)
        if not await uow.operators.add_grant(grant_id, operator_id, role_id, node_id):
            raise Conflict(f"已有该授权: {role_id}@{node_id}", f"the operator already holds {role_id} at {node_id}")
        grant = await uow.operators.grant(_paths(caller), grant_id)
        assert grant is not None
        await uow.audit.record(entry_for(caller, "grant.create", "operator", operator_id, grant.path,
                                         before=_summary(operator), after={"grant_id": grant_id, "role_id": role_id,
                                                                           "node_id": node_id}))
        await uow.commit()
    deps.identity.forget_principal(operator_id)
    return grant


async def revoke_grant(deps: Any, caller: Caller, grant_id: str) -> GrantRecord:
    """撤销授权 at a node within the caller's OPERATORS scope (it applies from the next request)."""
    async with deps.new_uow() as uow:
        grant = await uow.operators.grant(_paths(caller), grant_id)
        if grant is None:
            raise not_found("授权", "grant", grant_id)
        await uow.operators.delete_grant(grant_id)
        await uow.audit.record(entry_for(caller, "grant.revoke", "operator", grant.operator_id, grant.path,
                                         before={"grant_id": grant_id, "role_id": grant.role_id,
                                                 "node_id": grant.node_id}))
        await uow.commit()
    deps.identity.forget_principal(grant.operator_id)
    return grant

"""Operators (操作员), their grants and personal API tokens; tenants as they log in.

A grant gives a role at a tree node (the whole subtree). Who may manage whom follows the scope:
an operator is visible to a viewer holding OPERATORS over at least one of his grants' nodes, may be
changed only by a viewer holding OPERATORS over all of them, and nobody grants beyond his own scope
(the node lies within his OPERATORS paths and he holds every permission of the role there).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from services.console.domain.errors import InvalidRequest
from services.console.domain.scope import GrantView, Permission, Role, Scope

MIN_PASSWORD = 8
MAX_PASSWORD = 128
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


@dataclass(frozen=True)
class GrantRecord:
    grant_id: str
    operator_id: str
    role_id: str
    node_id: str
    path: str
    property_id: str | None
    permissions: frozenset[Permission]
    created_at: datetime | None = None

    def view(self) -> GrantView:
        return GrantView(self.grant_id, self.role_id, self.node_id, self.path, self.permissions)


@dataclass(frozen=True)
class Operator:
    operator_id: str
    username: str
    display_name: str
    disabled: bool
    created_at: datetime | None
    grants: tuple[GrantRecord, ...]

    @property
    def first_path(self) -> str | None:
        """Where his own log lines (logins, password changes) are filed."""
        return self.grants[0].path if self.grants else None

    @property
    def property_id(self) -> str | None:
        return self.grants[0].property_id if self.grants else None

    def scope(self) -> Scope:
        return Scope(grants=tuple(g.view() for g in self.grants))


@dataclass(frozen=True)
class OperatorLogin:
    operator_id: str
    username: str
    password_hash: str
    disabled: bool


@dataclass(frozen=True)
class ApiToken:
    token_id: str
    operator_id: str
    name: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True)
class NodePlace:
    """Where a grant would apply."""

    node_id: str
    path: str
    property_id: str | None


@dataclass(frozen=True)
class TenantLogin:
    tenant_id: str
    name: str
    phone: str
    language: str
    path: str


def check_username(username: str) -> str:
    username = (username or "").strip().lower()
    if not _USERNAME.match(username):
        raise InvalidRequest("用户名为2-64位小写字母、数字、. _ -",
                             "a username is 2-64 lower-case letters, digits, '.', '_' or '-'")
    return username


def check_label(text: str, what_zh: str = "名称", what_en: str = "a name", size: int = 100) -> str:
    """A display name or label: 1-size printable characters (no control characters such as NUL)."""
    text = (text or "").strip()
    if not 1 <= len(text) <= size or any(ord(c) < 32 or c == "\x7f" for c in text):
        raise InvalidRequest(f"{what_zh}应为1-{size}个可打印字符", f"{what_en} is 1-{size} printable characters")
    return text


def check_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password or "") <= MAX_PASSWORD:
        raise InvalidRequest(f"密码长度应为{MIN_PASSWORD}-{MAX_PASSWORD}位",
                             f"a password is {MIN_PASSWORD}-{MAX_PASSWORD} characters", code="weak_password")
    return password


def may_grant(scope: Scope, role: Role, place: NodePlace) -> bool:
    """Granting stays within the granter's scope: OPERATORS at the node and every permission of the role."""
    return scope.allows(Permission.OPERATORS, place.path) and all(scope.allows(p, place.path)
                                                                  for p in role.permissions)


def may_manage(scope: Scope, operator: Operator) -> bool:
    """Changing an operator (disable, reset password) needs OPERATORS over every one of his grants."""
    if not operator.grants:
        return any("." not in p for p in scope.paths(Permission.OPERATORS))
    return all(scope.allows(Permission.OPERATORS, g.path) for g in operator.grants)

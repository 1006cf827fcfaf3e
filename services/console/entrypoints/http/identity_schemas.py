"""Request and answer bodies of the session, token, operator and audit routes (pydantic)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from services.console.domain.operators import ApiToken, GrantRecord, Operator, TenantLogin
from services.console.domain.scope import Role
from services.console.repository.audit import AuditRecord


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=128)


class PasswordChangeIn(BaseModel):
    old_password: str = Field(min_length=1, max_length=128)
    new_password: str = Field(min_length=8, max_length=128)


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)


class TenantCodeIn(BaseModel):
    phone: str = Field(min_length=1, max_length=20)


class TenantLoginIn(BaseModel):
    phone: str = Field(min_length=1, max_length=20)
    code: str = Field(min_length=1, max_length=12)


class GrantIn(BaseModel):
    role_id: str = Field(min_length=1, max_length=64)
    node_id: str = Field(min_length=1, max_length=64)


class OperatorIn(BaseModel):
    username: str = Field(min_length=2, max_length=64)
    display_name: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=8, max_length=128)
    grants: list[GrantIn] = Field(min_length=1, max_length=50)


class OperatorPatchIn(BaseModel):
    display_name: str | None = Field(None, min_length=1, max_length=100)
    disabled: bool | None = None
    password: str | None = Field(None, min_length=8, max_length=128)


class GrantOut(BaseModel):
    grant_id: str
    operator_id: str
    role_id: str
    node_id: str
    property_id: str | None
    permissions: list[str]
    created_at: datetime | None

    @classmethod
    def of(cls, g: GrantRecord) -> GrantOut:
        return cls(grant_id=g.grant_id, operator_id=g.operator_id, role_id=g.role_id, node_id=g.node_id,
                   property_id=g.property_id, permissions=sorted(str(p) for p in g.permissions),
                   created_at=g.created_at)


class OperatorOut(BaseModel):
    operator_id: str
    username: str
    display_name: str
    disabled: bool
    property_id: str | None
    created_at: datetime | None
    grants: list[GrantOut]

    @classmethod
    def of(cls, o: Operator) -> OperatorOut:
        return cls(operator_id=o.operator_id, username=o.username, display_name=o.display_name,
                   disabled=o.disabled, property_id=o.property_id, created_at=o.created_at,
                   grants=[GrantOut.of(g) for g in o.grants])


class TenantOut(BaseModel):
    tenant_id: str
    name: str
    language: str

    @classmethod
    def of(cls, t: TenantLogin) -> TenantOut:
        return cls(tenant_id=t.tenant_id, name=t.name, language=t.language)


class SessionOut(BaseModel):
    """A new operator session: the token also works as `Authorization: Bearer`."""

    token: str
    csrf_token: str
    operator: OperatorOut
    grants: list[GrantOut]


class TenantSessionOut(BaseModel):
    token: str
    csrf_token: str
    tenant: TenantOut


class MeOut(BaseModel):
    kind: str                              # operator / tenant
    via: str                               # session / api_token
    csrf_token: str
    operator: OperatorOut | None = None
    grants: list[GrantOut] = []
    tenant: TenantOut | None = None


class TokenOut(BaseModel):
    token_id: str
    name: str
    property_id: str | None = None
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def of(cls, t: ApiToken) -> TokenOut:
        return cls(token_id=t.token_id, name=t.name, created_at=t.created_at, revoked_at=t.revoked_at,
                   last_used_at=t.last_used_at)


class TokenCreatedOut(TokenOut):
    token: str                             # shown this once; only its hash is kept


class TokenPage(BaseModel):
    items: list[TokenOut]
    next: str


class OperatorPage(BaseModel):
    items: list[OperatorOut]
    next: str


class GrantPage(BaseModel):
    items: list[GrantOut]
    next: str


class RoleOut(BaseModel):
    role_id: str
    name_zh: str
    name_en: str
    permissions: list[str]
    property_id: str | None = None

    @classmethod
    def of(cls, r: Role) -> RoleOut:
        return cls(role_id=r.role_id, name_zh=r.name_zh, name_en=r.name_en,
                   permissions=sorted(str(p) for p in r.permissions))


class RolePage(BaseModel):
    items: list[RoleOut]
    next: str


class AuditOut(BaseModel):
    audit_id: int
    at: datetime
    actor_kind: str
    actor: str
    address: str
    action: str
    target_kind: str
    target_id: str
    property_id: str | None
    request_id: str
    outcome: str
    before: Any = None
    after: Any = None
    detail: str

    @classmethod
    def of(cls, r: AuditRecord) -> AuditOut:
        return cls(audit_id=r.audit_id, at=r.at, actor_kind=r.actor_kind, actor=r.actor, address=r.address,
                   action=r.action, target_kind=r.target_kind, target_id=r.target_id, property_id=r.property_id,
                   request_id=r.request_id, outcome=r.outcome, before=r.before, after=r.after, detail=r.detail)


class AuditPage(BaseModel):
    items: list[AuditOut]
    next: str

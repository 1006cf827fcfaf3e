"""Operators, roles, grants and API tokens; and the tenant lookup a tenant's login needs.

Scoped reads take the viewer's OPERATORS paths: an operator is visible when one of his grants lies
within them (an operator without grants only to a viewer holding OPERATORS at a root).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, func, not_, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.console.domain.operators import (
    ApiToken,
    GrantRecord,
    NodePlace,
    Operator,
    OperatorLogin,
    TenantLogin,
)
from services.console.domain.scope import Permission, Role
from services.console.ltree import within
from services.console.models import api_tokens, grants, nodes, operators, roles, tenants
from services.kit.paging import Page, decode_cursor, page_of

_KNOWN = frozenset(str(p) for p in Permission)   # a role may list a permission this code no longer has
TOKEN_TOUCH_EVERY = timedelta(minutes=1)   # last_used_at is a hint; do not write it on every request

_GRANT_COLUMNS = (grants.c.grant_id, grants.c.operator_id, grants.c.role_id, grants.c.node_id, nodes.c.path,
                  nodes.c.property_id, roles.c.permissions, grants.c.created_at)
_OPERATOR_COLUMNS = (operators.c.operator_id, operators.c.username, operators.c.display_name, operators.c.disabled,
                     operators.c.created_at)


def _grant(row: Any) -> GrantRecord:
    fields = dict(row)
    fields["permissions"] = frozenset(Permission(p) for p in fields["permissions"] if p in _KNOWN)
    return GrantRecord(**fields)


def _role(row: Any) -> Role:
    return Role(row["role_id"], row["name_zh"], row["name_en"],
                frozenset(Permission(p) for p in row["permissions"] if p in _KNOWN))


def _visible(paths: Sequence[str]) -> ColumnElement[bool]:
    """The operator has a grant within the paths; or none at all and the viewer holds a root."""
    placed = exists(select(grants.c.grant_id).join(nodes, nodes.c.node_id == grants.c.node_id)
                    .where(grants.c.operator_id == operators.c.operator_id, within(nodes.c.path, paths)))
    if any("." not in p for p in paths):
        return or_(placed, not_(exists(select(grants.c.grant_id)
                                       .where(grants.c.operator_id == operators.c.operator_id))))
    return placed


class OperatorRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # ---- roles ----
    async def upsert_role(self, role: Role, built_in: bool = True) -> None:
        values = {"name_zh": role.name_zh, "name_en": role.name_en,
                  "permissions": sorted(str(p) for p in role.permissions), "built_in": built_in}
        await self.session.execute(insert(roles).values(role_id=role.role_id, **values)
                                   .on_conflict_do_update(index_elements=[roles.c.role_id], set_=values))

    async def roles(self) -> list[Role]:
        rows = (await self.session.execute(select(roles).order_by(roles.c.role_id))).mappings().all()
        return [_role(r) for r in rows]

    async def role(self, role_id: str) -> Role | None:
        row = (await self.session.execute(select(roles).where(roles.c.role_id == role_id))).mappings().first()
        return _role(row) if row else None

    # ---- operators ----
    async def add(self, operator_id: str, username: str, display_name: str, password_hash: str) -> bool:
        """False when the username (or id) is taken."""
        result = await self.session.execute(insert(operators).values(
            operator_id=operator_id, username=username, display_name=display_name, password_hash=password_hash,
        ).on_conflict_do_nothing().returning(operators.c.operator_id))
        return result.first() is not None

    async def login_record(self, username: str = "", operator_id: str = "") -> OperatorLogin | None:
        o = operators.c
        where = o.username == username if username else o.operator_id == operator_id
        row = (await self.session.execute(select(o.operator_id, o.username, o.password_hash, o.disabled)
                                          .where(where))).mappings().first()
        return OperatorLogin(**row) if row else None

    async def principal(self, operator_id: str) -> Operator | None:
        """The operator with his grants, unscoped: who is behind a session or token."""
        row = (await self.session.execute(select(*_OPERATOR_COLUMNS)
                                          .where(operators.c.operator_id == operator_id))).mappings().first()
        if row is None:
            return None
        return Operator(**row, grants=tuple((await self.grants_of([operator_id])).get(operator_id, ())))

    async def get(self, paths: Sequence[str], operator_id: str) -> Operator | None:
        """The operator if the viewer's OPERATORS paths reach him (else None, like an absent one)."""
        row = (await self.session.execute(select(*_OPERATOR_COLUMNS).where(
            operators.c.operator_id == operator_id, _visible(paths)))).mappings().first()
        if row is None:
            return None
        return Operator(**row, grants=tuple((await self.grants_of([operator_id])).get(operator_id, ())))

    async def list(self, paths: Sequence[str], limit: int, cursor: str = "") -> Page[Operator]:
        """Operators the viewer reaches, by username."""
        conditions = [_visible(paths)]
        if cursor:
            conditions.append(operators.c.username > decode_cursor(cursor, str)[0])
        rows = (await self.session.execute(select(*_OPERATOR_COLUMNS).where(and_(*conditions))
                                           .order_by(operators.c.username).limit(limit + 1))).mappings().all()
        held = await self.grants_of([r["operator_id"] for r in rows[:limit]])
        return page_of(rows, limit, lambda r: Operator(**r, grants=tuple(held.get(r["operator_id"], ()))),
                       lambda r: (r["username"],))

    async def update(self, operator_id: str, **values: Any) -> None:
        """display_name, disabled, or password_hash (with password_changed_at)."""
        await self.session.execute(update(operators).where(operators.c.operator_id == operator_id).values(**values))

    # ---- grants ----
    async def grants_of(self, operator_ids: Sequence[str]) -> dict[str, list[GrantRecord]]:
        if not operator_ids:
            return {}
        rows = (await self.session.execute(
            select(*_GRANT_COLUMNS).join(roles, roles.c.role_id == grants.c.role_id)
            .join(nodes, nodes.c.node_id == grants.c.node_id)
            .where(grants.c.operator_id.in_(list(operator_ids)))
            .order_by(grants.c.created_at, grants.c.grant_id))).mappings().all()
        found: dict[str, list[GrantRecord]] = {}
        for row in rows:
            found.setdefault(row["operator_id"], []).append(_grant(row))
        return found

    async def add_grant(self, grant_id: str, operator_id: str, role_id: str, node_id: str) -> bool:
        """False when the operator holds that role at that node already."""
        result = await self.session.execute(insert(grants).values(
            grant_id=grant_id, operator_id=operator_id, role_id=role_id, node_id=node_id,
        ).on_conflict_do_nothing().returning(grants.c.grant_id))
        return result.first() is not None

    async def grant(self, paths: Sequence[str], grant_id: str) -> GrantRecord | None:
        """The grant if its node lies within the viewer's OPERATORS paths."""
        row = (await self.session.execute(
            select(*_GRANT_COLUMNS).join(roles, roles.c.role_id == grants.c.role_id)
            .join(nodes, nodes.c.node_id == grants.c.node_id)
            .where(grants.c.grant_id == grant_id, within(nodes.c.path, paths)))).mappings().first()
        return _grant(row) if row else None

    async def delete_grant(self, grant_id: str) -> None:
        await self.session.execute(delete(grants).where(grants.c.grant_id == grant_id))

    async def node_place(self, node_id: str) -> NodePlace | None:
        """Where a node lies (unscoped: the caller checks the scope against the path)."""
        row = (await self.session.execute(select(nodes.c.node_id, nodes.c.path, nodes.c.property_id)
                                          .where(nodes.c.node_id == node_id))).mappings().first()
        return NodePlace(**row) if row else None

    # ---- API tokens ----
    async def add_token(self, token_id: str, operator_id: str, name: str, token_hash: str) -> ApiToken:
        row = (await self.session.execute(insert(api_tokens).values(
            token_id=token_id, operator_id=operator_id, name=name, token_hash=token_hash,
        ).returning(*_token_columns()))).mappings().one()
        return ApiToken(**row)

    async def tokens_of(self, operator_id: str, limit: int, cursor: str = "") -> Page[ApiToken]:
        t = api_tokens.c
        conditions = [t.operator_id == operator_id]
        if cursor:
            after = decode_cursor(cursor, datetime, str)
            conditions.append(func.row(t.created_at, t.token_id) > func.row(*after))
        rows = (await self.session.execute(select(*_token_columns()).where(*conditions)
                                           .order_by(t.created_at, t.token_id).limit(limit + 1))).mappings().all()
        return page_of(rows, limit, lambda r: ApiToken(**r), lambda r: (r["created_at"], r["token_id"]))

    async def revoke_token(self, operator_id: str, token_id: str, now: datetime) -> ApiToken | None:
        """Revoke one of the operator's own live tokens; None when he has no such live token."""
        t = api_tokens.c
        row = (await self.session.execute(update(api_tokens).where(
            t.operator_id == operator_id, t.token_id == token_id, t.revoked_at.is_(None),
        ).values(revoked_at=now).returning(*_token_columns()))).mappings().first()
        return ApiToken(**row) if row else None

    async def use_token(self, token_hash: str, now: datetime) -> str | None:
        """The operator id behind a live token (and note its use, at most once a minute)."""
        t = api_tokens.c
        row = (await self.session.execute(select(t.token_id, t.operator_id, t.last_used_at).where(
            t.token_hash == token_hash, t.revoked_at.is_(None)))).mappings().first()
        if row is None:
            return None
        if row["last_used_at"] is None or row["last_used_at"] < now - TOKEN_TOUCH_EVERY:
            await self.session.execute(update(api_tokens).where(t.token_id == row["token_id"])
                                       .values(last_used_at=now))
        return row["operator_id"]

    # ---- tenants (their login) ----
    async def tenant_for_phone(self, phone: str) -> TenantLogin | None:
        """The tenant whose (normalised) contact phone this is; the earliest when several share it."""
        t = tenants.c
        row = (await self.session.execute(select(t.tenant_id, t.name, t.phone, t.language, t.path)
                                          .where(t.phone != "", t.phone == phone)
                                          .order_by(t.created_at, t.tenant_id).limit(1))).mappings().first()
        return TenantLogin(**row) if row else None

    async def tenant(self, tenant_id: str) -> TenantLogin | None:
        t = tenants.c
        row = (await self.session.execute(select(t.tenant_id, t.name, t.phone, t.language, t.path)
                                          .where(t.tenant_id == tenant_id))).mappings().first()
        return TenantLogin(**row) if row else None


def _token_columns() -> tuple:
    t = api_tokens.c
    return (t.token_id, t.operator_id, t.name, t.created_at, t.revoked_at, t.last_used_at)

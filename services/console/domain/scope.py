"""Who may see and do what: permissions, roles, grants at a node of the org tree, and the caller's scope.

A grant gives a role's permissions over the whole subtree of its node. A caller's scope for a
permission is the set of tree paths under which that permission holds; every console repository
query takes such a set (an ltree `<@` predicate), so nothing is ever filtered in an endpoint.
A tenant's scope is their own accounts (and the meters and rooms of those accounts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Permission(StrEnum):
    VIEW = "view"
    RECHARGE = "recharge"       # 售电/售水 at the counter
    REFUND = "refund"           # 退电/退水
    REVERSE = "reverse"         # 冲正
    CONTROL = "control"         # trip / close / power guarantee
    BATCH = "batch"             # batch commands, batch top-up / refund
    TARIFF = "tariff"           # plans, price changes
    SETTINGS = "settings"       # tree, rooms, tenants, meters, accounts, import
    OPERATORS = "operators"     # operators and grants
    REPORTS = "reports"
    AUDIT = "audit"


ALL = frozenset(Permission)


@dataclass(frozen=True)
class Role:
    role_id: str
    name_zh: str
    name_en: str
    permissions: frozenset[Permission]


BUILT_IN_ROLES: tuple[Role, ...] = (
    Role("hq_admin", "集团管理员", "HQ admin", ALL),
    Role("regional_manager", "区域经理", "Regional manager", ALL - {Permission.OPERATORS}),
    Role("park_manager", "园区经理", "Park manager",
         ALL - {Permission.OPERATORS, Permission.TARIFF}),
    Role("park_electrician", "园区电工", "Park electrician",
         frozenset({Permission.VIEW, Permission.CONTROL, Permission.BATCH})),
    Role("cashier", "收费员", "Cashier",
         frozenset({Permission.VIEW, Permission.RECHARGE, Permission.REFUND, Permission.REPORTS})),
    Role("auditor", "审计员", "Auditor (read-only)",
         frozenset({Permission.VIEW, Permission.REPORTS, Permission.AUDIT})),
)


@dataclass(frozen=True)
class GrantView:
    grant_id: str
    role_id: str
    node_id: str
    path: str
    permissions: frozenset[Permission]


@dataclass(frozen=True)
class Scope:
    """What a caller may reach. Operators: grants (path + permissions). Tenants: their tenant id."""

    grants: tuple[GrantView, ...] = ()
    tenant_id: str | None = None

    @property
    def is_tenant(self) -> bool:
        return self.tenant_id is not None

    def paths(self, permission: Permission = Permission.VIEW) -> tuple[str, ...]:
        """The subtrees in which the permission holds (empty: nowhere)."""
        return tuple(g.path for g in self.grants if permission in g.permissions)

    def allows(self, permission: Permission, path: str) -> bool:
        return any(path == p or path.startswith(p + ".") for p in self.paths(permission))

    def permissions(self) -> frozenset[Permission]:
        held: set[Permission] = set()
        for g in self.grants:
            held |= g.permissions
        return frozenset(held)


@dataclass(frozen=True)
class Caller:
    """The authenticated party of a request, with where it came from (for the audit log)."""

    kind: str                      # "operator" or "tenant"
    subject_id: str                # operator id or tenant id
    name: str                      # username or tenant phone
    scope: Scope
    session_id: str = ""
    via: str = "session"           # "session" (cookie or bearer) or "api_token"
    address: str = ""
    request_id: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.name}"

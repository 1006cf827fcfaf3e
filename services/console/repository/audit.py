"""The system log (F-61 系统日志): append-only rows of who did what, from where, to which object.

The table's trigger refuses UPDATE, DELETE and TRUNCATE; this repository only inserts and searches.
A search is scoped by the AUDIT paths of the caller: entries whose path lies within them, plus the
entries without a path (logins of unknown users, system actions) for a caller holding AUDIT at the root.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, insert, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from services.console.ltree import within
from services.console.models import audit_log, nodes
from services.kit.paging import Page, decode_cursor, page_of

OUTCOMES = ("ok", "failed", "denied")


@dataclass(frozen=True)
class AuditEntry:
    """One line to write: `outcome` is ok / failed / denied; before/after hold settings-like changes."""

    actor_kind: str                 # operator / tenant / system / anonymous
    actor: str                      # username, tenant id, or what an anonymous caller typed
    address: str
    action: str                     # e.g. session.login, operator.create, account.recharge
    target_kind: str
    target_id: str
    path: str | None                # where the target lies in the tree (None: HQ-level only)
    request_id: str
    outcome: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    detail: str = ""


@dataclass(frozen=True)
class AuditRecord:
    audit_id: int
    at: datetime
    actor_kind: str
    actor: str
    address: str
    action: str
    target_kind: str
    target_id: str
    path: str | None
    property_id: str | None
    request_id: str
    outcome: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    detail: str


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    target_kind: str = ""
    target_id: str = ""
    action: str = ""
    from_at: datetime | None = None
    to_at: datetime | None = None


@dataclass(frozen=True)
class AuditScope:
    """Where the searcher may look: AUDIT paths, and whether entries without a path are his too."""

    paths: tuple[str, ...]
    include_unplaced: bool = False


def _cut(text: str | None, size: int) -> str:
    return (text or "")[:size]


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, entry: AuditEntry) -> None:
        """Append one entry in the caller's transaction (it commits with the change it describes)."""
        await self.session.execute(insert(audit_log).values(
            actor_kind=_cut(entry.actor_kind, 16), actor=_cut(entry.actor, 100), address=_cut(entry.address, 64),
            action=_cut(entry.action, 64), target_kind=_cut(entry.target_kind, 32),
            target_id=_cut(entry.target_id, 100), path=entry.path or None, request_id=_cut(entry.request_id, 64),
            outcome=_cut(entry.outcome, 16), before=entry.before, after=entry.after, detail=entry.detail or ""))

    async def search(self, scope: AuditScope, query: AuditFilter, limit: int, cursor: str = "") -> Page[AuditRecord]:
        """Newest first; the cursor carries the last audit id of the page before."""
        a = audit_log.c
        conditions = [_in_scope(scope), *_filters(query)]
        if cursor:
            conditions.append(a.audit_id < decode_cursor(cursor, int)[0])
        # The property an entry lies in: the property node above (or at) its path.
        property_id = (select(nodes.c.property_id)
                       .where(nodes.c.kind == "property", nodes.c.path.op("@>")(a.path)).limit(1)
                       .scalar_subquery())
        stmt = (select(a.audit_id, a.at, a.actor_kind, a.actor, a.address, a.action, a.target_kind, a.target_id,
                       a.path, a.request_id, a.outcome, a.before, a.after, a.detail,
                       property_id.label("property_id"))
                .where(and_(*conditions)).order_by(a.audit_id.desc()).limit(limit + 1))
        rows = (await self.session.execute(stmt)).mappings().all()
        return page_of(rows, limit, lambda r: AuditRecord(**r), lambda r: (r["audit_id"],))


def _in_scope(scope: AuditScope) -> ColumnElement[bool]:
    placed = within(audit_log.c.path, scope.paths)
    if scope.include_unplaced:
        return or_(placed, audit_log.c.path.is_(None))
    return placed if scope.paths else false()


def _filters(query: AuditFilter) -> list[ColumnElement[bool]]:
    a = audit_log.c
    found: list[ColumnElement[bool]] = [true()]
    for column, value in ((a.actor, query.actor), (a.target_kind, query.target_kind),
                          (a.target_id, query.target_id), (a.action, query.action)):
        if value:
            found.append(column == value)
    if query.from_at is not None:
        found.append(a.at >= query.from_at)
    if query.to_at is not None:
        found.append(a.at < query.to_at)
    return found

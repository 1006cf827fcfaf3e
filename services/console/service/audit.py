"""The system log (系统日志) as use cases: what a change writes, and who may search which lines."""

from __future__ import annotations

import io
import json
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from services.console.domain.scope import Caller, Permission, Scope
from services.console.repository.audit import AuditEntry, AuditFilter, AuditRecord, AuditScope
from services.console.unit_of_work import ConsoleUnitOfWork
from services.kit.paging import Page


def entry_for(caller: Caller, action: str, target_kind: str, target_id: str, path: str | None, outcome: str = "ok",
              before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
              detail: str = "") -> AuditEntry:
    """The audit line of something `caller` did (who, from where, in which request)."""
    return AuditEntry(actor_kind=caller.kind, actor=actor_of(caller), address=caller.address, action=action,
                      target_kind=target_kind, target_id=target_id, path=path, request_id=caller.request_id,
                      outcome=outcome, before=before, after=after, detail=detail)


def actor_of(caller: Caller) -> str:
    """Operators by username (what the log is searched by); tenants by tenant id, never by phone."""
    return caller.name if caller.kind == "operator" else caller.subject_id


def audit_scope(scope: Scope) -> AuditScope:
    """AUDIT paths; lines without a path (unknown users' logins, system work) only for HQ (AUDIT at a root)."""
    paths = scope.paths(Permission.AUDIT)
    return AuditScope(paths=paths, include_unplaced=any("." not in p for p in paths))


async def search_audit(uow: ConsoleUnitOfWork, caller: Caller, query: AuditFilter, limit: int,
                       cursor: str = "") -> Page[AuditRecord]:
    """Search the log by operator, object, action and time, newest first, within the caller's AUDIT scope."""
    async with uow:
        return await uow.audit.search(audit_scope(caller.scope), query, limit, cursor)


EXPORT_MAX_ROWS = 20_000
EXPORT_HEADERS = ("时间 Time", "操作人 Actor", "身份 Actor kind", "地址 Address", "操作 Action",
                  "对象类型 Target kind", "对象 Target", "项目 Property", "结果 Outcome", "请求 Request id",
                  "修改前 Before", "修改后 After", "说明 Detail")
CHINA = ZoneInfo("Asia/Shanghai")


async def export_audit(uow: ConsoleUnitOfWork, caller: Caller, query: AuditFilter) -> bytes:
    """The search as an Excel workbook (at most EXPORT_MAX_ROWS lines, newest first, China time)."""
    records: list[AuditRecord] = []
    cursor = ""
    async with uow:
        scope = audit_scope(caller.scope)
        while len(records) < EXPORT_MAX_ROWS:
            page = await uow.audit.search(scope, query, min(500, EXPORT_MAX_ROWS - len(records)), cursor)
            records.extend(page.items)
            if not page.next_cursor:
                break
            cursor = page.next_cursor
    return audit_workbook(records)


def audit_workbook(records: list[AuditRecord]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("系统日志 audit")
    sheet.append(list(EXPORT_HEADERS))
    for r in records:
        values = (r.at.astimezone(CHINA).replace(tzinfo=None), r.actor, r.actor_kind, r.address, r.action,
                  r.target_kind, r.target_id, r.property_id or "", r.outcome, r.request_id, _json(r.before),
                  _json(r.after), r.detail)
        sheet.append([_cell(sheet, v) for v in values])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _json(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _cell(sheet: Any, value: Any) -> Any:
    """Text stays text: a value starting with '=' must not become a formula in the reader's Excel.
    Control characters (anyone can type them into a login form) cannot be stored in a worksheet:
    each is shown as U+FFFD."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    cell = WriteOnlyCell(sheet, value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell

"""The system log: GET /api/v1/audit (search, paged) and GET /api/v1/audit.xlsx (the same as Excel).
Needs the AUDIT permission; lines are those within the caller's AUDIT scope."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Response

from services.console.domain.errors import InvalidRequest
from services.console.domain.scope import Caller, Permission
from services.console.entrypoints.http.deps import AppDeps, app_deps, require
from services.console.entrypoints.http.identity_schemas import AuditOut, AuditPage
from services.console.repository.audit import AuditFilter
from services.console.service.audit import export_audit, search_audit

router = APIRouter(prefix="/api/v1", tags=["audit"])
may_audit = require(Permission.AUDIT)
CHINA = ZoneInfo("Asia/Shanghai")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _aware(moment: datetime | None) -> datetime | None:
    """A time without an offset is China time (what the operators read on their clocks)."""
    if moment is None:
        return None
    try:
        return (moment if moment.tzinfo is not None else moment.replace(tzinfo=CHINA)).astimezone(UTC)
    except (OverflowError, ValueError):
        raise InvalidRequest(f"时间超出范围: {moment}", f"time out of range: {moment}") from None


def audit_filter(actor: str = Query("", max_length=100), target_kind: str = Query("", max_length=32),
                 target_id: str = Query("", max_length=100), action: str = Query("", max_length=64),
                 from_at: datetime | None = Query(None, alias="from"),
                 to_at: datetime | None = Query(None, alias="to")) -> AuditFilter:
    """Filters: by operator (actor), object (target_kind, target_id), action, and time [from, to)."""
    if any("\x00" in v for v in (actor, target_kind, target_id, action)):
        raise InvalidRequest("查询条件含有非法字符", "a filter holds a NUL character")
    return AuditFilter(actor=actor, target_kind=target_kind, target_id=target_id, action=action,
                       from_at=_aware(from_at), to_at=_aware(to_at))


@router.get("/audit", response_model=AuditPage)
async def search(query: AuditFilter = Depends(audit_filter), limit: int = Query(50, ge=1, le=500),
                 cursor: str = Query("", max_length=500), caller: Caller = Depends(may_audit),
                 deps: AppDeps = Depends(app_deps)) -> AuditPage:
    """系统日志: newest first."""
    page = await search_audit(deps.new_uow(), caller, query, limit, cursor)
    return AuditPage(items=[AuditOut.of(r) for r in page.items], next=page.next_cursor)


@router.get("/audit.xlsx", response_class=Response,
            responses={200: {"content": {XLSX: {}}, "description": "the log as an Excel workbook"}})
async def export(query: AuditFilter = Depends(audit_filter), caller: Caller = Depends(may_audit),
                 deps: AppDeps = Depends(app_deps)) -> Response:
    """系统日志导出: the search as an Excel workbook (Chinese and English headers)."""
    content = await export_audit(deps.new_uow(), caller, query)
    stamp = deps.clock.now().astimezone(CHINA).strftime("%Y%m%d-%H%M")
    return Response(content, media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.xlsx"'})

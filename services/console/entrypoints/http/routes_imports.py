"""Onboarding import: POST /api/v1/imports with the .xlsx workbook as the raw request body, and
GET /api/v1/imports/template (an empty workbook with the four sheets' headers).

A rejected workbook answers 422 with every bad line: {"error": {"code": "import_rejected", "message_zh",
"message_en", "lines": [{"sheet", "line", "message_zh", "message_en"}]}}; nothing was written anywhere.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from services.console.domain.onboarding_sheets import OnboardingRejected
from services.console.domain.scope import Caller, Permission
from services.console.entrypoints.http.app import error_body
from services.console.entrypoints.http.deps import AppDeps, app_deps, require
from services.console.entrypoints.http.tree_schemas import ImportReportOut, KindCountsOut
from services.console.service.onboarding import ImportReport, import_workbook
from services.console.sheets import MAX_WORKBOOK_BYTES, XLSX_TYPE, NotAWorkbookType, WorkbookTooLarge, template_workbook

router = APIRouter(prefix="/api/v1", tags=["imports"])
ACCEPTED_TYPES = (XLSX_TYPE, "application/octet-stream")
_BODY = {"requestBody": {"required": True, "content": {
    t: {"schema": {"type": "string", "format": "binary"}} for t in ACCEPTED_TYPES}}}
_REJECTED = {"description": "rejected: every bad line in `error.lines`; nothing was written"}


@router.post("/imports", response_model=ImportReportOut, openapi_extra=_BODY,
             responses={422: _REJECTED, 413: {"description": "over 20 MB"}, 415: {"description": "not .xlsx"}})
async def import_onboarding(request: Request, caller: Caller = Depends(require(Permission.SETTINGS)),
                            deps: AppDeps = Depends(app_deps)) -> ImportReportOut | JSONResponse:
    """开通导入: one workbook (sheets rooms, tenants, meters, accounts) creates the tree and tenants, registers
    the meters in acquisition and opens the accounts in wallet; all or nothing, a re-run changes nothing."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in ACCEPTED_TYPES:
        raise NotAWorkbookType("请上传Excel工作簿(.xlsx)", f"send the .xlsx workbook as the body ({XLSX_TYPE})")
    content = await _body(request)
    try:
        report = await import_workbook(deps.new_uow, deps.ports, caller, content, deps.clock.now())
    except OnboardingRejected as rejected:
        body = error_body(rejected.code, rejected.message_zh, rejected.message_en)
        body["error"]["lines"] = [{"sheet": p.sheet, "line": p.line, "message_zh": p.message_zh,
                                   "message_en": p.message_en} for p in rejected.problems]
        return JSONResponse(body, status_code=rejected.status)
    return report_out(report)


@router.get("/imports/template", response_class=Response,
            responses={200: {"content": {XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}}}}})
async def import_template(caller: Caller = Depends(require(Permission.SETTINGS))) -> Response:
    """开通导入模板: the four sheets with their headers (Chinese and English)."""
    return Response(template_workbook(), media_type=XLSX_TYPE,
                    headers={"Content-Disposition": 'attachment; filename="onboarding-template.xlsx"'})


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_WORKBOOK_BYTES:
        raise _too_large()
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_WORKBOOK_BYTES:
            raise _too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large() -> WorkbookTooLarge:
    size_mb = MAX_WORKBOOK_BYTES // 2**20
    return WorkbookTooLarge(f"文件超过{size_mb}MB", f"the file is over {size_mb} MB")


def report_out(report: ImportReport) -> ImportReportOut:
    kinds = {kind: KindCountsOut(**counts) for kind, counts in report.counts.items()}
    return ImportReportOut(**kinds, gateways_registered=report.acquisition.gateways,
                           meters_registered_created=report.acquisition.meters_created,
                           meters_registered_updated=report.acquisition.meters_updated,
                           accounts_opened=report.accounts_opened, accounts_already_open=report.accounts_already_open,
                           events_published=report.events_published)

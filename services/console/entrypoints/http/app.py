"""The console's HTTP app: the operator API under /api/v1 (OpenAPI at /api/openapi.json), the tenant API
under /api/v1/me, errors as {"error": {"code", "message_zh", "message_en"}}, a request id per request."""

from __future__ import annotations

import uuid
from importlib import import_module

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.console.domain.errors import ConsoleError
from services.console.entrypoints.http.deps import AppDeps
from services.kit.paging import InvalidPage

# One module per area; each defines `router` (an APIRouter with paths under /api/v1).
ROUTE_MODULES = ("session", "tree", "rooms", "tenants", "meters", "accounts", "control", "tariffs", "reports",
                 "operators", "audit", "imports", "tenant_self")


class RequestIdMiddleware:
    """A request id per request (the caller's X-Request-Id, or a new one) in request.state and the answer.

    Plain ASGI: Starlette's @app.middleware("http") runs every request in an extra task with memory streams,
    which costs about as much CPU as a whole room-detail query (bench/console_load.py)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        receive = await _json_body_checked(scope, receive)
        if receive is None or _holds_nul(scope):
            # PostgreSQL cannot store U+0000 in text: refused here once, for every path and query parameter.
            answer = JSONResponse(error_body("invalid_request", "请求中含有不允许的空字符 (U+0000)",
                                             "the request holds a NUL character (U+0000)"), status_code=422)
            await answer(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == b"x-request-id"), b"").decode("latin-1")[:64]
        request_id = given or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode("latin-1"))]
            await send(message)

        await self.app(scope, receive, send_with_id)


async def _json_body_checked(scope: dict, receive):
    """A JSON body is read whole (console's JSON bodies are small) and refused (None) when it holds an
    escaped NUL; other bodies (an .xlsx import) stream through untouched."""
    content_type = next((v for k, v in scope["headers"] if k == b"content-type"), b"")
    if not content_type.startswith(b"application/json"):
        return receive
    chunks, more = [], True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            return receive
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    body = b"".join(chunks)
    if b"\\u0000" in body or b"\x00" in body:
        return None
    delivered = False

    async def replay() -> dict:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _holds_nul(scope: dict) -> bool:
    query = scope.get("query_string", b"").lower()
    return "\x00" in scope.get("path", "") or b"%00" in query or b"\x00" in query


def error_body(code: str, message_zh: str, message_en: str) -> dict:
    return {"error": {"code": code, "message_zh": message_zh, "message_en": message_en}}


def create_app(deps: AppDeps) -> FastAPI:
    app = FastAPI(title="meterpay console API", version="1", openapi_url="/api/openapi.json",
                  docs_url="/api/docs", redoc_url=None)
    app.state.deps = deps
    _install_error_handlers(app)

    app.add_middleware(RequestIdMiddleware)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict:
        return {"ok": True}

    for name in ROUTE_MODULES:
        try:
            module = import_module(f"services.console.entrypoints.http.routes_{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"services.console.entrypoints.http.routes_{name}":
                raise
            continue  # an area not built yet
        app.include_router(module.router)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ConsoleError)
    async def console_error(request: Request, exc: ConsoleError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message_zh, exc.message_en), status_code=exc.status)

    @app.exception_handler(InvalidPage)
    async def invalid_page(request: Request, exc: InvalidPage) -> JSONResponse:
        return JSONResponse(error_body("invalid_request", "无效的分页参数", str(exc)), status_code=400)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"
                             for e in exc.errors()[:10])
        return JSONResponse(error_body("invalid_request", f"请求参数有误: {problems}", f"invalid request: {problems}"),
                            status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        zh = {404: "不存在", 405: "不支持该方法", 401: "未登录"}.get(exc.status_code, "请求错误")
        return JSONResponse(error_body(f"http_{exc.status_code}", zh, str(exc.detail)), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

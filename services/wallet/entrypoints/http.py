"""HTTP face of wallet: the providers' payment callbacks (WeChat Pay, Alipay).

Runs inside the wallet process under uvicorn (WALLET_HTTP_HOST, WALLET_HTTP_PORT). Thin: parse,
call the use case, map the outcome to what each provider expects as an answer. Orders are created
through gRPC CreatePaymentOrder (by the console), never here: this face is for the providers only.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from services.kit.clock import Clock
from services.kit.http_server import serve_asgi
from services.kit.logging import get_logger
from services.wallet.channels import AlipayVerifier, WechatPayVerifier
from services.wallet.domain.payments import CallbackRejected
from services.wallet.service import payments
from services.wallet.unit_of_work import WalletUnitOfWork

log = get_logger(__name__)
CALLBACK_BUDGET_S = 4.0  # WeChat Pay wants an answer within 5 s; past that it retries anyway


def build_app(new_uow: Callable[[], WalletUnitOfWork], clock: Clock, wechat: WechatPayVerifier | None,
              alipay: AlipayVerifier | None) -> FastAPI:
    app = FastAPI(title="meterpay wallet", docs_url=None, redoc_url=None)

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"ok": True}

    @app.post("/payments/wechat/notify")
    async def wechat_notify(request: Request) -> Response:
        if wechat is None:
            return JSONResponse({"code": "FAIL", "message": "WeChat Pay is not configured"}, status_code=503)
        body = await request.body()
        try:
            notice = wechat.verify(request.headers, body, clock.now())
            await asyncio.wait_for(payments.settle_payment_notice(new_uow(), notice, clock.now()), CALLBACK_BUDGET_S)
        except CallbackRejected as exc:
            await payments.record_rejected_callback(new_uow(), "wechat", exc.order_id, str(exc))
            return JSONResponse({"code": "FAIL", "message": str(exc)}, status_code=400)
        return Response(status_code=204)

    @app.post("/payments/alipay/notify")
    async def alipay_notify(request: Request) -> Response:
        if alipay is None:
            return PlainTextResponse("fail", status_code=503)
        # Alipay posts application/x-www-form-urlencoded in UTF-8; parsed here without python-multipart.
        params = dict(parse_qsl((await request.body()).decode("utf-8", errors="replace"), keep_blank_values=True))
        try:
            notice = alipay.verify(params, clock.now())
            await asyncio.wait_for(payments.settle_payment_notice(new_uow(), notice, clock.now()), CALLBACK_BUDGET_S)
        except CallbackRejected as exc:
            await payments.record_rejected_callback(new_uow(), "alipay", exc.order_id or params.get("out_trade_no", ""),
                                                   str(exc))
            return PlainTextResponse("fail")
        return PlainTextResponse("success")

    return app


def _usable_port(host: str, port: int) -> int:
    """The port, or 0 (any free one, logged) when it is taken, so the ledger keeps working."""
    if port == 0:
        return 0
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            log.error("http port busy; serving on a free port instead (set WALLET_HTTP_PORT)", port=port,
                      error=str(exc))
            return 0
    return port


async def serve_http(app: FastAPI, port: int, on_bound: Callable[[int], None] | None = None,
                     host: str = "127.0.0.1") -> None:
    """Serve the callbacks on host:port (loopback unless told: providers reach it through a proxy)."""
    await serve_asgi(app, host, _usable_port(host, port), on_bound)

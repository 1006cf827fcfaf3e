"""The console's first page: every meter with its balance and relay state (a status board).

Operator-facing text is Simplified Chinese first, English second.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
from collections.abc import Callable
from typing import Any

import grpc
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from services.contracts.meterpay.v1 import (
    acquisition_pb2,
    acquisition_pb2_grpc,
    common_pb2,
    control_pb2,
    control_pb2_grpc,
    wallet_pb2,
    wallet_pb2_grpc,
)
from services.kit.money import format_fen

RELAY_TEXT = {common_pb2.RELAY_STATE_CLOSED: "合闸 closed", common_pb2.RELAY_STATE_OPEN: "拉闸 open",
              common_pb2.RELAY_STATE_UNSPECIFIED: "未知 unknown"}


def create_app(acquisition_target: str, wallet_target: str, control_target: str) -> FastAPI:
    targets = {"acquisition": acquisition_target, "wallet": wallet_target, "control": control_target}
    channels: dict[str, grpc.aio.Channel] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        # gRPC aio channels belong to the loop that serves requests, so they are made here.
        channels.update({name: grpc.aio.insecure_channel(t) for name, t in targets.items()})
        yield
        for ch in channels.values():
            await ch.close()

    app = FastAPI(title="meterpay console", lifespan=lifespan)

    async def status() -> dict:
        meters, accounts, controls = await asyncio.gather(
            every_page(acquisition_pb2_grpc.AcquisitionServiceStub(channels["acquisition"]).ListMeters,
                       acquisition_pb2.ListMetersRequest, "meters"),
            every_page(wallet_pb2_grpc.WalletServiceStub(channels["wallet"]).ListAccounts,
                       wallet_pb2.ListAccountsRequest, "accounts"),
            every_page(control_pb2_grpc.ControlServiceStub(channels["control"]).ListMeterControls,
                       control_pb2.ListMeterControlsRequest, "meters"))
        account_of = {m: a for a in accounts for m in a.meter_ids}
        mode_of = {c.meter_id: c.mode for c in controls}
        rows = []
        for view in meters:
            account = account_of.get(view.meter.meter_id)
            rows.append({
                "meter_id": view.meter.meter_id, "gateway_id": view.meter.gateway_id, "online": view.online,
                "relay_state": common_pb2.RelayState.Name(view.relay_state).removeprefix("RELAY_STATE_").lower(),
                "total_wh": view.last_total_wh, "power_w": view.power_w,
                "last_read_at": view.last_read_at.ToJsonString() if view.HasField("last_read_at") else None,
                "account_id": account.account_id if account else None,
                "tenant": account.tenant_name if account else None,
                "balance_fen": account.balance_fen if account else None,
                "in_arrears": account.in_arrears if account else None,
                "mode": mode_of.get(view.meter.meter_id, "prepaid"),
            })
        return {"meters": rows}

    @app.get("/api/status")
    async def api_status() -> dict:
        return await status()

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"ok": True}

    @app.get("/", response_class=HTMLResponse)
    async def board() -> str:
        return render_board(await status())

    return app


MAX_PAGES = 100  # 100 pages of up to 5,000: far beyond one status board's worth of meters


async def every_page(call: Callable[..., Any], request_type: type, field: str) -> list[Any]:
    """All items of a paged list RPC, following next_cursor (bounded, like every loop here)."""
    items: list[Any] = []
    cursor = ""
    for _ in range(MAX_PAGES):
        reply = await call(request_type(limit=5000, cursor=cursor), timeout=5)
        items.extend(getattr(reply, field))
        cursor = reply.next_cursor
        if not cursor:
            break
    return items


def render_board(status: dict) -> str:
    head = ("<tr><th>电表 Meter</th><th>租户 Tenant</th><th>余额 Balance</th><th>继电器 Relay</th>"
            "<th>在线 Online</th><th>电量 Energy (kWh)</th><th>功率 Power (W)</th><th>抄表时间 Read at</th></tr>")
    rows = []
    for m in status["meters"]:
        balance = format_fen(m["balance_fen"]) if m["balance_fen"] is not None else "未开户 not opened"
        colour = "#fdd" if m["in_arrears"] else ("#fff" if m["online"] else "#ddd")
        relay = "拉闸 open" if m["relay_state"] == "open" else ("合闸 closed" if m["relay_state"] == "closed" else "?")
        cells = [m["meter_id"], m["tenant"] or "", balance, relay, "是 yes" if m["online"] else "否 no",
                 f'{m["total_wh"] / 1000:.3f}', str(m["power_w"]), m["last_read_at"] or ""]
        rows.append(f'<tr style="background:{colour}">' + "".join(f"<td>{html.escape(c)}</td>" for c in cells)
                    + "</tr>")
    return ("<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><meta http-equiv='refresh' content='3'>"
            "<title>meterpay 预付费状态 status</title><style>body{font-family:sans-serif}td,th{padding:4px 10px;"
            "border-bottom:1px solid #ccc}</style></head><body><h1>预付费电表状态 Prepaid meter status</h1>"
            f"<table>{head}{''.join(rows)}</table><p>每 3 秒刷新 refreshes every 3 s · "
            "<a href='/api/status'>JSON</a></p></body></html>")

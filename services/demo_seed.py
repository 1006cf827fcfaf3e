"""`make run`'s demo group, brought online the way a property company would: the HQ admin logs in to the
console's API, imports the onboarding workbook (rooms, tenants, meters, accounts) and creates the demo
operators with their grants. A re-run changes nothing."""

from __future__ import annotations

import asyncio

import httpx

from services.console.demo_site import DEMO_OPERATORS, DEMO_PASSWORD, DemoPorts, demo_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def seed_demo_group(console_url: str, demo_ports: DemoPorts, admin: str = "hq", timeout_s: float = 120) -> dict:
    """Log in as the bootstrap HQ admin, import the demo workbook, create the other demo operators."""
    async with httpx.AsyncClient(base_url=console_url, timeout=60) as client:
        token = await _login(client, admin, timeout_s)
        auth = {"Authorization": f"Bearer {token}"}
        report = await _import(client, auth, demo_workbook(demo_ports), timeout_s)
        for op in DEMO_OPERATORS:
            if op.username == admin:
                continue
            answer = await client.post("/api/v1/operators", headers=auth, json={
                "username": op.username, "display_name": op.display_name, "password": DEMO_PASSWORD,
                "grants": [{"role_id": op.role_id, "node_id": op.node_id}]})
            if answer.status_code not in (201, 409):  # 409: kept from an earlier run (--keep-data)
                raise RuntimeError(f"demo operator {op.username}: {answer.status_code} {answer.text}")
        return report


async def _login(client: httpx.AsyncClient, username: str, timeout_s: float) -> str:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        try:
            answer = await client.post("/api/v1/session", json={"username": username, "password": DEMO_PASSWORD})
            if answer.status_code == 200:
                return answer.json()["token"]
            raise RuntimeError(f"demo login {username}: {answer.status_code} {answer.text}")
        except httpx.TransportError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)


async def _import(client: httpx.AsyncClient, auth: dict, workbook: bytes, timeout_s: float) -> dict:
    """The owning services may still be starting: an import they refuse as unavailable is tried again."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        answer = await client.post("/api/v1/imports", headers={**auth, "Content-Type": XLSX}, content=workbook)
        if answer.status_code == 200:
            return answer.json()
        if answer.status_code != 503 or asyncio.get_running_loop().time() > deadline:
            raise RuntimeError(f"demo import: {answer.status_code} {answer.text[:2000]}")
        await asyncio.sleep(1.0)

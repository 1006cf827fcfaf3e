"""The console as the platform's edge, over real HTTP, with every owning service as a real process.

An HQ admin onboards a property from the Excel template (console -> acquisition and wallet over gRPC,
registry.events.v1 to the others), a cashier recharges at the counter with a double click, and
schemathesis fuzzes every operation of /api/openapi.json (valid and invalid inputs): no 5xx. After it
all, the ledger still reconciles.
"""

from __future__ import annotations

import asyncio
import io
import uuid

import grpc
import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from schemathesis.generation import GenerationMode

from services.contracts.meterpay.v1 import wallet_pb2, wallet_pb2_grpc
from services.devstack import SERVICES, Platform

pytestmark = pytest.mark.e2e

ADMIN, PASSWORD = "hq", "e2e-admin-password"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SIMULATOR = ["--demo", "3", "--port", "{gateway_port}", "--time-scale", "60"]
ROWS = {
    "rooms": [["east", "华东区域", "p-e2e", "测试园区 E2E park", "b1", "1号楼", "F1", "1层", f"R-{i}", f"10{i}",
               "52.50", "shop"] for i in (1, 2, 3)],
    "tenants": [[f"T-{i}", f"租户{i}", f"1380000000{i}", "", "", "zh-CN", "p-e2e", f"R-{i}", "2026-01-01", ""]
                for i in (1, 2, 3)],
    "meters": [[f"M-000{i}", f"R-{i}", "electricity", "gw-e2e", "modbus-tcp", "127.0.0.1", "{gateway_port}",
                "modbus", i, "", 1, 1] for i in (1, 2, 3)],
    "accounts": [[f"A-{i}", f"T-{i}", f"M-000{i}", "100.00", "0", "50,20", "prepaid", "realtime"] for i in (1, 2, 3)],
}


@pytest.fixture(scope="module")
async def platform(tmp_path_factory):
    root = tmp_path_factory.mktemp("console-e2e")
    p = Platform(root, SIMULATOR, services=(*SERVICES, "console"), poll_interval_s=2.0,
                 env={"CONSOLE_BOOTSTRAP_ADMIN_USERNAME": ADMIN, "CONSOLE_BOOTSTRAP_ADMIN_PASSWORD": PASSWORD})
    try:
        p.start()
        yield p
    finally:
        p.stop()


@pytest.fixture(scope="module")
async def admin(platform):
    async with httpx.AsyncClient(base_url=platform.console_url, timeout=60) as client:
        answer = await client.post("/api/v1/session", json={"username": ADMIN, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        client.headers["Authorization"] = f"Bearer {answer.json()['token']}"
        yield client


async def workbook(client: httpx.AsyncClient, gateway_port: int) -> bytes:
    """The operator's way: download the template, fill one row per room, tenant, meter, account."""
    template = await client.get("/api/v1/imports/template")
    assert template.status_code == 200
    book = load_workbook(io.BytesIO(template.content))
    out = Workbook()
    out.remove(out.active)
    for sheet in book.worksheets:
        kind = next(k for k in ROWS if k in sheet.title)
        target = out.create_sheet(sheet.title)
        target.append([c.value for c in sheet[1]])
        for row in ROWS[kind]:
            target.append([int(gateway_port) if v == "{gateway_port}" else v for v in row])
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()


async def wallet_account(platform: Platform, account_id: str) -> wallet_pb2.Account:
    async with grpc.aio.insecure_channel(platform.wallet) as ch:
        return await wallet_pb2_grpc.WalletServiceStub(ch).GetAccount(
            wallet_pb2.GetAccountRequest(account_id=account_id), timeout=10)


async def reconcile(platform: Platform) -> None:
    async with grpc.aio.insecure_channel(platform.wallet) as ch:
        reply = await wallet_pb2_grpc.WalletServiceStub(ch).Reconcile(wallet_pb2.ReconcileRequest(), timeout=30)
    assert reply.ok, list(reply.problems)


async def test_an_hq_admin_onboards_a_property_from_the_template_and_a_rerun_changes_nothing(platform, admin):
    book = await workbook(admin, platform.ports.gateway)
    first = await admin.post("/api/v1/imports", content=book, headers={"Content-Type": XLSX})
    assert first.status_code == 200, first.text
    assert first.json()["accounts_opened"] == 3
    account = await wallet_account(platform, "A-1")
    assert account.balance_fen == 10_000 and account.meter_ids == ["M-0001"]
    again = await admin.post("/api/v1/imports", content=book, headers={"Content-Type": XLSX})
    assert again.status_code == 200, again.text
    assert again.json()["events_published"] == 0 and again.json()["accounts_opened"] == 0
    for _ in range(100):  # registry.events.v1 reaches wallet: the account now carries its project
        if (await wallet_account(platform, "A-1")).project_id == "p-e2e":
            break
        await asyncio.sleep(0.2)
    assert (await wallet_account(platform, "A-1")).project_id == "p-e2e"
    rooms = await admin.get("/api/v1/rooms", params={"property_id": "p-e2e"})
    assert sorted(r["room_id"] for r in rooms.json()["items"]) == ["R-1", "R-2", "R-3"]
    await reconcile(platform)


async def test_a_double_click_at_the_counter_recharges_once(platform, admin):
    key = {"Idempotency-Key": f"counter-{uuid.uuid4()}"}
    body = {"amount_fen": 5000, "channel": "cash"}
    before = (await wallet_account(platform, "A-2")).balance_fen
    answers = await asyncio.gather(*[admin.post("/api/v1/accounts/A-2/recharges", headers=key, json=body)
                                     for _ in range(2)])
    done = [a for a in answers if a.status_code in (200, 201)]
    assert done, [a.text for a in answers]
    assert all(a.status_code in (200, 201) or a.json()["error"]["code"] == "idempotency_in_progress"
               for a in answers)
    assert all(a.json() == done[0].json() for a in done)
    replay = await admin.post("/api/v1/accounts/A-2/recharges", headers=key, json=body)
    assert replay.status_code in (200, 201) and replay.json() == done[0].json()
    assert (await wallet_account(platform, "A-2")).balance_fen == before + 5000
    await reconcile(platform)


@pytest.mark.parametrize("amount", [-100, 0, 10**20, 2**63, "100", 1.5, None, "一百"])
async def test_bad_amounts_get_a_clear_4xx_and_move_nothing(platform, admin, amount):
    before = (await wallet_account(platform, "A-3")).balance_fen
    answer = await admin.post("/api/v1/accounts/A-3/recharges", headers={"Idempotency-Key": f"bad-{uuid.uuid4()}"},
                              json={"amount_fen": amount, "channel": "cash"})
    assert 400 <= answer.status_code < 500, answer.text
    error = answer.json()["error"]
    assert error["message_zh"] and error["message_en"] and "amount_fen" in error["message_en"]
    assert (await wallet_account(platform, "A-3")).balance_fen == before


def test_schemathesis_finds_no_server_error(platform):
    """Every operation, valid and invalid inputs, a few examples each (bounded for the suite's time)."""
    token = _api_token(platform.console_url)
    spec = httpx.get(f"{platform.console_url}/api/openapi.json").json()
    schema = schemathesis.openapi.from_dict(spec)
    headers = {"Authorization": f"Bearer {token}"}
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, platform.console_url, headers, failures)
    assert not failures, "\n".join(failures[:20])
    asyncio.run(reconcile(platform))


def _fuzz(operation, mode, base_url: str, headers: dict, failures: list[str]) -> None:
    @settings(max_examples=4, deadline=None, database=None, phases=[Phase.generate], derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode), key=st.uuids())
    def run(case, key) -> None:
        response = case.call(base_url=base_url, headers={**headers, "Idempotency-Key": str(key)}, timeout=30)
        if response.status_code >= 500:
            failures.append(f"{case.method} {case.formatted_path} ({mode.value}) -> {response.status_code}: "
                            f"{response.text[:300]}\n  {case.as_curl_command()}")

    try:
        run()
    except Exception as exc:
        if "Unsatisfiable" not in type(exc).__name__:
            failures.append(f"{operation.method.upper()} {operation.path}: {type(exc).__name__}: {exc}")


def _api_token(console_url: str) -> str:
    """A personal API token (not the session): the fuzzer may log the session out, the token stays."""
    with httpx.Client(base_url=console_url, timeout=30) as client:
        login = client.post("/api/v1/session", json={"username": ADMIN, "password": PASSWORD})
        bearer = {"Authorization": f"Bearer {login.json()['token']}"}
        answer = client.post("/api/v1/tokens", headers=bearer, json={"name": "schemathesis"})
        assert answer.status_code in (200, 201), answer.text
        return answer.json()["token"]

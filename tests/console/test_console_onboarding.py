"""The onboarding import: one workbook, all or nothing, every bad line reported in Chinese and English, and
a re-run that changes nothing and publishes nothing.

Acquisition and wallet are recording fakes of their ports (the boundary); the fake acquisition checks the
sheet it gets with acquisition's own parser, so the CSV console sends is the one acquisition reads.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import text

from services.acquisition.domain.errors import AcquisitionError
from services.acquisition.domain.sheet import check_sheet
from services.acquisition.sheets import read_rows
from services.console.demo_site import DEMO_PASSWORD, DemoPorts, demo_workbook, seed_demo
from services.console.domain.errors import InvalidRequest
from services.console.domain.onboarding_sheets import SHEETS, OnboardingRejected
from services.console.ports import AccountSpec, ImportedMeters, Ports, WalletAccount
from services.console.service.onboarding import import_workbook, seeding_caller
from services.console.sheets import XLSX_TYPE, build_workbook
from services.contracts.meterpay.v1 import registry_pb2

PASSWORD = "onboarding-password"
NOW = datetime(2026, 12, 1, 8, tzinfo=UTC)
COLUMNS = {spec.key: [c.key for c in spec.columns] for spec in SHEETS}
CJK = re.compile(r"[\u4e00-\u9fff]")


class FakeAcquisition:
    def __init__(self, refusal: str | None = None) -> None:
        self.sheets: list[bytes] = []
        self.refusal = refusal

    async def import_meters(self, sheet_csv: bytes) -> ImportedMeters:
        self.sheets.append(sheet_csv)
        if self.refusal:
            raise InvalidRequest(f"采集服务拒绝了请求: {self.refusal}", f"acquisition refused: {self.refusal}")
        try:
            sheet = check_sheet(read_rows(sheet_csv, "onboarding.csv"))
        except AcquisitionError as exc:   # what the gRPC adapter makes of INVALID_ARGUMENT
            raise InvalidRequest(f"采集服务拒绝了请求: {exc}", f"acquisition refused: {exc}") from None
        return ImportedMeters(len(sheet.gateways), len(sheet.meters), 0)


class FakeWallet:
    def __init__(self) -> None:
        self.accounts: dict[str, AccountSpec] = {}
        self.calls: list[list[AccountSpec]] = []

    async def open_accounts(self, specs: list[AccountSpec]) -> list[str]:
        self.calls.append(specs)
        existing = [s.account_id for s in specs if s.account_id in self.accounts]
        self.accounts.update({s.account_id: s for s in specs if s.account_id not in self.accounts})
        return existing

    async def get_account(self, account_id: str) -> WalletAccount:
        s = self.accounts[account_id]
        return WalletAccount(s.account_id, s.tenant_name, s.meter_ids, s.opening_balance_fen, s.cutoff_fen, False,
                             s.project_id, s.mode, s.settlement, "open", 0, 0, s.alarm_thresholds_fen)


class Untouchable:
    """A port that must not be called: the workbook is rejected before anything leaves console."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __getattr__(self, attr: str):
        async def call(*args, **kwargs):
            raise AssertionError(f"{self.name}.{attr} was called")
        return call


def ports(acquisition=None, wallet=None) -> Ports:
    return Ports(acquisition=acquisition or Untouchable("acquisition"), wallet=wallet or Untouchable("wallet"),
                 control=Untouchable("control"), tariff=Untouchable("tariff"), sms=Untouchable("sms"))


def workbook(**sheets: list[dict]) -> bytes:
    """A workbook with the template's headers and rows given as {column: value}."""
    return build_workbook({key: [[row.get(c, "") for c in COLUMNS[key]] for row in rows]
                           for key, rows in sheets.items()})


def room(room_id: str, prop: str = "pa", region: str = "east", building: str = "1", floor: str = "1",
         area="50.5", use="shop", **more) -> dict:
    return {"region_id": region, "region_name": f"区域{region}", "property_id": prop, "property_name": f"项目{prop}",
            "building": building, "building_name": f"{building}号楼", "floor": floor, "floor_name": f"{floor}层",
            "room_id": room_id, "room_name": room_id, "area_m2": area, "use": use, **more}


def meter(meter_id: str, room_id: str, gateway: str = "gw-1", device=1, **more) -> dict:
    return {"meter_id": meter_id, "room_id": room_id, "kind": "electricity", "gateway_id": gateway,
            "gateway_transport": "modbus-tcp", "gateway_host": "127.0.0.1", "gateway_port": 15020,
            "protocol": "modbus", "device_id": device, **more}


def good_sheets() -> dict[str, list[dict]]:
    return {
        "rooms": [room("R101"), room("R102", area=30, use="办公"), room("R201", prop="pb", region="south", use="公寓")],
        "tenants": [
            {"tenant_id": "T1", "name": "汇丰商行", "phone": "13800000001", "room_ids": "R101，R102",
             "lease_from": "2026-01-01", "lease_to": "2026-12-31", "language": "中文"},
            {"tenant_id": "T2", "name": "Li Lei", "phone": 13900000002, "room_ids": "R201",
             "lease_from": datetime(2026, 3, 1), "language": "en", "email": "li@example.com"},
            {"tenant_id": "T3", "name": "待租", "property_id": "pa"}],
        "meters": [meter("M1", "R101"), meter("M2", "R102", device=2, kind="水"),
                   meter("M3", "R201", gateway="gw-2", gateway_transport="transparent-tcp", gateway_port=15030,
                         protocol="dlt645", address="000000000001")],
        "accounts": [
            {"account_id": "A1", "tenant_id": "T1", "meter_ids": "M1, M2", "opening_balance": "100.05",
             "cutoff": -50, "alarm_thresholds": "50、20、10"},
            {"account_id": "A2", "tenant_id": "T2", "meter_ids": "M3", "opening_balance": 0.1, "mode": "预付费",
             "settlement": "月结"}],
    }


async def count(sessions, table: str, where: str = "true") -> int:
    async with sessions() as s:
        return (await s.execute(text(f"SELECT count(*) FROM {table} WHERE {where}"))).scalar()


async def events(sessions) -> list[registry_pb2.RegistryEvent]:
    async with sessions() as s:
        rows = (await s.execute(text("SELECT payload FROM outbox ORDER BY id"))).scalars().all()
    return [registry_pb2.RegistryEvent.FromString(p) for p in rows]


async def test_a_workbook_with_errors_in_every_sheet_is_rejected_line_by_line_and_writes_nothing(
        console_app, add_node, make_operator):
    await add_node("G", "group")
    await make_operator("hq", PASSWORD, [("hq_admin", "G")])
    console = await console_app(ports=ports())
    hq = await console.login("hq", PASSWORD)
    bad = workbook(
        rooms=[room("R101"), room("R102", area="-5"), room("R101", area=20), room("R103", use="garage"),
               room("R104", building="x y")],
        tenants=[{"tenant_id": "T1", "name": "a", "phone": "12345", "room_ids": "R101", "lease_from": "2026-01-01"},
                 {"tenant_id": "T2", "name": "b", "room_ids": "R999", "lease_from": "2026-01-01"},
                 {"tenant_id": "T3", "name": "c", "room_ids": "R101", "lease_from": "2026-05-01",
                  "lease_to": "2026-01-01"},
                 {"tenant_id": "T4", "name": "d", "room_ids": "R101", "lease_from": "2026-01-01"}],
        meters=[meter("M1", "R101", protocol="dlt645", address="1"), meter("M2", "R999", device=2),
                meter("M3", "R101", device=3), meter("M3", "R101", device=4), meter("M5", "R101", device=5)],
        accounts=[{"account_id": "A1", "tenant_id": "T4", "meter_ids": "M5", "opening_balance": "12.345"},
                  {"account_id": "A2", "tenant_id": "T-x", "meter_ids": "M3"},
                  {"account_id": "A3", "tenant_id": "T4", "meter_ids": "M3"},
                  {"account_id": "A4", "tenant_id": "T4", "meter_ids": "M3"}])
    answer = await console.client.post("/api/v1/imports", content=bad, headers={**hq, "Content-Type": XLSX_TYPE})
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "import_rejected" and error["message_zh"] and error["message_en"]
    lines = {(p["sheet"], p["line"]) for p in error["lines"]}
    assert {("rooms", 3), ("rooms", 4), ("rooms", 5), ("rooms", 6), ("tenants", 2), ("tenants", 3), ("tenants", 4),
            ("meters", 2), ("meters", 3), ("meters", 5), ("accounts", 2), ("accounts", 3), ("accounts", 5)} == lines
    assert all(CJK.search(p["message_zh"]) and p["message_en"] for p in error["lines"])
    assert any("R999" in p["message_en"] for p in error["lines"] if p["sheet"] == "tenants")
    for table in ("tenants", "leases", "lease_rooms", "meters", "accounts", "account_meters", "gateways", "outbox"):
        assert await count(console.sessions, table) == 0, table
    assert await count(console.sessions, "nodes") == 1
    assert await count(console.sessions, "audit_log", "action = 'import'") == 0


async def test_a_good_workbook_builds_the_tree_tenants_leases_and_placements_and_publishes(console_sessions):
    acquisition, wallet = FakeAcquisition(), FakeWallet()
    new_uow = _uow_factory(console_sessions)
    report = await import_workbook(new_uow, ports(acquisition, wallet), seeding_caller(), workbook(**good_sheets()),
                                   NOW)
    assert report.counts == {kind: {"created": n, "updated": 0, "unchanged": 0} for kind, n in (
        ("nodes", 12), ("tenants", 3), ("leases", 2), ("meters", 3), ("accounts", 2))}
    assert (report.acquisition.gateways, report.acquisition.meters_created) == (2, 3)
    assert (report.accounts_opened, report.accounts_already_open, report.events_published) == (2, 0, 22)
    sheet = check_sheet(read_rows(acquisition.sheets[0], "onboarding.csv"))
    assert {g.gateway_id: g.project_id for g in sheet.gateways} == {"gw-1": "pa", "gw-2": "pb"}
    a1, a2 = wallet.calls[0]
    assert (a1.meter_ids, a1.opening_balance_fen, a1.cutoff_fen, a1.alarm_thresholds_fen, a1.tenant_name,
            a1.project_id) == (("M1", "M2"), 10005, -5000, (5000, 2000, 1000), "汇丰商行", "pa")
    assert (a2.opening_balance_fen, a2.mode, a2.settlement) == (10, "prepaid", "month_end")
    async with console_sessions() as s:
        r102 = (await s.execute(text("SELECT ltree2text(path), area_m2, room_use FROM nodes"
                                     " WHERE node_id = 'R102'"))).one()
        t2 = (await s.execute(text("SELECT phone, language, ltree2text(path) FROM tenants"
                                   " WHERE tenant_id = 'T2'"))).one()
        m2 = (await s.execute(text("SELECT kind, gateway_id, ltree2text(path) FROM meters"
                                   " WHERE meter_id = 'M2'"))).one()
        a1_row = (await s.execute(text("SELECT ltree2text(path), cutoff_fen, tenant_id FROM accounts"
                                       " WHERE account_id = 'A1'"))).one()
        lease = (await s.execute(text("SELECT starts_on, ends_on FROM leases WHERE tenant_id = 'T2'"))).one()
    assert r102 == ("G.east.pa.pa_h1.pa_h1_h1.R102", 30, "office")
    assert t2 == ("13900000002", "en", "G.south.pb")
    assert m2 == ("water", "gw-1", "G.east.pa.pa_h1.pa_h1_h1.R102")
    assert a1_row == ("G.east.pa.pa_h1.pa_h1_h1", -5000, "T1")      # the deepest node holding both rooms
    assert (lease.starts_on.isoformat(), lease.ends_on) == ("2026-03-01", None)
    published = await events(console_sessions)
    kinds = [e.WhichOneof("change") for e in published]
    assert kinds == ["node"] * 12 + ["tenant_contacts"] * 3 + ["lease"] * 2 + ["meter_placed"] * 3 + \
        ["account_placed"] * 2
    placed = {e.meter_placed.meter_id: e.meter_placed for e in published if e.HasField("meter_placed")}
    assert (placed["M1"].property_id, placed["M1"].building_id, placed["M1"].area_m2) == ("pa", "pa-1", "50.50")
    assert await count(console_sessions, "audit_log", "action = 'import' AND outcome = 'ok'") == 1


async def test_a_rerun_changes_nothing_and_publishes_nothing_and_a_change_only_what_changed(console_sessions):
    acquisition, wallet = FakeAcquisition(), FakeWallet()
    new_uow = _uow_factory(console_sessions)
    await import_workbook(new_uow, ports(acquisition, wallet), seeding_caller(), workbook(**good_sheets()), NOW)
    before = await count(console_sessions, "outbox")
    again = await import_workbook(new_uow, ports(acquisition, wallet), seeding_caller(), workbook(**good_sheets()),
                                  NOW)
    assert all(c == {"created": 0, "updated": 0, "unchanged": c["unchanged"]} for c in again.counts.values())
    assert (again.events_published, again.accounts_already_open) == (0, 2)
    assert await count(console_sessions, "outbox") == before
    changed = good_sheets()
    changed["rooms"][0]["area_m2"] = "55"
    changed["tenants"][0]["phone"] = "13800000009"
    report = await import_workbook(new_uow, ports(acquisition, wallet), seeding_caller(), workbook(**changed), NOW)
    assert report.counts["nodes"]["updated"] == 1 and report.counts["tenants"]["updated"] == 1
    fresh = (await events(console_sessions))[before:]
    assert [(e.WhichOneof("change")) for e in fresh] == ["node", "tenant_contacts", "meter_placed"]
    assert (fresh[0].node.change, fresh[1].tenant_contacts.phone, fresh[2].meter_placed.area_m2) == (
        "updated", "13800000009", "55.00")
    moved = good_sheets()
    moved["accounts"][0]["meter_ids"] = "M1"
    with pytest.raises(OnboardingRejected) as rejected:
        await import_workbook(new_uow, ports(), seeding_caller(), workbook(**moved), NOW)
    assert [(p.sheet, p.line) for p in rejected.value.problems] == [("accounts", 2)]


async def test_an_acquisition_refusal_names_the_workbook_lines_and_console_writes_nothing(console_sessions):
    refusal = "导入被拒绝 sheet rejected, 1 bad rows: 第3行 line 3: device id 2 taken by meter X"
    new_uow = _uow_factory(console_sessions)
    with pytest.raises(OnboardingRejected) as rejected:
        await import_workbook(new_uow, ports(FakeAcquisition(refusal)), seeding_caller(), workbook(**good_sheets()))
    problem, = rejected.value.problems
    assert (problem.sheet, problem.line) == ("meters", 3) and "device id 2" in problem.message_en
    assert await count(console_sessions, "nodes") == 0 and await count(console_sessions, "outbox") == 0
    assert await count(console_sessions, "audit_log", "action = 'import' AND outcome = 'failed'") == 1


async def test_scope_chinese_headers_and_what_is_not_a_workbook(console_app, console_tree, make_operator):
    await make_operator("mgr-a", PASSWORD, [("park_manager", "prop-a")])
    console = await console_app(ports=ports(FakeAcquisition(), FakeWallet()))
    mgr = await console.login("mgr-a", PASSWORD)
    post = _poster(console, mgr)
    outside = workbook(rooms=[room("R9", prop="prop-b", region="west", building="b1", floor="f1")],
                       tenants=[{"tenant_id": "T9", "name": "x", "room_ids": "room-b1", "lease_from": "2026-01-01"}])
    lines = (await post(outside)).json()["error"]["lines"]
    assert [(p["sheet"], p["line"]) for p in lines] == [("rooms", 2), ("tenants", 2)], lines
    chinese = _chinese_workbook([["区域编号", "项目编号", "楼栋", "楼层", "房间编号", "面积", "用途"],
                                 ["east", "prop-a", "b1", "f1", "R-A9", 12, "商铺"]])
    done = await post(chinese)
    assert done.status_code == 200, done.text
    assert done.json()["nodes"]["created"] == 3 and done.json()["events_published"] == 3
    template = await console.client.get("/api/v1/imports/template", headers=mgr)
    assert template.headers["content-type"] == XLSX_TYPE
    assert [s.title for s in load_workbook(io.BytesIO(template.content)).worksheets] == [
        "房间 rooms", "租户 tenants", "表计 meters", "账户 accounts"]
    empty = (await post(template.content)).json()["error"]["lines"]
    assert [(p["sheet"], p["message_en"]) for p in empty] == [("rooms", "the workbook has no rows")]
    assert (await post(b"room_id,area\n1,2")).json()["error"]["lines"][0]["message_en"].startswith("not an Excel")
    assert (await console.client.post("/api/v1/imports", content=b"x", headers={
        **mgr, "Content-Type": "text/csv"})).status_code == 415
    assert (await post(b"x" * (20 * 2**20 + 1))).status_code == 413
    anonymous = await console.client.post("/api/v1/imports", content=chinese, headers={"Content-Type": XLSX_TYPE})
    assert anonymous.status_code in (401, 403)


async def test_an_operator_imports_only_into_his_own_property(console_app, console_sessions, make_operator):
    await import_workbook(_uow_factory(console_sessions), ports(FakeAcquisition(), FakeWallet()), seeding_caller(),
                          workbook(**good_sheets()), NOW)
    await make_operator("mgr-pa", PASSWORD, [("park_manager", "pa")])
    console = await console_app(ports=ports(FakeAcquisition(), FakeWallet()))
    mgr = await console.login("mgr-pa", PASSWORD)
    sheets = good_sheets()      # pb's rows unchanged: naming them is no licence to fill them
    sheets["tenants"].append({"tenant_id": "T9", "name": "x", "room_ids": "R201", "lease_from": "2026-01-01"})
    sheets["tenants"].append({"tenant_id": "T8", "name": "y", "property_id": "pb"})
    sheets["meters"].append(meter("M9", "R201", gateway="gw-9"))
    sheets["accounts"].append({"account_id": "A9", "tenant_id": "T2", "meter_ids": "M9"})
    answer = await _poster(console, mgr)(workbook(**sheets))
    lines = [(p["sheet"], p["line"]) for p in answer.json()["error"]["lines"]]
    # (the accounts of those tenants and meters are not reported again: their lines name the cause)
    assert lines == [("tenants", 3), ("tenants", 5), ("tenants", 6), ("meters", 4), ("meters", 5)], answer.text
    assert await count(console_sessions, "tenants") == 3


async def test_the_demo_workbook_seeds_the_demo_group(console_app, console_sessions):
    acquisition, wallet = FakeAcquisition(), FakeWallet()
    new_uow = _uow_factory(console_sessions)
    report = await seed_demo(new_uow, ports(acquisition, wallet), DemoPorts(property_b=15020, property_c=15040))
    assert report.counts["meters"]["created"] == 359 and report.counts["accounts"]["created"] == 359
    sheet = check_sheet(read_rows(acquisition.sheets[0], "onboarding.csv"))
    assert len(sheet.gateways) == 14 and {g.project_id for g in sheet.gateways} == {"riverside", "eastlake", "nansha"}
    balances = [s.opening_balance_fen for s in wallet.calls[0]]
    assert 0 in balances and any(0 < b < 1000 for b in balances) and max(balances) >= 100_000
    again = await seed_demo(new_uow, ports(acquisition, wallet))
    assert again.events_published == 0
    console = await console_app(ports=ports())
    elec = await console.login("elec-a", DEMO_PASSWORD)
    nodes = (await console.client.get("/api/v1/nodes", headers=elec, params={"kind": "property"})).json()
    assert [n["node_id"] for n in nodes["items"]] == ["riverside"]
    east = await console.login("east-mgr", DEMO_PASSWORD)
    props = (await console.client.get("/api/v1/nodes", headers=east, params={"kind": "property"})).json()
    assert sorted(n["node_id"] for n in props["items"]) == ["eastlake", "riverside"]
    assert len(demo_workbook()) < 2**20


def _uow_factory(sessions):
    from services.console.entrypoints.events import to_outgoing
    from services.console.unit_of_work import ConsoleUnitOfWork

    return lambda: ConsoleUnitOfWork(sessions, on_commit=lambda: None, mapper=to_outgoing)


def _poster(console, headers):
    async def post(content: bytes):
        return await console.client.post("/api/v1/imports", content=content,
                                         headers={**headers, "Content-Type": "application/octet-stream"})
    return post


def _chinese_workbook(rooms: list[list]) -> bytes:
    """Sheet names and headers in Chinese only; the other sheets have headers and no rows."""
    book = Workbook()
    book.active.title = "房间"
    for row in rooms:
        book.active.append(row)
    for title, header in (("租户", ["租户编号", "租户名称"]), ("表计", ["表号", "房间编号", "网关", "网关类型", "协议",
                                                                  "设备号"]),
                          ("账户", ["账户编号", "租户编号", "表号"])):
        book.create_sheet(title).append(header)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

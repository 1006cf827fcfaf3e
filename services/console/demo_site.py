"""The demo group `make run` seeds through the onboarding import: group G 某集团, regions east (华东区域)
and south (华南区域), three properties:

- riverside 滨江中心 (east): the 353-meter building of simulators/sites/building-353.yaml (podium, tower A,
  tower B; 12 Modbus gateways on 127.0.0.1:15021-15032), one room, tenant and account per meter;
- eastlake 东湖园区 (east): meters M-0001..M-0003 on gateway gw-demo-1, served by
  `python -m simulators --demo 3 --port <DemoPorts.property_b>`;
- nansha 南沙公寓 (south): meters S-0001..S-0003 on gateway gw-south-1, served by
  `python -m simulators --site simulators/sites/demo-south.yaml` (port 15040, as DemoPorts.property_c).

Balances vary so that some accounts start in alarm (below ¥50 / ¥20 / ¥10) and some in arrears (¥0).
The demo operators (DEMO_OPERATORS, password DEMO_PASSWORD) are created by the caller (devstack).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml

from services.console.domain.onboarding_model import GroupSpec
from services.console.ports import Ports
from services.console.service.onboarding import ImportReport, import_workbook, seeding_caller
from services.console.service.operators import ensure_operator
from services.console.sheets import build_workbook
from services.console.unit_of_work import ConsoleUnitOfWork

SITES = Path(__file__).resolve().parents[2] / "simulators" / "sites"
DEMO_PASSWORD = "meterpay-demo"
DEMO_GROUP = GroupSpec("G", "某集团")
USES = {"shop": "shop", "restaurant": "shop", "office": "office", "apartment": "apartment"}
AREAS_M2 = {"shop": (40, 120), "restaurant": (120, 300), "office": (80, 250), "apartment": (45, 110)}
BUILDINGS = {"podium": "裙楼 Podium", "towerA": "A座 Tower A", "towerB": "B座 Tower B", "main": "1号楼 Building 1"}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ("伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "杰", "军", "勇", "涛", "明", "超", "霞")
TRADES = {"shop": ("商行", "便利店", "服饰", "花店", "文具店"), "restaurant": ("餐厅", "面馆", "茶餐厅", "火锅店"),
          "office": ("科技有限公司", "咨询有限公司", "设计工作室", "贸易有限公司"), "apartment": ()}
BRANDS = ("汇丰", "安泰", "恒信", "瑞达", "华美", "博远", "鼎盛", "星辰", "金桥", "云帆", "鸿运", "嘉禾")
# Opening balances (yuan) cycling over the accounts: most comfortable, some in alarm, some in arrears.
OPENINGS_YUAN = ("800.00", "1500.00", "45.00", "320.50", "18.00", "2000.00", "0.00", "650.00", "8.80", "1200.00",
                 "260.00", "980.00")


@dataclass(frozen=True)
class DemoPorts:
    """Where the demo's small properties' simulated gateways listen (the 353-meter building's are in its yaml)."""

    property_b: int = 15020          # python -m simulators --demo 3 --port <property_b>
    property_c: int = 15040          # python -m simulators --site simulators/sites/demo-south.yaml
    host: str = "127.0.0.1"


@dataclass(frozen=True)
class DemoOperator:
    username: str
    display_name: str
    role_id: str
    node_id: str


DEMO_OPERATORS = (
    DemoOperator("hq", "集团管理员 HQ admin", "hq_admin", "G"),
    DemoOperator("east-mgr", "华东区域经理 East regional manager", "regional_manager", "east"),
    DemoOperator("mgr-a", "滨江中心经理 Riverside manager", "park_manager", "riverside"),
    DemoOperator("elec-a", "滨江中心电工 Riverside electrician", "park_electrician", "riverside"),
    DemoOperator("mgr-b", "东湖园区经理 East Lake manager", "park_manager", "eastlake"),
    DemoOperator("elec-b", "东湖园区电工 East Lake electrician", "park_electrician", "eastlake"),
    DemoOperator("cashier-a", "滨江中心收费员 Riverside cashier", "cashier", "riverside"),
    DemoOperator("auditor", "集团审计员 Auditor", "auditor", "G"),
)


@dataclass(frozen=True)
class _Meter:
    meter_id: str
    kind: str                 # the simulator's load kind: shop / restaurant / office / apartment
    gateway_id: str
    host: str
    port: int
    device_id: int
    building: str
    floor: str


async def seed_demo(new_uow: Callable[[], ConsoleUnitOfWork], ports: Ports, demo_ports: DemoPorts = DemoPorts(),
                    now: datetime | None = None) -> ImportReport:
    """Import the demo workbook (acquisition and wallet through `ports`), then the demo operators with their
    grants (password DEMO_PASSWORD). A re-run changes nothing."""
    report = await import_workbook(new_uow, ports, seeding_caller(DEMO_GROUP), demo_workbook(demo_ports), now,
                                   DEMO_GROUP)
    async with new_uow() as uow:
        for op in DEMO_OPERATORS:
            await ensure_operator(uow, op.username, op.display_name, DEMO_PASSWORD, [(op.role_id, op.node_id)])
        await uow.commit()
    return report


def demo_workbook(ports: DemoPorts = DemoPorts()) -> bytes:
    """The demo group's onboarding workbook (.xlsx bytes): import it with service.onboarding.import_workbook."""
    sheets: dict[str, list[list[object]]] = {"rooms": [], "tenants": [], "meters": [], "accounts": []}
    sites = [("east", "华东区域", "riverside", "滨江中心 Riverside Center", _building_353()),
             ("east", "华东区域", "eastlake", "东湖园区 East Lake Park", _small_site(
                 "gw-demo-1", ports.host, ports.property_b, "M", ("shop", "office", "apartment"))),
             ("south", "华南区域", "nansha", "南沙公寓 Nansha Apartments", _small_site(
                 "gw-south-1", ports.host, ports.property_c, "S", ("apartment", "apartment", "shop")))]
    rng = random.Random(353)
    number = 0
    for region_id, region_name, property_id, property_name, meters in sites:
        for meter in meters:
            number += 1
            _add_meter(sheets, rng, number, (region_id, region_name, property_id, property_name), meter)
    return build_workbook(sheets)


def _add_meter(sheets: dict[str, list[list[object]]], rng: random.Random, number: int,
               site: tuple[str, str, str, str], m: _Meter) -> None:
    region_id, region_name, property_id, property_name = site
    seq = int(m.meter_id.rsplit("-", 1)[1])
    floor_no = int(m.floor.lstrip("F"))
    room_id = f"R-{m.meter_id}"
    low, high = AREAS_M2[m.kind]
    sheets["rooms"].append([region_id, region_name, property_id, property_name, m.building,
                            BUILDINGS.get(m.building, m.building), m.floor, f"{floor_no}层", room_id,
                            f"{floor_no}{seq:02d}", f"{rng.uniform(low, high):.2f}", USES[m.kind]])
    tenant_id = f"T-{m.meter_id}"
    sheets["tenants"].append([tenant_id, _tenant_name(rng, m.kind), f"139{number:08d}",
                              f"tenant{number}@example.com" if number % 3 == 0 else "", "",
                              "en" if number % 17 == 0 else "zh-CN", property_id, room_id,
                              f"2026-0{1 + number % 9}-01", "2028-12-31" if number % 4 else ""])
    sheets["meters"].append([m.meter_id, room_id, "electricity", m.gateway_id, "modbus-tcp", m.host, m.port,
                             "modbus", m.device_id, "", 1, 1])
    credit = m.kind == "office" and number % 5 == 0     # a few offices may run into credit down to -¥200
    sheets["accounts"].append([f"A-{m.meter_id}", tenant_id, m.meter_id, OPENINGS_YUAN[number % len(OPENINGS_YUAN)],
                               "-200.00" if credit else "0", "50,20,10", "prepaid", "realtime"])


def _tenant_name(rng: random.Random, kind: str) -> str:
    if kind == "apartment":
        return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    return rng.choice(BRANDS) + rng.choice(TRADES[kind])


def _building_353() -> list[_Meter]:
    site = yaml.safe_load((SITES / "building-353.yaml").read_text(encoding="utf-8"))
    meters = []
    for gateway in site["gateways"]:
        for meter in gateway["meters"]:
            building, floor, _ = meter["meter_id"].split("-")   # e.g. podium-F1-001
            meters.append(_Meter(meter["meter_id"], meter["kind"], gateway["name"], gateway["host"],
                                 int(gateway["port"]), int(meter["device_id"]), building, floor))
    return meters


def _small_site(gateway_id: str, host: str, port: int, prefix: str, kinds: tuple[str, ...]) -> list[_Meter]:
    return [_Meter(f"{prefix}-{n:04d}", kind, gateway_id, host, port, n, "main", "F1")
            for n, kind in enumerate(kinds, start=1)]

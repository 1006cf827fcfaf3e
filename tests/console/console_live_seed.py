"""A small site with rooms in every state, written straight into the console database (nodes through the
conftest's add_node): the fixture of the rooms, meters and reports tests. Operators: hq (HQ admin at G),
mgr-a / mgr-b (park managers of prop-a / prop-b), elec-b (electrician of prop-b), cashier-a (prop-a)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert

from services.console.domain.live import china_day
from services.console.models import account_meters, accounts, commands, meter_days, meters, tenants
from services.kit.clock import FixedClock

PASSWORD = "rooms-test-pw-1"
NOW = datetime(2026, 11, 10, 3, 0, tzinfo=UTC)          # 11:00 China time
TODAY = china_day(NOW)
# room -> (online, control mode, account: None or (tenant, alarm level, in arrears))
ROOMS_A = {"pa-101": (True, "prepaid", ("t-a1", 0, False)), "pa-102": (True, "prepaid", ("t-a1", 1, False)),
           "pa-103": (True, "prepaid", ("t-a2", 2, False)), "pa-104": (True, "prepaid", ("t-a2", 2, True)),
           "pa-105": (True, "prepaid", None), "pa-106": (False, "prepaid", ("t-a2", 0, False)),
           "pa-107": (True, "guarantee", ("t-a2", 0, True))}
STATES_A = {"pa-101": "supply_on", "pa-102": "alarm_1", "pa-103": "alarm_2", "pa-104": "arrears_cut",
            "pa-105": "not_opened", "pa-106": "offline", "pa-107": "power_guarantee"}
TENANTS = {"t-a1": ("prop-a", "13800000011"), "t-a2": ("prop-a", "13800000012"), "t-b1": ("prop-b", "13900000021")}


async def seed_rooms(sessions, add_node) -> None:
    await add_node("G", "group")
    for region, prop, tag in (("east", "prop-a", "a"), ("west", "prop-b", "b")):
        await add_node(region, "region", "G")
        await add_node(prop, "property", region)
        for b in ("1", "2"):
            await add_node(f"p{tag}-b{b}", "building", prop)
            await add_node(f"p{tag}-b{b}-f1", "floor", f"p{tag}-b{b}")
    rooms = dict(ROOMS_A) | {"pa-201": (True, "prepaid", ("t-a1", 0, False)),
                             "pb-101": (True, "prepaid", ("t-b1", 0, False))}
    paths = {}
    for room_id in rooms:
        floor = f"{room_id[:2]}-b{room_id[3]}-f1"
        paths[room_id] = await add_node(room_id, "room", floor, name=f"房间 {room_id}", area_m2=30, room_use="shop")
    async with sessions() as s:
        for tenant_id, (prop, phone) in TENANTS.items():
            prop_path = "G.east.prop_ha" if prop == "prop-a" else "G.west.prop_hb"
            await s.execute(insert(tenants).values(tenant_id=tenant_id, name=f"租户{tenant_id}", phone=phone,
                                                   property_id=prop, path=prop_path))
        for room_id, (online, mode, acct) in rooms.items():
            prop = "prop-a" if room_id.startswith("pa") else "prop-b"
            await s.execute(insert(meters).values(
                meter_id=f"m-{room_id}", room_id=room_id, property_id=prop, path=paths[room_id], kind="electricity",
                gateway_id="", online=online, control_mode=mode, relay_state="closed", total_wh=5000))
            await s.execute(insert(meter_days).values(meter_id=f"m-{room_id}", day=TODAY, property_id=prop,
                                                      path=paths[room_id], energy_wh=1200, amount_fen=96))
            if acct:
                tenant, level, arrears = acct
                await s.execute(insert(accounts).values(
                    account_id=f"a-{room_id}", tenant_id=tenant, property_id=prop, path=paths[room_id],
                    balance_fen=-50 if arrears else 5000, alarm_level=level, in_arrears=arrears))
                await s.execute(insert(account_meters).values(meter_id=f"m-{room_id}", account_id=f"a-{room_id}"))
        await s.execute(insert(commands).values(command_id="cmd-1", meter_id="m-pa-104", property_id="prop-a",
                                                path=paths["pa-104"], action="trip", status="confirmed",
                                                requested_by="wallet-event:x", created_at=NOW))
        await s.commit()


class FakeAcquisition:
    def __init__(self) -> None:
        self.asked: list[list[str]] = []

    async def read_now(self, meter_ids: list[str]) -> tuple[int, int]:
        self.asked.append(meter_ids)
        return len(meter_ids), 0


async def make_site(console_app, console_sessions, add_node, make_operator):
    """The site seeded, its operators made, and the console app on it with a fixed clock and a fake acquisition."""
    await seed_rooms(console_sessions, add_node)
    for username, role, node in (("hq", "hq_admin", "G"), ("mgr-a", "park_manager", "prop-a"),
                                 ("mgr-b", "park_manager", "prop-b"), ("elec-b", "park_electrician", "prop-b"),
                                 ("cashier-a", "cashier", "prop-a")):
        await make_operator(username, PASSWORD, [(role, node)])
    harness = await console_app(clock=FixedClock(NOW))
    harness.deps.ports.acquisition = FakeAcquisition()
    return harness


async def all_items(client, path: str, headers, **params) -> list[dict]:
    items, cursor = [], ""
    while True:
        answer = await client.get(path, headers=headers, params={**params, "cursor": cursor})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        items += body["items"]
        if not body["next"]:
            return items
        cursor = body["next"]

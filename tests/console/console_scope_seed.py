"""Two properties in two regions with one object of every kind each, written straight into the console
database: the fixture of the scope matrix (what is seeded does not depend on the code under test)."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from sqlalchemy import text

from services.console.domain.scope import BUILT_IN_ROLES
from services.console.domain.tree import path_label

PASSWORD = "scope-matrix-pw"


@dataclass(frozen=True)
class Side:
    """The ids of one property's objects (distinctive, so a leak is found by searching a response)."""

    tag: str
    region: str
    property: str
    building: str
    floor: str
    room: str
    tenant: str
    lease: str
    meter: str
    gateway: str
    account: str
    command: str
    batch: str
    transfer: str
    plan: str
    operator: str
    username: str
    grant: str
    token: str
    phone: str

    @classmethod
    def named(cls, tag: str, region: str, phone: str) -> Side:
        return cls(tag=tag, region=region, property=f"prop-{tag}", building=f"prop-{tag}-b1",
                   floor=f"prop-{tag}-b1-f1", room=f"room-{tag}{tag}{tag}", tenant=f"tenant-{tag}{tag}{tag}",
                   lease=f"lease-{tag}{tag}{tag}", meter=f"meter-{tag}{tag}{tag}", gateway=f"gw-{tag}{tag}{tag}",
                   account=f"acct-{tag}{tag}{tag}", command=f"cmd-{tag}{tag}{tag}", batch=f"batch-{tag}{tag}{tag}",
                   transfer=f"tr-{tag}{tag}{tag}", plan=f"plan-{tag}{tag}{tag}", operator=f"op-{tag}{tag}{tag}",
                   username=f"manager-{tag}", grant=f"grant-{tag}{tag}{tag}", token=f"tok-{tag}{tag}{tag}",
                   phone=phone)

    def ids(self) -> dict[str, str]:
        """Path parameter name -> this side's object of that kind."""
        return {"room_id": self.room, "meter_id": self.meter, "account_id": self.account,
                "tenant_id": self.tenant, "node_id": self.property, "command_id": self.command,
                "batch_id": self.batch, "operator_id": self.operator, "grant_id": self.grant,
                "token_id": self.token, "plan_id": self.plan, "transfer_id": self.transfer,
                "lease_id": self.lease, "gateway_id": self.gateway}


A = Side.named("a", "east", "13800000001")
B = Side.named("b", "south", "13900000002")


def _path(*ids: str) -> str:
    return ".".join(path_label(i) for i in ids)


async def seed(sessions) -> None:
    hasher = PasswordHasher()
    async with sessions() as s:
        for role in BUILT_IN_ROLES:
            await s.execute(text("INSERT INTO roles (role_id, name_zh, name_en, permissions, built_in)"
                                 " VALUES (:r, :zh, :en, :p, true) ON CONFLICT DO NOTHING"),
                            {"r": role.role_id, "zh": role.name_zh, "en": role.name_en,
                             "p": sorted(str(p) for p in role.permissions)})
        await _node(s, "G", "group", "集团", None, _path("G"), None)
        for side in (A, B):
            await _seed_side(s, side, hasher.hash(PASSWORD))
        await s.commit()


async def _node(s, node_id, kind, name, parent, path, property_id, area=None, use=None) -> None:
    await s.execute(text("INSERT INTO nodes (node_id, kind, name, parent_id, path, property_id, area_m2, room_use)"
                         " VALUES (:i, :k, :n, :p, text2ltree(:path), :prop, :area, :use)"),
                    {"i": node_id, "k": kind, "n": name, "p": parent, "path": path, "prop": property_id,
                     "area": area, "use": use})


async def _seed_side(s, x: Side, password_hash: str) -> None:
    prop_path = _path("G", x.region, x.property)
    room_path = _path("G", x.region, x.property, x.building, x.floor, x.room)
    await _node(s, x.region, "region", f"区域 {x.tag}", "G", _path("G", x.region), None)
    await _node(s, x.property, "property", f"项目 {x.tag}", x.region, prop_path, x.property)
    await _node(s, x.building, "building", "1号楼", x.property, _path("G", x.region, x.property, x.building),
                x.property)
    await _node(s, x.floor, "floor", "1层", x.building,
                _path("G", x.region, x.property, x.building, x.floor), x.property)
    await _node(s, x.room, "room", f"房间 {x.tag}", x.floor, room_path, x.property, 50, "shop")
    p = {"prop": x.property, "pp": prop_path, "rp": room_path}
    statements = [
        ("INSERT INTO tenants (tenant_id, name, phone, property_id, path) VALUES (:t, :n, :ph, :prop, text2ltree(:pp))",
         {"t": x.tenant, "n": f"租户 {x.tag}", "ph": x.phone}),
        ("INSERT INTO leases (lease_id, tenant_id, starts_on, property_id, path)"
         " VALUES (:l, :t, DATE '2026-01-01', :prop, text2ltree(:pp))", {"l": x.lease, "t": x.tenant}),
        ("INSERT INTO lease_rooms (lease_id, room_id) VALUES (:l, :r)", {"l": x.lease, "r": x.room}),
        ("INSERT INTO meters (meter_id, room_id, property_id, path, gateway_id, online, relay_state, total_wh)"
         " VALUES (:m, :r, :prop, text2ltree(:rp), :g, true, 'closed', 1000)",
         {"m": x.meter, "r": x.room, "g": x.gateway}),
        ("INSERT INTO gateways (gateway_id, property_id, path, online) VALUES (:g, :prop, text2ltree(:pp), true)",
         {"g": x.gateway}),
        ("INSERT INTO accounts (account_id, tenant_id, property_id, path, balance_fen)"
         " VALUES (:a, :t, :prop, text2ltree(:rp), 5000)", {"a": x.account, "t": x.tenant}),
        ("INSERT INTO account_meters (meter_id, account_id) VALUES (:m, :a)", {"m": x.meter, "a": x.account}),
        ("INSERT INTO meter_days (meter_id, day, property_id, path, energy_wh, amount_fen)"
         " VALUES (:m, CURRENT_DATE, :prop, text2ltree(:rp), 500, 60)", {"m": x.meter}),
        ("INSERT INTO commands (command_id, meter_id, property_id, path, action, status)"
         " VALUES (:c, :m, :prop, text2ltree(:rp), 'trip', 'confirmed')", {"c": x.command, "m": x.meter}),
        ("INSERT INTO batches (batch_id, kind, property_id, path, requested_by, items)"
         " VALUES (:b, 'trip', :prop, text2ltree(:pp), 'operator:x', 1)", {"b": x.batch}),
        ("INSERT INTO money_movements (transfer_id, account_id, kind, amount_fen, operator, property_id, path)"
         " VALUES (:tr, :a, 'recharge', 1000, 'operator:x', :prop, text2ltree(:rp))",
         {"tr": x.transfer, "a": x.account}),
        ("INSERT INTO plans (plan_id, name, property_id, path, created_by)"
         " VALUES (:pl, '电价', :prop, text2ltree(:pp), 'operator:x')", {"pl": x.plan}),
        ("INSERT INTO operators (operator_id, username, display_name, password_hash) VALUES (:o, :u, :u, :h)",
         {"o": x.operator, "u": x.username, "h": password_hash}),
        # hq_admin's permissions at the property: every action is allowed, so only the scope can refuse.
        ("INSERT INTO grants (grant_id, operator_id, role_id, node_id) VALUES (:gr, :o, 'hq_admin', :prop)",
         {"gr": x.grant, "o": x.operator}),
        ("INSERT INTO api_tokens (token_id, operator_id, name, token_hash) VALUES (:tk, :o, 'integration', :th)",
         {"tk": x.token, "o": x.operator, "th": f"{x.tag * 64}"}),
        ("INSERT INTO audit_log (actor_kind, actor, action, target_kind, target_id, path, outcome)"
         " VALUES ('operator', :u, 'account.recharge', 'account', :a, text2ltree(:rp), 'ok')",
         {"u": x.username, "a": x.account}),
    ]
    for sql, params in statements:
        await s.execute(text(sql), {**p, **params})

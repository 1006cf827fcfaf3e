"""The org tree, tenants and leases through the API: paths follow creates and moves, every change is audited
and published (registry.events.v1 in the outbox), and an operator of property A cannot reach property B."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from services.console.domain.scope import ALL, Caller, GrantView, Scope
from services.console.service.tree import PlaceMeter, place_meter
from services.contracts.meterpay.v1 import registry_pb2
from services.kit.paging import encode_cursor

PASSWORD = "tree-password"


async def outbox(sessions) -> list[registry_pb2.RegistryEvent]:
    async with sessions() as s:
        rows = (await s.execute(text("SELECT topic, key, payload FROM outbox ORDER BY id"))).all()
    assert all(r.topic == "registry.events.v1" for r in rows)
    events = [registry_pb2.RegistryEvent.FromString(r.payload) for r in rows]
    keys = {"node": "node_id", "meter_placed": "meter_id", "tenant_contacts": "tenant_id", "lease": "lease_id",
            "account_placed": "account_id"}
    for row, event in zip(rows, events, strict=True):
        kind = event.WhichOneof("change")
        assert row.key == getattr(getattr(event, kind), keys[kind]) and event.event_id and event.occurred_at.seconds
    return events


async def scalar(sessions, sql: str, **params):
    async with sessions() as s:
        return (await s.execute(text(sql), params)).scalar()


async def test_nodes_are_created_under_a_parent_audited_and_published(console, console_tree, make_operator):
    await make_operator("hq", PASSWORD, [("hq_admin", "G")])
    hq = await console.login("hq", PASSWORD)
    made = await console.client.post("/api/v1/nodes", headers=hq, json={
        "node_id": "a-b2", "parent_id": "prop-a", "kind": "building", "name": "2号楼"})
    assert made.status_code == 201, made.text
    assert made.json()["path"] == console_tree["prop-a"] + ".a_hb2" and made.json()["property_id"] == "prop-a"
    await console.client.post("/api/v1/nodes", headers=hq, json={
        "node_id": "a-b2-f1", "parent_id": "a-b2", "kind": "floor", "name": "1层"})
    room = await console.client.post("/api/v1/nodes", headers=hq, json={
        "node_id": "a-201", "parent_id": "a-b2-f1", "kind": "room", "name": "201", "area_m2": "86.5",
        "room_use": "office"})
    assert room.json()["area_m2"] == "86.50", room.text
    wrong = await console.client.post("/api/v1/nodes", headers=hq, json={
        "node_id": "a-202", "parent_id": "a-b2", "kind": "room", "name": "202", "area_m2": 10, "room_use": "shop"})
    assert wrong.status_code == 400 and "building" in wrong.json()["error"]["message_en"]
    again = await console.client.post("/api/v1/nodes", headers=hq, json={
        "node_id": "a-201", "parent_id": "a-b2-f1", "kind": "room", "name": "x", "area_m2": 1, "room_use": "shop"})
    assert again.status_code == 409
    events = await outbox(console.sessions)
    assert [(e.node.node_id, e.node.change) for e in events] == [
        ("a-b2", "created"), ("a-b2-f1", "created"), ("a-201", "created")]
    assert events[2].node.area_m2 == "86.50" and events[2].node.room_use == "office"
    assert await scalar(console.sessions, "SELECT count(*) FROM audit_log WHERE action = 'node.create'") == 3
    listed = await console.client.get("/api/v1/nodes", headers=hq, params={"parent_id": "a-b2-f1"})
    assert [n["node_id"] for n in listed.json()["items"]] == ["a-201"]


async def test_an_operator_of_property_a_cannot_reach_property_b(console, console_tree, make_operator):
    await make_operator("mgr-a", PASSWORD, [("park_manager", "prop-a")])
    await make_operator("hq", PASSWORD, [("hq_admin", "G")])
    hq, mgr = await console.login("hq", PASSWORD), await console.login("mgr-a", PASSWORD)
    for prop in ("prop-a", "prop-b"):
        made = await console.client.post("/api/v1/tenants", headers=hq, json={
            "tenant_id": f"t-{prop}", "property_id": prop, "name": f"租户 {prop}", "phone": "+86 138 0013 8000"})
        assert made.status_code == 201 and made.json()["phone"] == "13800138000", made.text
    nodes = (await console.client.get("/api/v1/nodes", headers=mgr, params={"limit": 2})).json()
    seen = [n["node_id"] for n in nodes["items"]]
    while nodes["next"]:
        nodes = (await console.client.get("/api/v1/nodes", headers=mgr, params={"cursor": nodes["next"]})).json()
        seen += [n["node_id"] for n in nodes["items"]]
    assert seen == ["prop-a", "a-b1", "a-b1-f1", "room-a1"]
    for url in ("/api/v1/nodes/prop-b", "/api/v1/nodes/room-b1", "/api/v1/nodes/G", "/api/v1/tenants/t-prop-b",
                "/api/v1/tenants/t-prop-b/leases"):
        assert (await console.client.get(url, headers=mgr)).status_code == 404, url
    assert (await console.client.get("/api/v1/nodes/room-a1", headers=mgr)).status_code == 200
    tenants = (await console.client.get("/api/v1/tenants", headers=mgr)).json()
    assert [t["tenant_id"] for t in tenants["items"]] == ["t-prop-a"]
    refused = [
        await console.client.post("/api/v1/nodes", headers=mgr, json={
            "node_id": "b-b9", "parent_id": "prop-b", "kind": "building", "name": "x"}),
        await console.client.patch("/api/v1/nodes/room-b1", headers=mgr, json={"name": "mine"}),
        await console.client.patch("/api/v1/nodes/room-a1", headers=mgr, json={"parent_id": "b-b1-f1"}),
        await console.client.post("/api/v1/tenants", headers=mgr, json={"property_id": "prop-b", "name": "x"}),
        await console.client.patch("/api/v1/tenants/t-prop-b", headers=mgr, json={"name": "x"}),
        await console.client.post("/api/v1/tenants/t-prop-a/leases", headers=mgr, json={
            "room_ids": ["room-b1"], "starts_on": "2026-01-01"}),
    ]
    assert [r.status_code for r in refused] == [404] * 6, [r.text for r in refused]
    assert (await console.client.get("/api/v1/nodes", headers=mgr, params={"cursor": "forged"})).status_code == 400


async def test_moving_a_property_rewrites_every_path_under_it(console, console_tree, make_operator):
    await make_operator("hq", PASSWORD, [("hq_admin", "G")])
    hq = await console.login("hq", PASSWORD)
    room, prop = console_tree["room-a1"], console_tree["prop-a"]
    async with console.sessions() as s:
        for sql in (
            "INSERT INTO tenants (tenant_id, name, property_id, path) VALUES ('t1', 'x', 'prop-a', text2ltree(:p))",
            "INSERT INTO leases (lease_id, tenant_id, starts_on, property_id, path)"
            " VALUES ('l1', 't1', DATE '2026-01-01', 'prop-a', text2ltree(:p))",
            "INSERT INTO meters (meter_id, room_id, property_id, path, gateway_id, total_wh)"
            " VALUES ('m1', 'room-a1', 'prop-a', text2ltree(:r), 'gw1', 42)",
            "INSERT INTO gateways (gateway_id, property_id, path) VALUES ('gw1', 'prop-a', text2ltree(:p))",
            "INSERT INTO accounts (account_id, tenant_id, property_id, path)"
            " VALUES ('a1', 't1', 'prop-a', text2ltree(:r))",
            "INSERT INTO meter_days (meter_id, day, property_id, path)"
            " VALUES ('m1', DATE '2026-12-01', 'prop-a', text2ltree(:r))",
            "INSERT INTO commands (command_id, meter_id, property_id, path, action, status)"
            " VALUES ('c1', 'm1', 'prop-a', text2ltree(:r), 'trip', 'confirmed')",
            "INSERT INTO money_movements (transfer_id, account_id, kind, amount_fen, operator, property_id, path)"
            " VALUES ('tr1', 'a1', 'recharge', 100, 'x', 'prop-a', text2ltree(:r))",
            "INSERT INTO plans (plan_id, name, property_id, path, created_by)"
            " VALUES ('p1', 'x', 'prop-a', text2ltree(:p), 'x')",
            "INSERT INTO batches (batch_id, kind, property_id, path, requested_by)"
            " VALUES ('b1', 'trip', 'prop-a', text2ltree(:p), 'x')",
        ):
            await s.execute(text(sql), {"p": prop, "r": room})
        await s.commit()
    moved = await console.client.patch("/api/v1/nodes/prop-a", headers=hq, json={"parent_id": "west",
                                                                                 "name": "项目A"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["path"] == "G.west.prop_ha" and moved.json()["name"] == "项目A"
    new_room = "G.west.prop_ha.a_hb1.a_hb1_hf1.room_ha1"
    for table, key, path in (("nodes", "node_id = 'room-a1'", new_room), ("tenants", "true", "G.west.prop_ha"),
                             ("leases", "true", "G.west.prop_ha"), ("meters", "true", new_room),
                             ("gateways", "true", "G.west.prop_ha"), ("accounts", "true", new_room),
                             ("meter_days", "true", new_room), ("commands", "true", new_room),
                             ("money_movements", "true", new_room), ("plans", "true", "G.west.prop_ha"),
                             ("batches", "true", "G.west.prop_ha")):
        assert await scalar(console.sessions, f"SELECT ltree2text(path) FROM {table} WHERE {key}") == path, table
    assert await scalar(console.sessions, "SELECT total_wh FROM meters") == 42       # live state untouched
    events = await outbox(console.sessions)
    moves = [(e.node.node_id, e.node.path) for e in events if e.WhichOneof("change") == "node"
             and e.node.change == "moved"]
    assert moves[0] == ("prop-a", "G.west.prop_ha") and len(moves) == 4
    assert [e.node.change for e in events if e.WhichOneof("change") == "node"][-1] == "renamed"
    placed = [e.meter_placed for e in events if e.WhichOneof("change") == "meter_placed"]
    assert [(p.meter_id, p.room_path, p.building_id, p.area_m2) for p in placed] == [
        ("m1", new_room, "a-b1", "50.00")]
    assert (await console.client.patch("/api/v1/nodes/a-b1-f1", headers=hq,
                                       json={"parent_id": "b-b1"})).status_code == 409
    assert (await console.client.patch("/api/v1/nodes/prop-a", headers=hq,
                                       json={"parent_id": "prop-b"})).status_code == 400


async def test_room_edits_and_meter_placement_are_published_once(console, console_tree, make_operator):
    await make_operator("hq", PASSWORD, [("hq_admin", "G")])
    hq = await console.login("hq", PASSWORD)
    caller = Caller("operator", "op", "hq", Scope((GrantView("g", "hq_admin", "G", "G", ALL),)))
    now = datetime(2026, 12, 1, tzinfo=UTC)
    placed = await place_meter(console.deps.new_uow(), caller, PlaceMeter("m-9", "room-a1", "电", "gw-9"), now)
    assert (placed.path, placed.kind, placed.property_id) == (console_tree["room-a1"], "electricity", "prop-a")
    await place_meter(console.deps.new_uow(), caller, PlaceMeter("m-9", "room-a1", "electricity", "gw-9"), now)
    edited = await console.client.patch("/api/v1/nodes/room-a1", headers=hq, json={"area_m2": 61.25})
    assert edited.json()["area_m2"] == "61.25"
    same = await console.client.patch("/api/v1/nodes/room-a1", headers=hq, json={"area_m2": "61.25"})
    assert same.status_code == 200
    not_a_room = await console.client.patch("/api/v1/nodes/a-b1", headers=hq, json={"room_use": "shop"})
    assert not_a_room.status_code == 400
    events = await outbox(console.sessions)
    assert [e.WhichOneof("change") for e in events] == ["meter_placed", "node", "meter_placed"]
    assert events[0].meter_placed.area_m2 == "50.00" and events[2].meter_placed.area_m2 == "61.25"
    assert await scalar(console.sessions, "SELECT ltree2text(path) FROM gateways WHERE gateway_id = 'gw-9'") == \
        console_tree["prop-a"]


async def test_tenants_and_leases(console, console_tree, make_operator, add_node):
    await add_node("room-a2", "room", "a-b1-f1", area_m2=30, room_use="office")
    await make_operator("mgr-a", PASSWORD, [("park_manager", "prop-a")])
    mgr = await console.login("mgr-a", PASSWORD)
    for tenant_id in ("t-1", "t-2"):
        made = await console.client.post("/api/v1/tenants", headers=mgr, json={
            "tenant_id": tenant_id, "property_id": "prop-a", "name": f"租户{tenant_id}", "language": "en"})
        assert made.status_code == 201, made.text
    bad_phone = await console.client.patch("/api/v1/tenants/t-1", headers=mgr, json={"phone": "12345"})
    assert bad_phone.status_code == 400 and bad_phone.json()["error"]["message_zh"].startswith("手机号")
    patched = await console.client.patch("/api/v1/tenants/t-1", headers=mgr, json={"email": "a@b.cn"})
    assert patched.json()["email"] == "a@b.cn" and patched.json()["language"] == "en"
    lease = await console.client.post("/api/v1/tenants/t-1/leases", headers=mgr, json={
        "room_ids": ["room-a1", "room-a2"], "starts_on": "2026-01-01", "ends_on": "2026-12-31"})
    assert lease.status_code == 201, lease.text
    lease_id = lease.json()["lease_id"]
    clash = await console.client.post("/api/v1/tenants/t-2/leases", headers=mgr, json={
        "room_ids": ["room-a2"], "starts_on": "2026-06-01"})
    assert clash.status_code == 409 and "room-a2" in clash.json()["error"]["message_en"]
    backwards = await console.client.post("/api/v1/tenants/t-2/leases", headers=mgr, json={
        "room_ids": ["room-a2"], "starts_on": "2027-06-01", "ends_on": "2027-01-01"})
    assert backwards.status_code == 400
    after = await console.client.post("/api/v1/tenants/t-2/leases", headers=mgr, json={
        "room_ids": ["room-a2"], "starts_on": "2027-01-01"})
    assert after.status_code == 201
    extended = await console.client.patch(f"/api/v1/tenants/t-1/leases/{lease_id}", headers=mgr,
                                          json={"ends_on": None})
    assert extended.status_code == 409       # open-ended would overlap t-2's lease of room-a2
    shrunk = await console.client.patch(f"/api/v1/tenants/t-1/leases/{lease_id}", headers=mgr,
                                        json={"room_ids": ["room-a1"], "ends_on": None})
    assert shrunk.status_code == 200 and shrunk.json()["ends_on"] is None and shrunk.json()["room_ids"] == ["room-a1"]
    leases = (await console.client.get("/api/v1/tenants/t-1/leases", headers=mgr)).json()
    assert [x["lease_id"] for x in leases["items"]] == [lease_id] and leases["items"][0]["property_id"] == "prop-a"
    kinds = [e.WhichOneof("change") for e in await outbox(console.sessions)]
    assert kinds == ["tenant_contacts", "tenant_contacts", "tenant_contacts", "lease", "lease", "lease"]
    by_phone = await console.client.get("/api/v1/tenants", headers=mgr, params={"phone": "13800138000"})
    assert by_phone.json() == {"items": [], "next": ""}


async def test_malformed_requests_get_a_clear_4xx(console, console_tree, make_operator):
    await make_operator("hq", PASSWORD, [("hq_admin", "G")])
    hq = await console.login("hq", PASSWORD)
    crafted = encode_cursor("not a path!")
    asks = [
        console.client.get("/api/v1/nodes", headers=hq, params={"cursor": crafted}),
        console.client.get("/api/v1/nodes", headers=hq, params={"limit": 501}),
        console.client.get("/api/v1/tenants", headers=hq, params={"cursor": "%%%"}),
        console.client.get("/api/v1/tenants", headers=hq, params={"phone": "abc"}),
        console.client.patch("/api/v1/nodes/room-a1", headers=hq, json={"area_m2": "1e400"}),
        console.client.patch("/api/v1/nodes/room-a1", headers=hq, json={"area_m2": 12.345}),
        console.client.patch("/api/v1/nodes/room-a1", headers=hq, json={"name": ""}),
        console.client.post("/api/v1/nodes", headers=hq, json={"node_id": "x.y", "parent_id": "G", "kind": "region",
                                                               "name": "x"}),
        console.client.post("/api/v1/tenants", headers=hq, json={"property_id": "prop-a", "name": "x",
                                                                 "email": "not-mail"}),
        console.client.post("/api/v1/tenants", headers=hq, json={"property_id": "a-b1", "name": "x"}),
    ]
    codes = [(await ask).status_code for ask in asks]
    assert codes == [400, 422, 400, 400, 422, 422, 422, 422, 400, 400], codes
    tenant = await console.client.post("/api/v1/tenants", headers=hq, json={"property_id": "prop-a", "name": "x"})
    tenant_id = tenant.json()["tenant_id"]
    ancient = await console.client.post(f"/api/v1/tenants/{tenant_id}/leases", headers=hq, json={
        "room_ids": ["room-a1"], "starts_on": "0001-01-01"})
    assert ancient.status_code == 400 and "2000" in ancient.json()["error"]["message_en"]
    elsewhere = await console.client.post(f"/api/v1/tenants/{tenant_id}/leases", headers=hq, json={
        "room_ids": ["room-b1"], "starts_on": "2026-01-01"})
    assert elsewhere.status_code == 400 and "prop-a" in elsewhere.json()["error"]["message_en"]

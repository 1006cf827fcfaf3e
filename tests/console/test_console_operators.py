"""Operators and grants: scoped like everything else, never granting beyond the granter, audited, and
applying from the next request."""

from __future__ import annotations

from sqlalchemy import func, select, text

from services.console.models import grants, operators, roles
from services.console.service.operators import ensure_built_in_roles, ensure_operator
from services.console.unit_of_work import ConsoleUnitOfWork

PASSWORD = "operators-pw"


async def _world(console, console_tree, make_operator) -> dict[str, dict[str, str]]:
    await make_operator("hq", PASSWORD, [("hq_admin", "G")])
    await make_operator("mgr-a", PASSWORD, [("hq_admin", "prop-a")])   # OPERATORS at property A only
    await make_operator("elec-b", PASSWORD, [("park_electrician", "prop-b")])
    return {name: await console.login(name, PASSWORD) for name in ("hq", "mgr-a", "elec-b")}


def _new(username: str, node_id: str, role_id: str = "park_electrician") -> dict:
    return {"username": username, "display_name": f"电工 {username}", "password": "a-good-password",
            "grants": [{"role_id": role_id, "node_id": node_id}]}


async def test_a_manager_creates_an_operator_in_his_property_only(console, console_tree, make_operator):
    h = await _world(console, console_tree, make_operator)
    created = await console.client.post("/api/v1/operators", json=_new("elec-a", "room-a1"), headers=h["mgr-a"])
    assert created.status_code == 201, created.text
    assert created.json()["property_id"] == "prop-a" and created.json()["grants"][0]["node_id"] == "room-a1"
    outside = await console.client.post("/api/v1/operators", json=_new("elec-x", "prop-b"), headers=h["mgr-a"])
    assert outside.status_code == 404
    above = await console.client.post("/api/v1/operators", json=_new("elec-y", "east"), headers=h["mgr-a"])
    assert above.status_code == 404
    taken = await console.client.post("/api/v1/operators", json=_new("elec-a", "prop-a"), headers=h["mgr-a"])
    assert taken.status_code == 409
    listed = (await console.client.get("/api/v1/operators", headers=h["mgr-a"])).json()["items"]
    assert sorted(o["username"] for o in listed) == ["elec-a", "mgr-a"]
    assert (await console.client.get("/api/v1/operators", headers=h["elec-b"])).status_code == 404
    new_login = await console.login("elec-a", "a-good-password")
    assert (await console.client.get("/api/v1/session", headers=new_login)).status_code == 200


async def test_operators_out_of_scope_are_absent(console, console_tree, make_operator):
    h = await _world(console, console_tree, make_operator)
    elec_b = (await console.client.get("/api/v1/operators", headers=h["hq"])).json()["items"]
    elec_b_id = next(o["operator_id"] for o in elec_b if o["username"] == "elec-b")
    for method, url in (("GET", f"/api/v1/operators/{elec_b_id}"), ("GET", f"/api/v1/operators/{elec_b_id}/grants")):
        assert (await console.client.request(method, url, headers=h["mgr-a"])).status_code == 404
    patch = await console.client.patch(f"/api/v1/operators/{elec_b_id}", json={"disabled": True}, headers=h["mgr-a"])
    assert patch.status_code == 404
    grant_id = (await console.client.get(f"/api/v1/operators/{elec_b_id}/grants",
                                         headers=h["hq"])).json()["items"][0]["grant_id"]
    assert (await console.client.delete(f"/api/v1/grants/{grant_id}", headers=h["mgr-a"])).status_code == 404


async def test_a_grant_applies_at_once_and_so_does_its_revocation(console, console_tree, make_operator):
    h = await _world(console, console_tree, make_operator)
    elec = (await console.client.get("/api/v1/operators", headers=h["hq"])).json()["items"]
    elec_b_id = next(o["operator_id"] for o in elec if o["username"] == "elec-b")
    assert (await console.client.get("/api/v1/audit", headers=h["elec-b"])).status_code == 404
    granted = await console.client.post(f"/api/v1/operators/{elec_b_id}/grants",
                                        json={"role_id": "auditor", "node_id": "prop-b"}, headers=h["hq"])
    assert granted.status_code == 201, granted.text
    assert (await console.client.get("/api/v1/audit", headers=h["elec-b"])).status_code == 200
    again = await console.client.post(f"/api/v1/operators/{elec_b_id}/grants",
                                      json={"role_id": "auditor", "node_id": "prop-b"}, headers=h["hq"])
    assert again.status_code == 409
    revoked = await console.client.delete(f"/api/v1/grants/{granted.json()['grant_id']}", headers=h["hq"])
    assert revoked.status_code == 204
    assert (await console.client.get("/api/v1/audit", headers=h["elec-b"])).status_code == 404
    log = (await console.client.get("/api/v1/audit", params={"target_id": elec_b_id}, headers=h["hq"])).json()
    assert [i["action"] for i in log["items"]][:2] == ["grant.revoke", "grant.create"]


async def test_no_grant_beyond_the_granters_permissions(console, console_tree, make_operator):
    await make_operator("hq", PASSWORD, [("hq_admin", "G")])
    async with console.sessions() as s:   # a role that may manage operators but not touch money
        await s.execute(text("INSERT INTO roles (role_id, name_zh, name_en, permissions) VALUES"
                             " ('staffing', '人事', 'Staffing', ARRAY['view', 'operators'])"))
        await s.commit()
    await make_operator("staff-a", PASSWORD, [("staffing", "prop-a")])
    headers = await console.login("staff-a", PASSWORD)
    cashier = await console.client.post("/api/v1/operators", json=_new("cash-a", "prop-a", "cashier"),
                                        headers=headers)
    assert cashier.status_code == 403
    unknown_role = await console.client.post("/api/v1/operators", json=_new("x-a", "prop-a", "pope"), headers=headers)
    assert unknown_role.status_code == 400


async def test_disabling_or_resetting_ends_the_operators_sessions(console, console_tree, make_operator):
    h = await _world(console, console_tree, make_operator)
    listed = (await console.client.get("/api/v1/operators", headers=h["hq"])).json()["items"]
    elec_b_id = next(o["operator_id"] for o in listed if o["username"] == "elec-b")
    reset = await console.client.patch(f"/api/v1/operators/{elec_b_id}", json={"password": "reset-password"},
                                       headers=h["hq"])
    assert reset.status_code == 200
    assert (await console.client.get("/api/v1/session", headers=h["elec-b"])).status_code == 401
    fresh = await console.login("elec-b", "reset-password")
    disabled = await console.client.patch(f"/api/v1/operators/{elec_b_id}", json={"disabled": True},
                                          headers=h["hq"])
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    assert (await console.client.get("/api/v1/session", headers=fresh)).status_code == 401
    log = (await console.client.get("/api/v1/audit", params={"action": "operator.update"},
                                    headers=h["hq"])).json()["items"]
    assert log[0]["before"]["disabled"] is False and log[0]["after"]["disabled"] is True
    assert log[1]["after"]["password_reset"] is True and "reset-password" not in str(log)
    myself = next(o["operator_id"] for o in listed if o["username"] == "hq")
    assert (await console.client.patch(f"/api/v1/operators/{myself}", json={"disabled": True},
                                       headers=h["hq"])).status_code == 409


async def test_a_manager_cannot_change_an_operator_with_grants_beyond_him(console, console_tree, make_operator):
    h = await _world(console, console_tree, make_operator)
    await make_operator("roamer", PASSWORD, [("park_electrician", "prop-a"), ("park_electrician", "prop-b")])
    listed = (await console.client.get("/api/v1/operators", headers=h["mgr-a"])).json()["items"]
    roamer = next(o for o in listed if o["username"] == "roamer")
    answer = await console.client.patch(f"/api/v1/operators/{roamer['operator_id']}", json={"disabled": True},
                                        headers=h["mgr-a"])
    assert answer.status_code == 403


async def test_roles_are_listed(console, console_tree, make_operator):
    h = await _world(console, console_tree, make_operator)
    items = (await console.client.get("/api/v1/roles", headers=h["elec-b"])).json()["items"]
    assert {"hq_admin", "regional_manager", "park_manager", "park_electrician", "cashier", "auditor"} <= {
        r["role_id"] for r in items}


async def test_ensure_operator_is_idempotent(console, console_tree):
    for _ in range(2):
        uow = ConsoleUnitOfWork(console.sessions, on_commit=lambda: None)
        async with uow:
            await ensure_built_in_roles(uow)
            await ensure_operator(uow, "hq", "集团管理员", "demo-password", [("hq_admin", "G")])
            await uow.commit()
    async with console.sessions() as s:
        counts = [await s.scalar(select(func.count()).select_from(t)) for t in (operators, grants, roles)]
    assert counts == [1, 1, 6]

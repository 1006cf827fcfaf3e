"""The system log: append-only in the database, searchable within the AUDIT scope, exportable to Excel."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from services.console.domain.scope import Caller, Scope
from services.console.repository.audit import AuditEntry
from services.console.service.audit import entry_for

PASSWORD = "audit-password"


async def _record(harness, *entries: AuditEntry) -> None:
    async with harness.deps.new_uow() as uow:
        for entry in entries:
            await uow.audit.record(entry)
        await uow.commit()


def _entry(action: str, path: str | None, target_id: str = "x", actor: str = "someone") -> AuditEntry:
    return AuditEntry(actor_kind="operator", actor=actor, address="10.0.0.1", action=action, target_kind="account",
                      target_id=target_id, path=path, request_id="r1", outcome="ok")


async def test_the_log_refuses_update_and_delete(console):
    await _record(console, _entry("account.recharge", None))
    for statement in ("UPDATE audit_log SET outcome = 'failed'", "DELETE FROM audit_log",
                      "TRUNCATE audit_log"):
        async with console.sessions() as s:
            with pytest.raises(DBAPIError, match="append-only"):
                await s.execute(text(statement))
            await s.rollback()
    async with console.sessions() as s:
        assert (await s.execute(text("SELECT outcome FROM audit_log"))).scalars().all() == ["ok"]


async def test_entry_for_takes_who_and_where_from_the_caller():
    caller = Caller("operator", "op-1", "elec-a", Scope(), address="10.1.2.3", request_id="req-9")
    entry = entry_for(caller, "command.trip", "meter", "m-1", "G.east", before={"relay": "closed"})
    assert (entry.actor, entry.actor_kind, entry.address, entry.request_id, entry.outcome) == (
        "elec-a", "operator", "10.1.2.3", "req-9", "ok")
    tenant = Caller("tenant", "t-1", "13800000001", Scope(tenant_id="t-1"))
    assert entry_for(tenant, "order.create", "account", "a", None).actor == "t-1"


async def test_search_is_scoped_by_audit_paths(console, console_tree, make_operator):
    await make_operator("hq", PASSWORD, [("auditor", "G")])
    await make_operator("aud-a", PASSWORD, [("auditor", "prop-a")])
    await _record(console, _entry("account.recharge", console_tree["room-a1"], "acct-a"),
                  _entry("account.recharge", console_tree["room-b1"], "acct-b"),
                  _entry("system.start", None, "console"))
    hq = await console.login("hq", PASSWORD)
    aud_a = await console.login("aud-a", PASSWORD)
    seen_by_a = (await console.client.get("/api/v1/audit", params={"action": "account.recharge"},
                                          headers=aud_a)).json()["items"]
    assert [(i["target_id"], i["property_id"]) for i in seen_by_a] == [("acct-a", "prop-a")]
    all_a = (await console.client.get("/api/v1/audit", headers=aud_a)).text
    assert "acct-b" not in all_a and "system.start" not in all_a
    seen_by_hq = (await console.client.get("/api/v1/audit", headers=hq)).json()["items"]
    assert {"acct-a", "acct-b", "console"} <= {i["target_id"] for i in seen_by_hq}


async def test_search_filters_and_pages(console, console_tree, make_operator):
    await make_operator("hq", PASSWORD, [("hq_admin", "G")])
    await _record(console, *[_entry("account.recharge", console_tree["room-a1"], f"acct-{n}", actor="cashier-1")
                             for n in range(5)], _entry("account.refund", console_tree["room-a1"], "acct-0"))
    hq = await console.login("hq", PASSWORD)
    first = (await console.client.get("/api/v1/audit", params={"actor": "cashier-1", "limit": 2},
                                      headers=hq)).json()
    second = (await console.client.get("/api/v1/audit", params={"actor": "cashier-1", "limit": 2,
                                                                 "cursor": first["next"]}, headers=hq)).json()
    ids = [i["target_id"] for i in first["items"] + second["items"]]
    assert ids == ["acct-4", "acct-3", "acct-2", "acct-1"] and second["next"]
    by_object = (await console.client.get("/api/v1/audit", params={"target_kind": "account", "target_id": "acct-0"},
                                          headers=hq)).json()["items"]
    assert [i["action"] for i in by_object] == ["account.refund", "account.recharge"]
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert (await console.client.get("/api/v1/audit", params={"from": future}, headers=hq)).json()["items"] == []
    bad = await console.client.get("/api/v1/audit", params={"cursor": "garbage"}, headers=hq)
    assert bad.status_code == 400


async def test_logins_are_filed_at_the_operators_first_grant(console, console_tree, make_operator):
    await make_operator("hq", PASSWORD, [("hq_admin", "G")])
    await make_operator("mgr-b", PASSWORD, [("hq_admin", "prop-b")])
    await console.login("mgr-b", PASSWORD)
    await console.client.post("/api/v1/session", json={"username": "ghost", "password": "whatever"})
    mgr_b = await console.login("mgr-b", PASSWORD)
    own = (await console.client.get("/api/v1/audit", params={"action": "session.login"}, headers=mgr_b)).json()
    assert {i["actor"] for i in own["items"]} == {"mgr-b"}
    assert {i["property_id"] for i in own["items"]} == {"prop-b"}
    hq = await console.login("hq", PASSWORD)
    failed = (await console.client.get("/api/v1/audit", params={"actor": "ghost"}, headers=hq)).json()["items"]
    assert [(i["outcome"], i["property_id"]) for i in failed] == [("failed", None)]


async def test_without_audit_permission_the_log_is_absent(console, console_tree, make_operator):
    await make_operator("elec-a", PASSWORD, [("park_electrician", "prop-a")])
    headers = await console.login("elec-a", PASSWORD)
    assert (await console.client.get("/api/v1/audit", headers=headers)).status_code == 404
    assert (await console.client.get("/api/v1/audit.xlsx", headers=headers)).status_code == 404


async def test_the_export_is_a_workbook_with_bilingual_headers(console, console_tree, make_operator):
    await make_operator("hq", PASSWORD, [("hq_admin", "G")])
    await _record(console, AuditEntry("operator", "hq", "10.0.0.1", "tariff.update", "plan", "=cmd|' /C calc'!A0",
                                      console_tree["prop-a"], "r", "ok", before={"price": 1}, after={"price": 2}))
    headers = await console.login("hq", PASSWORD)
    answer = await console.client.get("/api/v1/audit.xlsx", params={"action": "tariff.update"}, headers=headers)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(answer.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "时间 Time" and rows[0][1] == "操作人 Actor"
    assert rows[1][4] == "tariff.update" and rows[1][7] == "prop-a" and rows[1][10] == '{"price": 1}'
    assert sheet.cell(row=2, column=7).data_type == "s"   # never a formula


async def test_the_export_survives_control_characters_typed_into_a_login(console, console_tree, make_operator):
    await make_operator("hq", PASSWORD, [("hq_admin", "G")])
    bad = await console.client.post("/api/v1/session", json={"username": "ev\x01il\x1b", "password": "x"})
    assert bad.status_code == 401
    headers = await console.login("hq", PASSWORD)
    answer = await console.client.get("/api/v1/audit.xlsx", headers=headers)
    assert answer.status_code == 200
    actors = [row[1] for row in load_workbook(io.BytesIO(answer.content)).active.iter_rows(values_only=True)]
    assert "ev\ufffdil\ufffd" in actors

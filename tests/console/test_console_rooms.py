"""Rooms and meters with their live state through the API: the room state (domain rule and its SQL twin),
scoped lists and details (an operator of property A sees A only; a tenant his own rooms), filters, paging,
and read-now (CONTROL permission, audited)."""

from __future__ import annotations

import pytest
from console_live_seed import PASSWORD, ROOMS_A, STATES_A, TENANTS, TODAY, all_items, make_site
from sqlalchemy import select

from services.console.domain.rooms import AccountLive, MeterLive, RoomState, room_state
from services.console.entrypoints.http.live_schemas import (
    AccountOut,
    CommandOut,
    MeterDetailOut,
    MeterOut,
    MeterPage,
    RoomDetailOut,
    RoomOut,
    RoomPage,
)
from services.console.models import audit_log


@pytest.fixture
async def site(console_app, console_sessions, add_node, make_operator):
    return await make_site(console_app, console_sessions, add_node, make_operator)


def meter(online: bool | None = True, mode: str = "prepaid") -> MeterLive:
    return MeterLive("M", "R", "P", "electricity", "", online, "closed", mode, None, None, None, None, None, None,
                     None, None, None, None, 0, 0)


def account(level: int = 0, arrears: bool = False, status: str = "open") -> AccountLive:
    return AccountLive("A", "P", "T", "", status, 100, None, 0, level, arrears)


class TestRoomState:
    @pytest.mark.parametrize(("meters_", "accounts_", "state"), [
        ([meter()], [], RoomState.NOT_OPENED),
        ([meter()], [account(status="closed")], RoomState.NOT_OPENED),
        ([meter(online=False)], [account(arrears=True)], RoomState.OFFLINE),
        ([meter(mode="guarantee")], [account(arrears=True)], RoomState.POWER_GUARANTEE),
        ([meter()], [account(2, arrears=True)], RoomState.ARREARS_CUT),
        ([meter()], [account(2)], RoomState.ALARM_2),
        ([meter(), meter()], [account(0), account(1)], RoomState.ALARM_1),
        ([meter(online=None)], [account()], RoomState.SUPPLY_ON),
    ])
    def test_the_first_rule_that_holds_names_the_state(self, meters_, accounts_, state):
        assert room_state(meters_, accounts_) is state


class TestRoomList:
    async def test_an_operator_of_property_a_sees_only_a_rooms_with_their_state(self, site):
        headers = await site.login("mgr-a", PASSWORD)
        items = await all_items(site.client, "/api/v1/rooms", headers, limit=3)
        assert [i["room_id"] for i in items] == [*sorted(ROOMS_A), "pa-201"]   # tree order, every page once
        assert {i["property_id"] for i in items} == {"prop-a"}
        assert {i["room_id"]: i["state"] for i in items if i["room_id"] in STATES_A} == STATES_A
        first = items[0]
        assert (first["tenant_name"], first["account"]["balance_fen"], first["today_energy_wh"]) == ("租户t-a1", 5000,
                                                                                                  1200)
        assert first["meters"][0]["meter_id"] == "m-pa-101" and first["building_id"] == "pa-b1"

    async def test_hq_sees_every_room_and_filters_narrow_it(self, site):
        headers = await site.login("hq", PASSWORD)
        assert len(await all_items(site.client, "/api/v1/rooms", headers)) == 9
        by_property = await all_items(site.client, "/api/v1/rooms", headers, property_id="prop-b")
        assert [i["room_id"] for i in by_property] == ["pb-101"]
        by_building = await all_items(site.client, "/api/v1/rooms", headers, building_id="pa-b2")
        assert [i["room_id"] for i in by_building] == ["pa-201"]
        by_floor = await all_items(site.client, "/api/v1/rooms", headers, floor_id="pa-b1-f1")
        assert len(by_floor) == 7
        assert [i["room_id"] for i in await all_items(site.client, "/api/v1/rooms", headers, q="104")] == ["pa-104"]
        assert await all_items(site.client, "/api/v1/rooms", headers, q="100%") == []

    async def test_the_state_filter_agrees_with_the_domain_rule(self, site):
        headers = await site.login("hq", PASSWORD)
        everything = await all_items(site.client, "/api/v1/rooms", headers)
        for state in RoomState:
            filtered = await all_items(site.client, "/api/v1/rooms", headers, state=state.value)
            assert sorted(i["room_id"] for i in filtered) == sorted(
                i["room_id"] for i in everything if i["state"] == state.value), state

    async def test_another_propertys_operator_gets_only_his_rooms(self, site):
        headers = await site.login("mgr-b", PASSWORD)
        assert [i["room_id"] for i in await all_items(site.client, "/api/v1/rooms", headers)] == ["pb-101"]
        assert await all_items(site.client, "/api/v1/rooms", headers, property_id="prop-a") == []

    async def test_an_operator_with_two_grants_sees_both_subtrees(self, site, make_operator):
        await make_operator("both", PASSWORD, [("park_electrician", "pb-b1"), ("cashier", "pa-b2")])
        headers = await site.login("both", PASSWORD)
        items = await all_items(site.client, "/api/v1/rooms", headers, limit=1)
        assert [i["room_id"] for i in items] == ["pa-201", "pb-101"]

    async def test_a_tenant_sees_only_the_rooms_of_his_own_accounts(self, site):
        headers = await site.login(TENANTS["t-a1"][1], None)
        items = await all_items(site.client, "/api/v1/rooms", headers)
        assert [i["room_id"] for i in items] == ["pa-101", "pa-102", "pa-201"]
        assert (await site.client.get("/api/v1/rooms/pa-103", headers=headers)).status_code == 404

    async def test_bad_filters_and_cursors_are_4xx(self, site):
        headers = await site.login("hq", PASSWORD)
        assert (await site.client.get("/api/v1/rooms", headers=headers, params={"state": "x"})).status_code == 422
        answer = await site.client.get("/api/v1/rooms", headers=headers, params={"cursor": "garbage"})
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_request"
        site.client.cookies.clear()   # the login above left its session cookie
        assert (await site.client.get("/api/v1/rooms")).status_code == 401


class TestRoomDetail:
    async def test_a_room_in_scope_has_meters_accounts_and_recent_commands(self, site):
        headers = await site.login("mgr-a", PASSWORD)
        answer = await site.client.get("/api/v1/rooms/pa-104", headers=headers)
        assert answer.status_code == 200, answer.text
        room = answer.json()
        assert (room["state"], room["property_id"], room["day"]) == ("arrears_cut", "prop-a", TODAY.isoformat())
        assert [a["account_id"] for a in room["accounts"]] == ["a-pa-104"]
        assert [c["command_id"] for c in room["commands"]] == ["cmd-1"]
        assert (room["today_energy_wh"], room["today_amount_fen"]) == (1200, 96)

    async def test_a_room_out_of_scope_is_absent(self, site):
        headers = await site.login("mgr-b", PASSWORD)
        answer = await site.client.get("/api/v1/rooms/pa-101", headers=headers)
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"
        assert (await site.client.get("/api/v1/rooms/prop-b", headers=headers)).status_code == 404  # not a room


class TestMeters:
    async def test_meter_list_and_detail_are_scoped(self, site):
        headers = await site.login("mgr-b", PASSWORD)
        items = await all_items(site.client, "/api/v1/meters", headers)
        assert [(i["meter_id"], i["property_id"]) for i in items] == [("m-pb-101", "prop-b")]
        assert (await site.client.get("/api/v1/meters/m-pa-101", headers=headers)).status_code == 404
        detail = (await site.client.get("/api/v1/meters/m-pb-101", headers=headers)).json()
        assert (detail["room_name"], detail["month_energy_wh"], detail["account"]["account_id"]) == (
            "房间 pb-101", 1200, "a-pb-101")

    async def test_meter_filters(self, site):
        headers = await site.login("hq", PASSWORD)
        offline = await all_items(site.client, "/api/v1/meters", headers, online="offline")
        assert [i["meter_id"] for i in offline] == ["m-pa-106"]
        assert len(await all_items(site.client, "/api/v1/meters", headers, property_id="prop-a", limit=2)) == 8

    async def test_read_now_needs_control_over_the_meter_and_is_audited(self, site, console_sessions):
        elec_b = await site.login("elec-b", PASSWORD)
        assert (await site.client.post("/api/v1/meters/m-pa-101/read-now", headers=elec_b)).status_code == 404
        cashier = await site.login("cashier-a", PASSWORD)
        assert (await site.client.post("/api/v1/meters/m-pa-101/read-now", headers=cashier)).status_code == 404
        answer = await site.client.post("/api/v1/meters/m-pb-101/read-now", headers=elec_b)
        assert answer.status_code == 200 and answer.json() == {"meter_id": "m-pb-101", "read": 1, "failed": 0}
        assert site.deps.ports.acquisition.asked == [["m-pb-101"]]
        async with console_sessions() as s:
            logged = (await s.execute(select(audit_log.c.actor, audit_log.c.outcome, audit_log.c.path)
                                      .where(audit_log.c.action == "meter.read_now"))).all()
        assert [tuple(r) for r in logged] == [("elec-b", "ok", "G.west.prop_hb.pb_hb1.pb_hb1_hf1.pb_h101")]


def same_fields(model, body: dict) -> None:
    """The answer has exactly the model's fields (the model is what the OpenAPI promises)."""
    model.model_validate(body)
    assert set(body) == set(model.model_fields), (model.__name__, set(body) ^ set(model.model_fields))


class TestAnswersKeepTheContract:
    async def test_room_and_meter_answers_are_what_the_openapi_says(self, site):
        headers = await site.login("hq", PASSWORD)
        page = (await site.client.get("/api/v1/rooms", headers=headers)).json()
        same_fields(RoomPage, page)
        for item in page["items"]:
            same_fields(RoomOut, item)
            for m in item["meters"]:
                same_fields(MeterOut, m)
            if item["account"]:
                same_fields(AccountOut, item["account"])
        room = (await site.client.get("/api/v1/rooms/pa-104", headers=headers)).json()
        same_fields(RoomDetailOut, room)
        same_fields(CommandOut, room["commands"][0])
        same_fields(MeterPage, (await site.client.get("/api/v1/meters", headers=headers)).json())
        same_fields(MeterDetailOut, (await site.client.get("/api/v1/meters/m-pa-104", headers=headers)).json())
        paths = site.app.openapi()["paths"]
        assert paths["/api/v1/rooms"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/RoomPage"}


async def test_a_nul_character_in_a_query_or_path_is_a_clear_422(console):
    for url in ("/api/v1/meters?q=a%00b", "/api/v1/rooms?property_id=%00", "/api/v1/meters/M%001"):
        answer = await console.client.get(url)
        assert answer.status_code == 422, url
        assert "U+0000" in answer.json()["error"]["message_en"]


async def test_a_nul_character_in_a_json_body_is_a_clear_422(console):
    answer = await console.client.post("/api/v1/session", content=b'{"username": "a\\u0000", "password": "x"}',
                                       headers={"Content-Type": "application/json"})
    assert answer.status_code == 422
    assert "U+0000" in answer.json()["error"]["message_en"]
    fine = await console.client.post("/api/v1/session", json={"username": "nobody", "password": "x"})
    assert fine.status_code == 401   # a clean body still reaches the route

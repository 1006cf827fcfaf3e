"""Reports over a scope: the overview's counts and figures, daily energy per property (paged), and who may
see them (REPORTS permission; an operator of property A gets A's figures only)."""

from __future__ import annotations

from datetime import date

import pytest
from console_live_seed import PASSWORD, TODAY, all_items, make_site
from sqlalchemy import insert

from services.console.models import gateways, meter_days


@pytest.fixture
async def site(console_app, console_sessions, add_node, make_operator):
    harness = await make_site(console_app, console_sessions, add_node, make_operator)
    async with console_sessions() as s:
        room = "G.east.prop_ha.pa_hb1.pa_hb1_hf1"
        await s.execute(insert(meter_days).values([
            {"meter_id": "m-pa-101", "day": date(2026, 10, 15), "property_id": "prop-a", "path": f"{room}.pa_h101",
             "energy_wh": 5000, "amount_fen": 400},
            {"meter_id": "m-pa-103", "day": date(2026, 11, 5), "property_id": "prop-a", "path": f"{room}.pa_h103",
             "energy_wh": 3000, "amount_fen": 240}]))
        await s.execute(insert(gateways).values(gateway_id="gw-b", property_id="prop-b", path="G.west.prop_hb",
                                                online=False))
        await s.commit()
    return harness


class TestOverview:
    async def test_a_property_managers_overview_counts_his_property_only(self, site):
        headers = await site.login("mgr-a", PASSWORD)
        answer = await site.client.get("/api/v1/reports/overview", headers=headers)
        assert answer.status_code == 200, answer.text
        o = answer.json()
        assert (o["day"], o["properties"], o["tenants"], o["meters_online"], o["meters_offline"]) == (
            TODAY.isoformat(), 1, 2, 7, 1)
        assert (o["accounts_in_alarm"], o["accounts_in_arrears"], o["gateways_offline"]) == (2, 2, 0)
        assert o["today"] == {"energy_wh": 8 * 1200, "amount_fen": 8 * 96}
        assert o["month"] == {"energy_wh": 8 * 1200 + 3000, "amount_fen": 8 * 96 + 240}
        assert [m["month"] for m in o["months"]][-2:] == ["2026-10", "2026-11"] and len(o["months"]) == 12
        assert o["months"][-2]["energy_wh"] == 5000
        top = o["top_consumers"]
        assert (top[0]["room_id"], top[0]["energy_wh"], len(top)) == ("pa-103", 4200, 8)
        assert {t["property_id"] for t in top} == {"prop-a"}

    async def test_hq_sees_everything_and_may_narrow_to_a_property(self, site):
        headers = await site.login("hq", PASSWORD)
        o = (await site.client.get("/api/v1/reports/overview", headers=headers)).json()
        assert (o["properties"], o["tenants"], o["gateways_offline"], o["today"]["energy_wh"]) == (2, 3, 1, 9 * 1200)
        b = (await site.client.get("/api/v1/reports/overview", headers=headers,
                                   params={"property_id": "prop-b"})).json()
        assert (b["properties"], b["meters_online"], b["today"]["energy_wh"], b["property_id"]) == (
            1, 1, 1200, "prop-b")

    async def test_without_the_reports_permission_there_are_no_reports(self, site):
        headers = await site.login("elec-b", PASSWORD)
        assert (await site.client.get("/api/v1/reports/overview", headers=headers)).status_code == 404


class TestEnergy:
    async def test_daily_energy_and_money_per_property_in_pages(self, site):
        headers = await site.login("hq", PASSWORD)
        rows = await all_items(site.client, "/api/v1/reports/energy", headers,
                               **{"from": "2026-10-01", "to": "2026-11-30", "limit": 2})
        assert [(r["day"], r["property_id"], r["energy_wh"], r["amount_fen"]) for r in rows] == [
            ("2026-10-15", "prop-a", 5000, 400), ("2026-11-05", "prop-a", 3000, 240),
            ("2026-11-10", "prop-a", 8 * 1200, 8 * 96), ("2026-11-10", "prop-b", 1200, 96)]

    async def test_a_cashier_gets_his_property_and_bad_ranges_are_refused(self, site):
        headers = await site.login("cashier-a", PASSWORD)
        rows = await all_items(site.client, "/api/v1/reports/energy", headers, **{"from": TODAY.isoformat(),
                                                                                  "to": TODAY.isoformat()})
        assert [r["property_id"] for r in rows] == ["prop-a"]
        backwards = await site.client.get("/api/v1/reports/energy", headers=headers,
                                          params={"from": "2026-11-10", "to": "2026-11-01"})
        assert backwards.status_code == 400
        too_long = await site.client.get("/api/v1/reports/energy", headers=headers,
                                         params={"from": "2024-01-01", "to": "2026-11-01"})
        assert too_long.status_code == 400
        assert (await site.client.get("/api/v1/reports/energy", headers=headers,
                                      params={"from": "x", "to": "2026-11-01"})).status_code == 422

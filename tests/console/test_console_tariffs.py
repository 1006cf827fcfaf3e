"""Tariff plans from the console against a REAL tariff (its gRPC servicer in-process): a plan belongs to a
property in the caller's TARIFF scope, tariff validates its definition, a scheduled price change lies in the
future, and a plan is only assigned to meters of its property within scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import grpc
import pytest
from sqlalchemy import text

import services.tariff
from services.console.entrypoints.clients import TariffClient
from services.console.ports import Ports
from services.contracts.meterpay.v1 import tariff_pb2, tariff_pb2_grpc
from services.kit.clock import SystemClock
from services.kit.grpc import start_grpc_server
from services.tariff.domain.rating_batch import RatingLimits
from services.tariff.entrypoints import events
from services.tariff.entrypoints.grpc import TariffGrpc
from services.tariff.unit_of_work import TariffUnitOfWork

TARIFF_MIGRATIONS = str(Path(services.tariff.__file__).parent / "migrations")
PASSWORD = "tariff-pw-12345"
SINGLE = {"pricing": "single", "price": "1.08"}


@dataclass
class Tariff:
    client: TariffClient
    stub: tariff_pb2_grpc.TariffServiceStub


@pytest.fixture
async def tariff(service_database):
    sessions = await service_database("tariff", TARIFF_MIGRATIONS)
    servicer = TariffGrpc(lambda: TariffUnitOfWork(sessions, lambda: None, events.to_outgoing), SystemClock(),
                          RatingLimits(default_price=Decimal("1")))
    server, port = await start_grpc_server("127.0.0.1", 0, [
        (tariff_pb2_grpc.add_TariffServiceServicer_to_server, servicer, "meterpay.v1.TariffService")])
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    yield Tariff(TariffClient(channel, timeout_s=5.0), tariff_pb2_grpc.TariffServiceStub(channel))
    await channel.close()
    await server.stop(0)


@dataclass
class Office:
    console: object
    tariff: Tariff
    headers: dict[str, dict[str, str]]

    async def post(self, who: str, path: str, body: dict):
        return await self.console.client.post(path, json=body, headers=self.headers[who])

    async def get(self, who: str, path: str):
        return await self.console.client.get(path, headers=self.headers[who])


@pytest.fixture
async def office(console_app, console_tree, console_sessions, make_operator, tariff) -> Office:
    async with console_sessions() as s:
        for meter_id, tag in (("M-a1", "a"), ("M-b1", "b")):
            await s.execute(text("INSERT INTO meters (meter_id, room_id, property_id, path)"
                                 " VALUES (:m, :r, :p, text2ltree(:rp))"),
                            {"m": meter_id, "r": f"room-{tag}1", "p": f"prop-{tag}",
                             "rp": console_tree[f"room-{tag}1"]})
        await s.commit()
    await make_operator("east", PASSWORD, [("regional_manager", "east")])
    await make_operator("west", PASSWORD, [("regional_manager", "west")])
    await make_operator("park-a", PASSWORD, [("park_manager", "prop-a")])   # no TARIFF permission
    await make_operator("hq", PASSWORD, [("hq_admin", "G")])
    ports = Ports(acquisition=None, wallet=None, control=None, tariff=tariff.client, sms=None)  # type: ignore[arg-type]
    console = await console_app(ports=ports)
    headers = {name: await console.login(name, PASSWORD) for name in ("east", "west", "park-a", "hq")}
    return Office(console, tariff, headers)


async def _plan_rows(console_sessions) -> list[str]:
    async with console_sessions() as s:
        return list((await s.execute(text("SELECT plan_id FROM plans ORDER BY plan_id"))).scalars())


class TestPlans:
    async def test_a_plan_of_a_property_in_scope_is_created_in_tariff_and_listed(self, office):
        made = await office.post("east", "/api/v1/tariffs", {"plan_id": "P-a", "name": "商铺电价",
                                                             "property_id": "prop-a", "definition": SINGLE})
        assert made.status_code == 201, made.text
        assert (made.json()["property_id"], made.json()["created_by"]) == ("prop-a", "east")
        listed = (await office.get("east", "/api/v1/tariffs")).json()["items"]
        assert [(p["plan_id"], p["property_id"], p["commodity"]) for p in listed] == [("P-a", "prop-a", "electricity")]
        assert (await office.get("west", "/api/v1/tariffs")).json()["items"] == []
        assert (await office.get("west", "/api/v1/tariffs/P-a")).status_code == 404
        assert (await office.get("east", "/api/v1/tariffs/P-a")).json()["kind"] == "shared"

    async def test_out_of_scope_or_without_the_permission_nothing_is_created(self, office, console_sessions):
        body = {"plan_id": "P-x", "name": "x", "property_id": "prop-a", "definition": SINGLE}
        assert (await office.post("west", "/api/v1/tariffs", body)).status_code == 404
        assert (await office.post("park-a", "/api/v1/tariffs", body)).status_code == 404
        not_a_property = await office.post("east", "/api/v1/tariffs", {**body, "property_id": "a-b1"})
        assert not_a_property.status_code == 404, not_a_property.text
        assert await _plan_rows(console_sessions) == []

    async def test_tariff_refuses_a_definition_it_cannot_price(self, office, console_sessions):
        bad = await office.post("east", "/api/v1/tariffs", {"plan_id": "P-bad", "name": "x", "property_id": "prop-a",
                                                            "definition": {"pricing": "barter"}})
        assert bad.status_code == 400, bad.text
        assert bad.json()["error"]["message_en"].startswith("tariff refused")
        assert await _plan_rows(console_sessions) == []


class TestPriceChangesAndAssignments:
    async def test_a_scheduled_price_change_lies_in_the_future_and_rates_the_assigned_meter(self, office):
        await office.post("east", "/api/v1/tariffs", {"plan_id": "P-a", "name": "商铺电价", "property_id": "prop-a",
                                                      "definition": SINGLE})
        past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        refused = await office.post("east", "/api/v1/tariffs/P-a/versions",
                                    {"effective_from": past, "definition": {"pricing": "single", "price": "1.20"}})
        assert refused.status_code == 400, refused.text
        when = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
        change = {"effective_from": when.isoformat(), "definition": {"pricing": "single", "price": "1.20"}}
        first = await office.post("east", "/api/v1/tariffs/P-a/versions", change)
        again = await office.post("east", "/api/v1/tariffs/P-a/versions", change)
        assert first.status_code == 201 and first.json()["created"] and not again.json()["created"], first.text
        assigned = await office.post("east", "/api/v1/tariffs/P-a/assignments", {"meter_ids": ["M-a1"]})
        assert assigned.status_code == 200 and assigned.json()["assigned"] == 1, assigned.text
        timeline = (await office.tariff.stub.GetMeterTariff(tariff_pb2.MeterTariffRequest(meter_id="M-a1"))).timeline
        assert [v.version_id for v in timeline][-1] == first.json()["version_id"]

    async def test_a_plan_goes_only_to_meters_of_its_property_in_scope(self, office):
        await office.post("hq", "/api/v1/tariffs", {"plan_id": "P-a", "name": "商铺电价", "property_id": "prop-a",
                                                    "definition": SINGLE})
        foreign = await office.post("east", "/api/v1/tariffs/P-a/assignments", {"meter_ids": ["M-a1", "M-b1"]})
        assert foreign.status_code == 404 and "M-b1" in foreign.json()["error"]["message_en"], foreign.text
        elsewhere = await office.post("hq", "/api/v1/tariffs/P-a/assignments", {"meter_ids": ["M-b1"]})
        assert elsewhere.status_code == 400, elsewhere.text
        timeline = (await office.tariff.stub.GetMeterTariff(tariff_pb2.MeterTariffRequest(meter_id="M-b1"))).timeline
        assert all(not v.version_id.startswith("P-a") for v in timeline)
